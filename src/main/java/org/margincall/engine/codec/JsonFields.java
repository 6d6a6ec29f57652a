package org.margincall.engine.codec;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.util.Iterator;
import java.util.Set;
import java.util.TreeSet;
import org.margincall.engine.domain.InvalidInputException;
import org.margincall.engine.domain.Timestamps;

/**
 * Reads fields of a JSON document strictly, naming the path and value of whatever is unknown,
 * missing or malformed (SPEC §9). It refuses exactly what the published input schemas
 * ({@code src/main/resources/schema/*-v1.schema.json}) refuse; the limits below appear in both.
 *
 * <ul>
 *   <li>Money, prices and ratios are decimal strings (SPEC §1): an optional {@code -}, 1 to
 *       {@value #INTEGER_DIGITS} digits without a leading zero, optionally {@code .} and 1 to
 *       {@value #FRACTION_DIGITS} digits. No exponent, sign {@code +}, spaces, separators,
 *       {@code NaN}/{@code Infinity}, nor {@code -0}. A JSON number is refused for them.</li>
 *   <li>Identifiers (accounts, instruments, assets, references, venues, sources): 1 to
 *       {@value #ID_MAX_LENGTH} characters (code points), no control character (U+0000–U+001F,
 *       U+007F–U+009F), no space at either end.</li>
 *   <li>Sequences: JSON integers from their minimum to {@value #SEQUENCE_MAX} (2^53 − 1, exact in
 *       every JSON implementation); an integral JSON number such as {@code 5.0} counts as the
 *       integer, as JSON Schema says; anything larger never wraps.</li>
 *   <li>Instants: RFC 3339 UTC, {@code YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z}, a real calendar date, no
 *       leap second, upper-case {@code T} and {@code Z}.</li>
 *   <li>Durations: whole seconds up to {@value #SECONDS_MAX} (ten years).</li>
 * </ul>
 * A JSON {@code null} counts as a value, not as absence: only fields documented as nullable
 * (a tier's {@code cap}) accept it.
 */
public final class JsonFields {
    /** Longest identifier, in code points. */
    public static final int ID_MAX_LENGTH = 128;
    /** Largest sequence number: 2^53 − 1, the largest integer every JSON parser keeps exact. */
    public static final long SEQUENCE_MAX = 9_007_199_254_740_991L;
    /** Most digits before the decimal point of a decimal string. */
    public static final int INTEGER_DIGITS = 18;
    /** Most digits after the decimal point of a decimal string. */
    public static final int FRACTION_DIGITS = 18;
    /** Longest duration, in seconds (ten years of 365 days). */
    public static final long SECONDS_MAX = 315_360_000L;

    private JsonFields() {
    }

    /** What a decimal field may hold beyond the common grammar. */
    public enum Range {
        ANY(""), NON_ZERO("must not be zero"), NON_NEGATIVE("must not be negative"),
        POSITIVE("must be positive"), FRACTION("must lie in [0, 1)"), UNIT("must lie in [0, 1]");

        private final String problem;

        Range(String problem) {
            this.problem = problem;
        }

        boolean admits(BigDecimal v) {
            return switch (this) {
                case ANY -> true;
                case NON_ZERO -> v.signum() != 0;
                case NON_NEGATIVE -> v.signum() >= 0;
                case POSITIVE -> v.signum() > 0;
                case FRACTION -> v.signum() >= 0 && v.compareTo(BigDecimal.ONE) < 0;
                case UNIT -> v.signum() >= 0 && v.compareTo(BigDecimal.ONE) <= 0;
            };
        }
    }

    // ---- objects and arrays -------------------------------------------------------------------

    /** {@code v} must be a JSON object; {@code field} names it. */
    public static JsonNode object(JsonNode v, String field) {
        if (v == null || !v.isObject()) {
            throw new InvalidInputException(field, shown(v), "must be a JSON object");
        }
        return v;
    }

    /**
     * Refuses the first field of {@code obj} not in {@code allowed}, naming it (SPEC §5, §7: a typo
     * must not silently change anything). {@code allowed} should be a prebuilt constant set.
     */
    public static void onlyFields(JsonNode obj, String path, Set<String> allowed) {
        Iterator<String> names = obj.fieldNames();
        while (names.hasNext()) {
            String name = names.next();
            if (!allowed.contains(name)) {
                throw new InvalidInputException(path + "." + Grammar.shownName(name), shown(obj.get(name)),
                        "is not a field of this object (allowed: " + String.join(", ", new TreeSet<>(allowed)) + ")");
            }
        }
    }

    /** The optional {@code meta} object of an event: must be an object if present; its content is ignored. */
    public static void optionalMeta(JsonNode obj, String path) {
        JsonNode m = obj.get("meta");
        if (m != null) {
            object(m, path + ".meta");
        }
    }

    /** A field that must be present and not null. */
    public static JsonNode required(JsonNode node, String path, String name) {
        JsonNode v = node == null ? null : node.get(name);
        if (v == null || v.isNull()) {
            throw new InvalidInputException(path + "." + name, null, "is required");
        }
        return v;
    }

    /** An optional field: null when absent; a JSON {@code null} is refused (omit the field instead). */
    public static JsonNode optional(JsonNode node, String path, String name) {
        JsonNode v = node.get(name);
        if (v != null && v.isNull()) {
            throw new InvalidInputException(path + "." + name, null, "must not be null (omit the field instead)");
        }
        return v;
    }

    public static JsonNode array(JsonNode node, String path, String name) {
        JsonNode v = required(node, path, name);
        if (!v.isArray()) {
            throw new InvalidInputException(path + "." + name, shown(v), "must be an array");
        }
        return v;
    }

    public static JsonNode optionalArray(JsonNode node, String path, String name) {
        JsonNode v = optional(node, path, name);
        if (v != null && !v.isArray()) {
            throw new InvalidInputException(path + "." + name, shown(v), "must be an array");
        }
        return v;
    }

    public static JsonNode optionalObject(JsonNode node, String path, String name) {
        JsonNode v = optional(node, path, name);
        return v == null ? null : object(v, path + "." + name);
    }

    // ---- identifiers --------------------------------------------------------------------------

    /** A required identifier (see the class comment for the rule). */
    public static String id(JsonNode node, String path, String name) {
        return idValue(required(node, path, name), path + "." + name);
    }

    public static String optionalId(JsonNode node, String path, String name) {
        JsonNode v = optional(node, path, name);
        return v == null ? null : idValue(v, path + "." + name);
    }

    public static String idValue(JsonNode v, String field) {
        if (!v.isTextual()) {
            throw new InvalidInputException(field, shown(v), "must be a string");
        }
        String s = v.textValue();
        checkId(field, s);
        return s;
    }

    /** Checks the identifier rule on a string (also used for object keys such as collateral assets). */
    public static void checkId(String field, String s) {
        int n = s.length();
        if (n == 0) {
            throw new InvalidInputException(field, s, "must not be empty");
        }
        if (n > ID_MAX_LENGTH && s.codePointCount(0, n) > ID_MAX_LENGTH) {
            throw new InvalidInputException(field, shownText(s),
                    "is " + s.codePointCount(0, n) + " characters long; at most " + ID_MAX_LENGTH + " allowed");
        }
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) {
                throw new InvalidInputException(field, shownText(s),
                        "contains the control character U+" + String.format("%04X", (int) c) + " at position " + i);
            }
        }
        if (s.charAt(0) == ' ' || s.charAt(n - 1) == ' ') {
            throw new InvalidInputException(field, shownText(s), "must not start or end with a space");
        }
    }

    /** An account id: an identifier without {@code ':'} (reserved for isolated sub-accounts, SPEC §2.5). */
    public static String accountId(JsonNode node, String path, String name) {
        String s = id(node, path, name);
        if (s.indexOf(':') >= 0) {
            throw new InvalidInputException(path + "." + name, shownText(s), "must not contain ':' (reserved for isolated sub-accounts)");
        }
        return s;
    }

    // ---- decimals -----------------------------------------------------------------------------

    /** A required decimal string of any sign. */
    public static BigDecimal decimal(JsonNode node, String path, String name) {
        return decimalValue(required(node, path, name), path + "." + name, Range.ANY);
    }

    public static BigDecimal decimal(JsonNode node, String path, String name, Range range) {
        return decimalValue(required(node, path, name), path + "." + name, range);
    }

    public static BigDecimal optionalDecimal(JsonNode node, String path, String name) {
        return optionalDecimal(node, path, name, Range.ANY);
    }

    public static BigDecimal optionalDecimal(JsonNode node, String path, String name, Range range) {
        JsonNode v = optional(node, path, name);
        return v == null ? null : decimalValue(v, path + "." + name, range);
    }

    public static BigDecimal decimalValue(JsonNode v, String field) {
        return decimalValue(v, field, Range.ANY);
    }

    /** A decimal string; JSON numbers are refused because binary floats lose cents (SPEC §1). */
    public static BigDecimal decimalValue(JsonNode v, String field, Range range) {
        if (!v.isTextual()) {
            throw new InvalidInputException(field, shown(v), "must be a decimal string such as \"43250.5\""
                    + (v.isNumber() ? ", not a JSON number" : ""));
        }
        BigDecimal d = parseDecimal(field, v.textValue());
        if (!range.admits(d)) {
            throw new InvalidInputException(field, v.textValue(), range.problem);
        }
        return d;
    }

    // ---- integers -----------------------------------------------------------------------------

    /** A required whole number in {@code [min, max]}; an integral JSON number such as 5.0 counts (JSON Schema). */
    public static long wholeNumber(JsonNode node, String path, String name, long min, long max) {
        JsonNode v = node.get(name);
        if (v == null || v.isNull()) {
            throw new InvalidInputException(path + "." + name, null, "is required");
        }
        return wholeValue(v, path + "." + name, min, max);
    }

    /** A sequence number: a whole number from {@code min} to {@value #SEQUENCE_MAX}. */
    public static long sequence(JsonNode node, String path, String name, long min) {
        return wholeNumber(node, path, name, min, SEQUENCE_MAX);
    }

    public static long wholeValue(JsonNode v, String field, long min, long max) {
        String range = "a whole number from " + min + " to " + max;
        if (v.isInt() || v.isLong()) {
            long x = v.longValue();
            if (x < min || x > max) {
                throw new InvalidInputException(field, shown(v), "must be " + range);
            }
            return x;
        }
        if (!v.isNumber()) {
            throw new InvalidInputException(field, shown(v), "must be " + range + " (a JSON integer)");
        }
        if ((v.isDouble() || v.isFloat()) && !Double.isFinite(v.doubleValue())) {
            throw new InvalidInputException(field, shown(v), "must be " + range);
        }
        BigDecimal d = v.isBigInteger() ? new BigDecimal(v.bigIntegerValue()) : v.decimalValue();
        if (d.signum() != 0 && d.stripTrailingZeros().scale() > 0) {
            throw new InvalidInputException(field, shown(v), "must be " + range + ", not a fraction");
        }
        BigInteger x = d.toBigInteger();
        if (x.compareTo(BigInteger.valueOf(min)) < 0 || x.compareTo(BigInteger.valueOf(max)) > 0) {
            throw new InvalidInputException(field, shown(v), "must be " + range);
        }
        return x.longValueExact();
    }

    /** An optional duration in whole seconds in {@code [min, SECONDS_MAX]}, else {@code fallback}. */
    public static long optionalSeconds(JsonNode node, String path, String name, long min, long fallback) {
        JsonNode v = optional(node, path, name);
        return v == null ? fallback : wholeValue(v, path + "." + name, min, SECONDS_MAX);
    }

    /** An optional positive duration in whole seconds, else {@code fallback}. */
    public static long optionalSeconds(JsonNode node, String path, String name, long fallback) {
        return optionalSeconds(node, path, name, 1, fallback);
    }

    public static Boolean optionalBoolean(JsonNode node, String path, String name) {
        JsonNode v = optional(node, path, name);
        if (v == null) {
            return null;
        }
        if (!v.isBoolean()) {
            throw new InvalidInputException(path + "." + name, shown(v), "must be true or false");
        }
        return v.booleanValue();
    }

    // ---- instants -----------------------------------------------------------------------------

    /** A required RFC 3339 UTC instant, truncated to the millisecond (SPEC §1). */
    public static Instant instant(JsonNode node, String path, String name) {
        return instantValue(required(node, path, name), path + "." + name);
    }

    public static Instant instantValue(JsonNode v, String field) {
        if (!v.isTextual()) {
            throw new InvalidInputException(field, shown(v), "must be an RFC 3339 UTC instant string such as 2026-01-01T00:00:00.000Z");
        }
        String s = v.textValue();
        if (!instantShape(s)) {
            throw new InvalidInputException(field, shownText(s),
                    "is not an RFC 3339 UTC instant of the form YYYY-MM-DDTHH:MM:SS[.fff]Z such as 2026-01-01T00:00:00.000Z");
        }
        return Timestamps.parse(field, s); // the calendar: refuses 2026-02-30
    }

    // ---- error messages -----------------------------------------------------------------------

    /** A JSON value as shown in an error message: JSON text, long values elided, controls escaped. */
    public static Object shown(JsonNode v) {
        return Grammar.shown(v);
    }

    /** A string value as shown in an error message (then quoted by {@link InvalidInputException}). */
    public static String shownText(String s) {
        return Grammar.shownText(s);
    }

    /** Parses the decimal-string grammar (see {@link Grammar#parseDecimal}). */
    public static BigDecimal parseDecimal(String field, String s) {
        return Grammar.parseDecimal(field, s);
    }

    static boolean instantShape(String s) {
        return Grammar.instantShape(s);
    }
}
