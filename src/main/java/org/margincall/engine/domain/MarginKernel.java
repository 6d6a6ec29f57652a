package org.margincall.engine.domain;

import java.math.BigDecimal;

/**
 * The per-tick hot path: equity, maintenance requirement, collateral ratio and level of a
 * sub-account, in {@code double} (SPEC §2, §3.1–§3.2).
 *
 * <p>Every level decision is a sign test of {@code Q - t * MM} for a threshold {@code t}. The
 * double result decides only when it is clear of zero by a bound on its accumulated rounding
 * error ({@link #EPS} times the sum of the magnitudes involved, far above the ~n·2⁻⁵³ the sums
 * can actually lose); otherwise the comparison is redone in exact decimal arithmetic, so a ratio
 * exactly on a threshold or hysteresis bound gets exactly the level the SPEC prescribes.
 *
 * <p>The kernel reads a sub-account's packed arrays ({@link SubAccount}) at an offset, so the same
 * code evaluates one sub-account or a {@link MarginBook} of many laid out back to back.
 */
public final class MarginKernel {
    /** Relative error budget of a double sum before it may decide a boundary. */
    static final double EPS = 1e-12;
    private static final double CAP_GUARD = 1 - 1e-12;
    // Slots of the scratch array the kernel fills.
    static final int Q = 0;
    static final int MM = 1;
    static final int ABS_Q = 2;
    static final int ABS_MM = 3;
    static final int EXACT = 4;
    static final int SCRATCH = 5;

    private MarginKernel() {
    }

    /**
     * Result of the hot path; figures in quote currency.
     *
     * @param ratio {@code Q / MM}, {@code +inf} when {@code MM = 0}
     * @param exactFallback whether any decision had to be redone exactly (for metrics)
     */
    public record Result(double equity, double maintenance, double ratio, Level rawLevel, Level level,
                         boolean exactFallback) {
    }

    /** Evaluates a sub-account whose marks are all present against its stored level. */
    public static Result evaluate(SubAccount a, Marks marks, Level stored) {
        double[] acc = new double[SCRATCH];
        sums(a.ref, 0, a.num, 0, a, marks, acc);
        if (acc[ABS_MM] == 0) {
            return new Result(acc[Q], 0, Double.POSITIVE_INFINITY, Level.HEALTHY, Level.HEALTHY, false);
        }
        Level raw = level(a.bands.rawD, a.bands.raw, acc, a, marks);
        Level level = raw.atLeastAsSevereAs(stored) ? raw
                : Level.lessSevere(stored, level(a.bands.bandedD, a.bands.banded, acc, a, marks));
        return new Result(acc[Q], acc[MM], acc[Q] / acc[MM], raw, level, acc[EXACT] != 0);
    }

    /** Level with hysteresis only, for sweeping many sub-accounts; {@code acc} is caller-owned scratch. */
    static Level level(int[] ref, int r, double[] num, int n, SubAccount a, LevelBands b, Marks marks, Level stored,
                       double[] acc) {
        // `a` is only dereferenced on the rare exact paths, so a book's loop stays in its flat arrays.
        sums(ref, r, num, n, a, marks, acc);
        if (acc[ABS_MM] == 0) {
            return Level.HEALTHY; // nothing to liquidate (SPEC §2.4)
        }
        Level raw = level(b.rawD, b.raw, acc, a, marks);
        return raw.atLeastAsSevereAs(stored) ? raw : Level.lessSevere(stored, level(b.bandedD, b.banded, acc, a, marks));
    }

    /** Fills Q, MM and the magnitudes that bound their rounding error. */
    private static void sums(int[] ref, int r, double[] num, int n, SubAccount a, Marks marks, double[] acc) {
        final int positions = ref[r];
        final int priced = ref[r + 1];
        final Catalog catalog = marks.catalog();
        double q = num[n];
        double absQ = Math.abs(q);
        for (int j = 0; j < priced; j++) {
            double v = num[n + 1 + 3 * positions + j] * marks.price(ref[r + 2 + positions + j]);
            q += v;
            absQ += Math.abs(v);
        }
        double mm = 0;
        double absMM = 0;
        for (int i = 0; i < positions; i++) {
            int slot = ref[r + 2 + i];
            int base = n + 1 + 3 * i;
            double m = marks.price(slot);
            double abs = num[base + 1];
            double entry = num[base + 2];
            q += num[base] * (m - entry);
            absQ += abs * (m + entry);
            double notional = abs * m;
            TierTable t = catalog.tiers(slot);
            if (notional >= t.limitD() * CAP_GUARD) {
                // Near or past a bounded last cap: let exact arithmetic accept or reject it.
                t.bracket(a.symbol[i], a.sizeX[i].abs().multiply(marks.exact(slot)));
            }
            int k = t.bracketD(notional);
            double rateTerm = notional * t.rateD(k);
            mm += rateTerm - t.cumD(k);
            absMM += rateTerm + t.cumD(k);
        }
        acc[Q] = q;
        acc[MM] = mm;
        acc[ABS_Q] = absQ;
        acc[ABS_MM] = absMM;
        acc[EXACT] = 0;
    }

    private static Level level(double[] td, BigDecimal[] tx, double[] acc, SubAccount a, Marks marks) {
        if (compare(td[3], tx[3], acc, a, marks) <= 0) {
            return Level.LIQUIDATION;
        }
        for (int i = 2; i >= 0; i--) {
            if (compare(td[i], tx[i], acc, a, marks) < 0) {
                return LevelBands.ENTERED[i];
            }
        }
        return Level.HEALTHY;
    }

    /** Sign of {@code Q - t * MM}: in double when clear of zero, else exactly. */
    private static int compare(double t, BigDecimal tx, double[] acc, SubAccount a, Marks marks) {
        double d = acc[Q] - t * acc[MM];
        double err = EPS * (acc[ABS_Q] + t * acc[ABS_MM]);
        if (d > err) {
            return 1;
        }
        if (d < -err) {
            return -1;
        }
        acc[EXACT] = 1;
        return a.equity(marks).compareTo(tx.multiply(a.maintenance(marks)));
    }
}
