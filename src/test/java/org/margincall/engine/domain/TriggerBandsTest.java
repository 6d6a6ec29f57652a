package org.margincall.engine.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.margincall.engine.domain.TriggerBands.Band;

/**
 * Hand cases of {@link TriggerBands}: exact edges for one instrument against the SPEC §4 closed
 * form {@code M = (q·E − C − t·cum_k) / (q − t·|q|·mmr_k)}, the directions a level cannot move,
 * the shared buffer of several instruments, and the degenerate cases (MM = 0, on a threshold,
 * inconsistent stored level, bounded cap, zero-rate bracket).
 */
class TriggerBandsTest {
    static final Catalog CATALOG = MarginProperties.CATALOG; // BTC 0.4 %/0.5 %/1 %, ETH 0.65 %/0.8125 %, USDT, BTC (haircut 0.1)
    static final int BTC = CATALOG.slot("t", "BTC-USD");
    static final int ETH = CATALOG.slot("t", "ETH-USD");
    static final double INF = Double.POSITIVE_INFINITY;

    static BigDecimal d(String s) {
        return new BigDecimal(s);
    }

    static Account account(Map<String, BigDecimal> collateral, BigDecimal warning, Position... positions) {
        return new Account("a1", collateral, List.of(positions), warning);
    }

    static Position cross(String instrument, String size, String entry) {
        return new Position(instrument, d(size), d(entry), null);
    }

    static Marks marks(Catalog c, String btc, String eth) {
        Marks m = new Marks(c);
        if (btc != null) {
            m.put("BTC-USD", btc);
        }
        if (eth != null) {
            m.put("ETH-USD", eth);
        }
        return m;
    }

    static Level levelAt(SubAccount sub, Marks marks, Level stored) {
        return MarginKernel.evaluate(sub, marks, stored).level();
    }

    static Marks moved(Marks marks, String symbol, double price) {
        return marks.copy().put(symbol, new BigDecimal(price));
    }

    /** SPEC §4 closed form for one cross position with quote collateral {@code c} in bracket {@code k}. */
    static double closedForm(TierTable tiers, int k, String q, String entry, String c, BigDecimal t) {
        BigDecimal size = d(q);
        BigDecimal num = size.multiply(d(entry)).subtract(d(c)).subtract(t.multiply(tiers.cum(k)));
        BigDecimal den = size.subtract(t.multiply(size.abs()).multiply(tiers.rate(k)));
        return num.divide(den, MathContext.DECIMAL128).doubleValue();
    }

    static void assertEdge(double edge, double root) {
        assertThat(Math.abs(edge - root)).as("edge %s vs root %s", edge, root).isLessThanOrEqualTo(1e-8 * root);
    }

    // ---- Band ---------------------------------------------------------------------------------

    @Test
    void bandsAreOpenAndDegenerateOnesAreEmpty() {
        Band b = new Band(10, 20);
        assertThat(b.contains(10)).isFalse();
        assertThat(b.contains(20)).isFalse();
        assertThat(b.contains(Math.nextUp(10.0))).isTrue();
        assertThat(b.contains(15)).isTrue();
        assertThat(new Band(20, 20)).isEqualTo(Band.EMPTY);
        assertThat(new Band(30, 20)).isEqualTo(Band.EMPTY);
        assertThat(Band.EMPTY.contains(1e-300)).isFalse();
        assertThat(Band.EMPTY.contains(0)).isFalse();
        assertThat(Band.EMPTY.isEmpty()).isTrue();
        assertThat(Band.ALL.contains(1e-300)).isTrue();
        assertThat(Band.ALL.contains(1e300)).isTrue();
        assertThat(Band.ALL.isAll()).isTrue();
        assertThat(b.intersect(new Band(15, INF))).isEqualTo(new Band(15, 20));
        assertThat(b.intersect(new Band(25, INF))).isEqualTo(Band.EMPTY);
        assertThat(b.intersect(Band.EMPTY)).isEqualTo(Band.EMPTY);
        assertThat(b.intersect(Band.ALL)).isEqualTo(b);
        assertThatThrownBy(() -> new Band(Double.NaN, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Band(-1, 1)).isInstanceOf(IllegalArgumentException.class);
    }

    // ---- one instrument: exact edges ------------------------------------------------------------

    /** Long 1 BTC @ 40 000 with 1 234 USDT: R = warning at exactly 39 000 (38 766 / 0.994). */
    static Account longOne() {
        return account(Map.of("USDT", d("1234")), null, cross("BTC-USD", "1", "40000"));
    }

    @Test
    void healthyLongCannotImproveAndItsLowEdgeIsTheWarningPrice() {
        SubAccount sub = SubAccount.of(CATALOG, longOne()).get(0);
        Marks m = marks(CATALOG, "39500", null);
        Level stored = levelAt(sub, m, Level.HEALTHY);
        assertThat(stored).isEqualTo(Level.HEALTHY);
        Band band = TriggerBands.of(sub, m, stored).get(BTC);
        double root = closedForm(CATALOG.tiers(BTC), 0, "1", "40000", "1234", d("1.5"));
        assertThat(root).isEqualTo(39000.0);
        assertThat(MarginEvaluator.solveRoot(sub, m, 0, d("1.5")).doubleValue()).isEqualTo(root);
        assertEdge(band.low(), root);
        assertThat(band.high()).isEqualTo(INF);
        // A tick exactly on the threshold price is outside the band (R = 1.5 exactly: still HEALTHY there).
        assertThat(band.contains(39000)).isFalse();
        assertThat(levelAt(sub, moved(m, "BTC-USD", 39000), stored)).isEqualTo(Level.HEALTHY);
        assertThat(levelAt(sub, moved(m, "BTC-USD", 38999.99), stored)).isEqualTo(Level.WARNING);
        assertThat(levelAt(sub, moved(m, "BTC-USD", Math.nextUp(band.low())), stored)).isEqualTo(Level.HEALTHY);
        assertThat(levelAt(sub, moved(m, "BTC-USD", 1e12), stored)).isEqualTo(Level.HEALTHY);
    }

    @Test
    void healthyShortHasOnlyAnUpperEdge() {
        // Short 1 BTC @ 40 000 with 1 246 USDT: R = warning at 41 246 / 1.006 = 41 000.
        SubAccount sub = SubAccount.of(CATALOG, account(Map.of("USDT", d("1246")), null,
                cross("BTC-USD", "-1", "40000"))).get(0);
        Marks m = marks(CATALOG, "40500", null);
        Level stored = levelAt(sub, m, Level.HEALTHY);
        assertThat(stored).isEqualTo(Level.HEALTHY);
        Band band = TriggerBands.of(sub, m, stored).get(BTC);
        double root = closedForm(CATALOG.tiers(BTC), 0, "-1", "40000", "1246", d("1.5"));
        assertThat(root).isEqualTo(41000.0);
        assertThat(band.low()).isZero();
        assertEdge(band.high(), root);
        assertThat(band.contains(41000)).isFalse();
        assertThat(levelAt(sub, moved(m, "BTC-USD", Math.nextDown(band.high())), stored)).isEqualTo(Level.HEALTHY);
        assertThat(levelAt(sub, moved(m, "BTC-USD", 41000.01), stored)).isEqualTo(Level.WARNING);
        assertThat(levelAt(sub, moved(m, "BTC-USD", 1e-6), stored)).isEqualTo(Level.HEALTHY);
    }

    @Test
    void warningHasAWorseningEdgeAtMarginCallAndAnImprovingEdgeAtWarningTimesOnePlusH() {
        SubAccount sub = SubAccount.of(CATALOG, longOne()).get(0);
        Marks m = marks(CATALOG, "38980", null);
        Level stored = levelAt(sub, m, Level.HEALTHY);
        assertThat(stored).isEqualTo(Level.WARNING);
        Band band = TriggerBands.of(sub, m, stored).get(BTC);
        double low = closedForm(CATALOG.tiers(BTC), 0, "1", "40000", "1234", d("1.2"));
        double high = closedForm(CATALOG.tiers(BTC), 0, "1", "40000", "1234", d("1.53"));
        assertEdge(band.low(), low);
        assertEdge(band.high(), high);
        assertThat(levelAt(sub, moved(m, "BTC-USD", low * (1 - 1e-7)), stored)).isEqualTo(Level.MARGIN_CALL);
        assertThat(levelAt(sub, moved(m, "BTC-USD", high * (1 + 1e-7)), stored)).isEqualTo(Level.HEALTHY);
        // Between R = 1.5 and 1.53 hysteresis keeps WARNING: inside the band.
        double warningPrice = closedForm(CATALOG.tiers(BTC), 0, "1", "40000", "1234", d("1.5"));
        assertThat(band.contains(warningPrice + 1)).isTrue();
        assertThat(levelAt(sub, moved(m, "BTC-USD", warningPrice + 1), stored)).isEqualTo(Level.WARNING);
    }

    @Test
    void liquidationCannotWorsenAndImprovesStrictlyAboveLiquidationTimesOnePlusH() {
        SubAccount sub = SubAccount.of(CATALOG, longOne()).get(0);
        Marks m = marks(CATALOG, "38900", null);
        Level stored = levelAt(sub, m, Level.HEALTHY);
        assertThat(stored).isEqualTo(Level.LIQUIDATION);
        Band band = TriggerBands.of(sub, m, stored).get(BTC);
        double high = closedForm(CATALOG.tiers(BTC), 0, "1", "40000", "1234", d("1.02"));
        assertThat(band.low()).isZero();
        assertEdge(band.high(), high);
        assertThat(levelAt(sub, moved(m, "BTC-USD", 1e-3), stored)).isEqualTo(Level.LIQUIDATION);
        assertThat(levelAt(sub, moved(m, "BTC-USD", high * (1 + 1e-7)), stored)).isEqualTo(Level.CRITICAL);
    }

    @Test
    void theEdgeIsSolvedInTheBracketItsNotionalFallsIn() {
        // Long 10 BTC @ 40 000, mark 30 000 (notional 300 000: 1 %, cum 1 300); R = 1.5 at 20 000
        // (notional 200 000: 0.5 %, cum 50): (400 000 − C − 75) / 9.925 = 20 000 gives C = 201 425.
        SubAccount sub = SubAccount.of(CATALOG, account(Map.of("USDT", d("201425")), null,
                cross("BTC-USD", "10", "40000"))).get(0);
        Marks m = marks(CATALOG, "30000", null);
        Level stored = levelAt(sub, m, Level.HEALTHY);
        assertThat(stored).isEqualTo(Level.HEALTHY);
        Band band = TriggerBands.of(sub, m, stored).get(BTC);
        assertThat(closedForm(CATALOG.tiers(BTC), 1, "10", "40000", "201425", d("1.5"))).isEqualTo(20000.0);
        assertEdge(band.low(), 20000);
        assertThat(band.high()).isEqualTo(INF);
        assertThat(levelAt(sub, moved(m, "BTC-USD", 19999.99), stored)).isEqualTo(Level.WARNING);
    }

    @Test
    void anAccountsOwnWarningReplacesTheVenues() {
        SubAccount sub = SubAccount.of(CATALOG, account(Map.of("USDT", d("1234")), d("1.3"),
                cross("BTC-USD", "1", "40000"))).get(0);
        Marks m = marks(CATALOG, "39500", null);
        Band band = TriggerBands.of(sub, m, Level.HEALTHY).get(BTC);
        double root = closedForm(CATALOG.tiers(BTC), 0, "1", "40000", "1234", d("1.3"));
        assertEdge(band.low(), root);
        assertThat(levelAt(sub, moved(m, "BTC-USD", root * (1 - 1e-7)), Level.HEALTHY)).isEqualTo(Level.WARNING);
    }

    @Test
    void anIsolatedPositionIsBandedAloneOnItsMargin() {
        Account a = account(Map.of("USDT", d("100000")), null, new Position("BTC-USD", d("1"), d("40000"), d("1234")));
        List<SubAccount> subs = SubAccount.of(CATALOG, a);
        Marks m = marks(CATALOG, "39500", null);
        assertThat(TriggerBands.of(subs.get(0), m, Level.HEALTHY)).isEmpty(); // USDT only: depends on no instrument
        Band band = TriggerBands.of(subs.get(1), m, Level.HEALTHY).get(BTC);
        assertEdge(band.low(), 39000);
        assertThat(band.high()).isEqualTo(INF);
        assertThat(TriggerBands.forAccount(subs, m, id -> Level.HEALTHY)).isEqualTo(Map.of(BTC, band));
    }

    /**
     * Edges solved where equity is a small difference of large terms (30 BTC entered at 60 000 on
     * about 1.8 million of collateral, marked near 0): double loses ~1e-11 of a root near 1e-4
     * there (1e-7 relative, far beyond the 1e-9 relative move), on either side. Moving the edges
     * toward the mark by the rounding bound keeps every double inside the band on the right side of
     * the exact root; the edge is then looser than 1e-8 (here within 1e-3 of the root).
     */
    @Test
    void roundingNeverWidensABand() {
        int checked = 0;
        for (int k = 1; k <= 150; k++) {
            for (String size : List.of("30", "-30")) {
                boolean longPosition = size.equals("30");
                BigDecimal gap = new BigDecimal(k).multiply(d("0.0037"));
                // Long: Q = 30 x − gap, R = 1.5 at x = gap / 29.82; short: Q = gap − 30 x, at x = gap / 30.18.
                BigDecimal cash = longPosition ? d("1800000").subtract(gap) : d("-1800000").add(gap);
                SubAccount sub = SubAccount.of(CATALOG, account(Map.of("USDT", cash), null, cross("BTC-USD", size, "60000"))).get(0);
                double root = gap.doubleValue() / (longPosition ? 29.82 : 30.18);
                Marks m = new Marks(CATALOG).put("BTC-USD", BigDecimal.valueOf(longPosition ? root * 3 : root / 3));
                Level stored = levelAt(sub, m, Level.HEALTHY);
                assertThat(stored).isEqualTo(Level.HEALTHY);
                Band band = TriggerBands.of(sub, m, stored).get(BTC);
                double edge = longPosition ? band.low() : band.high();
                assertThat(Math.abs(edge - root)).isLessThan(1e-3 * root);
                double x = edge;
                for (int j = 0; j < 64; j++) {
                    x = longPosition ? Math.nextUp(x) : Math.nextDown(x);
                    assertThat(band.contains(x)).isTrue();
                    assertThat(levelAt(sub, moved(m, "BTC-USD", x), stored)).as("k=%d size %s at %s, band %s", k, size, x, band)
                            .isEqualTo(Level.HEALTHY);
                    checked++;
                }
            }
        }
        assertThat(checked).isEqualTo(150 * 2 * 64);
    }

    // ---- nothing to liquidate, degenerate cases -----------------------------------------------

    @Test
    void collateralOnlyIsHealthyAtAnyPrice() {
        SubAccount sub = SubAccount.of(CATALOG, account(Map.of("BTC", d("2"), "USDT", d("-50000")), null)).get(0);
        Marks m = marks(CATALOG, "40000", null);
        assertThat(TriggerBands.of(sub, m, Level.HEALTHY)).isEqualTo(Map.of(BTC, Band.ALL));
        // An inconsistent stored level (the evaluation gives HEALTHY at MM = 0): re-evaluate on any tick.
        assertThat(TriggerBands.of(sub, m, Level.WARNING)).isEqualTo(Map.of(BTC, Band.EMPTY));
    }

    @Test
    void exactlyOnAThresholdEveryBandIsEmpty() {
        // Long 1 BTC at its entry 40 000: MM = 160; 0.01 BTC collateral (360) and −120 USDT: Q = 240,
        // R = 1.5 exactly (HEALTHY, on the edge).
        SubAccount sub = SubAccount.of(CATALOG, account(Map.of("USDT", d("-120"), "BTC", d("0.01")), null,
                cross("BTC-USD", "1", "40000"))).get(0);
        Marks m = marks(CATALOG, "40000", null);
        assertThat(sub.equity(m)).isEqualByComparingTo("240");
        assertThat(levelAt(sub, m, Level.HEALTHY)).isEqualTo(Level.HEALTHY);
        assertThat(TriggerBands.of(sub, m, Level.HEALTHY)).isEqualTo(Map.of(BTC, Band.EMPTY));
    }

    @Test
    void anInconsistentStoredLevelGivesEmptyBands() {
        SubAccount sub = SubAccount.of(CATALOG, longOne()).get(0);
        Marks m = marks(CATALOG, "39500", null);
        for (Level wrong : List.of(Level.WARNING, Level.MARGIN_CALL, Level.CRITICAL, Level.LIQUIDATION)) {
            assertThat(TriggerBands.of(sub, m, wrong)).as("stored %s", wrong).isEqualTo(Map.of(BTC, Band.EMPTY));
        }
        // A wick-guard hold stores CRITICAL where the marks say LIQUIDATION: every tick must re-evaluate.
        Marks deep = marks(CATALOG, "38900", null);
        assertThat(levelAt(sub, deep, Level.CRITICAL)).isEqualTo(Level.LIQUIDATION);
        assertThat(TriggerBands.of(sub, deep, Level.CRITICAL)).isEqualTo(Map.of(BTC, Band.EMPTY));
    }

    @Test
    void aMarkThatIsMissingIsRejected() {
        SubAccount sub = SubAccount.of(CATALOG, longOne()).get(0);
        assertThatThrownBy(() -> TriggerBands.of(sub, new Marks(CATALOG), Level.HEALTHY))
                .isInstanceOf(IllegalArgumentException.class);
    }

    static Catalog catalogWith(List<TierTable.Tier> btcTiers) {
        return new Catalog(Venue.withDefaults("t"), List.of(new Instrument("BTC-USD", new TierTable("BTC-USD", btcTiers)),
                new Instrument("ETH-USD", CATALOG.tiers(ETH))),
                List.of(new CollateralAsset("USDT", BigDecimal.ZERO, null), new CollateralAsset("BTC", d("0.1"), "BTC-USD")));
    }

    @Test
    void aBoundedLastCapIsAnEdge() {
        Catalog c = catalogWith(List.of(new TierTable.Tier(BigDecimal.ZERO, d("50000"), d("0.004")),
                new TierTable.Tier(d("50000"), d("100000"), d("0.005"))));
        SubAccount sub = SubAccount.of(c, account(Map.of("USDT", d("12340")), null, cross("BTC-USD", "2", "40000"))).get(0);
        Marks m = marks(c, "39500", null);
        Band band = TriggerBands.of(sub, m, Level.HEALTHY).get(c.slot("t", "BTC-USD"));
        assertEdge(band.high(), 50000);
        assertThat(band.high()).isLessThan(50000);
        assertThatThrownBy(() -> levelAt(sub, moved(m, "BTC-USD", 50000), Level.HEALTHY))
                .isInstanceOf(InvalidInputException.class);
    }

    @Test
    void aZeroRateFirstBracketKeepsTheLevelHealthyUntilItsCapAndNoLowerThanItBelowHealthy() {
        Catalog c = catalogWith(List.of(new TierTable.Tier(BigDecimal.ZERO, d("10000"), BigDecimal.ZERO),
                new TierTable.Tier(d("10000"), null, d("0.01"))));
        int btc = c.slot("t", "BTC-USD");
        // MM = 0 below 10 000 of notional: HEALTHY even with negative equity.
        SubAccount sub = SubAccount.of(c, account(Map.of("USDT", d("-100")), null, cross("BTC-USD", "1", "15000"))).get(0);
        Marks m = marks(c, "5000", null);
        assertThat(levelAt(sub, m, Level.HEALTHY)).isEqualTo(Level.HEALTHY);
        Band band = TriggerBands.of(sub, m, Level.HEALTHY).get(btc);
        assertThat(band.low()).isZero();
        assertEdge(band.high(), 10000);
        assertThat(band.contains(10000)).isFalse();
        assertThat(levelAt(sub, moved(m, "BTC-USD", 10000.01), Level.HEALTHY)).isEqualTo(Level.LIQUIDATION);
        // In LIQUIDATION with negative equity, falling back into the zero-rate bracket makes it HEALTHY:
        // the band stops at the bracket's floor even though the improving buffer never runs out.
        SubAccount deep = SubAccount.of(c, account(Map.of("USDT", BigDecimal.ZERO), null,
                cross("BTC-USD", "1", "20000"))).get(0);
        Marks m2 = marks(c, "15000", null);
        Level stored = levelAt(deep, m2, Level.HEALTHY);
        assertThat(stored).isEqualTo(Level.LIQUIDATION);
        Band band2 = TriggerBands.of(deep, m2, stored).get(btc);
        assertEdge(band2.low(), 10000);
        assertThat(band2.low()).isGreaterThan(10000);
        assertThat(levelAt(deep, moved(m2, "BTC-USD", 9999), stored)).isEqualTo(Level.HEALTHY);
    }

    // ---- several instruments ------------------------------------------------------------------

    @Test
    void collateralPricedByAnInstrumentMakesTheAccountDependOnIt() {
        // 1 BTC collateral (weight 0.9) and a long 10 ETH @ 2 000, no USDT: Q = 36 000, MM = 130, B↓ = 35 805.
        SubAccount sub = SubAccount.of(CATALOG, account(Map.of("BTC", d("1")), null, cross("ETH-USD", "10", "2000"))).get(0);
        Marks m = marks(CATALOG, "40000", "2000");
        Level stored = levelAt(sub, m, Level.HEALTHY);
        assertThat(stored).isEqualTo(Level.HEALTHY);
        Map<Integer, Band> bands = TriggerBands.of(sub, m, stored);
        assertThat(bands.keySet()).containsExactly(BTC, ETH);
        double share = 35805 / 2.0;
        // BTC only through collateral: h = 0.9 (x − 40 000) + B/2.
        assertEdge(bands.get(BTC).low(), 40000 - share / 0.9);
        assertThat(bands.get(BTC).high()).isEqualTo(INF);
        // ETH: g(x) = 10 x − 1.5 · 0.0065 · 10 x in the first bracket.
        assertEdge(bands.get(ETH).low(), 2000 - share / (10 - 1.5 * 0.0065 * 10));
        assertThat(bands.get(ETH).high()).isEqualTo(INF);
        // Both just inside their low edges at once: still HEALTHY; BTC alone well past its whole-buffer root: not.
        Marks corner = m.copy().put("BTC-USD", new BigDecimal(Math.nextUp(bands.get(BTC).low())))
                .put("ETH-USD", new BigDecimal(Math.nextUp(bands.get(ETH).low())));
        assertThat(levelAt(sub, corner, stored)).isEqualTo(Level.HEALTHY);
        assertThat(levelAt(sub, moved(m, "BTC-USD", 40000 - 35805 / 0.9 - 1), stored)).isNotEqualTo(Level.HEALTHY);
    }

    @Test
    void aPositionOfSizeZeroOnlyMakesTheAccountDependOnItsInstrument() {
        SubAccount sub = SubAccount.of(CATALOG, account(Map.of("USDT", d("1234")), null, cross("BTC-USD", "1", "40000"),
                cross("ETH-USD", "0", "2000"))).get(0);
        Marks m = marks(CATALOG, "39500", "2000");
        Map<Integer, Band> bands = TriggerBands.of(sub, m, Level.HEALTHY);
        assertThat(bands.get(ETH)).isEqualTo(Band.ALL);
        // Two instruments, so BTC gets half of B↓ = 734 − 1.5 · 158 = 497: 39 500 − 248.5 / 0.994 = 39 250.
        assertEdge(bands.get(BTC).low(), 39250);
        SubAccount onlyZero = SubAccount.of(CATALOG, account(Map.of("USDT", d("-5")), null, cross("ETH-USD", "0", "2000"))).get(0);
        assertThat(TriggerBands.of(onlyZero, m, Level.HEALTHY)).isEqualTo(Map.of(ETH, Band.ALL));
    }

    @Test
    void anAccountsBandIsTheIntersectionOfItsSubAccounts() {
        // Cross: long 10 ETH and 1 BTC collateral; isolated long 1 BTC on 1 234.
        Account a = account(Map.of("BTC", d("1")), null, cross("ETH-USD", "10", "2000"),
                new Position("BTC-USD", d("1"), d("40000"), d("1234")));
        List<SubAccount> subs = SubAccount.of(CATALOG, a);
        Marks m = marks(CATALOG, "39500", "2000");
        Map<Integer, Band> cross = TriggerBands.of(subs.get(0), m, Level.HEALTHY);
        Map<Integer, Band> isolated = TriggerBands.of(subs.get(1), m, Level.HEALTHY);
        Map<Integer, Band> account = TriggerBands.forAccount(subs, m, id -> null);
        assertThat(account.get(BTC)).isEqualTo(cross.get(BTC).intersect(isolated.get(BTC)));
        assertThat(account.get(BTC).low()).isEqualTo(isolated.get(BTC).low()); // the isolated one is nearer its edge
        assertThat(account.get(ETH)).isEqualTo(cross.get(ETH));
        // A held sub-account (wick guard, handoffsHeld): re-evaluate on any tick of what it depends on.
        Map<Integer, Band> held = TriggerBands.forAccount(subs, m, id -> null, s -> s.isolatedInstrument() != null);
        assertThat(held.get(BTC)).isEqualTo(Band.EMPTY);
        assertThat(held.get(ETH)).isEqualTo(cross.get(ETH));
        // Not yet markable (no ETH mark): the cross sub-account waits for ETH's first tick, constrains nothing else.
        Marks noEth = marks(CATALOG, "39500", null);
        Map<Integer, Band> waiting = TriggerBands.forAccount(subs, noEth, id -> null);
        assertThat(waiting.get(ETH)).isEqualTo(Band.EMPTY);
        assertThat(waiting.get(BTC)).isEqualTo(isolated.get(BTC));
    }
}
