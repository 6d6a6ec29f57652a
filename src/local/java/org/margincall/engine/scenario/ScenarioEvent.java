package org.margincall.engine.scenario;

import java.math.BigDecimal;
import java.time.Instant;

/** One event of a SPEC §7 scenario, at scenario time {@code at}. */
public sealed interface ScenarioEvent {
    Instant at();

    /** Position of the event in the file, for error messages and stable ordering. */
    int index();

    record Price(Instant at, int index, String instrument, BigDecimal markPrice, BigDecimal indexPrice, long sequence)
            implements ScenarioEvent {
    }

    record Deposit(Instant at, int index, String accountId, String asset, BigDecimal amount) implements ScenarioEvent {
    }

    record Reduce(Instant at, int index, String accountId, String instrument, BigDecimal size) implements ScenarioEvent {
    }
}
