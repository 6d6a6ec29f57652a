package org.margincall.engine.domain;

/** The two clock steps of an escalation (SPEC §3.4). */
public enum EscalationStep {
    /** The call's opening + grace period: send the final notice unless cured or already sent. */
    GRACE_EXPIRED,
    /** The grace deadline + final-notice period: hand off unless cured or already handed off. */
    FINAL_NOTICE_EXPIRED
}
