package org.margincall.engine.domain;

import java.math.BigDecimal;

/**
 * Collateral-ratio thresholds of a venue (SPEC §3.1), all dimensionless ratios of equity to
 * maintenance requirement. Invariant: {@code warning > marginCall > critical > liquidation > 0}.
 */
public record Thresholds(BigDecimal warning, BigDecimal marginCall, BigDecimal critical, BigDecimal liquidation) {
    public static final Thresholds DEFAULT = new Thresholds(
            new BigDecimal("1.5"), new BigDecimal("1.2"), new BigDecimal("1.05"), new BigDecimal("1.0"));

    public Thresholds {
        Decimals.requirePresent("thresholds.warning", warning);
        Decimals.requirePresent("thresholds.marginCall", marginCall);
        Decimals.requirePresent("thresholds.critical", critical);
        Decimals.positive("thresholds.liquidation", liquidation);
        if (critical.compareTo(liquidation) <= 0) {
            throw new InvalidInputException("thresholds.critical", critical.toPlainString(),
                    "must be above liquidation " + liquidation.toPlainString());
        }
        if (marginCall.compareTo(critical) <= 0) {
            throw new InvalidInputException("thresholds.marginCall", marginCall.toPlainString(),
                    "must be above critical " + critical.toPlainString());
        }
        if (warning.compareTo(marginCall) <= 0) {
            throw new InvalidInputException("thresholds.warning", warning.toPlainString(),
                    "must be above marginCall " + marginCall.toPlainString());
        }
    }

    /** The same thresholds with an account's own warning level (SPEC §3.1), validated against marginCall. */
    public Thresholds withWarning(String field, BigDecimal accountWarning) {
        if (accountWarning == null) {
            return this;
        }
        if (accountWarning.compareTo(marginCall) <= 0) {
            throw new InvalidInputException(field, accountWarning.toPlainString(),
                    "must stay above the venue's marginCall " + marginCall.toPlainString());
        }
        return new Thresholds(accountWarning, marginCall, critical, liquidation);
    }

    /** Threshold below which a level starts (exclusive), indexed by the level entered. */
    public BigDecimal boundaryOf(Level level) {
        return switch (level) {
            case WARNING -> warning;
            case MARGIN_CALL -> marginCall;
            case CRITICAL -> critical;
            case LIQUIDATION -> liquidation;
            case HEALTHY -> throw new IllegalArgumentException("HEALTHY has no lower boundary");
        };
    }
}
