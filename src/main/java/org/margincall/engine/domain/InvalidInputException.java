package org.margincall.engine.domain;

/**
 * Rejected input (SPEC §9): names the offending field and value so an operator can fix the
 * source without reading code. Thrown before any state is touched.
 */
public final class InvalidInputException extends IllegalArgumentException {
    private final String field;
    private final String value;

    public InvalidInputException(String field, Object value, String problem) {
        super(field + " = " + render(value) + ": " + problem);
        this.field = field;
        this.value = render(value);
    }

    public String field() {
        return field;
    }

    public String value() {
        return value;
    }

    private static String render(Object value) {
        if (value == null) {
            return "null";
        }
        String s = value.toString();
        return value instanceof CharSequence ? '"' + s + '"' : s;
    }
}
