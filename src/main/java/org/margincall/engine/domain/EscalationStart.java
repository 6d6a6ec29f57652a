package org.margincall.engine.domain;

import java.time.Instant;

/**
 * An escalation to start for a newly opened call (SPEC §3.4). Deadlines count from the call's
 * opening, so a late start does not stretch the clock.
 *
 * @param executionName derived from the call id, so a duplicate start is refused by name
 */
public record EscalationStart(String callId, String executionName, String subAccountId, Instant openedAt,
                              Instant graceDeadline, Instant finalDeadline) {
}
