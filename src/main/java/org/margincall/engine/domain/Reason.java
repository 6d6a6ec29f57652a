package org.margincall.engine.domain;

/** Which path sent a notice (SPEC §3.4): the ratio (evaluation) or the clock (deadline, reminder). */
public enum Reason {
    RATIO, DEADLINE
}
