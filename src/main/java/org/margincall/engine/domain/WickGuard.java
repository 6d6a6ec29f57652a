package org.margincall.engine.domain;

import java.math.BigDecimal;
import java.time.Instant;

/**
 * A venue's guard against one-tick oracle glitches (SPEC §3.5). A mark is suspect when the event's
 * index refutes it ({@code |mark/index − 1| > maxMarkIndexDeviation}; with an index this rule alone
 * decides), or, without an index, when it moved more than {@code maxTickMove} from the previous
 * stored mark at most {@code windowSeconds} earlier. An evaluation whose marks include a suspect
 * mark younger than {@code holdSeconds} cannot move a level to {@code LIQUIDATION}.
 *
 * @param maxTickMove largest relative move from the previous mark that is not suspect (0.05 = 5 %)
 * @param maxMarkIndexDeviation largest relative distance of mark from index that is not suspect
 * @param windowSeconds how far back the previous mark may lie for the move rule
 * @param holdSeconds how long a suspect mark holds hand-offs
 */
public record WickGuard(BigDecimal maxTickMove, BigDecimal maxMarkIndexDeviation, long windowSeconds, long holdSeconds) {
    /** SPEC §3.5 defaults, for a {@code wickGuard} object that leaves fields out. */
    public static final WickGuard DEFAULTS = new WickGuard(new BigDecimal("0.05"), new BigDecimal("0.03"), 60, 30);

    public WickGuard {
        Decimals.positive("venue.wickGuard.maxTickMove", maxTickMove);
        Decimals.positive("venue.wickGuard.maxMarkIndexDeviation", maxMarkIndexDeviation);
        if (windowSeconds < 0) {
            throw new InvalidInputException("venue.wickGuard.windowSeconds", windowSeconds, "must not be negative");
        }
        if (holdSeconds < 0) {
            throw new InvalidInputException("venue.wickGuard.holdSeconds", holdSeconds, "must not be negative");
        }
    }

    /**
     * Decides once, on arrival, whether a mark is suspect (exact decimal comparison).
     *
     * @param mark the new mark, quote currency
     * @param index the event's index price, or null
     * @param previous the instrument's previous stored mark (suspect or not), or null
     * @param previousAt that mark's timestamp, or null
     * @param at the new mark's timestamp
     */
    public boolean isSuspect(BigDecimal mark, BigDecimal index, BigDecimal previous, Instant previousAt, Instant at) {
        if (index != null) {
            return deviatesMoreThan(mark, index, maxMarkIndexDeviation);
        }
        if (previous == null || previousAt == null || previousAt.isBefore(at.minusSeconds(windowSeconds))) {
            return false;
        }
        return deviatesMoreThan(mark, previous, maxTickMove);
    }

    /**
     * {@code |a/b − 1| > bound}, decided exactly as {@code |a − b| > bound · b} (b > 0): no quotient is
     * rounded, so a deviation above the bound by less than a 34-digit rounding step still counts.
     */
    private static boolean deviatesMoreThan(BigDecimal a, BigDecimal b, BigDecimal bound) {
        return a.subtract(b).abs().compareTo(bound.multiply(b)) > 0;
    }

    /** Whether a suspect mark stamped {@code markAt} still holds an evaluation at {@code t} (after {@code t − hold}). */
    public boolean holds(Instant markAt, Instant t) {
        return markAt.isAfter(t.minusSeconds(holdSeconds));
    }
}
