package org.margincall.engine.domain;

/** A linear, quote-margined perpetual or future (SPEC §1) and its maintenance brackets. */
public record Instrument(String symbol, TierTable tiers) {
    public Instrument {
        if (symbol == null || symbol.isBlank()) {
            throw new InvalidInputException("instruments[].symbol", symbol, "is required");
        }
        if (tiers == null) {
            throw new InvalidInputException("instruments[" + symbol + "].tiers", null, "is required");
        }
    }
}
