package org.margincall.engine.domain;

import java.math.BigDecimal;

/** An independent, exact-only statement of SPEC §3.1's table, for cross-checking the kernel. */
final class ExactLevels {
    private ExactLevels() {
    }

    static Level raw(BigDecimal q, BigDecimal mm, Thresholds t) {
        if (mm.signum() == 0) {
            return Level.HEALTHY;
        }
        if (q.signum() <= 0 || q.compareTo(t.liquidation().multiply(mm)) <= 0) {
            return Level.LIQUIDATION;
        }
        if (q.compareTo(t.critical().multiply(mm)) < 0) {
            return Level.CRITICAL;
        }
        if (q.compareTo(t.marginCall().multiply(mm)) < 0) {
            return Level.MARGIN_CALL;
        }
        return q.compareTo(t.warning().multiply(mm)) < 0 ? Level.WARNING : Level.HEALTHY;
    }
}
