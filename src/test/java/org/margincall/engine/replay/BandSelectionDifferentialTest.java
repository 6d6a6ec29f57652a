package org.margincall.engine.replay;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;
import org.margincall.engine.domain.BandBook;
import org.margincall.engine.domain.Notification;
import org.margincall.engine.domain.TriggerBands;
import org.margincall.engine.scenario.Scenario;
import org.margincall.engine.scenario.ScenarioEvent;

/**
 * SPEC §10, differentially: on random scenarios the band selection
 * ({@link InMemoryReplay#withBands()}) sends exactly the notices of re-evaluating every exposed
 * (sub-)account — the same {@link Notification} records (ids, types, levels, figures, triggers,
 * flags) in the same order.
 *
 * <p>Seeded and reproducible in the style of {@code domain/Seeded}: try {@code i} draws from a
 * {@link SplittableRandom} seeded with SplitMix64 of the base seed ({@code -Dproperties.seed},
 * default {@value #DEFAULT_SEED}) stepped {@code i + 1} times; {@code -Dproperties.tries=N} runs
 * more, {@code -Dproperties.try=i} only try {@code i}. A failure names the seed, the try and the
 * command that reruns it, and writes the scenario to {@code target/band-selection/}.
 *
 * <p>Each scenario: a venue with short reminders, grace and final-notice periods (own thresholds,
 * hysteresis 0/2/5 %, sometimes a wick guard, sometimes {@code handoffsHeld}); BTC, ETH and SOL
 * (sometimes an ETH table whose first bracket has rate 0); 4–14 accounts — cross accounts of one to
 * three positions, isolated positions (alone or beside a cross position), accounts exposed through
 * BTC or ETH collateral with a haircut (some without any position), some with their own warning —
 * each sized to a collateral ratio near a threshold or clear of them; then 100–300 events: random
 * price walks with crashes, recoveries and one-tick wicks (with or without an index price,
 * sometimes an index off the mark), duplicate and out-of-order ticks, instruments whose first mark
 * comes late, deposits (also of an asset the account did not hold), withdrawals, reductions
 * (isolated ones too, full closes included), pending deposits that settle, are cancelled, expire or
 * arrive already expired, and quiet gaps that let clock steps and reminders fall due.
 */
class BandSelectionDifferentialTest {
    static final long DEFAULT_SEED = 20260101L;
    static final int TRIES = 300;
    static final int EDGE_TRIES = 100;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Scenarios drawn up front and read through the strict loader ({@link Scenario#parse}). */
    @Test
    void bandsSendExactlyTheNoticesOfEvaluatingEveryExposedAccount() throws IOException {
        runTries("random scenarios", TRIES, seed -> {
            ObjectNode doc = new Generator(new SplittableRandom(seed)).scenario();
            Scenario scenario = Scenario.parse(doc);
            InMemoryReplay full = new InMemoryReplay(scenario);
            InMemoryReplay banded = new InMemoryReplay(scenario).withBands();
            return new Outcome(doc, full, full.run(scenario.events()), banded, banded.run(scenario.events()),
                    scenario.events().size());
        });
    }

    /**
     * The same scenarios, drawn event by event while both replays run, with a third of the ticks
     * placed on a band edge stored at that moment (rounded down, up or to nearest at the
     * instrument's price digits, or one digit either side): the ticks where a band too wide by a
     * rounding error would miss a notice. Events are fed one at a time to both replays (a clock
     * step due at an event's instant runs before a later event at the same instant, the same in
     * both).
     */
    @Test
    void ticksOnTheStoredBandEdgesSendTheSameNotices() throws IOException {
        runTries("ticks aimed at band edges", EDGE_TRIES, seed -> {
            InMemoryReplay[] banded = new InMemoryReplay[1];
            Generator g = new Generator(new SplittableRandom(seed)).aimingAt(slot -> edges(banded[0].bandBook(), slot));
            ObjectNode doc = g.header();
            Scenario scenario = Scenario.parse(doc);
            InMemoryReplay full = new InMemoryReplay(scenario);
            banded[0] = new InMemoryReplay(scenario).withBands();
            List<Notification> expected = List.of();
            List<Notification> got = List.of();
            int fed = 0;
            try {
                while (g.more()) {
                    g.step();
                    for (; fed < g.events().size(); fed++) {
                        ScenarioEvent e = event((ObjectNode) g.events().get(fed), fed);
                        expected = full.run(List.of(e));
                        got = banded[0].run(List.of(e));
                    }
                }
            } finally {
                doc.set("events", g.events());
            }
            return new Outcome(doc, full, expected, banded[0], got, fed);
        });
    }

    /** What one try replayed. */
    private record Outcome(ObjectNode doc, InMemoryReplay full, List<Notification> expected, InMemoryReplay banded,
                           List<Notification> got, int events) {
    }

    @FunctionalInterface
    private interface Try {
        Outcome run(long seed) throws IOException;
    }

    private static void runTries(String what, int defaultTries, Try body) throws IOException {
        long base = Long.decode(System.getProperty("properties.seed", Long.toString(DEFAULT_SEED)).trim());
        String only = System.getProperty("properties.try", "").trim();
        int from = only.isEmpty() ? 0 : Integer.parseInt(only);
        int tries = only.isEmpty() ? Math.max(defaultTries, Integer.getInteger("properties.tries", defaultTries)) : 1;
        String test = StackWalker.getInstance().walk(f -> f.skip(1).findFirst()).orElseThrow().getMethodName();
        Map<String, Integer> seen = new TreeMap<>();
        long events = 0;
        long notices = 0;
        long fullEvaluations = 0;
        long bandEvaluations = 0;
        long t0 = System.nanoTime();
        java.lang.management.ThreadMXBean cpu = java.lang.management.ManagementFactory.getThreadMXBean();
        long c0 = cpu.getCurrentThreadCpuTime();
        for (int i = from; i < from + tries; i++) {
            long seed = seedOf(base, i);
            Outcome o = null;
            try {
                o = body.run(seed);
                if (!o.got().equals(o.expected())) {
                    throw new AssertionError(firstDifference(o.expected(), o.got()));
                }
                assertThat(o.banded().evaluations()).as("evaluations with bands")
                        .isLessThanOrEqualTo(o.full().evaluations());
                events += o.events();
                notices += o.expected().size();
                fullEvaluations += o.full().evaluations();
                bandEvaluations += o.banded().evaluations();
                tally(seen, o.expected(), o.doc());
            } catch (AssertionError | RuntimeException e) {
                String written = "";
                if (o != null) {
                    Path dir = Path.of("target", "band-selection");
                    Files.createDirectories(dir);
                    Path file = dir.resolve(test + "-seed-" + base + "-try-" + i + ".json");
                    JSON.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), o.doc());
                    written = "; scenario written to " + file;
                }
                throw new AssertionError(String.format("%s: band selection differs from full re-evaluation at try %d"
                                + " (seed %d, try seed %d)%s%n  rerun alone: ./mvnw -B -o -q test-compile surefire:test"
                                + " -Dtest='BandSelectionDifferentialTest#%s' -Dproperties.seed=%d -Dproperties.try=%d%n%s",
                        test, i, base, seed, written, test, base, i, e), e);
            }
        }
        System.out.printf("BandSelectionDifferentialTest#%s (%s; seed %d, %d scenarios, %.1f s, %.1f s CPU): %d events,"
                        + " %d notices, (sub-)account evaluations full %d, bands %d (%.1f %%); notices seen: %s%n", test,
                what, base, tries, (System.nanoTime() - t0) / 1e9, (cpu.getCurrentThreadCpuTime() - c0) / 1e9, events,
                notices, fullEvaluations, bandEvaluations, 100.0 * bandEvaluations / Math.max(1, fullEvaluations), seen);
        if (only.isEmpty()) {
            // the scenarios reach what the selection must not miss
            assertThat(seen).containsKeys("MARGIN_WARNING", "MARGIN_CALL", "FINAL_NOTICE", "LIQUIDATION_HANDOFF",
                    "MARGIN_CALL_CURED", "WARNING_CLEARED", "LEVEL_IMPROVED", "REMINDER", "reason=DEADLINE",
                    "priceSuspect", "pendingDeposit", "isolated", "trigger=ACCOUNT", "trigger=CLOCK",
                    "venue=wickGuard", "venue=handoffsHeld");
            assertThat(seen.get("REMINDER")).as("reminders").isGreaterThan(tries / 3);
        }
    }

    /** Every finite, positive band edge stored for an instrument slot. */
    private static List<Double> edges(BandBook book, int slot) {
        List<Double> out = new ArrayList<>();
        for (String id : book.accountIds()) {
            TriggerBands.Band b = book.get(id).bands().get(slot);
            if (b != null && !b.isEmpty()) {
                if (b.low() > 0) {
                    out.add(b.low());
                }
                if (b.high() != Double.POSITIVE_INFINITY) {
                    out.add(b.high());
                }
            }
        }
        return out;
    }

    /** A generated event as the loader would read it (the generator keeps events valid in order). */
    private static ScenarioEvent event(ObjectNode e, int index) {
        Instant at = Instant.parse(e.get("at").asText());
        String account = e.path("accountId").asText(null);
        return switch (e.get("type").asText()) {
            case "PRICE" -> new ScenarioEvent.Price(at, index, e.get("instrument").asText(),
                    new BigDecimal(e.get("markPrice").asText()),
                    e.has("indexPrice") ? new BigDecimal(e.get("indexPrice").asText()) : null, e.get("sequence").asLong());
            case "DEPOSIT" -> new ScenarioEvent.Deposit(at, index, account, e.get("asset").asText(),
                    new BigDecimal(e.get("amount").asText()), e.path("settles").asText(null));
            case "REDUCE" -> new ScenarioEvent.Reduce(at, index, account, e.get("instrument").asText(),
                    new BigDecimal(e.get("size").asText()));
            case "PENDING_DEPOSIT" -> new ScenarioEvent.PendingDeposit(at, index, account, e.get("asset").asText(),
                    new BigDecimal(e.get("amount").asText()), e.get("reference").asText(),
                    Instant.parse(e.get("expectedBy").asText()));
            default -> throw new IllegalStateException(e.toString());
        };
    }

    private static void tally(Map<String, Integer> seen, List<Notification> notices, ObjectNode doc) {
        for (Notification n : notices) {
            seen.merge(n.type(), 1, Integer::sum);
            seen.merge("reason=" + n.reason(), 1, Integer::sum);
            seen.merge("trigger=" + n.trigger().kind(), 1, Integer::sum);
            if (n.priceSuspect()) {
                seen.merge("priceSuspect", 1, Integer::sum);
            }
            if (!n.pendingDeposit().equals("0.00")) {
                seen.merge("pendingDeposit", 1, Integer::sum);
            }
            if (n.isolatedInstrument() != null) {
                seen.merge("isolated", 1, Integer::sum);
            }
        }
        if (doc.get("venue").has("wickGuard")) {
            seen.merge("venue=wickGuard", 1, Integer::sum);
        }
        if (doc.get("venue").has("handoffsHeld")) {
            seen.merge("venue=handoffsHeld", 1, Integer::sum);
        }
    }

    private static String firstDifference(List<Notification> expected, List<Notification> got) {
        int i = 0;
        while (i < expected.size() && i < got.size() && expected.get(i).equals(got.get(i))) {
            i++;
        }
        return String.format("%d notices full, %d with bands; first difference at #%d:%n  full:  %s%n  bands: %s",
                expected.size(), got.size(), i, i < expected.size() ? expected.get(i) : "(none)",
                i < got.size() ? got.get(i) : "(none)");
    }

    /** SplitMix64 of the base seed stepped {@code i + 1} times, as {@code domain/Seeded#seedOf}. */
    static long seedOf(long base, int tryIndex) {
        long z = base + (tryIndex + 1L) * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** One random scenario as a SPEC §7 document (read back through the strict loader). */
    static final class Generator {
        private static final String[] INSTRUMENTS = {"BTC-USD", "ETH-USD", "SOL-USD"};
        private static final double[] OPENING = {60000, 3000, 150};
        private static final int[] PRICE_SCALE = {1, 2, 3};
        private static final int[] SIZE_SCALE = {3, 2, 1};
        private static final Instant T0 = Instant.parse("2026-03-01T00:00:00Z");

        private final SplittableRandom r;
        private final ObjectNode doc = JSON.createObjectNode();
        /** Tier tables as {floor, rate} rows, last cap unbounded. */
        private final double[][][] tiers = new double[3][][];
        private final double[] haircut = new double[3]; // BTC, ETH collateral (index 0, 1)
        private final BigDecimal[] thresholds = new BigDecimal[4];
        private final List<Acc> accounts = new ArrayList<>();
        private final ArrayNode events = JSON.createArrayNode();
        // price state
        private final BigDecimal[] mark = new BigDecimal[3];
        private final long[] sequence = new long[3];
        private final BigDecimal[] beforeWick = new BigDecimal[3];
        private final long[] lastTickAt = new long[3];
        /** An instrument whose first mark comes late: no tick before this many events. */
        private final int[] firstTickAfter = new int[3];
        private int regimeLeft;
        private double drift;
        private double sigma;
        private long now;
        private int references;
        private int count;
        /** When set, the band edges stored for an instrument slot; a third of the ticks then land on or next to one. */
        private IntFunction<List<Double>> edges;

        Generator aimingAt(IntFunction<List<Double>> bandEdges) {
            this.edges = bandEdges;
            return this;
        }

        /** What the generator needs to know of an account to keep its events valid. */
        private static final class Acc {
            String id;
            final Map<String, BigDecimal> collateral = new LinkedHashMap<>();
            /** instrument index -> {size, entry, isolated margin or null} */
            final Map<Integer, BigDecimal[]> positions = new TreeMap<>();
            final Map<String, BigDecimal> pending = new LinkedHashMap<>();
        }

        Generator(SplittableRandom r) {
            this.r = r;
        }

        /** The whole scenario, events drawn up front. */
        ObjectNode scenario() {
            header();
            while (events.size() < count) {
                step();
            }
            doc.set("events", events);
            return doc;
        }

        /** Venue, catalog and accounts, without events (those come from {@link #step}). */
        ObjectNode header() {
            venue();
            catalog();
            ArrayNode accs = doc.putArray("accounts");
            int n = r.nextInt(4, 15);
            for (int i = 0; i < n; i++) {
                accs.add(account("acc-" + i));
            }
            sigma = pickD(0.0005, 0.002, 0.006);
            if (r.nextBoolean()) {
                firstTickAfter[r.nextInt(3)] = r.nextInt(10, 100);
            }
            count = r.nextInt(100, 301);
            doc.putArray("events");
            return doc;
        }

        /** Draws the next event (two when a redelivered tick comes first): {@link #events} grows. */
        ArrayNode events() {
            return events;
        }

        /** Whether {@link #step} should be called again. */
        boolean more() {
            return events.size() < count;
        }

        private void venue() {
            ObjectNode v = doc.putObject("venue");
            v.put("id", "diff");
            String[][] sets = {{"1.5", "1.2", "1.05", "1.0"}, {"1.45", "1.2", "1.06", "1.0"}, {"1.3", "1.15", "1.08", "1.02"}};
            String[] t = sets[r.nextInt(sets.length)];
            ObjectNode th = v.putObject("thresholds");
            th.put("warning", t[0]);
            th.put("marginCall", t[1]);
            th.put("critical", t[2]);
            th.put("liquidation", t[3]);
            for (int i = 0; i < 4; i++) {
                thresholds[i] = new BigDecimal(t[i]);
            }
            v.put("hysteresis", pick("0", "0.02", "0.05"));
            v.put("gracePeriodSeconds", r.nextInt(30, 601));
            v.put("finalNoticeSeconds", r.nextInt(20, 301));
            v.put("reminderSeconds", r.nextInt(20, 241));
            if (r.nextInt(2) == 0) {
                ObjectNode w = v.putObject("wickGuard");
                w.put("maxTickMove", pick("0.05", "0.03"));
                w.put("maxMarkIndexDeviation", "0.03");
                w.put("windowSeconds", 60);
                w.put("holdSeconds", pickI(5, 30, 90));
            }
            if (r.nextInt(10) == 0) {
                v.put("handoffsHeld", true);
            }
            v.put("maxPendingCreditSeconds", pickI(0, 300, 1800));
        }

        private void catalog() {
            tiers[0] = new double[][] {{0, 0.004}, {50000, 0.005}, {250000, 0.01}};
            tiers[1] = r.nextInt(5) == 0 ? new double[][] {{0, 0}, {5000, 0.01}} : new double[][] {{0, 0.0065}, {50000, 0.008125}};
            tiers[2] = new double[][] {{0, 0.03}, {500000, 0.05}};
            ArrayNode ins = doc.putArray("instruments");
            for (int i = 0; i < 3; i++) {
                ObjectNode o = ins.addObject();
                o.put("symbol", INSTRUMENTS[i]);
                ArrayNode ts = o.putArray("tiers");
                for (int k = 0; k < tiers[i].length; k++) {
                    ObjectNode tier = ts.addObject();
                    tier.put("floor", plain(tiers[i][k][0]));
                    if (k + 1 < tiers[i].length) {
                        tier.put("cap", plain(tiers[i][k + 1][0]));
                    } else {
                        tier.putNull("cap");
                    }
                    tier.put("mmr", plain(tiers[i][k][1]));
                }
            }
            ArrayNode assets = doc.putArray("collateralAssets");
            assets.addObject().put("asset", "USDT").put("haircut", "0");
            for (int j = 0; j < 2; j++) {
                haircut[j] = pickD(0.0, 0.05, 0.1, 0.2);
                assets.addObject().put("asset", j == 0 ? "BTC" : "ETH").put("haircut", plain(haircut[j]))
                        .put("priceInstrument", INSTRUMENTS[j]);
            }
        }

        private double mm(int inst, double notional) {
            double cum = 0;
            double prev = 0;
            double out = 0;
            for (double[] tier : tiers[inst]) {
                if (notional < tier[0]) {
                    break;
                }
                cum += tier[0] * (tier[1] - prev);
                prev = tier[1];
                out = notional * tier[1] - cum;
            }
            return out;
        }

        /** A collateral ratio to size an account to: near a threshold (60 %) or clear of them. */
        private double target(BigDecimal ownWarning) {
            if (r.nextInt(10) < 6) {
                BigDecimal t = r.nextInt(4) == 0 && ownWarning != null ? ownWarning : thresholds[r.nextInt(4)];
                return t.doubleValue() * (1 + r.nextDouble(-0.05, 0.12));
            }
            return Math.exp(r.nextDouble(Math.log(1.3), Math.log(20)));
        }

        private BigDecimal[] position(int inst, boolean isolated) {
            double notional = Math.exp(r.nextDouble(Math.log(1000), Math.log(300000)));
            BigDecimal size = BigDecimal.valueOf(notional / OPENING[inst]).setScale(SIZE_SCALE[inst], RoundingMode.HALF_UP)
                    .max(BigDecimal.ONE.movePointLeft(SIZE_SCALE[inst]));
            if (r.nextInt(10) < 4) {
                size = size.negate();
            }
            BigDecimal entry = BigDecimal.valueOf(OPENING[inst] * (1 + r.nextDouble(-0.02, 0.02)))
                    .setScale(PRICE_SCALE[inst], RoundingMode.HALF_UP);
            return new BigDecimal[] {size, entry, isolated ? BigDecimal.ZERO : null};
        }

        private ObjectNode account(String id) {
            Acc a = new Acc();
            a.id = id;
            ObjectNode o = JSON.createObjectNode();
            o.put("accountId", id);
            BigDecimal warning = null;
            if (r.nextInt(7) == 0) {
                warning = new BigDecimal(pick("1.3", "1.8", "2.0"));
                o.put("warning", warning.toPlainString());
            }
            int kind = r.nextInt(100);
            List<Integer> insts = new ArrayList<>(List.of(0, 1, 2));
            shuffle(insts);
            if (kind < 30) { // cross, one to three positions
                for (int k = 0, n = r.nextInt(1, 4); k < n; k++) {
                    a.positions.put(insts.get(k), position(insts.get(k), false));
                }
            } else if (kind < 50) { // isolated, maybe beside a cross position
                for (int k = 0, n = r.nextInt(1, 3); k < n; k++) {
                    a.positions.put(insts.get(k), position(insts.get(k), true));
                }
                if (r.nextBoolean()) {
                    a.positions.put(insts.get(2), position(insts.get(2), false));
                }
            } else if (kind < 75) { // exposed through BTC / ETH collateral, zero to two positions
                int asset = r.nextInt(3); // BTC, ETH or both
                if (asset != 1) {
                    a.collateral.put("BTC", BigDecimal.ZERO);
                }
                if (asset != 0) {
                    a.collateral.put("ETH", BigDecimal.ZERO);
                }
                for (int k = 0, n = r.nextInt(0, 3); k < n; k++) {
                    a.positions.put(insts.get(k), position(insts.get(k), false));
                }
            } else { // one cross position
                a.positions.put(insts.get(0), position(insts.get(0), false));
            }
            // size the cross collateral and each isolated margin to a target ratio at the opening marks
            double crossMm = 0;
            double crossPnl = 0;
            for (Map.Entry<Integer, BigDecimal[]> e : a.positions.entrySet()) {
                int i = e.getKey();
                BigDecimal[] p = e.getValue();
                double q = p[0].doubleValue();
                double m = mm(i, Math.abs(q) * OPENING[i]);
                double pnl = q * (OPENING[i] - p[1].doubleValue());
                if (p[2] != null) {
                    p[2] = money(Math.max(0, target(warning) * m - pnl));
                } else {
                    crossMm += m;
                    crossPnl += pnl;
                }
            }
            double need = crossMm == 0 ? Math.exp(r.nextDouble(Math.log(100), Math.log(100000)))
                    : target(warning) * crossMm - crossPnl;
            double priced = 0;
            for (String asset : List.copyOf(a.collateral.keySet())) {
                int j = asset.equals("BTC") ? 0 : 1;
                double value = need * r.nextDouble(0.2, 1.2) / a.collateral.size();
                BigDecimal amount = BigDecimal.valueOf(value / (OPENING[j] * (1 - haircut[j])))
                        .setScale(4, RoundingMode.HALF_UP).max(new BigDecimal("0.0001"));
                a.collateral.put(asset, amount);
                priced += amount.doubleValue() * OPENING[j] * (1 - haircut[j]);
            }
            BigDecimal usdt = money(Math.max(0, need - priced));
            if (usdt.signum() > 0 || a.collateral.isEmpty()) {
                a.collateral.put("USDT", usdt);
            }
            ObjectNode coll = o.putObject("collateral");
            a.collateral.forEach((k, v) -> coll.put(k, v.toPlainString()));
            ArrayNode ps = o.putArray("positions");
            a.positions.forEach((i, p) -> {
                ObjectNode po = ps.addObject();
                po.put("instrument", INSTRUMENTS[i]);
                po.put("size", p[0].toPlainString());
                po.put("entryPrice", p[1].toPlainString());
                if (p[2] != null) {
                    po.put("isolatedMargin", p[2].toPlainString());
                }
            });
            accounts.add(a);
            return o;
        }

        void step() {
            int gap = r.nextInt(100);
            now += gap < 10 ? 0 : gap < 50 ? r.nextInt(100, 3001) : gap < 92 ? r.nextInt(1000, 20001) : r.nextInt(30000, 300001);
            int kind = r.nextInt(100);
            if (kind < 78 || events.isEmpty()) {
                int i = r.nextInt(3);
                while (events.size() < firstTickAfter[i]) {
                    i = (i + 1) % 3;
                }
                price(i);
            } else if (kind < 84) {
                deposit();
            } else if (kind < 87) {
                withdraw();
            } else if (kind < 93) {
                reduce();
            } else if (kind < 97) {
                pending();
            } else {
                settleOrCancel();
            }
        }

        private ObjectNode event(String type) {
            ObjectNode e = events.addObject();
            e.put("at", T0.plusMillis(now).toString());
            e.put("type", type);
            return e;
        }

        private void price(int i) {
            if (regimeLeft == 0 && r.nextInt(50) == 0) {
                regimeLeft = r.nextInt(5, 21);
                drift = (r.nextBoolean() ? -1 : 1) * r.nextDouble(0.005, 0.03);
            }
            double opening = OPENING[i];
            BigDecimal index = null;
            BigDecimal next;
            if (beforeWick[i] != null) { // the tick after a wick comes back
                next = round(i, beforeWick[i].doubleValue() * (1 + sigma * r.nextGaussian()));
                if (r.nextBoolean()) {
                    index = beforeWick[i];
                }
                beforeWick[i] = null;
            } else if (mark[i] != null && r.nextInt(25) == 0) { // a one-tick wick
                beforeWick[i] = mark[i];
                next = round(i, mark[i].doubleValue() * (1 + (r.nextBoolean() ? -1 : 1) * r.nextDouble(0.06, 0.3)));
                if (r.nextBoolean()) {
                    index = mark[i];
                }
            } else if (edges != null && mark[i] != null && r.nextInt(3) == 0 && !edges.apply(i).isEmpty()) {
                List<Double> candidates = edges.apply(i);
                double edge = candidates.get(r.nextInt(candidates.size()));
                BigDecimal unit = BigDecimal.ONE.movePointLeft(PRICE_SCALE[i]);
                if (r.nextInt(3) == 0) {
                    // on a stored band edge at the instrument's price digits, or one digit either side of it
                    BigDecimal at = BigDecimal.valueOf(edge).setScale(PRICE_SCALE[i],
                            pick(RoundingMode.FLOOR, RoundingMode.CEILING, RoundingMode.HALF_EVEN));
                    next = at.add(unit.multiply(BigDecimal.valueOf(r.nextInt(-1, 2)))).max(unit);
                } else {
                    // within a few 1e-8 (relative) of the edge, to 12 significant digits: between the
                    // edge, moved 1e-9 toward the mark, and the threshold price it stands for
                    double rel = pickD(0, 1e-10, 1e-9, 3e-9, 1e-8, 3e-8) * (r.nextBoolean() ? 1 : -1) * r.nextDouble();
                    next = new BigDecimal(edge).multiply(BigDecimal.valueOf(1 + rel))
                            .round(new java.math.MathContext(12, RoundingMode.HALF_EVEN)).stripTrailingZeros();
                    if (next.scale() < 0) {
                        next = next.setScale(0);
                    }
                }
            } else {
                double last = mark[i] == null ? opening : mark[i].doubleValue();
                double move = sigma * r.nextGaussian() + (regimeLeft > 0 ? drift : 0);
                next = round(i, Math.max(opening * 0.05, last * Math.exp(move)));
                if (r.nextInt(4) == 0) {
                    index = round(i, next.doubleValue() * (1 + 0.01 * r.nextGaussian()));
                }
            }
            if (regimeLeft > 0) {
                regimeLeft--;
            }
            if (mark[i] != null && r.nextInt(30) == 0) {
                // a redelivery or an older tick at the previous tick's instant (it sorts after it): ignored
                ObjectNode dup = events.addObject();
                dup.put("at", T0.plusMillis(lastTickAt[i]).toString());
                dup.put("type", "PRICE");
                dup.put("instrument", INSTRUMENTS[i]);
                dup.put("markPrice", round(i, mark[i].doubleValue() * 0.7).toPlainString());
                dup.put("sequence", sequence[i] - r.nextInt(2));
            }
            sequence[i]++;
            ObjectNode e = event("PRICE");
            e.put("instrument", INSTRUMENTS[i]);
            e.put("markPrice", next.toPlainString());
            e.put("sequence", sequence[i]);
            if (index != null) {
                e.put("indexPrice", index.toPlainString());
            }
            mark[i] = next;
            lastTickAt[i] = now;
        }

        private void deposit() {
            Acc a = accounts.get(r.nextInt(accounts.size()));
            String asset = pick("USDT", "USDT", "BTC", "ETH");
            BigDecimal amount = asset.equals("USDT") ? money(Math.exp(r.nextDouble(Math.log(10), Math.log(20000))))
                    : BigDecimal.valueOf(Math.exp(r.nextDouble(Math.log(0.001), Math.log(2)))).setScale(4, RoundingMode.HALF_UP)
                            .max(new BigDecimal("0.0001"));
            ObjectNode e = event("DEPOSIT");
            e.put("accountId", a.id);
            e.put("asset", asset);
            e.put("amount", amount.toPlainString());
            a.collateral.merge(asset, amount, BigDecimal::add);
        }

        private void withdraw() {
            Acc a = accounts.get(r.nextInt(accounts.size()));
            for (Map.Entry<String, BigDecimal> c : a.collateral.entrySet()) {
                if (c.getValue().signum() > 0) {
                    BigDecimal amount = c.getValue().multiply(BigDecimal.valueOf(r.nextDouble(0.05, 1)))
                            .setScale(c.getKey().equals("USDT") ? 2 : 4, RoundingMode.DOWN);
                    if (amount.signum() == 0) {
                        return;
                    }
                    ObjectNode e = event("DEPOSIT");
                    e.put("accountId", a.id);
                    e.put("asset", c.getKey());
                    e.put("amount", amount.negate().toPlainString());
                    c.setValue(c.getValue().subtract(amount));
                    return;
                }
            }
        }

        private void reduce() {
            Acc a = accounts.get(r.nextInt(accounts.size()));
            for (Map.Entry<Integer, BigDecimal[]> e : a.positions.entrySet()) {
                int i = e.getKey();
                BigDecimal[] p = e.getValue();
                if (mark[i] == null || p[0].signum() == 0) {
                    continue;
                }
                BigDecimal delta = r.nextInt(5) == 0 ? p[0].negate()
                        : p[0].multiply(BigDecimal.valueOf(r.nextDouble(0.05, 0.95))).setScale(SIZE_SCALE[i], RoundingMode.DOWN).negate();
                if (delta.signum() == 0) {
                    continue;
                }
                BigDecimal realised = delta.negate().multiply(mark[i].subtract(p[1]));
                if (p[2] != null && p[2].add(realised).signum() < 0) {
                    continue; // the isolated margin cannot go negative (Position refuses it)
                }
                ObjectNode ev = event("REDUCE");
                ev.put("accountId", a.id);
                ev.put("instrument", INSTRUMENTS[i]);
                ev.put("size", delta.toPlainString());
                BigDecimal remaining = p[0].add(delta);
                if (p[2] == null) {
                    a.collateral.merge("USDT", realised, BigDecimal::add);
                } else if (remaining.signum() == 0) {
                    a.collateral.merge("USDT", p[2].add(realised), BigDecimal::add);
                    p[2] = BigDecimal.ZERO;
                } else {
                    p[2] = p[2].add(realised);
                }
                p[0] = remaining;
                return;
            }
        }

        private void pending() {
            Acc a = accounts.get(r.nextInt(accounts.size()));
            String ref = "w" + references++;
            String asset = pick("USDT", "USDT", "BTC");
            BigDecimal amount = asset.equals("USDT") ? money(Math.exp(r.nextDouble(Math.log(100), Math.log(50000))))
                    : new BigDecimal("0.5");
            long ahead = r.nextInt(10) == 0 ? -r.nextInt(1, 60) : r.nextInt(30, 1500);
            ObjectNode e = event("PENDING_DEPOSIT");
            e.put("accountId", a.id);
            e.put("asset", asset);
            e.put("amount", amount.toPlainString());
            e.put("reference", ref);
            e.put("expectedBy", T0.plusMillis(now).plusSeconds(ahead).toString());
            a.pending.put(ref + "|" + asset, amount);
        }

        private void settleOrCancel() {
            for (Acc a : accounts) {
                if (a.pending.isEmpty()) {
                    continue;
                }
                String key = a.pending.keySet().iterator().next();
                BigDecimal amount = a.pending.remove(key);
                String ref = key.substring(0, key.indexOf('|'));
                String asset = key.substring(key.indexOf('|') + 1);
                if (r.nextInt(3) == 0) {
                    ObjectNode e = event("PENDING_DEPOSIT");
                    e.put("accountId", a.id);
                    e.put("asset", asset);
                    e.put("amount", "0");
                    e.put("reference", ref);
                    e.put("expectedBy", T0.plusMillis(now).plusSeconds(600).toString());
                } else {
                    ObjectNode e = event("DEPOSIT");
                    e.put("accountId", a.id);
                    e.put("asset", asset);
                    e.put("amount", amount.toPlainString());
                    e.put("settles", ref);
                    a.collateral.merge(asset, amount, BigDecimal::add);
                }
                return;
            }
        }

        private BigDecimal round(int i, double price) {
            BigDecimal unit = BigDecimal.ONE.movePointLeft(PRICE_SCALE[i]);
            return BigDecimal.valueOf(price).setScale(PRICE_SCALE[i], RoundingMode.HALF_UP).max(unit);
        }

        private static BigDecimal money(double v) {
            return BigDecimal.valueOf(v).setScale(2, RoundingMode.HALF_UP);
        }

        private static String plain(double v) {
            return BigDecimal.valueOf(v).stripTrailingZeros().toPlainString();
        }

        private void shuffle(List<Integer> l) {
            for (int k = l.size() - 1; k > 0; k--) {
                int j = r.nextInt(k + 1);
                Integer t = l.get(k);
                l.set(k, l.get(j));
                l.set(j, t);
            }
        }

        @SafeVarargs
        private <T> T pick(T... values) {
            return values[r.nextInt(values.length)];
        }

        private double pickD(double... values) {
            return values[r.nextInt(values.length)];
        }

        private int pickI(int... values) {
            return values[r.nextInt(values.length)];
        }
    }
}
