package org.margincall.engine.domain;

import java.math.BigDecimal;
import java.util.List;

/**
 * Everything SPEC §2–§4 says about one sub-account at one set of marks.
 *
 * @param equity exact equity {@code Q}, quote
 * @param maintenanceMargin exact requirement {@code MM}, quote
 * @param collateralRatio {@code Q / MM}, null when {@code MM = 0}
 * @param requiredDeposit quote amount that ends the episode, ceiling to 0.01
 * @param minimumDeposit quote amount that closes a call, ceiling to 0.01
 * @param reduceFraction smallest fraction of every position to close that ends the episode, ceiling to 1e-4
 */
public record Evaluation(String subAccountId, String accountId, String isolatedInstrument,
                         BigDecimal equity, BigDecimal maintenanceMargin, Double collateralRatio,
                         Level rawLevel, Level storedLevel, Level level,
                         BigDecimal requiredDeposit, BigDecimal minimumDeposit, BigDecimal reduceFraction,
                         List<PositionFigures> positions) {
}
