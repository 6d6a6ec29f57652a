package org.margincall.engine.domain;

import java.util.List;

/**
 * What one input does to a sub-account's margin state.
 *
 * @param escalation the escalation to start, or null
 * @param continueEscalation for clock steps: whether the call's escalation has further steps to run
 */
public record Decision(MarginState next, List<Notice> notices, EscalationStart escalation, boolean continueEscalation) {
    /** True when nothing needs writing: same state, nothing to send, nothing to start. */
    public boolean isNoop(MarginState previous) {
        return notices.isEmpty() && escalation == null && next.equals(previous);
    }
}
