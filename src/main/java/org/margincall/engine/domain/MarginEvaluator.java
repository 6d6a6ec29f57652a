package org.margincall.engine.domain;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Full evaluation of a sub-account (SPEC §2–§4): the kernel's level plus the figures a
 * notification carries. Runs when a notification is due, not on every tick, so money figures
 * are computed exactly; prices are solved in double (8 decimals, 1e-8 relative).
 */
public final class MarginEvaluator {
    private static final BigDecimal TEN_THOUSAND = BigDecimal.valueOf(10_000);
    private static final BigDecimal ZERO_CENTS = BigDecimal.ZERO.setScale(2);
    private static final BigDecimal ZERO_FRACTION = BigDecimal.ZERO.setScale(4);
    private static final BigDecimal ONE_FRACTION = BigDecimal.ONE.setScale(4);
    /** Relative slack when checking that a root's notional lies in the bracket it was solved in. */
    private static final double BRACKET_SLACK = 1e-12;

    private MarginEvaluator() {
    }

    public static Evaluation evaluate(SubAccount a, Marks marks, Level stored) {
        if (!a.markable(marks)) {
            throw new IllegalArgumentException("sub-account " + a.id() + " lacks a mark it needs");
        }
        MarginKernel.Result k = MarginKernel.evaluate(a, marks, stored);
        BigDecimal q = a.equity(marks);
        BigDecimal mm = a.maintenance(marks);
        LevelBands bands = a.bands();
        boolean nothingToLiquidate = mm.signum() == 0;
        Double ratio = nothingToLiquidate ? null : q.divide(mm, MathContext.DECIMAL64).doubleValue();
        BigDecimal required = nothingToLiquidate ? ZERO_CENTS : deposit(bands.episodeCureTarget(), q, mm);
        BigDecimal minimum = nothingToLiquidate ? ZERO_CENTS : deposit(bands.callCureTarget(), q, mm);
        BigDecimal reduce = reduceFraction(a, marks, q, mm, bands.episodeCureTarget());
        List<PositionFigures> positions = new ArrayList<>(a.positionCount());
        double liquidation = bands.rawD[3];
        double warning = bands.rawD[0];
        for (int i = 0; i < a.positionCount(); i++) {
            positions.add(new PositionFigures(a.symbol[i], a.sizeX[i], marks.exact(a.slot(i)),
                    price(solvePrice(a, marks, i, liquidation)), price(solvePrice(a, marks, i, warning))));
        }
        return new Evaluation(a.id(), a.accountId(), a.isolatedInstrument(), q, mm, ratio, k.rawLevel(), stored,
                k.level(), required, minimum, reduce, List.copyOf(positions));
    }

    /** {@code max(0, target * MM - Q)} rounded up to the cent. */
    static BigDecimal deposit(BigDecimal target, BigDecimal q, BigDecimal mm) {
        BigDecimal gap = target.multiply(mm).subtract(q);
        return gap.signum() <= 0 ? ZERO_CENTS : gap.setScale(2, RoundingMode.CEILING);
    }

    /**
     * Smallest {@code f} on the 1e-4 grid with {@code Q >= target * MM(sizes * (1 - f))} (SPEC §4).
     * The crossing is located in double on the piecewise-linear {@code MM(s)}; the grid point is
     * then confirmed (and moved if need be) with exact arithmetic, so the result is exact.
     */
    static BigDecimal reduceFraction(SubAccount a, Marks marks, BigDecimal q, BigDecimal mm, BigDecimal target) {
        if (mm.signum() == 0) {
            return ZERO_FRACTION;
        }
        if (q.signum() <= 0) {
            return ONE_FRACTION;
        }
        if (q.compareTo(target.multiply(mm)) >= 0) {
            return ZERO_FRACTION;
        }
        double f = 1 - crossingScale(a, marks, q.doubleValue(), target.doubleValue());
        int k = (int) Math.min(10_000, Math.max(0, Math.ceil(f * 10_000)));
        while (!curesAt(a, marks, q, target, k)) {
            k++;
        }
        while (k > 0 && curesAt(a, marks, q, target, k - 1)) {
            k--;
        }
        return BigDecimal.valueOf(k, 4);
    }

    private static boolean curesAt(SubAccount a, Marks marks, BigDecimal q, BigDecimal target, int tenThousandths) {
        if (tenThousandths >= 10_000) {
            return true; // everything closed: MM = 0 < Q
        }
        BigDecimal scale = BigDecimal.ONE.subtract(BigDecimal.valueOf(tenThousandths).divide(TEN_THOUSAND));
        return q.compareTo(target.multiply(a.maintenance(marks, scale))) >= 0;
    }

    /** Largest {@code s} in [0, 1] with {@code target * MM(s) <= q}, in double. */
    private static double crossingScale(SubAccount a, Marks marks, double q, double target) {
        List<Double> cuts = new ArrayList<>();
        cuts.add(0.0);
        cuts.add(1.0);
        for (int i = 0; i < a.positionCount(); i++) {
            double n = a.absSize(i) * marks.price(a.slot(i));
            TierTable t = marks.catalog().tiers(a.slot(i));
            for (int k = 1; k < t.size() && n > 0; k++) {
                double s = t.floorD(k) / n;
                if (s > 0 && s < 1) {
                    cuts.add(s);
                }
            }
        }
        double[] s = cuts.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        double prevS = 0;
        double prevG = -q;
        for (int j = 1; j < s.length; j++) {
            double g = target * scaledMaintenance(a, marks, s[j]) - q;
            if (g > 0) {
                return prevS + (-prevG) * (s[j] - prevS) / (g - prevG);
            }
            prevS = s[j];
            prevG = g;
        }
        return 1.0;
    }

    private static double scaledMaintenance(SubAccount a, Marks marks, double scale) {
        double mm = 0;
        for (int i = 0; i < a.positionCount(); i++) {
            mm += marks.catalog().tiers(a.slot(i)).maintenanceD(a.absSize(i) * scale * marks.price(a.slot(i)));
        }
        return mm;
    }

    /**
     * Mark of position {@code i}'s instrument, every other mark fixed, at which {@code Q = t * MM}
     * (SPEC §4). Equity and requirement are linear in that mark within each bracket, so each
     * bracket yields at most one root; the root nearest the current mark wins (ties: the lower).
     * Returns NaN when no positive price solves it.
     */
    static double solvePrice(SubAccount a, Marks marks, int i, double t) {
        int slot = a.slot(i);
        double mark = marks.price(slot);
        // Q(M) = base + slope * M, gathering every term that moves with this instrument's mark.
        double slope = a.size(i);
        double base = a.quoteCollateral() - a.size(i) * a.entry(i);
        for (int j = 0; j < a.priced; j++) {
            if (a.collSlot(j) == slot) {
                slope += a.collWeight(j);
            } else {
                base += a.collWeight(j) * marks.price(a.collSlot(j));
            }
        }
        double otherMM = 0;
        for (int p = 0; p < a.positionCount(); p++) {
            if (p != i) {
                base += a.size(p) * (marks.price(a.slot(p)) - a.entry(p));
                otherMM += marks.catalog().tiers(a.slot(p)).maintenanceD(a.absSize(p) * marks.price(a.slot(p)));
            }
        }
        TierTable tiers = marks.catalog().tiers(slot);
        double abs = a.absSize(i);
        double best = Double.NaN;
        for (int k = 0; k < tiers.size(); k++) {
            // base + slope*M = t*(otherMM + abs*rate*M - cum)
            double den = slope - t * abs * tiers.rateD(k);
            double num = t * (otherMM - tiers.cumD(k)) - base;
            double lo = abs == 0 ? 0 : tiers.floorD(k) / abs;
            double hi = abs == 0 ? Double.POSITIVE_INFINITY : tiers.capD(k) / abs;
            boolean lastBounded = k == tiers.size() - 1 && Double.isFinite(tiers.capD(k));
            double root;
            if (den == 0) {
                if (num != 0) {
                    continue;
                }
                root = Math.min(Math.max(mark, lo), hi); // the whole bracket solves it
            } else {
                root = num / den;
            }
            if (!(root > 0)) {
                continue;
            }
            double n = abs * root;
            boolean inBracket = abs == 0
                    ? k == 0
                    : n >= tiers.floorD(k) * (1 - BRACKET_SLACK)
                    && (lastBounded ? n < tiers.capD(k) : n < tiers.capD(k) * (1 + BRACKET_SLACK));
            if (!inBracket) {
                continue;
            }
            if (Double.isNaN(best) || Math.abs(root - mark) < Math.abs(best - mark)
                    || (Math.abs(root - mark) == Math.abs(best - mark) && root < best)) {
                best = root;
            }
        }
        return best;
    }

    private static BigDecimal price(double p) {
        return Double.isNaN(p) ? null : BigDecimal.valueOf(p).setScale(8, RoundingMode.HALF_UP);
    }

    /** Figures of every sub-account of an account, cross first; stored levels by sub-account id. */
    public static List<Evaluation> evaluateAll(List<SubAccount> subs, Marks marks, Function<String, Level> stored) {
        List<Evaluation> out = new ArrayList<>(subs.size());
        for (SubAccount s : subs) {
            Level l = stored.apply(s.id());
            out.add(evaluate(s, marks, l == null ? Level.HEALTHY : l));
        }
        return out;
    }
}
