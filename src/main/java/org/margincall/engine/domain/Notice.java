package org.margincall.engine.domain;

import java.time.Instant;

/**
 * A notification the decider owes (SPEC §3.3), before the evaluation figures are attached.
 *
 * @param callId the call it belongs to, null for notices outside a call
 * @param step number of notices of this type before it in the call (or episode, outside a call)
 * @param deadline when the open call's next clock step falls due, null outside a call
 */
public record Notice(String notificationId, NotificationType type, Reason reason, int step, String episodeId,
                     String callId, Level level, Level previousLevel, Instant at, Instant deadline) {
}
