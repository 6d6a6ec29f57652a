package org.margincall.engine.domain;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Trigger bands (SPEC §10): for one (sub-)account at the current marks and its stored level, the
 * open price band per instrument it depends on (positions and collateral priced by it, SPEC §2.3)
 * such that while <em>every</em> such instrument stays strictly inside its band, or at the mark
 * the bands were computed at, the level with SPEC §3.2 hysteresis against that stored level cannot
 * change. A tick that leaves a band must re-read and re-evaluate the account; one inside all of
 * them may skip it. The derivation is in {@code docs/trigger-bands.md}; in short:
 *
 * <ul>
 *   <li>The level changes only when one of two buffers changes sign: worsening
 *       {@code g↓ = Q − t↓·MM} ({@code t↓} the lower boundary of the stored level, none for
 *       {@code LIQUIDATION}) and improving {@code g↑ = t↑·(1+h)·MM − Q} ({@code t↑} its upper
 *       boundary, none for {@code HEALTHY}); the account's own {@code warning} replaces the venue's.
 *       At a consistent stored level both are {@code ≥ 0}.</li>
 *   <li>{@code Q} is linear and {@code MM} a sum of one convex piecewise-linear function per
 *       instrument, so each buffer is a constant plus one piecewise-linear term {@code g_i(M_i)}
 *       per instrument. Instrument {@code i} gets an equal share {@code 1/n} of each buffer
 *       {@code B}; its band is the open interval around the mark where
 *       {@code g_i(x) − g_i(M_i) > −B/n}, solved exactly through the tier table (one root per
 *       bracket, as {@link MarginEvaluator#solveRoot} solves SPEC §4 prices). While every
 *       instrument keeps its loss below its share, the buffer keeps its sign. With one instrument
 *       the share is the whole buffer and the edges are the exact roots of {@code g↓} and
 *       {@code g↑} (the SPEC §4 warning/liquidation-style prices); with several, the band contains
 *       the {@code M_i ± B/(n·K_i)} band of the Lipschitz bound {@code K_i} of the design sketch.</li>
 *   <li>Computed in {@code double} with an error bound: each line is replaced by a lower bound
 *       that the exact one cannot undercut, and every edge is then moved toward the mark by
 *       {@value #REL} relative plus {@value #ABS}, so a tick exactly on a threshold price is always
 *       outside the band. A band too narrow costs a read; too wide would miss a notice.</li>
 * </ul>
 *
 * <p>Prices (band edges, marks) are in the quote currency per base unit of the instrument, as in
 * {@link Marks}; bands are keyed by the catalog's instrument slot ({@link Catalog#slot}).
 */
public final class TriggerBands {
    /** Relative move of every edge toward the mark. */
    static final double REL = 1e-9;
    /** Absolute move of every edge toward the mark, quote per base unit (below any price digit). */
    static final double ABS = 1e-12;
    /** Unit roundoff of double. */
    private static final double U = 0x1.0p-53;
    private static final double INF = Double.POSITIVE_INFINITY;

    private TriggerBands() {
    }

    /**
     * An open price band {@code (low, high)}, quote per base unit. {@code low = 0} means no lower
     * edge (marks are positive), {@code high = +∞} no upper edge. A band with {@code low ≥ high}
     * is normalised to {@link #EMPTY}.
     */
    public record Band(double low, double high) {
        /** Contains no price: every tick of the instrument re-evaluates. Its high edge (0) is below every price. */
        public static final Band EMPTY = new Band(0, 0);
        /** Contains every price: no tick of the instrument can change the level. */
        public static final Band ALL = new Band(0, INF);

        public Band {
            if (Double.isNaN(low) || Double.isNaN(high) || low < 0) {
                throw new IllegalArgumentException("invalid band (" + low + ", " + high + ")");
            }
            if (!(low < high)) {
                low = 0;
                high = 0;
            }
        }

        /** Strictly inside: a price on an edge is outside (it must re-evaluate). */
        public boolean contains(double price) {
            return price > low && price < high;
        }

        public boolean isEmpty() {
            return high == 0;
        }

        public boolean isAll() {
            return low == 0 && high == INF;
        }

        public Band intersect(Band other) {
            return new Band(Math.max(low, other.low), Math.min(high, other.high));
        }
    }

    /**
     * The bands of one sub-account, slot → band, one entry per instrument slot it depends on (in
     * slot order; {@link Band#ALL} where nothing can change). {@code stored} must be the level the
     * evaluation at {@code marks} just decided ({@code MarginKernel.evaluate(sub, marks, previous).level()});
     * at an inconsistent level every band is {@link Band#EMPTY}.
     *
     * @throws IllegalArgumentException when a mark the sub-account needs is missing
     */
    public static Map<Integer, Band> of(SubAccount sub, Marks marks, Level stored) {
        Objects.requireNonNull(stored, "stored");
        if (!sub.markable(marks)) {
            throw new IllegalArgumentException("sub-account " + sub.id() + " lacks a mark it needs");
        }
        final int positions = sub.positions;
        final int priced = sub.priced;
        final Catalog catalog = marks.catalog();
        // Distinct instruments the sub-account depends on, with Q's slope b = dQ/dM per instrument.
        int[] slot = new int[positions + priced];
        int[] pos = new int[positions + priced];
        double[] b = new double[positions + priced];
        double[] bAbs = new double[positions + priced];
        int n = 0;
        for (int i = 0; i < positions + priced; i++) {
            int s = i < positions ? sub.slot(i) : sub.collSlot(i - positions);
            int k = 0;
            while (k < n && slot[k] != s) {
                k++;
            }
            if (k == n) {
                slot[n] = s;
                pos[n] = -1;
                n++;
            }
            double slope = i < positions ? sub.size(i) : sub.collWeight(i - positions);
            if (i < positions) {
                pos[k] = i;
            }
            b[k] += slope;
            bAbs[k] += Math.abs(slope);
        }
        if (n == 0) {
            return Map.of();
        }
        // Q, MM and the magnitudes bounding their rounding error, as MarginKernel sums them.
        double q = sub.quoteCollateral();
        double absQ = Math.abs(q);
        for (int j = 0; j < priced; j++) {
            double v = sub.collWeight(j) * marks.price(sub.collSlot(j));
            q += v;
            absQ += Math.abs(v);
        }
        double mm = 0;
        double absMM = 0;
        double[] mark = new double[n];
        double[] mmOf = new double[n];
        double[] mmAbsOf = new double[n];
        for (int k = 0; k < n; k++) {
            mark[k] = marks.price(slot[k]);
            if (pos[k] < 0) {
                continue;
            }
            int i = pos[k];
            double m = mark[k];
            q += sub.size(i) * (m - sub.entry(i));
            absQ += sub.absSize(i) * (m + sub.entry(i));
            TierTable t = catalog.tiers(slot[k]);
            double notional = sub.absSize(i) * m;
            if (notional >= t.limitD()) {
                return uniform(slot, n, Band.EMPTY); // at or past a bounded last cap: invalid input, always re-read
            }
            int br = t.bracketD(notional);
            double rateTerm = notional * t.rateD(br);
            mmOf[k] = rateTerm - t.cumD(br);
            mmAbsOf[k] = rateTerm + t.cumD(br);
            mm += mmOf[k];
            absMM += mmAbsOf[k];
        }
        if (absMM == 0) {
            return nothingToLiquidate(sub, catalog, stored, slot, pos, mark, n);
        }
        int terms = 3 * positions + priced + 4;
        double gamma = 1e-13 + 16 * terms * U; // relative error budget of one sum (see docs/trigger-bands.md)
        LevelBands lb = sub.bands;
        int o = stored.ordinal();
        boolean down = o <= 3; // HEALTHY..CRITICAL can worsen
        boolean up = o >= 1; // WARNING..LIQUIDATION can improve
        double tDown = down ? lb.rawD[o] : 0;
        double tUp = up ? lb.bandedD[o - 1] : 0;
        double bDown = q - tDown * mm;
        double bDownAbs = absQ + tDown * absMM;
        double bUp = tUp * mm - q;
        double bUpAbs = absQ + tUp * absMM;
        // A buffer not clearly positive: on (or past) an edge, or an inconsistent stored level.
        if ((down && !(bDown > gamma * bDownAbs)) || (up && !(bUp > gamma * bUpAbs))) {
            return uniform(slot, n, Band.EMPTY);
        }
        double share = 1.0 / n;
        Band[] out = new Band[n];
        for (int k = 0; k < n; k++) {
            double aq = pos[k] < 0 ? 0 : sub.absSize(pos[k]);
            TierTable t = aq == 0 ? null : catalog.tiers(slot[k]); // no position (or size 0): no requirement
            Band band = Band.ALL;
            if (down) {
                band = band.intersect(edges(t, aq, b[k], bAbs[k], mark[k], mmOf[k], mmAbsOf[k], 1, tDown,
                        share * bDown, share * bDownAbs, gamma));
            }
            if (up) {
                band = band.intersect(edges(t, aq, b[k], bAbs[k], mark[k], mmOf[k], mmAbsOf[k], -1, tUp,
                        share * bUp, share * bUpAbs, gamma));
            }
            out[k] = band;
        }
        if (up) {
            keepRequirementPositive(sub, catalog, pos, mark, out, n);
        }
        return result(slot, out, n);
    }

    /**
     * The bands of an account: per instrument, the intersection of its sub-accounts' bands (the
     * account is read when any of them could change). A sub-account not yet markable (SPEC §3.3)
     * gets {@link Band#EMPTY} on each instrument it still lacks a mark for, so that mark's first
     * tick reads it, and no constraint elsewhere. {@code storedLevel} maps a sub-account id to the
     * level just decided; null counts as {@code HEALTHY} (the initial state).
     */
    public static Map<Integer, Band> forAccount(List<SubAccount> subs, Marks marks, Function<String, Level> storedLevel) {
        return forAccount(subs, marks, storedLevel, sub -> false);
    }

    /**
     * As {@link #forAccount(List, Marks, Function)}, with {@code held} naming the sub-accounts that
     * must be re-evaluated on the next tick of any instrument they depend on (a wick-guard hold,
     * SPEC §3.5, or a venue's {@code handoffsHeld}): they get {@link Band#EMPTY} everywhere.
     */
    public static Map<Integer, Band> forAccount(List<SubAccount> subs, Marks marks, Function<String, Level> storedLevel,
                                                Predicate<SubAccount> held) {
        Map<Integer, Band> out = new TreeMap<>();
        for (SubAccount sub : subs) {
            Map<Integer, Band> one;
            if (held.test(sub)) {
                one = empty(sub);
            } else if (!sub.markable(marks)) {
                one = awaitingMarks(sub, marks);
            } else {
                Level l = storedLevel.apply(sub.id());
                one = of(sub, marks, l == null ? Level.HEALTHY : l);
            }
            one.forEach((s, band) -> out.merge(s, band, Band::intersect));
        }
        return Collections.unmodifiableMap(out);
    }

    /** {@link Band#EMPTY} on every instrument slot the sub-account depends on: re-evaluate on any tick. */
    public static Map<Integer, Band> empty(SubAccount sub) {
        Map<Integer, Band> out = new TreeMap<>();
        for (int k = 2; k < sub.ref.length; k++) {
            out.put(sub.ref[k], Band.EMPTY);
        }
        return Collections.unmodifiableMap(out);
    }

    private static Map<Integer, Band> awaitingMarks(SubAccount sub, Marks marks) {
        Map<Integer, Band> out = new TreeMap<>();
        for (int k = 2; k < sub.ref.length; k++) {
            out.put(sub.ref[k], marks.has(sub.ref[k]) ? Band.ALL : Band.EMPTY);
        }
        return Collections.unmodifiableMap(out);
    }

    /**
     * The band of one instrument for one buffer. On bracket {@code k} of its tier table (one
     * bracket {@code [0, ∞)} for an instrument priced only through collateral) the buffer share
     * left when the instrument moves from {@code m} to {@code x} is linear:
     * {@code h(x) = g(x) − g(m) + wB = s_k·x + c_k} with {@code g(x) = σ·(b·x − t·MM(|q|·x))}
     * ({@code σ = +1} worsening, {@code −1} improving). The edges are the nearest points below and
     * above {@code m} where the lower bound {@code h(x) − γ·(|s|·x + |c|)} of the exact {@code h}
     * reaches 0, moved toward {@code m}; above, also the price where the notional reaches a bounded
     * last cap (SPEC §2.2: such a mark is invalid input, so it must re-read).
     */
    private static Band edges(TierTable table, double aq, double b, double bAbs, double m, double mmM, double mmAbsM,
                              int sigma, double t, double wB, double wBAbs, double gamma) {
        int brackets = table == null ? 1 : table.size();
        double slopeSlack = gamma * (bAbs + (table == null ? 0 : t * aq * table.rateD(brackets - 1)));
        double gM = sigma * (b * m - t * mmM);
        double cBase = -gM + wB;
        double cBaseAbs = bAbs * m + t * mmAbsM + wBAbs;
        // Above the mark: first point where h may reach 0.
        double high = table == null ? INF : table.capD(brackets - 1) / aq;
        for (int k = 0; k < brackets; k++) {
            double lo = table == null ? 0 : table.floorD(k) / aq;
            double hi = table == null ? INF : table.capD(k) / aq;
            if (hi <= m) {
                continue;
            }
            double cum = table == null ? 0 : table.cumD(k);
            double s = sigma * (b - (table == null ? 0 : t * aq * table.rateD(k))) - slopeSlack;
            double c = sigma * t * cum + cBase - gamma * (t * cum + cBaseAbs);
            double u = Math.max(lo, m);
            if (s * u + c <= 0) {
                high = Math.min(high, u);
                break;
            }
            if (s < 0 && -c / s <= hi) {
                high = Math.min(high, -c / s);
                break;
            }
        }
        // Below the mark: last point where h may reach 0.
        double low = 0;
        for (int k = brackets - 1; k >= 0; k--) {
            double lo = table == null ? 0 : table.floorD(k) / aq;
            double hi = table == null ? INF : table.capD(k) / aq;
            if (lo >= m) {
                continue;
            }
            double cum = table == null ? 0 : table.cumD(k);
            double s = sigma * (b - (table == null ? 0 : t * aq * table.rateD(k))) - slopeSlack;
            double c = sigma * t * cum + cBase - gamma * (t * cum + cBaseAbs);
            double v = Math.min(hi, m);
            if (s * v + c <= 0) {
                low = v;
                break;
            }
            if (s > 0 && -c / s >= lo) {
                low = -c / s;
                break;
            }
        }
        return new Band(towardFromBelow(low, m), towardFromAbove(high, m));
    }

    /** A low edge moved up toward the mark (never past it); 0 stays 0. */
    static double towardFromBelow(double low, double m) {
        if (low <= 0) {
            return 0;
        }
        double l = low + (REL * low + ABS);
        return l > m ? m : l;
    }

    /** A high edge moved down toward the mark (never past it); +∞ stays +∞. */
    static double towardFromAbove(double high, double m) {
        if (high == INF) {
            return INF;
        }
        double h = high - (REL * high + ABS);
        return h < m ? m : h;
    }

    /**
     * {@code MM = 0} at the marks (no position, or every position in a zero-rate first bracket):
     * the level is {@code HEALTHY} whatever the equity (SPEC §2.4), and stays so while every
     * position's notional stays within its zero-rate brackets. Collateral-only instruments: ALL.
     */
    private static Map<Integer, Band> nothingToLiquidate(SubAccount sub, Catalog catalog, Level stored, int[] slot,
                                                         int[] pos, double[] mark, int n) {
        if (stored != Level.HEALTHY) {
            return uniform(slot, n, Band.EMPTY); // inconsistent: the evaluation gives HEALTHY here
        }
        Band[] out = new Band[n];
        for (int k = 0; k < n; k++) {
            if (pos[k] < 0 || sub.absSize(pos[k]) == 0) {
                out[k] = Band.ALL;
                continue;
            }
            TierTable t = catalog.tiers(slot[k]);
            double edge = Math.min(firstPositiveFloor(t), t.limitD()) / sub.absSize(pos[k]);
            out[k] = new Band(0, towardFromAbove(edge, mark[k]));
        }
        return result(slot, out, n);
    }

    /**
     * Below {@code HEALTHY} the level relies on {@code MM > 0} (at {@code MM = 0} it is HEALTHY
     * whatever the equity). Only a tier table whose first rate is 0 can bring {@code MM} back to
     * 0; if every position has one, the position furthest above its zero-rate region keeps its
     * notional above it (its band's low edge), which keeps {@code MM > 0}.
     */
    private static void keepRequirementPositive(SubAccount sub, Catalog catalog, int[] pos, double[] mark, Band[] out,
                                                int n) {
        int best = -1;
        double bestRatio = 0;
        for (int k = 0; k < n; k++) {
            if (pos[k] < 0 || sub.absSize(pos[k]) == 0) {
                continue;
            }
            TierTable t = catalog.tiers(sub.slot(pos[k]));
            if (t.rateD(0) > 0) {
                return;
            }
            double floorPrice = firstPositiveFloor(t) / sub.absSize(pos[k]);
            double ratio = mark[k] / floorPrice;
            if (ratio > bestRatio) {
                bestRatio = ratio;
                best = k;
            }
        }
        if (best < 0 || !(bestRatio > 1)) {
            for (int k = 0; k < n; k++) {
                out[k] = Band.EMPTY;
            }
            return;
        }
        double floorPrice = firstPositiveFloor(catalog.tiers(sub.slot(pos[best]))) / sub.absSize(pos[best]);
        out[best] = out[best].intersect(new Band(towardFromBelow(floorPrice, mark[best]), INF));
    }

    /** Notional where the first positive rate starts ({@code 0} when the first rate is positive, +∞ when none is). */
    private static double firstPositiveFloor(TierTable t) {
        for (int k = 0; k < t.size(); k++) {
            if (t.rateD(k) > 0) {
                return t.floorD(k);
            }
        }
        return INF;
    }

    private static Map<Integer, Band> uniform(int[] slot, int n, Band band) {
        Band[] out = new Band[n];
        java.util.Arrays.fill(out, band);
        return result(slot, out, n);
    }

    private static Map<Integer, Band> result(int[] slot, Band[] bands, int n) {
        Map<Integer, Band> out = new TreeMap<>();
        for (int k = 0; k < n; k++) {
            out.put(slot[k], bands[k]);
        }
        return Collections.unmodifiableMap(out);
    }
}
