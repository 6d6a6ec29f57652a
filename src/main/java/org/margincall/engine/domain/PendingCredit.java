package org.margincall.engine.domain;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;

/**
 * The deposits in flight of a cross account at one instant (SPEC §3.6): their value at the current
 * marks, {@code Σ amount · price · (1 − haircut)} (SPEC §2.3), and the earliest {@code expectedBy}
 * among those that count ({@code t < expectedBy}).
 *
 * @param value total value in quote currency, unrounded
 * @param earliestExpectedBy the earliest {@code expectedBy} of the counting deposits, null when none counts
 */
public record PendingCredit(BigDecimal value, Instant earliestExpectedBy) {
    public static final PendingCredit NONE = new PendingCredit(BigDecimal.ZERO, null);

    /**
     * @param account the account holding the pending deposits
     * @param marks current marks; a deposit in an asset whose price instrument has no mark yet counts 0
     * @param t the evaluation's instant
     * @throws InvalidInputException when a deposit names an asset the venue does not know
     */
    public static PendingCredit of(Account account, Catalog catalog, Marks marks, Instant t) {
        if (account.pendingDeposits().isEmpty()) {
            return NONE;
        }
        BigDecimal value = BigDecimal.ZERO;
        Instant earliest = null;
        for (PendingDeposit d : account.pendingDeposits()) {
            if (!d.countsAt(t)) {
                continue;
            }
            CollateralAsset a = catalog.asset("pendingDeposits[" + d.reference() + "].asset", d.asset());
            BigDecimal price = BigDecimal.ONE;
            if (a.priceInstrument() != null) {
                int slot = catalog.slot("pendingDeposits[" + d.reference() + "].asset", a.priceInstrument());
                if (!marks.has(slot)) {
                    continue;
                }
                price = marks.exact(slot);
            }
            value = value.add(d.amount().multiply(price).multiply(BigDecimal.ONE.subtract(a.haircut())));
            earliest = earliest == null || d.expectedBy().isBefore(earliest) ? d.expectedBy() : earliest;
        }
        return new PendingCredit(value, earliest);
    }

    /** The body's {@code pendingDeposit}: the value to the cent, half-up ("0.00" when none). */
    public String wire() {
        return value.setScale(2, RoundingMode.HALF_UP).toPlainString();
    }

    /**
     * The instant a due clock step may be postponed to: the earliest {@code expectedBy}, when the
     * pending value covers {@code minimumDeposit}; null otherwise.
     */
    public Instant postponeTo(BigDecimal minimumDeposit) {
        return earliestExpectedBy != null && value.compareTo(minimumDeposit) >= 0 ? earliestExpectedBy : null;
    }
}
