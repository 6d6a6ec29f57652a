package org.margincall.engine.adapter.dynamodb;

import static org.margincall.engine.adapter.dynamodb.VenueStore.n;
import static org.margincall.engine.adapter.dynamodb.VenueStore.s;

import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.margincall.engine.config.EngineConfig;
import org.margincall.engine.service.port.HoldingsIndex;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;

/**
 * The holdings index (docs/data-model.md): one row per account and exposed instrument under the
 * account's partition, projected into the sharded {@code holdings} GSI ({@code hpk} = venue,
 * instrument and shard), so a price event queries every shard of its instrument in parallel.
 */
@ApplicationScoped
public class DynamoDbHoldingsIndex implements HoldingsIndex {
    private final DynamoDbClient ddb;
    private final String table;
    private final int shards;
    private final ExecutorService pool = Executors.newFixedThreadPool(8, r -> {
        Thread t = new Thread(r, "ddb-holdings");
        t.setDaemon(true);
        return t;
    });

    public DynamoDbHoldingsIndex(DynamoDbClient ddb, EngineConfig config) {
        this.ddb = ddb;
        this.table = config.table();
        this.shards = config.holdingsShards();
    }

    @Override
    public void put(String venueId, String accountId, Set<String> instruments) {
        for (String instrument : instruments) {
            ddb.putItem(b -> b.tableName(table).item(Map.of(
                    Keys.PK, s(Keys.account(venueId, accountId)), Keys.SK, s(Keys.holdingSk(instrument)),
                    Keys.HPK, s(Keys.holdingsPartition(venueId, instrument, Keys.shard(accountId, shards))),
                    Keys.HSK, s(accountId))));
        }
    }

    @Override
    public void remove(String venueId, String accountId, Set<String> instruments) {
        for (String instrument : instruments) {
            ddb.deleteItem(b -> b.tableName(table).key(Map.of(Keys.PK, s(Keys.account(venueId, accountId)),
                    Keys.SK, s(Keys.holdingSk(instrument)))));
        }
    }

    /** Account ids exposed to an instrument: every shard's pages, queried in parallel. */
    @Override
    public List<String> holders(String venueId, String instrument) {
        List<CompletableFuture<List<String>>> parts = new ArrayList<>();
        for (int shard = 0; shard < shards; shard++) {
            String hpk = Keys.holdingsPartition(venueId, instrument, shard);
            parts.add(CompletableFuture.supplyAsync(() -> holdersOf(hpk), pool));
        }
        List<String> out = new ArrayList<>();
        for (CompletableFuture<List<String>> p : parts) {
            out.addAll(p.join());
        }
        return out;
    }

    private List<String> holdersOf(String hpk) {
        List<String> out = new ArrayList<>();
        Map<String, AttributeValue> start = null;
        do {
            QueryRequest.Builder q = QueryRequest.builder().tableName(table).indexName(Keys.HOLDINGS_INDEX)
                    .keyConditionExpression("hpk = :h").expressionAttributeValues(Map.of(":h", s(hpk)));
            if (start != null) {
                q.exclusiveStartKey(start);
            }
            QueryResponse r = ddb.query(q.build());
            r.items().forEach(i -> out.add(i.get(Keys.HSK).s()));
            start = r.hasLastEvaluatedKey() && !r.lastEvaluatedKey().isEmpty() ? r.lastEvaluatedKey() : null;
        } while (start != null);
        return out;
    }

}
