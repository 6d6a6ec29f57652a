package org.margincall.engine.domain;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;

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
    private static final BigDecimal BOUNDARY_SLACK = new BigDecimal("1e-20");

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
        BigDecimal liquidation = bands.raw[3];
        BigDecimal warning = bands.raw[0];
        for (int i = 0; i < a.positionCount(); i++) {
            positions.add(new PositionFigures(a.symbol[i], a.sizeX[i], marks.exact(a.slot(i)),
                    solvePrice(a, marks, i, liquidation), solvePrice(a, marks, i, warning)));
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
     * Solved in decimal arithmetic: near a root, equity is a small difference of large terms,
     * which double cannot resolve to the 1e-8 the ratio must meet there. Returns null when no
     * positive price solves it.
     */
    static BigDecimal solvePrice(SubAccount a, Marks marks, int i, BigDecimal t) {
        BigDecimal root = solveRoot(a, marks, i, t);
        return root == null ? null : root.setScale(8, RoundingMode.HALF_UP);
    }

    /** The unrounded root behind {@link #solvePrice} (34 significant digits). */
    static BigDecimal solveRoot(SubAccount a, Marks marks, int i, BigDecimal t) {
        int slot = a.slot(i);
        BigDecimal mark = marks.exact(slot);
        // Q(M) = base + slope * M, gathering every term that moves with this instrument's mark.
        BigDecimal slope = a.sizeX[i];
        BigDecimal base = a.quoteCollateralX.subtract(a.sizeX[i].multiply(a.entryX[i]));
        for (int j = 0; j < a.priced; j++) {
            if (a.collSlot(j) == slot) {
                slope = slope.add(a.collWeightX[j]);
            } else {
                base = base.add(a.collWeightX[j].multiply(marks.exact(a.collSlot(j))));
            }
        }
        BigDecimal otherMM = BigDecimal.ZERO;
        Catalog catalog = marks.catalog();
        for (int p = 0; p < a.positionCount(); p++) {
            if (p != i) {
                BigDecimal m = marks.exact(a.slot(p));
                base = base.add(a.sizeX[p].multiply(m.subtract(a.entryX[p])));
                otherMM = otherMM.add(catalog.tiers(a.slot(p)).maintenance(a.symbol[p], a.sizeX[p].abs().multiply(m)));
            }
        }
        TierTable tiers = catalog.tiers(slot);
        BigDecimal abs = a.sizeX[i].abs();
        BigDecimal best = null;
        for (int k = 0; k < tiers.size(); k++) {
            // base + slope*M = t*(otherMM + abs*rate*M - cum)
            BigDecimal den = slope.subtract(t.multiply(abs).multiply(tiers.rate(k)));
            BigDecimal num = t.multiply(otherMM.subtract(tiers.cum(k))).subtract(base);
            BigDecimal root;
            if (den.signum() == 0) {
                if (num.signum() != 0) {
                    continue;
                }
                root = mark; // the whole bracket solves it; the mark itself if it lies there
            } else {
                root = num.divide(den, MathContext.DECIMAL128);
            }
            if (root.signum() <= 0 || !inBracket(tiers, k, abs.multiply(root))) {
                continue;
            }
            int closer = best == null ? -1 : root.subtract(mark).abs().compareTo(best.subtract(mark).abs());
            if (closer < 0 || (closer == 0 && root.compareTo(best) < 0)) {
                best = root;
            }
        }
        return best;
    }

    /**
     * Whether a notional lies in bracket k. Internal boundaries get a slack far below any price
     * digit, since a root on a boundary solves both neighbouring brackets and division rounding
     * must not reject it from both; a bounded last cap is strict (SPEC §4 discards those roots).
     */
    private static boolean inBracket(TierTable tiers, int k, BigDecimal notional) {
        BigDecimal slack = notional.abs().multiply(BOUNDARY_SLACK);
        if (notional.compareTo(tiers.floor(k).subtract(slack)) < 0) {
            return false;
        }
        BigDecimal cap = tiers.cap(k);
        if (cap == null) {
            return true;
        }
        boolean last = k == tiers.size() - 1;
        return last ? notional.compareTo(cap) < 0 : notional.compareTo(cap.add(slack)) < 0;
    }
}
