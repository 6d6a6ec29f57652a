package org.margincall.engine.domain;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.OptionalDouble;

/**
 * The realised variance of one instrument's mark with a half-life (SPEC §4 "Liquidation risk"):
 * the state from which its volatility {@code σ} is read. Immutable; {@link #next} returns the state
 * after one more accepted mark in O(1), so the caller keeps one value per instrument and replaces it.
 *
 * <p>On each accepted mark {@code M_i} at {@code t_i} after {@code M_{i−1}} at {@code t_{i−1}}:
 * <pre>
 *   r = ln(M_i / M_{i−1})            log return, dimensionless
 *   Δ = t_i − t_{i−1}                seconds, from epoch milliseconds (SPEC §1 truncation)
 *   d = 2^(−Δ/H)                     H = venue volatilityHalfLifeSeconds (default 1800)
 *   S ← d·S + r²                     decayed sum of squared returns, dimensionless
 *   T ← d·T + Δ                      decayed sum of elapsed time, seconds
 *   n ← n + 1                        returns counted, unchanged prices included (r = 0)
 * </pre>
 * All start at 0 ({@link #EMPTY}); the first mark only becomes the previous mark. The volatility is
 * {@code σ = √(S/T)} per √second, not rounded, known once {@code n ≥ 20} and {@code S > 0}.
 *
 * <p>Edge rules, taken literally from the SPEC formula:
 * <ul>
 *   <li>An unchanged price is a return of 0: {@code n} counts it, {@code S} and {@code T} decay and
 *       {@code T} grows by {@code Δ}. Twenty unchanged prices leave {@code S = 0}: {@code σ} unknown.
 *   <li>A mark with the same millisecond as the previous one (an accepted price with an equal
 *       timestamp and a higher feed sequence, see {@link PriceStamp}) has {@code Δ = 0}, so
 *       {@code d = 1}: {@code S} grows by {@code r²}, {@code T} is unchanged and {@code n} counts it.
 *       A changed price in the same millisecond therefore raises {@code σ}, as the formula says.
 *   <li>If {@code T} is still 0 (every mark so far in one millisecond) {@code S/T} has no value and
 *       {@code σ} is unknown, although the SPEC names only {@code n} and {@code S}.
 *   <li>A mark older than the previous one is never passed: the caller feeds only accepted marks
 *       ({@link PriceStamp#isNewerThan}); {@link #next} rejects one as a programming error.
 * </ul>
 *
 * <p>Persisting it: the five components are the whole state ({@code lastMark} a decimal, as every
 * price crosses a boundary, SPEC §1).
 *
 * @param s decayed sum of squared log returns {@code S} (dimensionless, ≥ 0)
 * @param t decayed sum of the returns' durations {@code T}, seconds (≥ 0)
 * @param n number of returns folded in so far (≥ 0)
 * @param lastMark the previous accepted mark, quote per base unit; null before the first mark
 * @param lastTimestampMillis the previous mark's timestamp, epoch milliseconds (0 before the first)
 */
public record RealisedVariance(double s, double t, long n, BigDecimal lastMark, long lastTimestampMillis) {

    /** Returns needed before {@code σ} is known (SPEC §4). */
    public static final int MIN_RETURNS = 20;

    /** No mark seen yet: {@code S = T = n = 0}. */
    public static final RealisedVariance EMPTY = new RealisedVariance(0, 0, 0, null, 0);

    private static final MathContext RATIO = MathContext.DECIMAL128;

    public RealisedVariance {
        if (!(s >= 0) || Double.isInfinite(s)) {
            throw new IllegalArgumentException("RealisedVariance.s = " + s + ": must be finite and >= 0");
        }
        if (!(t >= 0) || Double.isInfinite(t)) {
            throw new IllegalArgumentException("RealisedVariance.t = " + t + ": must be finite and >= 0");
        }
        if (n < 0) {
            throw new IllegalArgumentException("RealisedVariance.n = " + n + ": must be >= 0");
        }
        if (lastMark != null && lastMark.signum() <= 0) {
            throw new IllegalArgumentException("RealisedVariance.lastMark = " + lastMark.toPlainString() + ": must be positive");
        }
        if (lastMark == null && (s != 0 || t != 0 || n != 0)) {
            throw new IllegalArgumentException("RealisedVariance without a last mark must be EMPTY, got s=" + s
                    + ", t=" + t + ", n=" + n);
        }
    }

    /**
     * The state after one more accepted mark (SPEC §4). O(1): one decimal division, a {@code log1p}
     * and a {@code pow}.
     *
     * @param mark the accepted mark price {@code M_i}, quote per base unit, positive
     * @param timestampMillis its timestamp {@code t_i}, epoch milliseconds (as in {@link PriceStamp#timestampMillis()}),
     *                        not before the previous mark's
     * @param halfLifeSeconds the venue's {@code volatilityHalfLifeSeconds} {@code H}, positive
     * @return the new state; this one is unchanged
     * @throws IllegalArgumentException on a non-positive mark or half-life, or a mark older than the previous one
     */
    public RealisedVariance next(BigDecimal mark, long timestampMillis, double halfLifeSeconds) {
        if (mark == null || mark.signum() <= 0) {
            throw new IllegalArgumentException("mark = " + (mark == null ? null : mark.toPlainString()) + ": must be positive");
        }
        if (!(halfLifeSeconds > 0) || Double.isInfinite(halfLifeSeconds)) {
            throw new IllegalArgumentException("halfLifeSeconds = " + halfLifeSeconds + ": must be positive and finite");
        }
        if (lastMark == null) {
            return new RealisedVariance(0, 0, 0, mark, timestampMillis);
        }
        if (timestampMillis < lastTimestampMillis) {
            throw new IllegalArgumentException("mark at " + timestampMillis + " ms is older than the previous one at "
                    + lastTimestampMillis + " ms: pass only accepted marks, in order");
        }
        // ln(M_i / M_{i-1}) as log1p of the exact decimal change: no cancellation for small returns,
        // and exactly 0 for an unchanged price.
        double r = Math.log1p(mark.subtract(lastMark).divide(lastMark, RATIO).doubleValue());
        if (Double.isInfinite(r)) {
            // a fall below ~1e-16 of the previous mark rounds the change to -1 in a double:
            // take ln of the ratio itself (decimal strings bound it to [1e-36, 1e36], finite)
            r = Math.log(mark.divide(lastMark, RATIO).doubleValue());
        }
        double delta = (timestampMillis - lastTimestampMillis) / 1000.0;
        double d = Math.pow(2.0, -delta / halfLifeSeconds);
        return new RealisedVariance(d * s + r * r, d * t + delta, n + 1, mark, timestampMillis);
    }

    /**
     * The volatility {@code σ = √(S/T)}, per √second, not rounded (SPEC §4).
     *
     * @return {@code σ}, or empty while unknown: fewer than {@link #MIN_RETURNS} returns, {@code S = 0}
     *         (no price change in the window) or {@code T = 0}
     */
    public OptionalDouble sigma() {
        if (n < MIN_RETURNS || !(s > 0) || !(t > 0)) {
            return OptionalDouble.empty();
        }
        return OptionalDouble.of(Math.sqrt(s / t));
    }
}
