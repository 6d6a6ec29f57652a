package org.margincall.engine.service.port;

import java.util.List;

/**
 * Delivery bookkeeping on an account's outbox (SPEC §9: nothing owed is lost): who is publishing
 * an entry, and removing what the world has accepted. None of these bump the account's version.
 */
public interface OutboxClaims {

    /**
     * Takes over an outbox entry when nobody holds a live claim (claims made before
     * {@code staleBeforeMillis} are dead).
     *
     * @return false when another publisher holds it or it is already gone
     */
    boolean claim(String venueId, String accountId, String entryId, String claimant, long nowMillis,
                  long staleBeforeMillis);

    /** Gives up claims after a failed publish so the next sweep retries at once; gone entries are ignored. */
    void release(String venueId, String accountId, List<String> entryIds);

    /** Drops accepted outbox entries; idempotent. */
    void removeOutbox(String venueId, String accountId, List<String> entryIds);

    /** Drops escalation starts Step Functions has accepted; idempotent. */
    void removeEscalations(String venueId, String accountId, List<String> callIds);
}
