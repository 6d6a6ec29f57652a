package org.margincall.engine.domain;

import java.math.BigDecimal;
import java.util.function.Function;

/**
 * The SPEC §4 liquidation-risk figures of a position line, from the snapshot's realised
 * variances: {@code sigmasToLiquidation}, {@code liquidationProbability1h}, {@code …24h}.
 */
final class LiquidationRiskFigures {
    private LiquidationRiskFigures() {
    }

    /** Figures per position; nulls while the liquidation price or the instrument's volatility is unknown. */
    static Function<PositionFigures, Double[]> of(VenueSnapshot snap) {
        return p -> {
            RealisedVariance v = snap.variances().get(p.instrument());
            // a solution below the 8-decimal price resolution shows as 0.00000000: no log distance, unknown
            BigDecimal l = p.liquidationPrice() == null || p.liquidationPrice().signum() <= 0 ? null : p.liquidationPrice();
            LiquidationRisk.Figures f = LiquidationRisk.of(l, p.markPrice(),
                    v == null ? java.util.OptionalDouble.empty() : v.sigma());
            return new Double[]{f.sigmasToLiquidation(), f.liquidationProbability1h(), f.liquidationProbability24h()};
        };
    }
}
