package org.margincall.engine.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.margincall.engine.domain.Seeded.decimal;
import static org.margincall.engine.domain.Seeded.integer;
import static org.margincall.engine.domain.Seeded.oneOf;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.margincall.engine.domain.TriggerBands.Band;

/**
 * Seeded properties of {@link TriggerBands} (see {@link Seeded} and docs/properties.md): the
 * safety property that matters (no level changes while every mark stays inside its band), the
 * exactness of one-instrument edges against the SPEC §4 closed form and the §4 solver, that the
 * bands contain the design sketch's Lipschitz ({@code K_i}) bands, and a quiet-walk usefulness
 * report.
 */
class TriggerBandsProperties {
    static final int SAFETY_TRIES = 3000;
    static final int TIGHTNESS_TRIES = 2000;
    static final int CONTAINMENT_TRIES = 2000;
    /** Random points per case, on top of the 3ⁿ edge/mark corners and the 2ⁿ near-edge corners. */
    static final int RANDOM_POINTS = 24;

    static BigDecimal d(String s) {
        return new BigDecimal(s);
    }

    // ---- generators -----------------------------------------------------------------------------

    static final Thresholds ALT = new Thresholds(d("2"), d("1.5"), d("1.1"), d("0.9"));

    /** A tier table whose first bracket has rate 0 (allowed by SPEC §2.2): MM can be 0 with a position. */
    static TierTable zeroRateTable(SplittableRandom r) {
        int n = integer(r, 2, 4);
        int[] widths = new int[n];
        int[] steps = new int[n];
        for (int k = 0; k < n; k++) {
            widths[k] = integer(r, 100, 4_000);
            steps[k] = k == 0 ? 0 : integer(r, 1, 300);
        }
        return MarginProperties.tierTable(widths, steps, r.nextBoolean());
    }

    static TierTable table(SplittableRandom r, TierTable published) {
        return switch (r.nextInt(5)) {
            case 0, 1 -> published;
            case 2, 3 -> MarginProperties.tierTable(r);
            default -> zeroRateTable(r);
        };
    }

    /**
     * BTC-USD and ETH-USD with the published tables, MarginProperties' random tables or a table
     * with a zero-rate first bracket; thresholds default or (2, 1.5, 1.1, 0.9); hysteresis 0, 2 %
     * or 5 %; collateral USDT, BTC (haircut in [0, 0.5]) and ETH (haircut 0.2).
     */
    static Catalog catalog(SplittableRandom r) {
        Catalog pub = MarginProperties.CATALOG;
        TierTable btc = table(r, pub.tiers(pub.slot("t", "BTC-USD")));
        TierTable eth = table(r, pub.tiers(pub.slot("t", "ETH-USD")));
        Venue v = new Venue("p", oneOf(r, Thresholds.DEFAULT, ALT), oneOf(r, d("0"), d("0.02"), d("0.05")),
                600, 300, 300, 120);
        return catalog(v, btc, eth, decimal(r, "0", "0.5", 2));
    }

    static Catalog catalog(Venue v, TierTable btc, TierTable eth, BigDecimal btcHaircut) {
        return new Catalog(v, List.of(new Instrument("BTC-USD", btc), new Instrument("ETH-USD", eth)),
                List.of(new CollateralAsset("USDT", BigDecimal.ZERO, null), new CollateralAsset("BTC", btcHaircut, "BTC-USD"),
                        new CollateralAsset("ETH", d("0.2"), "ETH-USD")));
    }

    /** The published tables, default venue, BTC haircut 0.1: one catalog for the quiet walk's accounts. */
    static final Catalog WALK_CATALOG = catalog(Venue.withDefaults("walk"),
            MarginProperties.CATALOG.tiers(0), MarginProperties.CATALOG.tiers(1), d("0.1"));

    /**
     * A BTC position (75 %: size ±30, isolated 25 % of the time), an ETH position (60 %: size
     * ±400, isolated 25 %), USDT in [−50 000, 400 000], BTC collateral in [0, 3] (60 %), ETH in
     * [0, 40] (30 %), an own warning above marginCall (30 %).
     */
    static Account account(SplittableRandom r, Catalog c) {
        List<Position> ps = new ArrayList<>();
        if (r.nextInt(4) != 0) {
            ps.add(new Position("BTC-USD", MarginProperties.btcSize(r), MarginProperties.btcPrice(r),
                    r.nextInt(4) == 0 ? decimal(r, "0", "200000", 2) : null));
        }
        if (r.nextInt(5) < 3) {
            BigDecimal q;
            do {
                q = decimal(r, "-400", "400", 2);
            } while (q.signum() == 0);
            ps.add(new Position("ETH-USD", q, decimal(r, "1500", "3500", 2),
                    r.nextInt(4) == 0 ? decimal(r, "0", "50000", 2) : null));
        }
        Map<String, BigDecimal> coll = new LinkedHashMap<>();
        coll.put("USDT", decimal(r, "-50000", "400000", 2));
        if (r.nextInt(5) < 3) {
            coll.put("BTC", decimal(r, "0", "3", 4));
        }
        if (r.nextInt(10) < 3) {
            coll.put("ETH", decimal(r, "0", "40", 3));
        }
        BigDecimal warning = r.nextInt(10) < 3
                ? c.venue().thresholds().marginCall().add(decimal(r, "0.01", "1", 2)) : null;
        return new Account("p1", coll, ps, warning);
    }

    static Marks marks(SplittableRandom r, Catalog c) {
        return new Marks(c).put("BTC-USD", MarginProperties.btcPrice(r)).put("ETH-USD", decimal(r, "1500", "3500", 2));
    }

    /**
     * Moves one sub-account's ratio to a threshold or hysteresis bound times {@code 1 + δ} by
     * changing its quote collateral (USDT for the cross account, the isolated margin otherwise);
     * {@code δ} is 0 (exactly on it, when {@code exact}), ±1e-12, ±1e-9, ±1e-6 or uniform in
     * ±{@code spread}. Leaves the account as it is when that sub-account has nothing to liquidate.
     */
    static Account nearThreshold(SplittableRandom r, Catalog c, Account a, Marks m, boolean exact, String spread) {
        List<SubAccount> subs = SubAccount.of(c, a);
        SubAccount s = subs.get(r.nextInt(subs.size()));
        BigDecimal mm;
        try {
            mm = s.maintenance(m);
        } catch (InvalidInputException e) {
            return a;
        }
        if (mm.signum() == 0) {
            return a;
        }
        int kind = r.nextInt(exact ? 5 : 4);
        BigDecimal delta = switch (kind) {
            case 0 -> new BigDecimal("1e-12");
            case 1 -> new BigDecimal("1e-9");
            case 2 -> new BigDecimal("1e-6");
            case 3 -> decimal(r, "0", spread, 6);
            default -> BigDecimal.ZERO;
        };
        if (r.nextBoolean()) {
            delta = delta.negate();
        }
        return retarget(a, s, m, (r.nextBoolean() ? s.bands().raw : s.bands().banded)[r.nextInt(4)], delta);
    }

    static Account retarget(Account a, SubAccount s, Marks m, BigDecimal threshold, BigDecimal delta) {
        BigDecimal target = threshold.multiply(BigDecimal.ONE.add(delta));
        BigDecimal gap = target.multiply(s.maintenance(m)).subtract(s.equity(m));
        if (s.isolatedInstrument() == null) {
            return a.deposit("USDT", gap);
        }
        Position p = a.position(s.isolatedInstrument());
        BigDecimal margin = p.isolatedMargin().add(gap);
        return margin.signum() < 0 ? a : a.withPosition(p.instrument(), p.withIsolatedMargin(margin));
    }

    /** A generated book: catalog, account, marks, the level stored before this evaluation, a seed for the points. */
    record Case(Catalog catalog, Account account, Marks marks, Level previous, long pointSeed) {
        @Override
        public String toString() {
            StringBuilder s = new StringBuilder("Case[venue ").append(catalog.venue().thresholds())
                    .append(" h=").append(catalog.venue().hysteresis());
            for (Instrument i : catalog.instruments()) {
                s.append(", ").append(i.symbol()).append(' ').append(new MarginProperties.TableCase(i.tiers(), BigDecimal.ZERO,
                        BigDecimal.ZERO).toString().replace(", a=0, b=0", ""));
            }
            for (CollateralAsset c : catalog.collateralAssets()) {
                s.append(", ").append(c.asset()).append(" haircut ").append(c.haircut());
            }
            s.append("; collateral ").append(account.collateral()).append(", warning ").append(account.warning())
                    .append(", positions [");
            for (Position p : account.positions()) {
                s.append(p == account.positions().get(0) ? "" : ", ").append(p.instrument()).append(' ')
                        .append(p.size().toPlainString()).append(" @ ").append(p.entryPrice().toPlainString())
                        .append(p.isolated() ? " isolated " + p.isolatedMargin().toPlainString() : "");
            }
            return s.append("]; marks BTC ").append(marks.exact("BTC-USD")).append(", ETH ").append(marks.exact("ETH-USD"))
                    .append("; previous ").append(previous).append("; point seed ").append(pointSeed).append(']').toString();
        }
    }

    /** A random catalog and account at random marks, moved near a threshold 60 % of the time (exactly on it sometimes). */
    static Case randomCase(SplittableRandom r) {
        Catalog c = catalog(r);
        Marks m = marks(r, c);
        Account a = account(r, c);
        if (r.nextInt(5) < 3) {
            a = nearThreshold(r, c, a, m, true, "0.02");
        }
        return new Case(c, a, m, oneOf(r, Level.values()), r.nextLong());
    }

    /**
     * MarginProperties' 672 edge books (cross BTC ±30/±1/±0.001, ETH ±400/±1/±0.01/none, USDT
     * 0/0.01/1/400 000, BTC collateral 0/0.0001/1/3 at the four price corners) stored from HEALTHY
     * and from LIQUIDATION, then every fourth of them moved exactly onto each of the eight
     * thresholds and hysteresis bounds.
     */
    static List<Case> edgeCases() {
        List<Case> out = new ArrayList<>();
        List<MarginProperties.Book> books = MarginProperties.BOOK_EDGES;
        for (int i = 0; i < books.size(); i++) {
            MarginProperties.Book b = books.get(i);
            out.add(new Case(b.catalog(), b.account(), b.marks(), Level.HEALTHY, i));
            out.add(new Case(b.catalog(), b.account(), b.marks(), Level.LIQUIDATION, -i));
        }
        for (int i = 0; i < books.size(); i += 4) {
            MarginProperties.Book b = books.get(i);
            SubAccount s = b.cross();
            if (s.maintenance(b.marks()).signum() == 0) {
                continue;
            }
            for (int k = 0; k < 8; k++) {
                BigDecimal t = (k < 4 ? s.bands().raw : s.bands().banded)[k % 4];
                Account a = retarget(b.account(), s, b.marks(), t, BigDecimal.ZERO);
                out.add(new Case(b.catalog(), a, b.marks(), Level.values()[(i / 4 + k) % 5], 1000L * i + k));
            }
        }
        return out;
    }

    // ---- the safety property --------------------------------------------------------------------

    static Stream<Seeded.Run<Case>> cases() {
        return Seeded.runs(edgeCases(), SAFETY_TRIES, TriggerBandsProperties::randomCase);
    }

    /** Stored level per markable sub-account, as the evaluation at the case's marks decides it. */
    static Map<String, Level> storedLevels(List<SubAccount> subs, Marks marks, Level previous) {
        Map<String, Level> stored = new HashMap<>();
        for (SubAccount sub : subs) {
            if (sub.markable(marks)) {
                stored.put(sub.id(), MarginKernel.evaluate(sub, marks, previous).level());
            }
        }
        return stored;
    }

    /**
     * The one that matters: at the level the evaluation just decided, moving every instrument
     * anywhere strictly inside its account band (or leaving it at its mark) never changes the
     * level of any sub-account. Points: every combination of {just inside the low edge, the mark,
     * just inside the high edge} (the next double inward), every corner within 1e-12 relative of
     * the edges, and random points (uniform, log-uniform on an unbounded side, near an edge, or
     * at the mark) per instrument.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void noLevelChangesWhileEveryMarkStaysInsideItsBand(Seeded.Run<Case> run) {
        run.check(c -> {
            List<SubAccount> subs = SubAccount.of(c.catalog(), c.account());
            Map<String, Level> stored;
            try {
                stored = storedLevels(subs, c.marks(), c.previous());
            } catch (InvalidInputException e) {
                assumeTrue(false, "a notional reaches a bounded last cap at the case's own marks");
                return;
            }
            Map<Integer, Band> bands = TriggerBands.forAccount(subs, c.marks(), stored::get);
            for (SubAccount sub : subs) {
                for (Map.Entry<Integer, Band> e : TriggerBands.of(sub, c.marks(), stored.get(sub.id())).entrySet()) {
                    Band account = bands.get(e.getKey());
                    assertThat(account.isEmpty() || (e.getValue().low() <= account.low() && account.high() <= e.getValue().high()))
                            .as("the account band lies within each sub-account's").isTrue();
                }
            }
            int[] slots = bands.keySet().stream().mapToInt(Integer::intValue).toArray();
            for (double[] point : points(bands, slots, c.marks(), new SplittableRandom(c.pointSeed()))) {
                Marks moved = c.marks().copy();
                for (int j = 0; j < slots.length; j++) {
                    if (point[j] == c.marks().price(slots[j])) {
                        continue; // the instrument has not ticked: its exact mark stays
                    }
                    assertThat(bands.get(slots[j]).contains(point[j])).isTrue();
                    moved.put(c.catalog().instrument(slots[j]).symbol(), new BigDecimal(point[j]));
                }
                for (SubAccount sub : subs) {
                    Level before = stored.get(sub.id());
                    Level after = MarginKernel.evaluate(sub, moved, before).level();
                    assertThat(after).as("%s at %s inside bands %s (stored %s)", sub.id(), java.util.Arrays.toString(point),
                            bands, before).isEqualTo(before);
                }
            }
        });
    }

    /** Points as described on the property; one price per slot. */
    static List<double[]> points(Map<Integer, Band> bands, int[] slots, Marks marks, SplittableRandom r) {
        int n = slots.length;
        List<double[]> out = new ArrayList<>();
        int corners = (int) Math.pow(3, n);
        for (int code = 0; code < corners; code++) {
            double[] p = new double[n];
            for (int j = 0, c = code; j < n; j++, c /= 3) {
                p[j] = pick(bands.get(slots[j]), marks.price(slots[j]), c % 3, r);
            }
            out.add(p);
        }
        for (int code = 0; code < (1 << n); code++) {
            double[] p = new double[n];
            for (int j = 0; j < n; j++) {
                p[j] = pick(bands.get(slots[j]), marks.price(slots[j]), (code >> j & 1) == 0 ? 3 : 4, r);
            }
            out.add(p);
        }
        for (int i = 0; i < RANDOM_POINTS; i++) {
            double[] p = new double[n];
            for (int j = 0; j < n; j++) {
                p[j] = pick(bands.get(slots[j]), marks.price(slots[j]), r.nextInt(2, 8), r);
            }
            out.add(p);
        }
        return out;
    }

    /**
     * One price in {@code band} or the mark {@code m}: 0 just inside the low edge, 1 the mark, 2 just
     * inside the high edge, 3/4 within 1e-12 relative inside the low/high edge, 5/6 uniform
     * (log-uniform over [m/1000, 1000 m] on an unbounded side), 7 the mark. An empty band leaves the
     * instrument at its mark (any tick of it re-evaluates).
     */
    static double pick(Band band, double m, int kind, SplittableRandom r) {
        if (band.isEmpty() || kind == 1 || kind == 7) {
            return m;
        }
        double lo = band.low();
        double hi = band.high();
        double x = switch (kind) {
            case 0 -> lo == 0 ? Math.min(m, hi) * 1e-6 : Math.nextUp(lo);
            case 2 -> hi == Double.POSITIVE_INFINITY ? Math.max(m, lo) * 1e3 : Math.nextDown(hi);
            case 3 -> lo == 0 ? Math.min(m, hi) * 1e-9 : Math.max(Math.nextUp(lo), lo * (1 + 1e-12 * r.nextDouble()));
            case 4 -> hi == Double.POSITIVE_INFINITY ? Math.max(m, lo) * 1e6
                    : Math.min(Math.nextDown(hi), hi * (1 - 1e-12 * r.nextDouble()));
            default -> {
                double a = lo == 0 ? Math.min(m, hi) / 1000 : lo;
                double b = hi == Double.POSITIVE_INFINITY ? Math.max(m, lo) * 1000 : hi;
                yield lo == 0 || hi == Double.POSITIVE_INFINITY ? Math.exp(Math.log(a) + r.nextDouble() * (Math.log(b) - Math.log(a)))
                        : a + r.nextDouble() * (b - a);
            }
        };
        return band.contains(x) ? x : m;
    }

    // ---- tightness for one instrument -------------------------------------------------------------

    /** One BTC position (cross on USDT or isolated), random table and venue, often near a threshold. */
    static Case singleInstrumentCase(SplittableRandom r) {
        Catalog c = catalog(r);
        Marks m = marks(r, c);
        boolean isolated = r.nextBoolean();
        BigDecimal margin = decimal(r, "0", "200000", 2);
        Position p = new Position("BTC-USD", MarginProperties.btcSize(r), MarginProperties.btcPrice(r), isolated ? margin : null);
        Account a = new Account("p1", Map.of("USDT", isolated ? BigDecimal.ZERO : margin), List.of(p),
                r.nextInt(10) < 3 ? c.venue().thresholds().marginCall().add(decimal(r, "0.01", "1", 2)) : null);
        if (r.nextInt(5) < 3) {
            a = nearThreshold(r, c, a, m, false, "0.05");
        }
        return new Case(c, a, m, oneOf(r, Level.values()), r.nextLong());
    }

    static Stream<Seeded.Run<Case>> singleInstrumentCases() {
        List<Case> edges = new ArrayList<>();
        for (MarginProperties.MoveCase mc : MarginProperties.MOVE_EDGES) {
            MarginProperties.Book b = mc.book();
            for (Level l : List.of(Level.HEALTHY, Level.LIQUIDATION)) {
                edges.add(new Case(b.catalog(), b.account(), b.marks(), l, 0));
            }
        }
        return Seeded.runs(edges, TIGHTNESS_TRIES, TriggerBandsProperties::singleInstrumentCase);
    }

    /**
     * With one instrument the edges are the exact roots: the nearest prices below and above the mark
     * where {@code Q = t·MM} for the stored level's worsening threshold and improving bound, by the
     * SPEC §4 closed form {@code (q·E − C − t·cum_k) / (q − t·|q|·mmr_k)} in the bracket the root's
     * notional falls in (the bounded last cap is an edge too), within 1e-8 relative and never
     * beyond; {@link MarginEvaluator#solveRoot} gives the nearer one of each; just outside an edge the
     * level changes (or the notional reaches the cap).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("singleInstrumentCases")
    void oneInstrumentEdgesAreTheExactRoots(Seeded.Run<Case> run) {
        run.check(c -> {
            List<SubAccount> subs = SubAccount.of(c.catalog(), c.account());
            SubAccount sub = subs.get(subs.size() - 1); // the isolated one, or the cross one
            int slot = c.catalog().slot("t", "BTC-USD");
            Level stored;
            try {
                stored = MarginKernel.evaluate(sub, c.marks(), c.previous()).level();
            } catch (InvalidInputException e) {
                assumeTrue(false, "a notional reaches a bounded last cap at the case's own marks");
                return;
            }
            Band band = TriggerBands.of(sub, c.marks(), stored).get(slot);
            assumeTrue(c.catalog().tiers(slot).rateD(0) > 0, "a zero-rate bracket: MM = 0 makes any level HEALTHY");
            assumeTrue(sub.maintenance(c.marks()).signum() > 0, "MM = 0: no threshold to solve");
            assumeTrue(!band.isEmpty(), "on a threshold");
            BigDecimal mark = c.marks().exact(slot);
            TierTable tiers = c.catalog().tiers(slot);
            BigDecimal q = sub.sizeX[0];
            BigDecimal cash = sub.quoteCollateralX;
            BigDecimal entry = sub.entryX[0];
            BigDecimal low = BigDecimal.ZERO;
            BigDecimal high = null;
            boolean highIsCap = false;
            if (tiers.cap(tiers.size() - 1) != null) {
                high = tiers.cap(tiers.size() - 1).divide(q.abs(), MathContext.DECIMAL128);
                highIsCap = true;
            }
            int o = stored.ordinal();
            List<BigDecimal> targets = new ArrayList<>();
            if (o <= 3) {
                targets.add(sub.bands().raw[o]);
            }
            if (o >= 1) {
                targets.add(sub.bands().banded[o - 1]);
            }
            for (BigDecimal t : targets) {
                BigDecimal below = null;
                BigDecimal above = null;
                for (int k = 0; k < tiers.size(); k++) {
                    BigDecimal den = q.subtract(t.multiply(q.abs()).multiply(tiers.rate(k)));
                    if (den.signum() == 0) {
                        continue;
                    }
                    BigDecimal root = q.multiply(entry).subtract(cash).subtract(t.multiply(tiers.cum(k)))
                            .divide(den, MathContext.DECIMAL128);
                    BigDecimal notional = root.multiply(q.abs());
                    if (root.signum() <= 0 || notional.compareTo(tiers.floor(k)) < 0
                            || (tiers.cap(k) != null && notional.compareTo(tiers.cap(k)) >= 0)) {
                        continue;
                    }
                    if (root.compareTo(mark) < 0 && (below == null || root.compareTo(below) > 0)) {
                        below = root;
                    }
                    if (root.compareTo(mark) > 0 && (above == null || root.compareTo(above) < 0)) {
                        above = root;
                    }
                }
                BigDecimal solved = MarginEvaluator.solveRoot(sub, c.marks(), 0, t);
                BigDecimal nearer = below == null ? above : above == null ? below
                        : mark.subtract(below).compareTo(above.subtract(mark)) <= 0 ? below : above;
                if (nearer == null) {
                    assertThat(solved).isNull();
                } else {
                    assertThat(solved.subtract(nearer).abs().doubleValue()).as("solveRoot %s vs closed form %s", solved, nearer)
                            .isLessThanOrEqualTo(1e-12 * nearer.doubleValue());
                }
                if (below != null && below.compareTo(low) > 0) {
                    low = below;
                }
                if (above != null && (high == null || above.compareTo(high) < 0)) {
                    high = above;
                    highIsCap = false;
                }
            }
            double lowD = low.doubleValue();
            assertThat(band.low()).as("low edge vs root %s", low).isGreaterThanOrEqualTo(lowD);
            assertThat(band.low() - lowD).as("low edge vs root %s", low).isLessThanOrEqualTo(1e-8 * lowD);
            if (high == null) {
                assertThat(band.high()).isEqualTo(Double.POSITIVE_INFINITY);
            } else {
                double highD = high.doubleValue();
                assertThat(band.high()).as("high edge vs %s", high).isLessThan(highD);
                assertThat(highD - band.high()).as("high edge vs %s", high).isLessThanOrEqualTo(1e-8 * highD);
            }
            // Just outside an edge the level changes (or the notional reaches the cap: invalid input).
            if (low.signum() > 0) {
                Marks out = c.marks().copy().put("BTC-USD", low.multiply(new BigDecimal("0.9999999")));
                assertThat(MarginKernel.evaluate(sub, out, stored).level()).as("below the low edge").isNotEqualTo(stored);
            }
            if (high != null) {
                Marks out = c.marks().copy().put("BTC-USD", high.multiply(new BigDecimal("1.0000001")));
                if (highIsCap) {
                    org.assertj.core.api.Assertions.assertThatThrownBy(() -> MarginKernel.evaluate(sub, out, stored))
                            .isInstanceOf(InvalidInputException.class);
                } else {
                    assertThat(MarginKernel.evaluate(sub, out, stored).level()).as("above the high edge").isNotEqualTo(stored);
                }
            }
        });
    }

    // ---- the design sketch's Lipschitz bands ------------------------------------------------------

    /**
     * The design sketch's rule, as a reference: {@code d_i = min(B↓, B↑) / (n·K_i)},
     * {@code K_i = |q_i + Σ w_a| + t·|q_i|·mmr_max,i} with {@code t} the larger threshold in play and
     * {@code mmr_max,i} the rate at {@code M_i + d_i} (iterated once), band {@code M_i ± d_i}
     * (low clamped at 0, high at a bounded cap). Plain double, no shrink; for comparison only.
     */
    static Map<Integer, Band> lipschitz(SubAccount sub, Marks marks, Level stored) {
        Catalog cat = marks.catalog();
        Map<Integer, double[]> perSlot = new TreeMap<>(); // slot -> {b, |q|}
        for (int i = 0; i < sub.positions; i++) {
            double[] v = perSlot.computeIfAbsent(sub.slot(i), s -> new double[2]);
            v[0] += sub.size(i);
            v[1] += sub.absSize(i);
        }
        for (int j = 0; j < sub.priced; j++) {
            perSlot.computeIfAbsent(sub.collSlot(j), s -> new double[2])[0] += sub.collWeight(j);
        }
        MarginKernel.Result k = MarginKernel.evaluate(sub, marks, stored);
        Map<Integer, Band> out = new TreeMap<>();
        if (k.maintenance() == 0) {
            perSlot.keySet().forEach(s -> out.put(s, Band.ALL));
            return out;
        }
        int o = stored.ordinal();
        double b = Double.POSITIVE_INFINITY;
        double t = 0;
        if (o <= 3) {
            b = Math.min(b, k.equity() - sub.bands().rawD[o] * k.maintenance());
            t = Math.max(t, sub.bands().rawD[o]);
        }
        if (o >= 1) {
            b = Math.min(b, sub.bands().bandedD[o - 1] * k.maintenance() - k.equity());
            t = Math.max(t, sub.bands().bandedD[o - 1]);
        }
        int n = perSlot.size();
        for (Map.Entry<Integer, double[]> e : perSlot.entrySet()) {
            double m = marks.price(e.getKey());
            double slope = Math.abs(e.getValue()[0]);
            double aq = e.getValue()[1];
            if (b <= 0) {
                out.put(e.getKey(), Band.EMPTY);
                continue;
            }
            TierTable tiers = cat.tiers(e.getKey());
            double rate = aq == 0 ? 0 : tiers.rateD(tiers.bracketD(aq * m));
            double d = b / (n * (slope + t * aq * rate));
            if (aq > 0 && d < Double.POSITIVE_INFINITY) {
                double reach = tiers.rateD(tiers.bracketD(Math.min(aq * (m + d), tiers.limitD())));
                if (reach > rate) {
                    d = b / (n * (slope + t * aq * reach));
                }
            } else if (aq > 0) {
                d = b / (n * (slope + t * aq * tiers.rateD(tiers.size() - 1)));
            }
            double high = m + d;
            if (aq > 0) {
                high = Math.min(high, tiers.limitD() / aq);
            }
            out.put(e.getKey(), new Band(Math.max(0, m - d), high));
        }
        return out;
    }

    static Stream<Seeded.Run<Case>> containmentCases() {
        return Seeded.runs(edgeCases(), CONTAINMENT_TRIES, TriggerBandsProperties::randomCase);
    }

    /**
     * The exact-share bands are never narrower than the sketch's Lipschitz bands, up to 1e-7 of the
     * mark or the edge (the move toward the mark and the rounding allowance, which grows where an instrument
     * moves the buffer very little, e.g. 0.0001 BTC of collateral): the same safety argument, with
     * the exact loss of each instrument in place of its slope bound times the distance.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("containmentCases")
    void theBandsContainTheLipschitzBands(Seeded.Run<Case> run) {
        run.check(c -> {
            List<SubAccount> subs = SubAccount.of(c.catalog(), c.account());
            SubAccount sub = subs.get(0);
            Level stored;
            try {
                stored = MarginKernel.evaluate(sub, c.marks(), c.previous()).level();
            } catch (InvalidInputException e) {
                assumeTrue(false, "a notional reaches a bounded last cap at the case's own marks");
                return;
            }
            Map<Integer, Band> exact = TriggerBands.of(sub, c.marks(), stored);
            Map<Integer, Band> lip = lipschitz(sub, c.marks(), stored);
            boolean zeroRate = false;
            for (int i = 0; i < sub.positions; i++) {
                zeroRate |= c.catalog().tiers(sub.slot(i)).rateD(0) == 0;
            }
            assumeTrue(!zeroRate, "the reference ignores zero-rate brackets");
            assertThat(exact.keySet()).isEqualTo(lip.keySet());
            for (Map.Entry<Integer, Band> e : exact.entrySet()) {
                Band x = e.getValue();
                Band l = lip.get(e.getKey());
                if (x.isEmpty() || l.isEmpty()) {
                    // exact EMPTY: a buffer within its rounding bound of 0, where the reference still
                    // gives instruments it cannot move (zero slope) an unbounded band
                    continue;
                }
                double m = c.marks().price(e.getKey());
                assertThat(x.low()).as("low: exact %s, lipschitz %s", x, l).isLessThanOrEqualTo(l.low() + 1e-7 * m);
                assertThat(x.high()).as("high: exact %s, lipschitz %s", x, l).isGreaterThanOrEqualTo(
                        l.high() == Double.POSITIVE_INFINITY ? l.high() : l.high() - 1e-7 * Math.max(m, l.high()));
            }
        });
    }

    // ---- usefulness: a quiet random walk --------------------------------------------------------

    /**
     * 1 000 accounts on one catalog, 30 % of them moved within ±0.5 % of a threshold or hysteresis
     * bound, follow a quiet random walk of both marks (independent log-normal steps of 3 bp).
     * At each step an account is read when a mark leaves one of its bands; otherwise its level is
     * checked unchanged (the safety property along realistic paths). Prints the fraction of
     * (account, step) pairs read, for these bands and for the sketch's Lipschitz bands, and the
     * fraction whose level actually changed; asserts only that reads are well under 100 %.
     */
    @Test
    void aQuietWalkReadsFewAccounts() {
        long seed = Seeded.baseSeed();
        SplittableRandom r = new SplittableRandom(seed);
        Catalog c = WALK_CATALOG;
        Marks marks = marks(r, c);
        int accounts = 1000;
        int steps = 300;
        List<List<SubAccount>> books = new ArrayList<>();
        int near = 0;
        for (int i = 0; i < accounts; i++) {
            Account a = account(r, c);
            if (i % 10 < 3) {
                Account tuned = nearThreshold(r, c, a, marks, false, "0.005");
                near += tuned == a ? 0 : 1;
                a = tuned;
            }
            books.add(SubAccount.of(c, a));
        }
        List<Map<String, Level>> stored = new ArrayList<>();
        List<Map<Integer, Band>> bands = new ArrayList<>();
        List<Map<Integer, Band>> lipBands = new ArrayList<>();
        List<Map<String, Level>> lipStored = new ArrayList<>();
        for (List<SubAccount> subs : books) {
            Map<String, Level> s = storedLevels(subs, marks, Level.HEALTHY);
            stored.add(s);
            lipStored.add(new HashMap<>(s));
            bands.add(TriggerBands.forAccount(subs, marks, s::get));
            lipBands.add(lipschitzForAccount(subs, marks, s));
        }
        long reads = 0;
        long lipReads = 0;
        long changes = 0;
        int[] slots = {c.slot("t", "BTC-USD"), c.slot("t", "ETH-USD")};
        for (int step = 0; step < steps; step++) {
            Marks next = marks.copy();
            for (int slot : slots) {
                double p = marks.price(slot) * Math.exp(3e-4 * gaussian(r));
                next.put(c.instrument(slot).symbol(), new BigDecimal(p));
            }
            marks = next;
            for (int i = 0; i < accounts; i++) {
                List<SubAccount> subs = books.get(i);
                Map<String, Level> s = stored.get(i);
                boolean read = leaves(bands.get(i), marks);
                boolean changed = false;
                for (SubAccount sub : subs) {
                    Level now = MarginKernel.evaluate(sub, marks, s.get(sub.id())).level();
                    if (now != s.get(sub.id())) {
                        changed = true;
                        assertThat(read).as("seed %d step %d: %s changed %s -> %s inside its bands", seed, step, sub.id(),
                                s.get(sub.id()), now).isTrue();
                    }
                }
                changes += changed ? 1 : 0;
                if (read) {
                    reads++;
                    Map<String, Level> fresh = new HashMap<>();
                    for (SubAccount sub : subs) {
                        fresh.put(sub.id(), MarginKernel.evaluate(sub, marks, s.get(sub.id())).level());
                    }
                    stored.set(i, fresh);
                    bands.set(i, TriggerBands.forAccount(subs, marks, fresh::get));
                }
                Map<String, Level> ls = lipStored.get(i);
                if (leaves(lipBands.get(i), marks)) {
                    lipReads++;
                    for (SubAccount sub : subs) {
                        ls.put(sub.id(), MarginKernel.evaluate(sub, marks, ls.get(sub.id())).level());
                    }
                    lipBands.set(i, lipschitzForAccount(subs, marks, ls));
                }
            }
        }
        double pairs = (double) accounts * steps;
        System.out.printf("TriggerBands quiet walk (seed %d): %d accounts (%d moved near a threshold), %d steps of 3 bp:"
                        + " read %.3f %% of (account, step) pairs with these bands, %.3f %% with the Lipschitz bands;"
                        + " level changed in %.3f %%%n",
                seed, accounts, near, steps, 100 * reads / pairs, 100 * lipReads / pairs, 100 * changes / pairs);
        assertThat(near).isGreaterThanOrEqualTo(accounts / 5);
        assertThat(reads / pairs).isLessThan(0.5);
    }

    static Map<Integer, Band> lipschitzForAccount(List<SubAccount> subs, Marks marks, Map<String, Level> stored) {
        Map<Integer, Band> out = new TreeMap<>();
        for (SubAccount sub : subs) {
            lipschitz(sub, marks, stored.get(sub.id())).forEach((s, b) -> out.merge(s, b, Band::intersect));
        }
        return out;
    }

    static boolean leaves(Map<Integer, Band> bands, Marks marks) {
        for (Map.Entry<Integer, Band> e : bands.entrySet()) {
            if (!e.getValue().contains(marks.price(e.getKey()))) {
                return true;
            }
        }
        return false;
    }

    static double gaussian(SplittableRandom r) {
        double u = r.nextDouble();
        double v = r.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * v);
    }
}
