package org.margincall.engine.domain;

import java.math.BigDecimal;

/**
 * The per-tick hot path: equity, maintenance requirement, collateral ratio and level of one
 * sub-account, in {@code double} (SPEC §2, §3.1–§3.2).
 *
 * <p>Every level decision is a sign test of {@code Q - t * MM} for a threshold {@code t}. The
 * double result decides only when it is clear of zero by a bound on its accumulated rounding
 * error ({@link #EPS} times the sum of the magnitudes involved, far above the ~n·2⁻⁵³ the sums
 * can actually lose); otherwise the comparison is redone in exact decimal arithmetic, so a ratio
 * exactly on a threshold or hysteresis bound gets exactly the level the SPEC prescribes.
 */
public final class MarginKernel {
    /** Relative error budget of a double sum before it may decide a boundary. */
    static final double EPS = 1e-12;
    private static final double CAP_GUARD = 1 - 1e-12;

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
        double q = a.quoteCollateral;
        double absQ = Math.abs(q);
        for (int j = 0; j < a.collSlot.length; j++) {
            double v = a.collWeight[j] * marks.price(a.collSlot[j]);
            q += v;
            absQ += Math.abs(v);
        }
        double mm = 0;
        double absMM = 0;
        for (int i = 0; i < a.slot.length; i++) {
            double m = marks.price(a.slot[i]);
            double s = a.size[i];
            q += s * (m - a.entry[i]);
            absQ += a.absSize[i] * (m + a.entry[i]);
            double notional = a.absSize[i] * m;
            TierTable t = a.tiers[i];
            if (notional >= t.limitD() * CAP_GUARD) {
                // Near or past a bounded last cap: let exact arithmetic accept or reject it.
                BigDecimal exactNotional = a.sizeX[i].abs().multiply(marks.exact(a.slot[i]));
                t.bracket(a.symbol[i], exactNotional);
            }
            int k = t.bracketD(notional);
            double rateTerm = notional * t.rateD(k);
            mm += rateTerm - t.cumD(k);
            absMM += rateTerm + t.cumD(k);
        }
        if (absMM == 0) {
            // Nothing to liquidate (SPEC §2.4): every term of MM is exactly zero.
            return new Result(q, 0, Double.POSITIVE_INFINITY, Level.HEALTHY, Level.HEALTHY, false);
        }
        Judge judge = new Judge(a, marks, q, mm, absQ, absMM);
        Level raw = judge.level(false);
        Level level = raw.atLeastAsSevereAs(stored) ? raw : Level.lessSevere(stored, judge.level(true));
        return new Result(q, mm, q / mm, raw, level, judge.exactQ != null);
    }

    /** Sign tests of {@code Q - t * MM}, exact on demand. */
    private static final class Judge {
        final SubAccount a;
        final Marks marks;
        final double q;
        final double mm;
        final double absQ;
        final double absMM;
        BigDecimal exactQ;
        BigDecimal exactMM;

        Judge(SubAccount a, Marks marks, double q, double mm, double absQ, double absMM) {
            this.a = a;
            this.marks = marks;
            this.q = q;
            this.mm = mm;
            this.absQ = absQ;
            this.absMM = absMM;
        }

        Level level(boolean banded) {
            double[] td = banded ? a.bands.bandedD : a.bands.rawD;
            BigDecimal[] tx = banded ? a.bands.banded : a.bands.raw;
            if (compare(td[3], tx[3]) <= 0) {
                return Level.LIQUIDATION;
            }
            for (int i = 2; i >= 0; i--) {
                if (compare(td[i], tx[i]) < 0) {
                    return LevelBands.ENTERED[i];
                }
            }
            return Level.HEALTHY;
        }

        int compare(double t, BigDecimal tx) {
            double d = q - t * mm;
            double err = EPS * (absQ + t * absMM);
            if (d > err) {
                return 1;
            }
            if (d < -err) {
                return -1;
            }
            if (exactQ == null) {
                exactQ = a.equity(marks);
                exactMM = a.maintenance(marks);
            }
            return exactQ.compareTo(tx.multiply(exactMM));
        }
    }
}
