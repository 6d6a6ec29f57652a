package org.margincall.engine.domain;

import java.math.BigDecimal;
import java.time.Instant;

/**
 * What caused an evaluation. Its {@link #key()} identifies the event so that an episode opened by
 * it gets a deterministic id (SPEC §3.3) and a replayed event yields the same id.
 *
 * @param instrument the priced instrument for a price event, else null
 * @param eventId the venue's event id for account events, the call id for clock steps
 */
public record Trigger(Kind kind, String instrument, BigDecimal price, Instant timestamp, long sequence, String eventId) {
    public enum Kind { PRICE, ACCOUNT, CLOCK, SWEEP }

    public static Trigger price(String instrument, BigDecimal price, Instant timestamp, long sequence) {
        return new Trigger(Kind.PRICE, instrument, price, timestamp, sequence, null);
    }

    public static Trigger account(String eventId, Instant timestamp) {
        return new Trigger(Kind.ACCOUNT, null, null, timestamp, 0, eventId);
    }

    public static Trigger clock(String callId, String step, Instant at) {
        return new Trigger(Kind.CLOCK, null, null, at, 0, callId + "/" + step);
    }

    public static Trigger sweep(Instant at) {
        return new Trigger(Kind.SWEEP, null, null, at, 0, null);
    }

    public String key() {
        return switch (kind) {
            case PRICE -> "PRICE|" + instrument + "|" + timestamp + "|" + sequence;
            case ACCOUNT -> "ACCOUNT|" + eventId;
            case CLOCK -> "CLOCK|" + eventId;
            case SWEEP -> "SWEEP|" + timestamp;
        };
    }
}
