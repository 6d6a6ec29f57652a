package org.margincall.engine.domain;

import java.math.BigDecimal;

/**
 * Strict parsing and checks for decimal strings crossing a boundary (SPEC §1: money and prices
 * are decimal strings, never binary floats).
 */
public final class Decimals {
    private Decimals() {
    }

    /** Parses a required decimal string; rejects null, blanks, NaN, infinities and exponents of absurd size. */
    public static BigDecimal parse(String field, String text) {
        if (text == null) {
            throw new InvalidInputException(field, null, "is required");
        }
        String t = text.trim();
        if (t.isEmpty()) {
            throw new InvalidInputException(field, text, "is empty");
        }
        BigDecimal value;
        try {
            value = new BigDecimal(t);
        } catch (NumberFormatException e) {
            throw new InvalidInputException(field, text, "is not a finite decimal number");
        }
        if (Math.abs(value.scale()) > 30 || value.precision() > 40) {
            throw new InvalidInputException(field, text, "has more digits than any real amount");
        }
        return value;
    }

    public static BigDecimal positive(String field, BigDecimal value) {
        requirePresent(field, value);
        if (value.signum() <= 0) {
            throw new InvalidInputException(field, value.toPlainString(), "must be positive");
        }
        return value;
    }

    public static BigDecimal nonNegative(String field, BigDecimal value) {
        requirePresent(field, value);
        if (value.signum() < 0) {
            throw new InvalidInputException(field, value.toPlainString(), "must not be negative");
        }
        return value;
    }

    public static BigDecimal requirePresent(String field, BigDecimal value) {
        if (value == null) {
            throw new InvalidInputException(field, null, "is required");
        }
        return value;
    }
}
