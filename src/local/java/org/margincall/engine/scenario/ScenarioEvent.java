package org.margincall.engine.scenario;

import java.math.BigDecimal;
import java.time.Instant;

/** One event of a SPEC §7 scenario, at scenario time {@code at}. */
public sealed interface ScenarioEvent {
    Instant at();

    /** Position of the event in the file, for error messages and stable ordering. */
    int index();

    /** {@code indexPrice} is null when absent (SPEC §3.5 compares it with the mark). */
    record Price(Instant at, int index, String instrument, BigDecimal markPrice, BigDecimal indexPrice, long sequence)
            implements ScenarioEvent {
    }

    /** {@code settles} names the reference of a pending deposit this credit settles (SPEC §3.6), or null. */
    record Deposit(Instant at, int index, String accountId, String asset, BigDecimal amount, String settles)
            implements ScenarioEvent {
    }

    record Reduce(Instant at, int index, String accountId, String instrument, BigDecimal size) implements ScenarioEvent {
    }

    /** A deposit in flight (SPEC §3.6); an {@code amount} of 0 cancels the reference. */
    record PendingDeposit(Instant at, int index, String accountId, String asset, BigDecimal amount, String reference,
                          Instant expectedBy) implements ScenarioEvent {
    }
}
