package org.margincall.engine.domain;

import java.math.BigDecimal;

/**
 * A net position in one instrument (SPEC §2.1).
 *
 * @param size signed size in base units, long &gt; 0
 * @param entryPrice average entry price, quote per base unit
 * @param isolatedMargin quote amount when the position is isolated (SPEC §2.5), else null
 */
public record Position(String instrument, BigDecimal size, BigDecimal entryPrice, BigDecimal isolatedMargin) {
    public Position {
        if (instrument == null || instrument.isBlank()) {
            throw new InvalidInputException("positions[].instrument", instrument, "is required");
        }
        String f = "positions[" + instrument + "]";
        Decimals.requirePresent(f + ".size", size);
        Decimals.positive(f + ".entryPrice", entryPrice);
        if (isolatedMargin != null) {
            Decimals.nonNegative(f + ".isolatedMargin", isolatedMargin);
        }
    }

    public boolean isolated() {
        return isolatedMargin != null;
    }

    public Position withSize(BigDecimal newSize) {
        return new Position(instrument, newSize, entryPrice, isolatedMargin);
    }

    public Position withIsolatedMargin(BigDecimal margin) {
        return new Position(instrument, size, entryPrice, margin);
    }
}
