package org.margincall.engine.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.math.BigDecimal;
import org.junit.jupiter.api.Test;

/**
 * SPEC §4 realised variance: the edge rules, with every expected figure worked out by hand
 * (ln 1.01 = 0.009950330853168083, (ln 1.01)² = 9.900908408750867e-5, 50-digit values).
 */
class RealisedVarianceTest {
    private static final double LN_1_01 = 0.009950330853168083;
    private static final double LN_1_01_SQUARED = 9.900908408750867e-5;

    private static BigDecimal d(String text) {
        return new BigDecimal(text);
    }

    @Test
    void theFirstMarkOnlySetsThePreviousMark() {
        RealisedVariance v = RealisedVariance.EMPTY.next(d("100"), 1_000, 1800);
        assertThat(v.s()).isZero();
        assertThat(v.t()).isZero();
        assertThat(v.n()).isZero();
        assertThat(v.lastMark()).isEqualByComparingTo("100");
        assertThat(v.lastTimestampMillis()).isEqualTo(1_000);
        assertThat(v.sigma()).isEmpty();
    }

    /**
     * H = 60 s. 100 at 0 s, 101 at 60 s, 100 at 120 s.
     * Step 1 (Δ = 60, d = 2^−1 = ½): S = ½·0 + (ln 1.01)², T = ½·0 + 60 = 60.
     * Step 2 (Δ = 60, d = ½, r = ln(100/101) = −ln 1.01): S = ½·(ln 1.01)² + (ln 1.01)² = 1.5·(ln 1.01)²
     * = 1.4851362613126300e-4, T = ½·60 + 60 = 90.
     */
    @Test
    void oneHalfLifeHalvesTheSumsBeforeTheNewReturnIsAdded() {
        RealisedVariance v = RealisedVariance.EMPTY.next(d("100"), 0, 60).next(d("101"), 60_000, 60);
        assertThat(v.s()).isCloseTo(LN_1_01_SQUARED, within(1e-19));
        assertThat(v.t()).isEqualTo(60.0);
        assertThat(v.n()).isEqualTo(1);

        RealisedVariance w = v.next(d("100"), 120_000, 60);
        assertThat(w.s()).isCloseTo(1.4851362613126300e-4, within(1e-19));
        assertThat(w.t()).isEqualTo(90.0);
        assertThat(w.n()).isEqualTo(2);
        assertThat(w.lastMark()).isEqualByComparingTo("100");
        assertThat(v.n()).as("the previous value is unchanged").isEqualTo(1);
    }

    /** H = 1800 s, Δ = 250 ms: d = 2^(−0.25/1800) = 0.99990373419210584; S = d·S + r², T = d·T + 0.25. */
    @Test
    void aSubSecondStepDecaysByTheMillisecond() {
        RealisedVariance v = new RealisedVariance(2e-6, 100, 30, d("101"), 5_000);
        RealisedVariance w = v.next(d("101"), 5_250, 1800);
        double dd = 0.99990373419210584;
        assertThat(w.s()).as("an unchanged price adds r = 0").isCloseTo(dd * 2e-6, within(1e-21));
        assertThat(w.t()).isCloseTo(dd * 100 + 0.25, within(1e-12));
        assertThat(w.n()).as("an unchanged price counts as a return").isEqualTo(31);
    }

    /**
     * Same millisecond (Δ = 0, an accepted price with a higher feed sequence): d = 2^0 = 1, so S gains r²,
     * T is unchanged, n counts it. 100 at 0, 101 at 60 s, 99 at 60 s, H = 60:
     * S = (ln 1.01)² + (ln(99/101))² = 9.900908408750867e-5 + 4.0002666782e-4 = 4.9903575279878741e-4, T = 60.
     */
    @Test
    void anEqualTimestampAddsTheReturnButNoTime() {
        RealisedVariance v = RealisedVariance.EMPTY.next(d("100"), 0, 60).next(d("101"), 60_000, 60)
                .next(d("99"), 60_000, 60);
        assertThat(v.s()).isCloseTo(4.9903575279878741e-4, within(1e-18));
        assertThat(v.t()).isEqualTo(60.0);
        assertThat(v.n()).isEqualTo(2);
    }

    /**
     * Alternating 100, 101, 100, … every 4 s: every |r| = ln 1.01 and every Δ = 4, so whatever the decay
     * S/T = (ln 1.01)²/4 and σ = ln 1.01 / 2 = 0.004975165426584041 per √second — once there are 20 returns.
     */
    @Test
    void sigmaIsUnknownUnderTwentyReturnsAndKnownAtTwenty() {
        RealisedVariance v = RealisedVariance.EMPTY;
        for (int i = 0; i <= 19; i++) {
            v = v.next(i % 2 == 0 ? d("100") : d("101"), i * 4_000L, 30);
        }
        assertThat(v.n()).isEqualTo(19);
        assertThat(v.s()).isPositive();
        assertThat(v.sigma()).as("19 returns").isEmpty();

        v = v.next(d("100"), 20 * 4_000L, 30);
        assertThat(v.n()).isEqualTo(20);
        assertThat(v.sigma()).isPresent();
        assertThat(v.sigma().getAsDouble()).isCloseTo(LN_1_01 / 2, within(1e-17));
        assertThat(v.sigma().getAsDouble()).isCloseTo(0.004975165426584041, within(1e-17));
    }

    @Test
    void allEqualPricesLeaveSigmaUnknown() {
        RealisedVariance v = RealisedVariance.EMPTY;
        for (int i = 0; i < 30; i++) {
            v = v.next(d("64000.5"), i * 1_000L, 1800);
        }
        assertThat(v.n()).isEqualTo(29);
        assertThat(v.s()).isZero();
        assertThat(v.t()).isPositive();
        assertThat(v.sigma()).as("S = 0").isEmpty();
    }

    @Test
    void noElapsedTimeLeavesSigmaUnknown() {
        RealisedVariance v = RealisedVariance.EMPTY;
        for (int i = 0; i <= 20; i++) {
            v = v.next(i % 2 == 0 ? d("100") : d("101"), 7_000, 1800);
        }
        assertThat(v.n()).isEqualTo(20);
        assertThat(v.s()).isPositive();
        assertThat(v.t()).isZero();
        assertThat(v.sigma()).as("T = 0: S/T has no value").isEmpty();
    }

    @Test
    void rejectsWhatNoAcceptedMarkCanBe() {
        RealisedVariance v = RealisedVariance.EMPTY.next(d("100"), 10_000, 1800);
        assertThatThrownBy(() -> v.next(d("101"), 9_999, 1800)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("older");
        assertThatThrownBy(() -> v.next(d("0"), 11_000, 1800)).hasMessageContaining("mark = 0");
        assertThatThrownBy(() -> v.next(d("101"), 11_000, 0)).hasMessageContaining("halfLifeSeconds");
        assertThatThrownBy(() -> new RealisedVariance(1e-6, 1, 1, null, 0)).hasMessageContaining("EMPTY");
        assertThat(v.lastTimestampMillis()).isEqualTo(10_000);
    }

    @Test
    void aMarkFallingBelowATenQuadrillionthOfThePreviousStaysFinite() {
        // 40000 → 1e-18 (both valid decimal strings): the change rounds to −1 in a double and
        // log1p(−1) is −∞; before the fix the price event threw IllegalArgumentException.
        RealisedVariance v = RealisedVariance.EMPTY.next(d("40000"), 10_000, 1800)
                .next(d("0.000000000000000001"), 10_010, 1800);
        double r = Math.log(1e-18 / 40000);
        assertThat(v.s()).isCloseTo(r * r, org.assertj.core.data.Percentage.withPercentage(1e-9));
        RealisedVariance back = v.next(d("999999999999999999.999999999999999999"), 10_020, 1800);
        assertThat(back.s()).isFinite().isGreaterThan(v.s());
    }
}
