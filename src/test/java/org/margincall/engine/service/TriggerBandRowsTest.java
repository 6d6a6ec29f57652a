package org.margincall.engine.service;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.margincall.engine.codec.CatalogJson;
import org.margincall.engine.domain.Account;
import org.margincall.engine.domain.Position;
import org.margincall.engine.service.port.BandIndex;
import org.margincall.engine.service.port.StoredAccount;

/**
 * SPEC §10 through the service and its ports (in memory, the DynamoDB adapter's query semantics):
 * price events that read only the accounts whose stored band rows the mark leaves send exactly
 * the notices of the baseline that reads and re-evaluates every holder on every tick
 * ({@code margincall.trigger-bands=false}) — the same bodies (ids, types, levels, figures,
 * triggers) in the same order per account — on seeded random books and price paths, also with
 * the stale cases of §10 forced: superseded rows left behind, a crash between the band writes and
 * the commit (the event redelivered), a lost version race, every price event delivered twice.
 * Then the two races by hand: a tick that lands between a decision's read of the marks and its
 * row writes (the post-commit catch-up sends the call), and rows deleted behind the engine's back
 * (the sweep writes them again).
 *
 * <p>Seeded: {@code -Dproperties.seed} (default {@value #DEFAULT_SEED}), {@code -Dproperties.tries}
 * (default {@value #TRIES}); a failure names the seed and the try.
 */
class TriggerBandRowsTest {
    static final long DEFAULT_SEED = 20261130L;
    static final int TRIES = 40;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String VENUE = "demo";
    private static final String BTC = "BTC-USD";
    private static final String ETH = "ETH-USD";
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    /** How world A is disturbed; world B (the baseline) never is. */
    enum Stale {
        NONE, SUPERSEDED_ROWS_LEFT, CRASH_BETWEEN_ROWS_AND_COMMIT, LOST_VERSION_RACE, REDELIVERED_EVENTS
    }

    /** One input of a generated run. */
    private sealed interface Input permits Tick, Change {
    }

    private record Tick(String instrument, BigDecimal mark, Instant at, long sequence) implements Input {
    }

    private record Change(MarginService.AccountChange change) implements Input {
    }

    private record Book(List<Account> accounts, List<Input> inputs, boolean wickGuard) {
    }

    static InMemoryPorts venue(boolean wickGuard) throws Exception {
        InMemoryPorts p = new InMemoryPorts();
        p.clock.set(T0);
        p.venues.catalogs.put(VENUE, catalog("1.2", wickGuard));
        return p;
    }

    /** BTC (two brackets), ETH, USDT and ETH collateral; thresholds 1.5 / {@code marginCall} / 1.05 / 1.0. */
    static org.margincall.engine.domain.Catalog catalog(String marginCall, boolean wickGuard) throws Exception {
        JsonNode root = JSON.readTree("""
                {"venue":{"id":"demo","thresholds":{"warning":"1.5","marginCall":"%s","critical":"1.05","liquidation":"1.0"},
                          "hysteresis":"0.02","gracePeriodSeconds":600,"finalNoticeSeconds":300,"reminderSeconds":120
                          %s},
                 "instruments":[{"symbol":"BTC-USD","tiers":[{"floor":"0","cap":"50000","mmr":"0.004"},
                                                             {"floor":"50000","cap":null,"mmr":"0.005"}]},
                                {"symbol":"ETH-USD","tiers":[{"floor":"0","cap":null,"mmr":"0.01"}]}],
                 "collateralAssets":[{"asset":"USDT","haircut":"0"},
                                     {"asset":"ETH","haircut":"0.1","priceInstrument":"ETH-USD"}]}"""
                .formatted(marginCall, wickGuard ? ",\"wickGuard\":{\"maxTickMove\":\"0.05\",\"maxMarkIndexDeviation\":\"0.03\","
                        + "\"windowSeconds\":60,\"holdSeconds\":30}" : ""));
        return CatalogJson.catalog(root, VENUE);
    }

    private static BigDecimal dec(double v, int scale) {
        return BigDecimal.valueOf(v).setScale(scale, RoundingMode.HALF_EVEN);
    }

    /**
     * A book of 6–14 accounts (cross BTC long/short, BTC and ETH cross, isolated BTC, ETH collateral
     * with a BTC position, own warnings), sized near the thresholds at 40000 / 2000, then 80–160
     * inputs: BTC and ETH walks of a few bp with crashes, recoveries and one-tick wicks, and account
     * events (new absolute USDT balances, positions opened, changed and closed, deposits in flight
     * that a later credit settles or that expire).
     */
    static Book book(SplittableRandom r) {
        List<Account> accounts = new ArrayList<>();
        int n = 6 + r.nextInt(9);
        for (int i = 0; i < n; i++) {
            String id = "acct-" + i;
            int kind = r.nextInt(5);
            double ratio = 0.95 + r.nextDouble() * 1.0; // target R at the first marks
            BigDecimal warning = r.nextInt(6) == 0 ? new BigDecimal("1.8") : null;
            double size = (r.nextBoolean() ? 1 : -1) * (0.5 + r.nextInt(20) / 10.0);
            switch (kind) {
                case 0 -> { // one BTC cross position on USDT
                    double mm = Math.abs(size) * 40000 * 0.004;
                    double usdt = ratio * mm - size * (40000 - 41000);
                    accounts.add(new Account(id, Map.of("USDT", dec(Math.max(usdt, 1), 2)),
                            List.of(new Position(BTC, dec(size, 4), new BigDecimal("41000"), null)), warning));
                }
                case 1 -> { // BTC and ETH cross
                    double eth = (r.nextBoolean() ? 1 : -1) * (5 + r.nextInt(30));
                    double mm = Math.abs(size) * 40000 * 0.004 + Math.abs(eth) * 2000 * 0.01;
                    double usdt = ratio * mm - size * (40000 - 40500) - eth * (2000 - 2010);
                    accounts.add(new Account(id, Map.of("USDT", dec(Math.max(usdt, 1), 2)),
                            List.of(new Position(BTC, dec(size, 4), new BigDecimal("40500"), null),
                                    new Position(ETH, dec(eth, 4), new BigDecimal("2010"), null)), warning));
                }
                case 2 -> { // isolated BTC beside a small ETH cross position
                    double mm = Math.abs(size) * 40000 * 0.004;
                    double iso = ratio * mm - size * (40000 - 41000);
                    accounts.add(new Account(id, Map.of("USDT", new BigDecimal("500")),
                            List.of(new Position(BTC, dec(size, 4), new BigDecimal("41000"), dec(Math.max(iso, 1), 2)),
                                    new Position(ETH, new BigDecimal("2"), new BigDecimal("2000"), null)), warning));
                }
                case 3 -> { // ETH collateral, a BTC position: exposed to both
                    double mm = Math.abs(size) * 40000 * 0.004;
                    double ethValue = ratio * mm - size * (40000 - 41000);
                    double eth = Math.max(ethValue, 10) / (2000 * 0.9);
                    accounts.add(new Account(id, Map.of("ETH", dec(eth, 6)),
                            List.of(new Position(BTC, dec(size, 4), new BigDecimal("41000"), null)), warning));
                }
                default -> { // ETH collateral and USDT, no position: never called (MM = 0)
                    accounts.add(new Account(id, Map.of("ETH", new BigDecimal("3"), "USDT", new BigDecimal("100")),
                            List.of(), null));
                }
            }
        }
        List<Input> inputs = new ArrayList<>();
        double btc = 40000;
        double eth = 2000;
        long seq = 0;
        long event = 0;
        Instant at = T0;
        int steps = 80 + r.nextInt(81);
        double drift = 0;
        int crashLeft = 0;
        Map<String, List<String>> pending = new TreeMap<>();
        for (int s = 0; s < steps; s++) {
            at = at.plusMillis(1000 + r.nextInt(9000));
            int what = r.nextInt(100);
            if (what < 4) {
                // SPEC §3.6: a deposit in flight, later settled by a credit (or left to expire)
                Account a = accounts.get(r.nextInt(accounts.size()));
                String ref = "pd-" + (++event);
                inputs.add(new Change(new MarginService.AccountChange("ev-" + event, a.accountId(), event, at, Map.of(), null,
                        List.of(), new MarginService.PendingDepositChange("USDT", dec(100 + r.nextInt(700), 2), ref,
                        at.plusSeconds(60 + r.nextInt(540))))));
                pending.computeIfAbsent(a.accountId(), k -> new ArrayList<>()).add(ref);
                continue;
            }
            if (what < 6 && !pending.isEmpty()) {
                String id = new ArrayList<>(pending.keySet()).get(r.nextInt(pending.size()));
                List<String> refs = pending.remove(id);
                inputs.add(new Change(new MarginService.AccountChange("ev-" + (++event), id, event, at,
                        Map.of("USDT", dec(300 + r.nextDouble() * 900, 2)), null, List.of(refs.get(0)), null)));
                continue;
            }
            if (what < 14 && !accounts.isEmpty()) {
                Account a = accounts.get(r.nextInt(accounts.size()));
                MarginService.PositionChange pos = null;
                Map<String, BigDecimal> coll = Map.of();
                if (r.nextBoolean()) {
                    coll = Map.of("USDT", dec(50 + r.nextDouble() * 900, 2));
                } else {
                    double size = r.nextInt(4) == 0 ? 0 : (r.nextBoolean() ? 1 : -1) * (0.1 + r.nextInt(15) / 10.0);
                    pos = new MarginService.PositionChange(BTC, dec(size, 4), dec(btc, 2), null);
                }
                inputs.add(new Change(new MarginService.AccountChange("ev-" + (++event), a.accountId(), event, at, coll, pos)));
                continue;
            }
            if (crashLeft == 0 && r.nextInt(30) == 0) {
                crashLeft = 3 + r.nextInt(6);
                drift = (r.nextInt(3) == 0 ? 1 : -1) * (0.004 + r.nextDouble() * 0.01);
            }
            double move = r.nextGaussian() * 0.0006 + (crashLeft > 0 ? drift : 0);
            crashLeft = Math.max(0, crashLeft - 1);
            boolean wick = r.nextInt(40) == 0;
            if (r.nextInt(3) > 0) {
                btc *= Math.exp(move);
                double shown = wick ? btc * 0.93 : btc;
                inputs.add(new Tick(BTC, dec(shown, 2), at, ++seq));
                if (wick) {
                    inputs.add(new Tick(BTC, dec(btc, 2), at.plusMillis(400), ++seq));
                }
            } else {
                eth *= Math.exp(move * 1.3);
                inputs.add(new Tick(ETH, dec(eth, 2), at, ++seq));
            }
        }
        return new Book(accounts, inputs, r.nextInt(3) == 0);
    }

    /** Runs a book through one world; returns the published bodies. */
    static List<String> run(Book book, boolean bands, Stale stale, SplittableRandom faults) throws Exception {
        InMemoryPorts p = venue(book.wickGuard());
        p.config.triggerBands = bands;
        if (stale == Stale.SUPERSEDED_ROWS_LEFT) {
            p.bands.skipDeletes = true;
        }
        if (stale == Stale.CRASH_BETWEEN_ROWS_AND_COMMIT) {
            // the invocation dies after its band rows are written and before the commit lands
            p.accounts.beforeCommit = c -> {
                boolean die;
                synchronized (faults) {
                    die = faults.nextInt(6) == 0;
                }
                if (die) {
                    throw new IllegalStateException("injected: died between the band rows and the commit");
                }
            };
        }
        if (stale == Stale.LOST_VERSION_RACE) {
            // another writer commits first (its change leaves states and rows as they are)
            p.accounts.beforeCommit = c -> {
                boolean race;
                synchronized (faults) {
                    race = faults.nextInt(5) == 0;
                }
                if (race) {
                    String k = InMemoryPorts.key(VENUE, c.current().account().accountId());
                    p.accounts.items.computeIfPresent(k, (key, a) -> new StoredAccount(a.venueId(), a.account(),
                            a.states(), a.outbox(), a.escalations(), a.version() + 1, a.lastEventSequence(), a.bandRows()));
                }
            };
        }
        for (Account a : book.accounts()) {
            p.service.createAccount(VENUE, a);
        }
        for (Input in : book.inputs()) {
            Instant at = in instanceof Tick t ? t.at() : ((Change) in).change().timestamp();
            p.clock.set(at);
            int deliveries = stale == Stale.REDELIVERED_EVENTS && in instanceof Tick ? 2 : 1;
            for (int d = 0; d < deliveries; d++) {
                deliverUntilDone(() -> {
                    if (in instanceof Tick t) {
                        p.service.onPrice(VENUE, new MarginService.PriceUpdate(t.instrument(), t.mark(), t.at(), t.sequence(),
                                "test"));
                    } else {
                        p.service.onAccountEvent(VENUE, ((Change) in).change());
                    }
                });
            }
        }
        return List.copyOf(p.sns.bodies);
    }

    /** As EventBridge retries a failed invocation. */
    private static void deliverUntilDone(Runnable invocation) {
        for (int attempt = 1; ; attempt++) {
            try {
                invocation.run();
                return;
            } catch (RuntimeException e) {
                if (attempt == 20) {
                    throw e;
                }
            }
        }
    }

    /** Bodies per account in publish order. */
    private static Map<String, List<String>> byAccount(List<String> bodies) throws Exception {
        Map<String, List<String>> out = new TreeMap<>();
        for (String b : bodies) {
            out.computeIfAbsent(JSON.readTree(b).get("accountId").asText(), k -> new ArrayList<>()).add(b);
        }
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Stale.class)
    void bandRowsSendExactlyTheNoticesOfReadingEveryHolder(Stale stale) throws Exception {
        long base = Long.getLong("properties.seed", DEFAULT_SEED);
        int tries = Integer.getInteger("properties.tries", TRIES);
        int notices = 0;
        for (int i = 0; i < tries; i++) {
            long seed = base * 31 + i;
            Book book = book(new SplittableRandom(seed));
            List<String> reference = run(book, false, Stale.NONE, null);
            List<String> banded = run(book, true, stale, new SplittableRandom(seed ^ 0x5DEECE66DL));
            assertThat(byAccount(banded)).as("seed %d try %d (%s): %d accounts, %d inputs; rerun with "
                            + "-Dproperties.seed=%d", base, i, stale, book.accounts().size(), book.inputs().size(), base)
                    .isEqualTo(byAccount(reference));
            notices += reference.size();
        }
        assertThat(notices).as("the books reach notices at all").isGreaterThan(tries);
    }

    /**
     * The remaining race (docs/trigger-bands.md §7), by hand. Long 1.25 BTC from 41000: below a
     * notional of 50000 {@code MM = 0.005·M}, so {@code R = (C + 1.25·(M − 41000)) / (0.005·M)}.
     * With USDT 1700 the warning edge (R = 1.5) is at {@code 1.2425·M = 49550}, M ≈ 39879; after a
     * withdrawal to 1600 (R = 350 / 200 = 1.75 at 40000) it is at {@code 1.2425·M = 49650},
     * M ≈ 39959.8. A tick to 39900 that lands
     * after the withdrawal read the marks (40000) and before its rows exist queries the old rows
     * (39900 is inside): it reads nothing. The withdrawal then commits bands around 40000 that 39900
     * already leaves; the catch-up evaluates the account on that tick: R = (1600 − 1375) / 199.5
     * = 1.128 → MARGIN_CALL, triggered by the price 39900.
     */
    @Test
    void aTickBetweenADecisionsReadAndItsRowsIsCaughtUpAfterTheCommit() throws Exception {
        InMemoryPorts p = venue(false);
        p.service.createAccount(VENUE, new Account("w", Map.of("USDT", new BigDecimal("1700")),
                List.of(new Position(BTC, new BigDecimal("1.25"), new BigDecimal("41000"), null)), null));
        p.clock.set(T0);
        p.service.onPrice(VENUE, new MarginService.PriceUpdate(BTC, new BigDecimal("40000"), T0, 1, "test"));
        assertThat(p.sns.bodies).as("R = 450 / 200 = 2.25: healthy").isEmpty();
        p.clock.set(T0.plusSeconds(6));
        MarginService.Outcome[] tick = new MarginService.Outcome[1];
        p.bands.beforePut = () -> tick[0] = p.service.onPrice(VENUE,
                new MarginService.PriceUpdate(BTC, new BigDecimal("39900"), T0.plusSeconds(6), 2, "test"));
        p.service.onAccountEvent(VENUE, new MarginService.AccountChange("wd-1", "w", 1, T0.plusSeconds(5),
                Map.of("USDT", new BigDecimal("1600")), null));
        assertThat(tick[0].accountsEvaluated()).as("the tick found the old rows only").isZero();
        assertThat(p.metrics.total(org.margincall.engine.service.port.Metrics.BAND_CATCH_UPS)).isEqualTo(1);
        assertThat(p.sns.bodies).hasSize(1);
        JsonNode n = JSON.readTree(p.sns.bodies.get(0));
        assertThat(n.get("type").asText()).isEqualTo("MARGIN_CALL");
        assertThat(n.get("collateralRatio").asDouble()).isCloseTo(225 / 199.5, org.assertj.core.data.Offset.offset(1e-4));
        assertThat(n.get("trigger").get("kind").asText()).isEqualTo("PRICE");
        assertThat(n.get("trigger").get("price").asText()).isEqualTo("39900");
    }

    /**
     * Rows deleted behind the engine's back: the next sweep writes exactly the rows the item owns
     * again (and a quiet sweep writes nothing), so the next tick across the band is read. Figures as
     * above: with USDT 1510 at 40000, R = 260 / 200 = 1.30 (WARNING); the margin-call edge
     * (R = 1.2) below 50000 of notional is at {@code 1.244·M = 49740}, M ≈ 39983.9. A tick to 39990
     * gives R = (1510 − 1262.5) / 199.95 = 1.238, still WARNING, inside the band; one to 39980 gives
     * R = 235 / 199.9 = 1.1756 → MARGIN_CALL, outside it.
     */
    @Test
    void rowsDeletedBehindTheEnginesBackAreWrittenAgainByTheSweep() throws Exception {
        InMemoryPorts p = venue(false);
        p.service.createAccount(VENUE, new Account("w", Map.of("USDT", new BigDecimal("1510")),
                List.of(new Position(BTC, new BigDecimal("1.25"), new BigDecimal("41000"), null)), null));
        p.clock.set(T0);
        p.service.onPrice(VENUE, new MarginService.PriceUpdate(BTC, new BigDecimal("40000"), T0, 1, "test"));
        assertThat(p.sns.bodies).hasSize(1); // WARNING
        StoredAccount stored = p.accounts.get(VENUE, "w").orElseThrow();
        Set<BandIndex.Row> owned = stored.bandRows();
        assertThat(owned).as("a low edge and a high edge for BTC").hasSize(2);
        assertThat(p.bands.of(VENUE, "w")).isEqualTo(owned);

        p.bands.rows.clear(); // an operator's script, a restore from an old backup...
        p.clock.set(T0.plusSeconds(30));
        p.service.onPrice(VENUE, new MarginService.PriceUpdate(BTC, new BigDecimal("39990"), T0.plusSeconds(30), 2, "test"));
        p.service.sweep(VENUE, T0.plusSeconds(60));
        assertThat(p.bands.of(VENUE, "w")).isEqualTo(owned);
        assertThat(p.metrics.total(org.margincall.engine.service.port.Metrics.BAND_ROWS_REPAIRED)).isEqualTo(2);
        p.service.sweep(VENUE, T0.plusSeconds(120));
        assertThat(p.metrics.total(org.margincall.engine.service.port.Metrics.BAND_ROWS_REPAIRED)).as("a quiet sweep writes nothing")
                .isEqualTo(2);

        p.clock.set(T0.plusSeconds(121));
        p.service.onPrice(VENUE, new MarginService.PriceUpdate(BTC, new BigDecimal("39980"), T0.plusSeconds(121), 3, "test"));
        assertThat(p.sns.bodies).hasSize(2);
        JsonNode n = JSON.readTree(p.sns.bodies.get(1));
        assertThat(n.get("type").asText()).isEqualTo("MARGIN_CALL");
        assertThat(n.get("trigger").get("price").asText()).isEqualTo("39980");
    }

    /** Superseded rows, and orphans a crashed writer left, are deleted by the sweep once no commit can own them. */
    @Test
    void theSweepDeletesRowsNoItemOwns() throws Exception {
        InMemoryPorts p = venue(false);
        p.bands.skipDeletes = true;
        p.service.createAccount(VENUE, new Account("w", Map.of("USDT", new BigDecimal("1510")),
                List.of(new Position(BTC, new BigDecimal("1.25"), new BigDecimal("41000"), null)), null));
        p.clock.set(T0);
        p.service.onPrice(VENUE, new MarginService.PriceUpdate(BTC, new BigDecimal("40000"), T0, 1, "test"));
        p.service.onPrice(VENUE, new MarginService.PriceUpdate(BTC, new BigDecimal("41000"), T0.plusSeconds(1), 2, "test"));
        Set<BandIndex.Row> owned = p.accounts.get(VENUE, "w").orElseThrow().bandRows();
        assertThat(p.bands.of(VENUE, "w")).as("superseded rows left").hasSizeGreaterThan(owned.size());
        p.bands.skipDeletes = false;
        p.service.sweep(VENUE, T0.plusSeconds(60));
        // version-0 rows (the never-evaluated empty band) are left to the account's own commits
        Set<BandIndex.Row> left = p.bands.of(VENUE, "w");
        left.removeIf(r -> r.version() == 0);
        assertThat(left).isEqualTo(owned);
    }

    /**
     * A venue's new configuration makes stored bands stale: with marginCall raised from 1.2 to 1.25,
     * USDT 1510 at 39990 is R = 247.5 / 199.95 = 1.238 → MARGIN_CALL, although 39990 lies inside the
     * band stored under the old thresholds (low edge ≈ 39983.9, see above). After
     * {@link AccountImport#resetBands} the account owns empty bands again and the tick reads it.
     */
    @Test
    void aNewConfigurationResetsTheBandsSoTheNextTickReadsEveryAccount() throws Exception {
        InMemoryPorts p = venue(false);
        p.service.createAccount(VENUE, new Account("w", Map.of("USDT", new BigDecimal("1510")),
                List.of(new Position(BTC, new BigDecimal("1.25"), new BigDecimal("41000"), null)), null));
        p.clock.set(T0);
        p.service.onPrice(VENUE, new MarginService.PriceUpdate(BTC, new BigDecimal("40000"), T0, 1, "test"));
        assertThat(p.sns.bodies).hasSize(1); // MARGIN_WARNING at R = 1.30
        p.venues.catalogs.put(VENUE, catalog("1.25", false));
        assertThat(new AccountImport(p.venues, p.accounts, p.holdings, p.bands).resetBands(VENUE)).isEqualTo(1);
        assertThat(p.accounts.get(VENUE, "w").orElseThrow().bandRows()).isNull();

        p.clock.set(T0.plusSeconds(30));
        p.service.onPrice(VENUE, new MarginService.PriceUpdate(BTC, new BigDecimal("39990"), T0.plusSeconds(30), 2, "test"));
        assertThat(p.sns.bodies).hasSize(2);
        JsonNode n = JSON.readTree(p.sns.bodies.get(1));
        assertThat(n.get("type").asText()).isEqualTo("MARGIN_CALL");
        assertThat(n.get("collateralRatio").asDouble()).isCloseTo(247.5 / 199.95, org.assertj.core.data.Offset.offset(1e-4));
        assertThat(p.accounts.get(VENUE, "w").orElseThrow().bandRows()).as("banded again under the new thresholds").isNotNull();
    }

    /**
     * The sweep does not race a price event in flight: a mark stored a second ago that crosses the
     * account's band is its tick's to decide (the sweep leaves it and counts it); thirty seconds
     * later the tick has evidently been lost and the sweep sends the call itself. A change inside
     * every stored band (the configuration changed without a reset: marginCall 1.2 → 1.25, USDT
     * 1510 at 39990, R = 1.238) is a band that failed: the sweep takes it at once.
     */
    @Test
    void theSweepLeavesAFreshCrossingToItsTickButNotAFailedBand() throws Exception {
        InMemoryPorts p = venue(false);
        p.service.createAccount(VENUE, new Account("c", Map.of("USDT", new BigDecimal("1470")),
                List.of(new Position(BTC, new BigDecimal("1.25"), new BigDecimal("41000"), null)), null));
        // R = 220 / 200 = 1.10 at 40000: MARGIN_CALL, but the price event is still in flight
        p.venues.storeIfNewer(VENUE, BTC, new BigDecimal("40000"), org.margincall.engine.domain.PriceStamp.of(T0, 1), "t");
        p.service.sweep(VENUE, T0.plusSeconds(1));
        assertThat(p.sns.bodies).isEmpty();
        assertThat(p.metrics.total(org.margincall.engine.service.port.Metrics.SWEEP_LEFT_TO_TICKS)).isEqualTo(1);
        p.service.sweep(VENUE, T0.plusSeconds(30));
        assertThat(p.sns.bodies).hasSize(1);
        assertThat(JSON.readTree(p.sns.bodies.get(0)).get("trigger").get("kind").asText()).isEqualTo("SWEEP");

        InMemoryPorts q = venue(false);
        q.service.createAccount(VENUE, new Account("w", Map.of("USDT", new BigDecimal("1510")),
                List.of(new Position(BTC, new BigDecimal("1.25"), new BigDecimal("41000"), null)), null));
        q.clock.set(T0);
        q.service.onPrice(VENUE, new MarginService.PriceUpdate(BTC, new BigDecimal("40000"), T0, 1, "test"));
        q.venues.catalogs.put(VENUE, catalog("1.25", false));
        q.venues.storeIfNewer(VENUE, BTC, new BigDecimal("39990"), org.margincall.engine.domain.PriceStamp.of(T0.plusSeconds(10), 2), "t");
        q.service.sweep(VENUE, T0.plusSeconds(11));
        assertThat(q.sns.bodies).hasSize(2);
        assertThat(JSON.readTree(q.sns.bodies.get(1)).get("type").asText()).isEqualTo("MARGIN_CALL");
    }

    /**
     * A commit's notices go out even when the catch-up read after it fails (found by the SDK-retries-off
     * fault runs: the redelivered event found the cure decided and left it to the sweep). Long 1.25
     * from 41000 with USDT 1470 at 40000: R = 220 / 200 = 1.10, MARGIN_CALL; a deposit to 1700 gives
     * R = 450 / 200 = 2.25, cured.
     */
    @Test
    void whatACommitOwesIsDeliveredEvenWhenTheCatchUpReadFails() throws Exception {
        InMemoryPorts p = venue(false);
        p.service.createAccount(VENUE, new Account("c", Map.of("USDT", new BigDecimal("1470")),
                List.of(new Position(BTC, new BigDecimal("1.25"), new BigDecimal("41000"), null)), null));
        p.clock.set(T0.plusSeconds(6));
        p.service.onPrice(VENUE, new MarginService.PriceUpdate(BTC, new BigDecimal("40000"), T0, 1, "test"));
        assertThat(p.sns.bodies).hasSize(1);
        p.venues.failLoadAfter.set(1); // the event's own read passes, the catch-up's fails
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> p.service.onAccountEvent(VENUE,
                new MarginService.AccountChange("dep-1", "c", 1, T0.plusSeconds(5), Map.of("USDT", new BigDecimal("1700")), null)))
                .hasMessageContaining("venue read failed");
        assertThat(p.sns.bodies).as("the cure went out before the failure").hasSize(2);
        assertThat(JSON.readTree(p.sns.bodies.get(1)).get("type").asText()).isEqualTo("MARGIN_CALL_CURED");
        assertThat(p.accounts.withPendingWork(VENUE)).as("nothing left for the sweep").isEmpty();
    }
}
