package org.margincall.engine.service.port;

/** Counters and timings the engine reports (CloudWatch EMF in Lambda). Names are the metric names. */
public interface Metrics {
    String EVENTS_ACCEPTED = "EventsAccepted";
    String EVENTS_REJECTED = "EventsRejected";
    String EVENTS_DUPLICATE = "EventsDuplicate";
    String ACCOUNTS_EVALUATED = "AccountsEvaluated";
    String TRANSITIONS = "Transitions";
    String NOTIFICATIONS_PUBLISHED = "NotificationsPublished";
    String PUBLISH_FAILURES = "PublishFailures";
    String VERSION_CONFLICTS = "VersionConflicts";
    String EXACT_FALLBACKS = "ExactFallbacks";
    String ESCALATIONS_STARTED = "EscalationsStarted";
    String ESCALATION_START_FAILURES = "EscalationStartFailures";
    String EVALUATION_LATENCY = "EvaluationLatency";
    String STALE_PRICE_FEEDS = "StalePriceFeeds";
    /** SPEC §10: chunks of a price event's accounts put on the worker queue. */
    String CHUNKS_ENQUEUED = "ChunksEnqueued";
    /** SPEC §10: bodies cut to the positions nearest to liquidation to fit SNS. */
    String TRUNCATED_BODIES = "TruncatedBodies";
    /** Accounts an invocation could not finish (retried by EventBridge or the next sweep). */
    String ACCOUNT_FAILURES = "AccountFailures";
    /** SPEC §3.5: marks found suspect on arrival. */
    String SUSPECT_MARKS = "SuspectMarks";
    /** SPEC §3.5: evaluations a suspect mark kept from handing off. */
    String HELD_HANDOFFS = "HeldHandoffs";
    /** SPEC §3.5: how long a hand-off was held before it went out (milliseconds, per hand-off). */
    String HELD_HANDOFF_DELAY = "HeldHandoffDelay";
    /** SPEC §3.6: clock steps postponed by deposits in flight. */
    String POSTPONED_STEPS = "PostponedClockSteps";
    /** SPEC §3.6: pending deposits dropped after their expectedBy passed unsettled. */
    String PENDING_DEPOSITS_EXPIRED = "PendingDepositsExpired";
    /** Accounts a price event's band queries found crossed (SPEC §10): what it reads. */
    String BAND_CROSSINGS = "BandCrossings";
    /** Accounts evaluated again because a newer mark landed while their bands were written (SPEC §10). */
    String BAND_CATCH_UPS = "BandCatchUps";
    /** Band-row writes that failed after the commit (superseded rows left: they cost reads until the sweep). */
    String BAND_ROW_FAILURES = "BandRowFailures";
    /** Band rows the sweep wrote (missing) or deleted (owned by no item). */
    String BAND_ROWS_REPAIRED = "BandRowsRepaired";
    /** Accounts the sweep left to a price event in flight whose mark crosses their bands (SPEC §10). */
    String SWEEP_LEFT_TO_TICKS = "SweepLeftToTicks";
    /**
     * Per notice SNS accepted whose trigger is a price (SPEC §6 {@code trigger.kind} PRICE): the
     * milliseconds from the price's own {@code timestamp} to SNS accepting it, by the service clock.
     * Notices delivered late (retried, flushed by the sweep) count with their whole delay.
     */
    String PRICE_TO_PUBLISH_LATENCY = "PriceToPublishLatency";
    /**
     * SPEC §10: level changes the sweep committed that a price tick should already have sent (a
     * lost price event, a band that failed); see {@code SweepCatches} for the rule.
     */
    String SWEEP_CAUGHT_NOTICES = "SweepCaughtNotices";

    /** Adds {@code n} to a counter. */
    void count(String name, long n);

    /** Adds one to a counter. */
    default void count(String name) {
        count(name, 1);
    }

    /** Records a duration in milliseconds. */
    void millis(String name, double ms);

    /** Writes this invocation's metrics; handlers call it once at the end of each invocation. */
    default void flush() {
    }
}
