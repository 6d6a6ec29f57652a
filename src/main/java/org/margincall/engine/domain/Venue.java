package org.margincall.engine.domain;

import java.math.BigDecimal;

/**
 * A venue (tenant) and its policy: thresholds, hysteresis band and escalation timings (SPEC §3).
 *
 * @param hysteresis band {@code h} as a fraction (0.02 = 2 %)
 * @param gracePeriodSeconds seconds from a call's opening to the final notice check
 * @param finalNoticeSeconds seconds from the grace deadline to the hand-off check
 * @param reminderSeconds seconds between reminders while a call is open
 * @param stalePriceSeconds age after which an instrument's last price counts as stale (SPEC §5.3)
 * @param wickGuard the suspect-price guard (SPEC §3.5), or null for none
 * @param handoffsHeld the operations switch holding every hand-off of the venue (SPEC §3.5)
 * @param maxPendingCreditSeconds the longest a deposit in flight may postpone a clock step (SPEC §3.6)
 * @param volatilityHalfLifeSeconds half-life of the realised variance (SPEC §4 liquidation risk)
 */
public record Venue(String id, Thresholds thresholds, BigDecimal hysteresis, long gracePeriodSeconds,
                    long finalNoticeSeconds, long reminderSeconds, long stalePriceSeconds, WickGuard wickGuard,
                    boolean handoffsHeld, long maxPendingCreditSeconds, long volatilityHalfLifeSeconds) {
    public static final BigDecimal DEFAULT_HYSTERESIS = new BigDecimal("0.02");
    public static final long DEFAULT_GRACE_SECONDS = 600;
    public static final long DEFAULT_FINAL_NOTICE_SECONDS = 300;
    public static final long DEFAULT_REMINDER_SECONDS = 300;
    public static final long DEFAULT_STALE_PRICE_SECONDS = 120;
    public static final long DEFAULT_MAX_PENDING_CREDIT_SECONDS = 1800;
    public static final long DEFAULT_VOLATILITY_HALF_LIFE_SECONDS = 1800;

    /** A venue without the §3.5/§3.6/§4 settings: no wick guard, defaults for the rest. */
    public Venue(String id, Thresholds thresholds, BigDecimal hysteresis, long gracePeriodSeconds,
                 long finalNoticeSeconds, long reminderSeconds, long stalePriceSeconds) {
        this(id, thresholds, hysteresis, gracePeriodSeconds, finalNoticeSeconds, reminderSeconds, stalePriceSeconds,
                null, false, DEFAULT_MAX_PENDING_CREDIT_SECONDS, DEFAULT_VOLATILITY_HALF_LIFE_SECONDS);
    }

    public Venue {
        if (id == null || id.isBlank()) {
            throw new InvalidInputException("venue.id", id, "is required");
        }
        if (thresholds == null) {
            throw new InvalidInputException("venue.thresholds", null, "is required");
        }
        Decimals.nonNegative("venue.hysteresis", hysteresis);
        if (hysteresis.compareTo(BigDecimal.ONE) >= 0) {
            throw new InvalidInputException("venue.hysteresis", hysteresis.toPlainString(), "must be below 1");
        }
        positiveSeconds("venue.gracePeriodSeconds", gracePeriodSeconds);
        positiveSeconds("venue.finalNoticeSeconds", finalNoticeSeconds);
        positiveSeconds("venue.reminderSeconds", reminderSeconds);
        positiveSeconds("venue.stalePriceSeconds", stalePriceSeconds);
        if (maxPendingCreditSeconds < 0) {
            throw new InvalidInputException("venue.maxPendingCreditSeconds", maxPendingCreditSeconds, "must not be negative");
        }
        positiveSeconds("venue.volatilityHalfLifeSeconds", volatilityHalfLifeSeconds);
    }

    /** The same venue with the hand-off switch set or released (SPEC §3.5). */
    public Venue withHandoffsHeld(boolean held) {
        return new Venue(id, thresholds, hysteresis, gracePeriodSeconds, finalNoticeSeconds, reminderSeconds,
                stalePriceSeconds, wickGuard, held, maxPendingCreditSeconds, volatilityHalfLifeSeconds);
    }

    public static Venue withDefaults(String id) {
        return new Venue(id, Thresholds.DEFAULT, DEFAULT_HYSTERESIS, DEFAULT_GRACE_SECONDS,
                DEFAULT_FINAL_NOTICE_SECONDS, DEFAULT_REMINDER_SECONDS, DEFAULT_STALE_PRICE_SECONDS);
    }

    private static void positiveSeconds(String field, long seconds) {
        if (seconds <= 0) {
            throw new InvalidInputException(field, seconds, "must be a positive number of seconds");
        }
    }
}
