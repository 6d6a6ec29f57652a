package org.margincall.engine.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.math.BigDecimal;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;

/** SPEC §4 liquidation risk: edge rules and Φ, against values worked out by hand or to 30+ digits (mpmath). */
class LiquidationRiskTest {
    private static final double LN_2 = 0.6931471805599453;

    private static BigDecimal d(String text) {
        return new BigDecimal(text);
    }

    @Test
    void atTheLiquidationPriceItIsZeroSigmasAndCertain() {
        LiquidationRisk.Figures f = LiquidationRisk.of(d("148.006"), d("148.0060"), OptionalDouble.of(3.2e-4));
        assertThat(f).isEqualTo(new LiquidationRisk.Figures(0.0, 1.0, 1.0));
    }

    @Test
    void anUnknownLiquidationPriceOrSigmaGivesNulls() {
        assertThat(LiquidationRisk.of(null, d("100"), OptionalDouble.of(1e-3))).isEqualTo(LiquidationRisk.Figures.UNKNOWN);
        assertThat(LiquidationRisk.of(d("90"), d("100"), OptionalDouble.empty())).isEqualTo(LiquidationRisk.Figures.UNKNOWN);
        assertThat(LiquidationRisk.Figures.UNKNOWN.sigmasToLiquidation()).isNull();
        assertThat(LiquidationRisk.Figures.UNKNOWN.liquidationProbability1h()).isNull();
        assertThat(LiquidationRisk.Figures.UNKNOWN.liquidationProbability24h()).isNull();
        assertThat(LiquidationRisk.sigmasToLiquidation(null, d("100"), OptionalDouble.of(1e-3))).isNull();
        assertThat(LiquidationRisk.probabilityOfTouch(d("90"), d("100"), OptionalDouble.empty(), 3600)).isNull();
    }

    /**
     * L = 50, M = 100: |ln(L/M)| = ln 2. With σ = ln 2 / 60 per √s the one-hour deviation σ·√3600 is ln 2, so
     * sigmasToLiquidation = 1; p1h = 2Φ(−1) = 0.31731050786291410 → 0.3173;
     * p24h = 2Φ(−1/√24) = 2Φ(−0.20412414523193151) = 0.83825648638582628 → 0.8383.
     * L = 200 is as far above: the same figures.
     */
    @Test
    void oneHourSigmaAwayByHand() {
        OptionalDouble sigma = OptionalDouble.of(LN_2 / 60);
        LiquidationRisk.Figures below = LiquidationRisk.of(d("50"), d("100"), sigma);
        assertThat(below).isEqualTo(new LiquidationRisk.Figures(1.0, 0.3173, 0.8383));
        assertThat(LiquidationRisk.of(d("200"), d("100"), sigma)).isEqualTo(below);
        assertThat(LiquidationRisk.probabilityRaw(d("50"), d("100"), LN_2 / 60, 3600))
                .isCloseTo(0.31731050786291410, within(2e-16));
        assertThat(LiquidationRisk.probabilityRaw(d("50"), d("100"), LN_2 / 60, 86400))
                .isCloseTo(0.83825648638582628, within(2e-16));
    }

    @Test
    void farAwayTheProbabilitiesRoundToZero() {
        // 47 one-hour deviations: 2Φ(−47) ≈ 1e-482 underflows; 24h: 2Φ(−47/√24) = 2Φ(−9.594) ≈ 8.5e-22
        OptionalDouble sigma = OptionalDouble.of(LN_2 / 60 / 47);
        assertThat(LiquidationRisk.of(d("50"), d("100"), sigma)).isEqualTo(new LiquidationRisk.Figures(47.0, 0.0, 0.0));
    }

    /** Φ(−z) against 30-digit references: relative 5e-15 to z = 5, 2e-14 to z = 10, 3e-13 to the subnormal edge. */
    @Test
    void phiIsAccurateIntoTheDeepTail() {
        double[][] reference = {
            {0, 0.5},
            {0.5, 0.3085375387259868963622954},
            {1, 0.1586552539314570514147675},
            {1.5, 0.06680720126885806600449404},
            {2, 0.02275013194817920720028264},
            {3, 0.001349898031630094526651815},
            {4, 3.167124183311992125377076e-5},
            {5, 2.866515718791939116737523e-7},
            {6, 9.865876450376981407008641e-10},
            {8, 6.220960574271784123515995e-16},
            {10, 7.619853024160526065973343e-24},
            {15, 3.67096619931275088578609e-51},
            {20, 2.753624118606233695075623e-89},
            {25, 3.056696706382560916402749e-138},
            {30, 4.906713927148187059533809e-198},
            {35, 1.124910706472406243979243e-268},
            {37, 5.725571222524576822683193e-300},
        };
        for (double[] r : reference) {
            double z = r[0];
            double tolerance = z <= 5 ? 5e-15 : z <= 10 ? 2e-14 : 3e-13;
            assertThat(LiquidationRisk.standardNormalCdf(-z)).as("Φ(−%s)", z).isCloseTo(r[1], within(r[1] * tolerance));
            assertThat(LiquidationRisk.standardNormalCdf(z)).as("Φ(%s)", z).isCloseTo(1 - r[1], within(1e-16));
        }
        assertThat(LiquidationRisk.standardNormalCdf(-40)).isZero();
    }

    /** Rounding is half-even on the double's exact value: 0.03125 and 0.09375 are exact binary ties. */
    @Test
    void roundsHalfEvenToFourDecimals() {
        assertThat(LiquidationRisk.round(0.03125)).isEqualTo(0.0312);
        assertThat(LiquidationRisk.round(0.09375)).isEqualTo(0.0938);
        assertThat(LiquidationRisk.round(0.12345)).as("0.12345 is 0.1234500000000000041… as a double").isEqualTo(0.1235);
        assertThat(LiquidationRisk.round(0.99995)).as("0.99995 is 0.9999500000000000055… as a double").isEqualTo(1.0);
        assertThat(LiquidationRisk.round(Math.nextDown(0.03125))).isEqualTo(0.0312);
        assertThat(LiquidationRisk.round(Math.nextUp(0.03125))).isEqualTo(0.0313);
    }

    @Test
    void rejectsPricesNoPositionHas() {
        assertThatThrownBy(() -> LiquidationRisk.of(d("0"), d("100"), OptionalDouble.of(1e-3)))
                .hasMessageContaining("liquidationPrice = 0");
        assertThatThrownBy(() -> LiquidationRisk.of(d("90"), d("-1"), OptionalDouble.of(1e-3)))
                .hasMessageContaining("mark = -1");
    }
}
