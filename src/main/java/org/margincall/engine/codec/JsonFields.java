package org.margincall.engine.codec;

import org.margincall.engine.domain.Timestamps;
import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import org.margincall.engine.domain.Decimals;
import org.margincall.engine.domain.InvalidInputException;

/**
 * Reads fields of a JSON document strictly, naming the path of whatever is missing or malformed
 * (SPEC §9). Money must come as decimal strings (SPEC §1); a JSON number is refused for it.
 */
public final class JsonFields {
    private JsonFields() {
    }

    public static JsonNode required(JsonNode node, String path, String name) {
        JsonNode v = node == null ? null : node.get(name);
        if (v == null || v.isNull()) {
            throw new InvalidInputException(path + "." + name, null, "is required");
        }
        return v;
    }

    public static String text(JsonNode node, String path, String name) {
        JsonNode v = required(node, path, name);
        if (!v.isTextual() || v.asText().isBlank()) {
            throw new InvalidInputException(path + "." + name, v.toString(), "must be a non-empty string");
        }
        return v.asText();
    }

    public static String optionalText(JsonNode node, String path, String name) {
        JsonNode v = node.get(name);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw new InvalidInputException(path + "." + name, v.toString(), "must be a string");
        }
        return v.asText();
    }

    /** A decimal string field; JSON numbers are refused because binary floats lose cents. */
    public static BigDecimal decimal(JsonNode node, String path, String name) {
        return decimalValue(required(node, path, name), path + "." + name);
    }

    public static BigDecimal optionalDecimal(JsonNode node, String path, String name) {
        JsonNode v = node.get(name);
        return v == null || v.isNull() ? null : decimalValue(v, path + "." + name);
    }

    public static BigDecimal decimalValue(JsonNode v, String field) {
        if (!v.isTextual()) {
            throw new InvalidInputException(field, v.toString(), "must be a decimal string such as \"43250.5\"");
        }
        return Decimals.parse(field, v.asText());
    }

    public static long optionalSeconds(JsonNode node, String path, String name, long fallback) {
        JsonNode v = node.get(name);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.canConvertToLong() || !v.isIntegralNumber()) {
            throw new InvalidInputException(path + "." + name, v.toString(), "must be a whole number of seconds");
        }
        return v.asLong();
    }

    public static JsonNode array(JsonNode node, String path, String name) {
        JsonNode v = required(node, path, name);
        if (!v.isArray()) {
            throw new InvalidInputException(path + "." + name, v.getNodeType().toString(), "must be an array");
        }
        return v;
    }

    /** A required ISO-8601 instant field. */
    public static java.time.Instant instant(JsonNode node, String path, String name) {
        return Timestamps.parse(path + "." + name, text(node, path, name));
    }

    /** A required whole number of at least {@code min}. */
    public static long wholeNumber(JsonNode node, String path, String name, long min) {
        JsonNode v = node.get(name);
        if (v == null || !v.isIntegralNumber() || v.asLong() < min) {
            throw new InvalidInputException(path + "." + name, v == null ? null : v.toString(),
                    "must be a whole number of at least " + min);
        }
        return v.asLong();
    }
}
