package org.margincall.engine.adapter.dynamodb;

import static org.margincall.engine.adapter.dynamodb.VenueStore.n;
import static org.margincall.engine.adapter.dynamodb.VenueStore.s;

import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.margincall.engine.config.EngineConfig;
import org.margincall.engine.service.port.OutboxClaims;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;

/**
 * Outbox claims on the account item (docs/data-model.md): conditional updates of one outbox
 * entry's {@code claimedBy}/{@code claimedAt}, and removal of what was delivered. None of them bump
 * the item's version, so delivery never makes a concurrent evaluation retry.
 */
@ApplicationScoped
public class DynamoDbOutboxClaims implements OutboxClaims {
    private final DynamoDbClient ddb;
    private final String table;

    public DynamoDbOutboxClaims(DynamoDbClient ddb, EngineConfig config) {
        this.ddb = ddb;
        this.table = config.table();
    }

    /** Drops outbox entries SNS has accepted. Idempotent; does not bump the version. */
    @Override
    public void removeOutbox(String venueId, String accountId, List<String> entryIds) {
        removeFromMap(venueId, accountId, "outbox", entryIds);
    }

    /** Drops escalation starts Step Functions has accepted. */
    @Override
    public void removeEscalations(String venueId, String accountId, List<String> callIds) {
        removeFromMap(venueId, accountId, "escalations", callIds);
    }

    private void removeFromMap(String venueId, String accountId, String map, List<String> keys) {
        if (keys.isEmpty()) {
            return;
        }
        Map<String, String> names = new HashMap<>();
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < keys.size(); i++) {
            names.put("#k" + i, keys.get(i));
            parts.add(map + ".#k" + i);
        }
        ddb.updateItem(b -> b.tableName(table).key(DynamoDbAccountItems.key(venueId, accountId))
                .updateExpression("REMOVE " + String.join(", ", parts)).expressionAttributeNames(names));
    }

    /**
     * Takes over an outbox entry for publishing when nobody holds a live claim on it (claims older
     * than {@code staleBeforeMillis} are dead). Returns false when another invocation holds it or
     * it is gone; this is what keeps two publishers of one entry apart.
     */
    @Override
    public boolean claim(String venueId, String accountId, String entryId, String claimant, long nowMillis,
                         long staleBeforeMillis) {
        try {
            ddb.updateItem(b -> b.tableName(table).key(DynamoDbAccountItems.key(venueId, accountId))
                    .updateExpression("SET outbox.#o.claimedBy = :me, outbox.#o.claimedAt = :now")
                    .conditionExpression("attribute_exists(outbox.#o) AND outbox.#o.claimedAt < :stale")
                    .expressionAttributeNames(Map.of("#o", entryId))
                    .expressionAttributeValues(Map.of(":me", s(claimant), ":now", n(nowMillis), ":stale", n(staleBeforeMillis))));
            return true;
        } catch (ConditionalCheckFailedException e) {
            return false;
        }
    }

    /** Gives up a claim after a failed publish so the next sweep retries at once. */
    @Override
    public void release(String venueId, String accountId, List<String> entryIds) {
        for (String id : entryIds) {
            try {
                ddb.updateItem(b -> b.tableName(table).key(DynamoDbAccountItems.key(venueId, accountId))
                        .updateExpression("SET outbox.#o.claimedAt = :zero")
                        .conditionExpression("attribute_exists(outbox.#o)")
                        .expressionAttributeNames(Map.of("#o", id)).expressionAttributeValues(Map.of(":zero", n(0))));
            } catch (ConditionalCheckFailedException gone) {
                // published and removed by someone else meanwhile: nothing to release
            }
        }
    }

}
