package org.margincall.engine.codec;

import static org.margincall.engine.codec.JsonFields.FRACTION_DIGITS;
import static org.margincall.engine.codec.JsonFields.INTEGER_DIGITS;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import org.margincall.engine.domain.InvalidInputException;

/**
 * The lexical rules of the input schemas that {@link JsonFields} applies, written by hand (no
 * regex) because they run on every price event: the decimal-string grammar, the RFC 3339 instant
 * shape, and how a refused value is shown in an error message (long values elided, control
 * characters escaped, so a hostile payload never lands in the logs whole).
 */
final class Grammar {
    /** Longest value quoted in an error message; the rest is elided. */
    private static final int SHOWN = 80;

    private Grammar() {
    }

    /** Parses the decimal-string grammar by hand (no regex, no exponent): cheap on the price path. */
    static BigDecimal parseDecimal(String field, String s) {
        int n = s.length();
        int i = 0;
        boolean negative = n > 0 && s.charAt(0) == '-';
        if (negative) {
            i = 1;
        }
        int intStart = i;
        while (i < n && isDigit(s.charAt(i))) {
            i++;
        }
        int intDigits = i - intStart;
        int fracDigits = -1;
        if (i < n && s.charAt(i) == '.') {
            int fracStart = ++i;
            while (i < n && isDigit(s.charAt(i))) {
                i++;
            }
            fracDigits = i - fracStart;
        }
        if (i != n || intDigits == 0 || fracDigits == 0) {
            throw new InvalidInputException(field, shownText(s),
                    "is not a decimal string (digits, an optional leading '-' and '.', no exponent, spaces or separators)");
        }
        if (intDigits > 1 && s.charAt(intStart) == '0') {
            throw new InvalidInputException(field, shownText(s), "has a leading zero");
        }
        if (intDigits > INTEGER_DIGITS) {
            throw new InvalidInputException(field, shownText(s), "has more than " + INTEGER_DIGITS + " digits before the point");
        }
        if (fracDigits > FRACTION_DIGITS) {
            throw new InvalidInputException(field, shownText(s), "has more than " + FRACTION_DIGITS + " digits after the point");
        }
        BigDecimal d = new BigDecimal(s);
        if (negative && d.signum() == 0) {
            throw new InvalidInputException(field, s, "is a negative zero; write it without the sign");
        }
        return d;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }


    /** {@code YYYY-MM-DDTHH:MM:SS(.d{1,9})?Z} with hours 00–23, minutes and seconds 00–59. */
    static boolean instantShape(String s) {
        int n = s.length();
        if (n < 20 || n > 30 || s.charAt(n - 1) != 'Z') {
            return false;
        }
        for (int i = 0; i < 19; i++) {
            char c = s.charAt(i);
            boolean ok = switch (i) {
                case 4, 7 -> c == '-';
                case 10 -> c == 'T';
                case 13, 16 -> c == ':';
                default -> isDigit(c);
            };
            if (!ok) {
                return false;
            }
        }
        if (two(s, 11) > 23 || two(s, 14) > 59 || two(s, 17) > 59) {
            return false;
        }
        if (n == 20) {
            return true;
        }
        if (s.charAt(19) != '.' || n == 21) {
            return false;
        }
        for (int i = 20; i < n - 1; i++) {
            if (!isDigit(s.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    private static int two(String s, int at) {
        return (s.charAt(at) - '0') * 10 + (s.charAt(at + 1) - '0');
    }


    /** A JSON value as shown in an error message: JSON text, long values elided, controls escaped. */
    static Object shown(JsonNode v) {
        if (v == null) {
            return null;
        }
        return v.isTextual() ? shownText(v.textValue()) : new Raw(elide(v.isNumber() ? v.asText() : v.toString()));
    }

    /** JSON text other than a string: shown without quotes. */
    private record Raw(String json) {
        @Override
        public String toString() {
            return json;
        }
    }

    /** A string value as shown in an error message (then quoted by {@link InvalidInputException}). */
    static String shownText(String s) {
        return s == null ? null : elide(escapeControls(s));
    }

    static String shownName(String name) {
        return elide(escapeControls(name));
    }

    private static String elide(String s) {
        return s.length() <= SHOWN ? s : s.substring(0, SHOWN) + "…(" + s.length() + " characters)";
    }

    private static String escapeControls(String s) {
        StringBuilder sb = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean control = c < 0x20 || (c >= 0x7f && c <= 0x9f);
            if (control && sb == null) {
                sb = new StringBuilder(s.length() + 8).append(s, 0, i);
            }
            if (sb != null) {
                if (control) {
                    sb.append(String.format("\\u%04X", (int) c));
                } else {
                    sb.append(c);
                }
            }
        }
        return sb == null ? s : sb.toString();
    }
}
