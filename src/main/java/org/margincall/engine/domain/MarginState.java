package org.margincall.engine.domain;

import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;

/**
 * Stored margin state of one sub-account (SPEC §3.3): its level, the running episode and call,
 * which notices the call has had, and the reminder clock. Immutable; the decider returns a new
 * one. {@code callNumber} is the number of the latest call of the episode (0 before the first).
 *
 * @param callOpenedAt when the open call opened, null when none is open
 * @param lastNoticeAt when the open call's last notice went out (reminder clock), null when none
 * @param callSteps notices sent per type within the current call
 * @param episodeSteps notices sent per type outside calls within the episode
 * @param graceShiftMillis how far a deposit in flight postponed the call's grace step (SPEC §3.6),
 *        0 when it was not; the final step moves with it
 * @param finalShiftMillis how far the final step was postponed on its own, 0 when it was not
 * @param heldSince when a suspect mark (SPEC §3.5) or the operations hold first kept this
 *        sub-account from LIQUIDATION, while it is so kept; null otherwise (for the held-hand-off delay metric)
 */
public record MarginState(Level level, String episodeId, int callNumber, boolean callOpen, Instant callOpenedAt,
                          boolean finalNoticeSent, boolean handoffSent, Instant lastNoticeAt,
                          Map<NotificationType, Integer> callSteps, Map<NotificationType, Integer> episodeSteps,
                          long graceShiftMillis, long finalShiftMillis, Instant heldSince) {

    /** A state that no hold is keeping from LIQUIDATION. */
    public MarginState(Level level, String episodeId, int callNumber, boolean callOpen, Instant callOpenedAt,
                       boolean finalNoticeSent, boolean handoffSent, Instant lastNoticeAt,
                       Map<NotificationType, Integer> callSteps, Map<NotificationType, Integer> episodeSteps,
                       long graceShiftMillis, long finalShiftMillis) {
        this(level, episodeId, callNumber, callOpen, callOpenedAt, finalNoticeSent, handoffSent, lastNoticeAt, callSteps,
                episodeSteps, graceShiftMillis, finalShiftMillis, null);
    }

    /** The same state with {@code heldSince} replaced. */
    public MarginState withHeldSince(Instant since) {
        return new MarginState(level, episodeId, callNumber, callOpen, callOpenedAt, finalNoticeSent, handoffSent,
                lastNoticeAt, callSteps, episodeSteps, graceShiftMillis, finalShiftMillis, since);
    }
    public static final MarginState INITIAL = new MarginState(Level.HEALTHY, null, 0, false, null, false, false, null,
            Map.of(), Map.of());

    /** A state whose call steps were never postponed. */
    public MarginState(Level level, String episodeId, int callNumber, boolean callOpen, Instant callOpenedAt,
                       boolean finalNoticeSent, boolean handoffSent, Instant lastNoticeAt,
                       Map<NotificationType, Integer> callSteps, Map<NotificationType, Integer> episodeSteps) {
        this(level, episodeId, callNumber, callOpen, callOpenedAt, finalNoticeSent, handoffSent, lastNoticeAt, callSteps,
                episodeSteps, 0, 0);
    }

    public MarginState {
        callSteps = copy(callSteps);
        episodeSteps = copy(episodeSteps);
    }

    public String callId() {
        return callOpen ? Ids.callId(episodeId, callNumber) : null;
    }

    private static Map<NotificationType, Integer> copy(Map<NotificationType, Integer> m) {
        if (m == null || m.isEmpty()) {
            return Map.of();
        }
        return Map.copyOf(new EnumMap<>(m));
    }
}
