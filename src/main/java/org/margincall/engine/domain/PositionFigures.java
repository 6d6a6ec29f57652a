package org.margincall.engine.domain;

import java.math.BigDecimal;

/**
 * Per-position figures carried in a notification (SPEC §4, §6).
 *
 * @param size signed size, base units
 * @param markPrice mark used for the evaluation, quote per base unit
 * @param liquidationPrice mark of this instrument (others fixed) at which {@code R = liquidation},
 *                         8 decimals, or null when no positive price solves it
 * @param warningPrice likewise for {@code R = warning}
 */
public record PositionFigures(String instrument, BigDecimal size, BigDecimal markPrice,
                              BigDecimal liquidationPrice, BigDecimal warningPrice) {
}
