package org.margincall.engine.domain;

import java.time.Instant;

/**
 * The ordering key of an instrument's price (SPEC §5.1): event timestamp in epoch milliseconds
 * (truncated, SPEC §1), then the feed's sequence. A price is accepted only when its stamp is newer
 * than the stored one; an equal stamp is a duplicate, an older one is out of order. This is the one
 * statement of that rule; the DynamoDB adapter encodes the same comparison as a condition expression.
 *
 * @param timestampMillis the event's timestamp, epoch milliseconds
 * @param sequence the feed's sequence number (non-negative)
 */
public record PriceStamp(long timestampMillis, long sequence) {

    /** The stamp of a price event at {@code timestamp} with {@code sequence}. */
    public static PriceStamp of(Instant timestamp, long sequence) {
        return new PriceStamp(Timestamps.truncate(timestamp).toEpochMilli(), sequence);
    }

    /** True when this stamp orders strictly after {@code other}; any stamp is newer than null. */
    public boolean isNewerThan(PriceStamp other) {
        if (other == null) {
            return true;
        }
        return timestampMillis != other.timestampMillis ? timestampMillis > other.timestampMillis : sequence > other.sequence;
    }

    /** The timestamp as an instant. */
    public Instant timestamp() {
        return Instant.ofEpochMilli(timestampMillis);
    }
}
