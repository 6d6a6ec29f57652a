package org.margincall.engine.domain;

import java.util.List;

/**
 * What one input does to a sub-account's margin state.
 *
 * @param escalation the escalation to start, or null
 * @param continueEscalation for clock steps: whether the call's escalation has further steps to run
 * @param waitUntil for clock steps: the step was not run and falls due at this instant (SPEC §3.6), else null
 * @param nextStepAt for clock steps that continue: when the call's next step falls due, else null
 */
public record Decision(MarginState next, List<Notice> notices, EscalationStart escalation, boolean continueEscalation,
                       java.time.Instant waitUntil, java.time.Instant nextStepAt) {

    /** A decision that is not a clock step. */
    public Decision(MarginState next, List<Notice> notices, EscalationStart escalation, boolean continueEscalation) {
        this(next, notices, escalation, continueEscalation, null, null);
    }

    /** True when nothing needs writing: same state, nothing to send, nothing to start. */
    public boolean isNoop(MarginState previous) {
        return notices.isEmpty() && escalation == null && next.equals(previous);
    }
}
