package org.margincall.engine.domain;

/**
 * Margin level of a (sub-)account, from healthy to liquidation (SPEC §3.1).
 * Declaration order is severity order: a later constant is more severe.
 */
public enum Level {
    HEALTHY, WARNING, MARGIN_CALL, CRITICAL, LIQUIDATION;

    public boolean moreSevereThan(Level other) {
        return ordinal() > other.ordinal();
    }

    public boolean atLeastAsSevereAs(Level other) {
        return ordinal() >= other.ordinal();
    }

    /** A call is open at {@code MARGIN_CALL} or worse (SPEC §3.3). */
    public boolean inCall() {
        return ordinal() >= MARGIN_CALL.ordinal();
    }

    public static Level lessSevere(Level a, Level b) {
        return a.ordinal() <= b.ordinal() ? a : b;
    }
}
