package org.margincall.engine.domain;

import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The episode / call / notification rules of SPEC §3.3–§3.4 as pure functions of the stored
 * state and one input: a new level from an evaluation at time {@code at}, or a clock step of a
 * call's escalation. Every handler calls this and only persists and publishes what it returns.
 */
public final class MarginDecider {
    /** How often a deadline hand-off held by operations (SPEC §3.5 {@code handoffsHeld}) asks again. */
    public static final long HELD_HANDOFF_RECHECK_SECONDS = 60;
    private final Venue venue;

    public MarginDecider(Venue venue) {
        this.venue = venue;
    }

    public Venue venue() {
        return venue;
    }

    /**
     * Applies the level an evaluation found (hysteresis already applied, SPEC §3.2), then sends a
     * due reminder if the call stays open and nothing else was sent.
     */
    public Decision onEvaluation(String subAccountId, MarginState state, Level newLevel, Instant at, Trigger trigger) {
        return evaluation(subAccountId, state, newLevel, at, trigger, true);
    }

    private Decision evaluation(String subAccountId, MarginState state, Level newLevel, Instant at, Trigger trigger,
                                boolean remind) {
        Work w = new Work(subAccountId, state, at);
        Level old = state.level();
        if (newLevel.moreSevereThan(old)) {
            if (old == Level.HEALTHY) {
                w.startEpisode(Ids.episodeId(venue.id(), subAccountId, trigger));
            }
            if (!old.inCall() && newLevel.inCall()) {
                w.openCall();
            }
            NotificationType type = NotificationType.worseningTo(newLevel);
            boolean suppressed = (type == NotificationType.FINAL_NOTICE && w.finalNoticeSent)
                    || (type == NotificationType.LIQUIDATION_HANDOFF && w.handoffSent);
            w.level = newLevel;
            if (!suppressed) {
                w.send(type, Reason.RATIO, old);
            }
        } else if (newLevel.ordinal() < old.ordinal()) {
            w.level = newLevel;
            if (old.inCall() && !newLevel.inCall()) {
                w.send(NotificationType.MARGIN_CALL_CURED, Reason.RATIO, old);
                w.closeCall();
                if (newLevel == Level.HEALTHY) {
                    w.endEpisode();
                }
            } else if (newLevel == Level.HEALTHY) {
                w.send(NotificationType.WARNING_CLEARED, Reason.RATIO, old);
                w.endEpisode();
            } else {
                w.send(NotificationType.LEVEL_IMPROVED, Reason.RATIO, old);
            }
        }
        if (remind && w.notices.isEmpty() && reminderDue(w.callOpen, w.lastNoticeAt, at)) {
            w.send(NotificationType.REMINDER, Reason.DEADLINE, w.level);
        }
        return w.decision(w.callOpen);
    }

    /**
     * A clock step of the escalation of {@code callId} (SPEC §3.4) at {@code at}. The caller has
     * already applied a fresh evaluation at the same instant, so a cure or a ratio hand-off is in
     * {@code state}. Deadline notices leave the stored level as it is. A step that is not due yet
     * (its call's clock was postponed) answers {@link Decision#waitUntil()}; a due step is
     * postponed once when deposits in flight cover the call (SPEC §3.6).
     *
     * @param creditUntil the earliest {@code expectedBy} of the pending deposits of the cross account
     *        when they are worth at least the call's minimum deposit at {@code at}, else null
     */
    public Decision onClock(String subAccountId, MarginState state, String callId, EscalationStep step, Instant at,
                            Instant creditUntil) {
        Work w = new Work(subAccountId, state, at);
        if (!state.callOpen() || !callId.equals(state.callId()) || state.handoffSent()) {
            // Cured, superseded by a newer call, or already handed off: the escalation ends here.
            return w.decision(false);
        }
        boolean grace = step == EscalationStep.GRACE_EXPIRED;
        if (!grace && step != EscalationStep.FINAL_NOTICE_EXPIRED) {
            throw new IllegalArgumentException("unknown escalation step " + step);
        }
        Instant due = grace ? graceDue(state) : finalDue(state);
        if (at.isBefore(due)) {
            return w.waitUntil(due);
        }
        boolean postponedBefore = grace ? state.graceShiftMillis() > 0 : state.finalShiftMillis() > 0;
        if (!postponedBefore && creditUntil != null && creditUntil.isAfter(at)) {
            Instant cap = due.plusSeconds(venue.maxPendingCreditSeconds());
            Instant until = creditUntil.isBefore(cap) ? creditUntil : cap;
            if (until.isAfter(due)) {
                long shift = until.toEpochMilli() - due.toEpochMilli();
                if (grace) {
                    w.graceShiftMillis = shift; // the final step moves by the same amount
                } else {
                    w.finalShiftMillis = shift;
                }
                return w.waitUntil(until);
            }
        }
        if (grace) {
            if (!w.finalNoticeSent) {
                w.send(NotificationType.FINAL_NOTICE, Reason.DEADLINE, state.level());
            }
            return w.decision(true);
        }
        if (venue.handoffsHeld()) {
            // SPEC §3.5: operations hold every hand-off; ask again until they release it
            return w.waitUntil(at.plusSeconds(HELD_HANDOFF_RECHECK_SECONDS));
        }
        w.send(NotificationType.LIQUIDATION_HANDOFF, Reason.DEADLINE, state.level());
        return w.decision(false);
    }

    /** As {@link #onClock(String, MarginState, String, EscalationStep, Instant, Instant)} with no deposit in flight. */
    public Decision onClock(String subAccountId, MarginState state, String callId, EscalationStep step, Instant at) {
        return onClock(subAccountId, state, callId, step, at, null);
    }

    /**
     * The escalation's re-check (SPEC §3.4): first the fresh evaluation at the step's instant (a
     * cure or a ratio hand-off lands here, reason RATIO), then the clock step itself on the
     * resulting state, as one decision to commit. Reminders are left to evaluations, so a deadline
     * notice never arrives with a reminder beside it.
     *
     * @param creditUntil see {@link #onClock(String, MarginState, String, EscalationStep, Instant, Instant)}
     */
    public Decision onRecheck(String subAccountId, MarginState state, Level newLevel, String callId,
                              EscalationStep step, Instant at, Instant creditUntil) {
        Decision ratio = evaluation(subAccountId, state, newLevel, at, Trigger.clock(callId, step.name(), at), false);
        Decision clock = onClock(subAccountId, ratio.next(), callId, step, at, creditUntil);
        List<Notice> notices = new ArrayList<>(ratio.notices());
        notices.addAll(clock.notices());
        return new Decision(clock.next(), List.copyOf(notices), ratio.escalation(), clock.continueEscalation(),
                clock.waitUntil(), clock.nextStepAt());
    }

    /** As {@link #onRecheck(String, MarginState, Level, String, EscalationStep, Instant, Instant)} with no deposit in flight. */
    public Decision onRecheck(String subAccountId, MarginState state, Level newLevel, String callId,
                              EscalationStep step, Instant at) {
        return onRecheck(subAccountId, state, newLevel, callId, step, at, null);
    }

    /** When the open call's grace step falls due: opening + grace period + its postponement. */
    public Instant graceDue(MarginState s) {
        return s.callOpenedAt().plusSeconds(venue.gracePeriodSeconds()).plusMillis(s.graceShiftMillis());
    }

    /** When the open call's final step falls due: the grace step's due instant + final-notice period + its own postponement. */
    public Instant finalDue(MarginState s) {
        return graceDue(s).plusSeconds(venue.finalNoticeSeconds()).plusMillis(s.finalShiftMillis());
    }

    /** Whether a stored state owes a reminder at {@code at} (SPEC §3.3): a call open since its last notice. */
    public boolean reminderDue(MarginState s, Instant at) {
        return reminderDue(s.callOpen(), s.lastNoticeAt(), at);
    }

    private boolean reminderDue(boolean callOpen, Instant lastNoticeAt, Instant at) {
        return callOpen && !at.isBefore(lastNoticeAt.plusSeconds(venue.reminderSeconds()));
    }

    /** When the open call's next clock step falls due (SPEC §6 {@code deadline}), or null. */
    public Instant deadline(MarginState s) {
        if (!s.callOpen() || s.handoffSent()) {
            return null;
        }
        return s.finalNoticeSent() ? finalDue(s) : graceDue(s);
    }

    /** Mutable working copy of one decision. */
    private final class Work {
        final String subAccountId;
        final Instant at;
        Level level;
        String episodeId;
        int callNumber;
        boolean callOpen;
        Instant callOpenedAt;
        boolean finalNoticeSent;
        boolean handoffSent;
        Instant lastNoticeAt;
        Map<NotificationType, Integer> callSteps;
        Map<NotificationType, Integer> episodeSteps;
        long graceShiftMillis;
        long finalShiftMillis;
        final List<Notice> notices = new ArrayList<>(2);
        EscalationStart escalation;

        Work(String subAccountId, MarginState s, Instant at) {
            this.subAccountId = subAccountId;
            this.at = at;
            level = s.level();
            episodeId = s.episodeId();
            callNumber = s.callNumber();
            callOpen = s.callOpen();
            callOpenedAt = s.callOpenedAt();
            finalNoticeSent = s.finalNoticeSent();
            handoffSent = s.handoffSent();
            lastNoticeAt = s.lastNoticeAt();
            callSteps = new EnumMap<>(NotificationType.class);
            callSteps.putAll(s.callSteps());
            episodeSteps = new EnumMap<>(NotificationType.class);
            episodeSteps.putAll(s.episodeSteps());
            graceShiftMillis = s.graceShiftMillis();
            finalShiftMillis = s.finalShiftMillis();
        }

        void startEpisode(String id) {
            episodeId = id;
            callNumber = 0;
            episodeSteps.clear();
        }

        void openCall() {
            callNumber++;
            callOpen = true;
            callOpenedAt = at;
            finalNoticeSent = false;
            handoffSent = false;
            lastNoticeAt = at;
            callSteps.clear();
            graceShiftMillis = 0;
            finalShiftMillis = 0;
            String callId = Ids.callId(episodeId, callNumber);
            Instant grace = at.plusSeconds(venue.gracePeriodSeconds());
            escalation = new EscalationStart(callId, Ids.executionName(callId), subAccountId, at, grace,
                    grace.plusSeconds(venue.finalNoticeSeconds()));
        }

        void closeCall() {
            callOpen = false;
            callOpenedAt = null;
            lastNoticeAt = null;
            finalNoticeSent = false;
            handoffSent = false;
            graceShiftMillis = 0;
            finalShiftMillis = 0;
        }

        void endEpisode() {
            episodeId = null;
            callNumber = 0;
            callSteps.clear();
            episodeSteps.clear();
        }

        void send(NotificationType type, Reason reason, Level previous) {
            boolean inCall = callOpen || type == NotificationType.MARGIN_CALL_CURED;
            Map<NotificationType, Integer> steps = inCall ? callSteps : episodeSteps;
            int step = steps.getOrDefault(type, 0);
            steps.put(type, step + 1);
            int number = inCall ? callNumber : 0;
            String callId = inCall ? Ids.callId(episodeId, callNumber) : null;
            if (type == NotificationType.FINAL_NOTICE) {
                finalNoticeSent = true;
            } else if (type == NotificationType.LIQUIDATION_HANDOFF) {
                handoffSent = true;
            }
            if (callOpen) {
                lastNoticeAt = at;
            }
            String id = Ids.notificationId(venue.id(), subAccountId, episodeId, number, type, step);
            notices.add(new Notice(id, type, reason, step, episodeId, callId, level, previous, at, null));
        }

        MarginState state() {
            return new MarginState(level, episodeId, callNumber, callOpen, callOpenedAt, finalNoticeSent,
                    handoffSent, lastNoticeAt, callSteps, episodeSteps, graceShiftMillis, finalShiftMillis);
        }

        /** The step is not run now: the escalation waits until {@code until} and asks again. */
        Decision waitUntil(Instant until) {
            return new Decision(state(), List.of(), null, true, until, null);
        }

        Decision decision(boolean continueEscalation) {
            MarginState next = state();
            Instant deadline = deadline(next);
            List<Notice> out = new ArrayList<>(notices.size());
            for (Notice n : notices) {
                out.add(new Notice(n.notificationId(), n.type(), n.reason(), n.step(), n.episodeId(), n.callId(),
                        n.level(), n.previousLevel(), n.at(), n.callId() != null && callOpen ? deadline : null));
            }
            Instant nextStep = continueEscalation && next.callOpen() && !next.handoffSent() ? finalDue(next) : null;
            return new Decision(next, List.copyOf(out), escalation, continueEscalation, null, nextStep);
        }
    }
}
