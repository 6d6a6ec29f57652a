package org.margincall.engine.domain;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Comparator;

/**
 * The one wire format of instants (SPEC §1): RFC 3339 UTC with exactly three fractional digits
 * ({@code 2026-05-19T12:12:20.000Z}). Input beyond milliseconds is truncated to the millisecond on
 * arrival, and every ordering compares instants, never strings ({@code …20.137Z} sorts before
 * {@code …20Z} as text).
 */
public final class Timestamps {
    private static final DateTimeFormatter WIRE =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    /** Orders wire-format strings by the instants they denote. */
    public static final Comparator<String> BY_INSTANT = Comparator.comparing(Timestamps::parseLenient);

    private Timestamps() {
    }

    /**
     * Formats an instant for the wire.
     *
     * @param at any instant; sub-millisecond digits are truncated
     * @return {@code uuuu-MM-ddTHH:mm:ss.SSSZ}, or null for null
     */
    public static String format(Instant at) {
        return at == null ? null : WIRE.format(at.truncatedTo(ChronoUnit.MILLIS));
    }

    /**
     * Parses an RFC 3339 UTC instant as it arrives in an event, a scenario or a stored item.
     *
     * @param field the field's path, for the error message
     * @param text the instant, any number of fractional digits
     * @return the instant truncated to the millisecond (SPEC §1)
     * @throws InvalidInputException naming {@code field} and {@code text} when it is not an instant
     */
    public static Instant parse(String field, String text) {
        if (text == null) {
            throw new InvalidInputException(field, null, "is required (an RFC 3339 UTC instant such as 2026-01-01T00:00:00.000Z)");
        }
        try {
            return Instant.parse(text).truncatedTo(ChronoUnit.MILLIS);
        } catch (DateTimeParseException e) {
            throw new InvalidInputException(field, text, "is not an RFC 3339 UTC instant such as 2026-01-01T00:00:00.000Z");
        }
    }

    /** Truncates to the millisecond (SPEC §1): what every comparison uses. */
    public static Instant truncate(Instant at) {
        return at == null ? null : at.truncatedTo(ChronoUnit.MILLIS);
    }

    private static Instant parseLenient(String text) {
        return Instant.parse(text);
    }
}
