package org.margincall.engine.domain;

/** Kinds of notice a trader receives (SPEC §3.3–§3.4). */
public enum NotificationType {
    MARGIN_WARNING, MARGIN_CALL, FINAL_NOTICE, LIQUIDATION_HANDOFF,
    MARGIN_CALL_CURED, WARNING_CLEARED, LEVEL_IMPROVED, REMINDER;

    /** The notice owed for worsening to a level (SPEC §3.3). */
    public static NotificationType worseningTo(Level level) {
        return switch (level) {
            case WARNING -> MARGIN_WARNING;
            case MARGIN_CALL -> MARGIN_CALL;
            case CRITICAL -> FINAL_NOTICE;
            case LIQUIDATION -> LIQUIDATION_HANDOFF;
            case HEALTHY -> throw new IllegalArgumentException("nothing worsens to HEALTHY");
        };
    }
}
