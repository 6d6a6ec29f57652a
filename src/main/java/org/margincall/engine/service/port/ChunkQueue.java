package org.margincall.engine.service.port;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;

/**
 * The worker queue of a price event that crosses more accounts than one invocation should handle
 * (SPEC §10): each chunk names the accounts a worker evaluates for that price.
 */
public interface ChunkQueue {

    /**
     * One chunk of a price event's crossed accounts.
     *
     * @param price the event's mark, quote currency
     * @param timestamp the event's timestamp (ms)
     * @param accountIds the accounts to evaluate, at most the configured chunk size
     */
    record Chunk(String venueId, String instrument, BigDecimal price, Instant timestamp, long sequence,
                 List<String> accountIds) {
    }

    /**
     * Enqueues chunks (every one, or an exception: the price event then fails and its retry
     * enqueues again; a chunk processed twice sends nothing twice).
     *
     * @throws DeliveryFailedException when a chunk could not be enqueued
     */
    void send(List<Chunk> chunks);

    /** Whether this deployment has a worker queue; without one every crossed account is handled inline. */
    boolean configured();
}
