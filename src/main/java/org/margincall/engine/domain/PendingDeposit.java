package org.margincall.engine.domain;

import java.math.BigDecimal;
import java.time.Instant;

/**
 * A deposit the venue has seen leave the trader but not credited yet (SPEC §3.6, {@code Deposit
 * Pending}): it changes no level and no figure, but a clock step falling due while pending
 * deposits cover the call's {@code minimumDeposit} is postponed.
 *
 * @param asset collateral asset, e.g. {@code USDT} or {@code BTC}
 * @param amount positive amount in the asset's own units
 * @param reference the venue's reference; a {@code Collateral Changed} naming it in {@code settles} settles it
 * @param expectedBy when the venue expects to credit it; it counts while {@code t < expectedBy}
 */
public record PendingDeposit(String asset, BigDecimal amount, String reference, Instant expectedBy) {
    public PendingDeposit {
        if (asset == null || asset.isBlank()) {
            throw new InvalidInputException("asset", asset, "is required");
        }
        if (reference == null || reference.isBlank()) {
            throw new InvalidInputException("reference", reference, "is required");
        }
        Decimals.requirePresent("amount", amount);
        if (amount.signum() <= 0) {
            throw new InvalidInputException("amount", amount.toPlainString(), "must be positive (\"0\" cancels)");
        }
        if (expectedBy == null) {
            throw new InvalidInputException("expectedBy", null, "is required");
        }
        expectedBy = Timestamps.truncate(expectedBy);
    }

    /** Whether it counts at {@code t} (SPEC §3.6: while {@code t < expectedBy}). */
    public boolean countsAt(Instant t) {
        return t.isBefore(expectedBy);
    }
}
