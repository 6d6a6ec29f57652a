package org.margincall.engine.domain;

/**
 * SPEC §4 realised variance of one instrument (placeholder until the liquidation-risk module lands):
 * {@code S ← d·S + r²}, {@code T ← d·T + Δ}, {@code n ← n + 1} with {@code d = 2^(−Δ/H)}.
 */
public record RealisedVariance(double s, double t, long n) {
    public static final RealisedVariance ZERO = new RealisedVariance(0, 0, 0);

    /** The state after a mark {@code mark} at {@code atMillis} following {@code previous} at {@code previousAtMillis}. */
    public RealisedVariance next(double previous, long previousAtMillis, double mark, long atMillis, long halfLifeSeconds) {
        double r = Math.log(mark / previous);
        double delta = (atMillis - previousAtMillis) / 1000.0;
        double d = Math.pow(2, -delta / halfLifeSeconds);
        return new RealisedVariance(d * s + r * r, d * t + delta, n + 1);
    }
}
