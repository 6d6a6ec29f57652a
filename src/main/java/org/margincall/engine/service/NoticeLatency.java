package org.margincall.engine.service;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.OptionalLong;
import org.margincall.engine.domain.Trigger;

/**
 * The price-to-publish latency of one notice (issue #11, {@code PriceToPublishLatency}): from the
 * body's {@code trigger.timestamp} — the price's own time (SPEC §1, §6) — to the moment SNS
 * accepted the notice, for notices whose {@code trigger.kind} is {@code PRICE} only (account
 * events, clock steps and the sweep are not a price's latency).
 *
 * <p>Read from the published body (the outbox entry carries nothing else) with Jackson's streaming
 * parser: no tree is built, every other member is skipped, and reading stops at {@code trigger}.
 * A body that cannot be read gives no value: a metric must never fail a delivery.
 */
final class NoticeLatency {
    private static final JsonFactory JSON = new JsonFactory();

    private NoticeLatency() {
    }

    /**
     * @param body a SPEC §6 notification body
     * @param acceptedAtMillis when SNS accepted it (epoch milliseconds, the service clock)
     * @return the milliseconds from the trigger's timestamp to {@code acceptedAtMillis} (negative
     *         when the price's clock runs ahead of ours), or empty when the trigger is not a price
     */
    static OptionalLong millis(String body, long acceptedAtMillis) {
        OptionalLong price = priceMillis(body);
        return price.isPresent() ? OptionalLong.of(acceptedAtMillis - price.getAsLong()) : OptionalLong.empty();
    }

    /** The trigger's timestamp in epoch milliseconds when {@code trigger.kind} is PRICE, else empty. */
    static OptionalLong priceMillis(String body) {
        if (body == null) {
            return OptionalLong.empty();
        }
        try (JsonParser p = JSON.createParser(body)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return OptionalLong.empty();
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                if ("trigger".equals(name)) {
                    return value == JsonToken.START_OBJECT ? trigger(p) : OptionalLong.empty();
                }
                p.skipChildren();
            }
            return OptionalLong.empty();
        } catch (IOException | DateTimeParseException e) {
            return OptionalLong.empty();
        }
    }

    /** Reads the trigger object the parser is at the start of. */
    private static OptionalLong trigger(JsonParser p) throws IOException {
        String kind = null;
        String timestamp = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken value = p.nextToken();
            if (value == JsonToken.VALUE_STRING && "kind".equals(name)) {
                kind = p.getText();
            } else if (value == JsonToken.VALUE_STRING && "timestamp".equals(name)) {
                timestamp = p.getText();
            } else {
                p.skipChildren();
            }
        }
        if (!Trigger.Kind.PRICE.name().equals(kind) || timestamp == null) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(Instant.parse(timestamp).toEpochMilli());
    }
}
