package org.margincall.engine.adapter.dynamodb;

import static software.amazon.awssdk.services.dynamodb.model.AttributeValue.fromS;

import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.margincall.engine.config.EngineConfig;
import org.margincall.engine.service.port.BandIndex;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BatchWriteItemResponse;
import software.amazon.awssdk.services.dynamodb.model.DeleteRequest;
import software.amazon.awssdk.services.dynamodb.model.PutRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;
import software.amazon.awssdk.services.dynamodb.model.WriteRequest;

/**
 * Trigger-band rows in the base table (SPEC §10, docs/data-model.md, docs/trigger-bands.md §7):
 * {@code pk = B<L|H|R>#<venue>#<instrument>#<shard>}, {@code sk = <edge hex>#<account>#<version>},
 * the shard a stable hash of the account id. A tick runs three strongly consistent range queries
 * per shard, in parallel ({@code LOW} rows with {@code sk ≥ edge(P)}, {@code HIGH} rows with
 * {@code sk < edge(P) + "$"}, {@code REMINDER} rows with {@code sk < due(t) + "$"}: {@code '$'} sorts
 * just after the {@code '#'} that ends the edge, so an edge equal to the price is included) — not a
 * GSI, which is eventually consistent and could return a band the last commit already replaced.
 */
@ApplicationScoped
public class DynamoDbBandIndex implements BandIndex {
    private static final int BATCH_WRITE = 25;
    private final DynamoDbClient ddb;
    private final String table;
    private final int shards;
    private final ExecutorService pool = Executors.newFixedThreadPool(8, r -> {
        Thread t = new Thread(r, "ddb-bands");
        t.setDaemon(true);
        return t;
    });

    public DynamoDbBandIndex(DynamoDbClient ddb, EngineConfig config) {
        this.ddb = ddb;
        this.table = config.table();
        this.shards = config.bandShards();
        if (shards < 1) {
            throw new IllegalArgumentException("margincall.band-shards must be ≥ 1, was " + shards);
        }
    }

    static String partition(Kind kind, String venueId, String instrument, int shard) {
        return "B" + kind.name().charAt(0) + "#" + venueId + "#" + instrument + "#" + shard;
    }

    private Map<String, AttributeValue> key(String venueId, String accountId, Row r) {
        return Map.of(Keys.PK, fromS(partition(r.kind(), venueId, r.instrument(), Keys.shard(accountId, shards))),
                Keys.SK, fromS(r.edge() + "#" + accountId + "#" + r.version()));
    }

    @Override
    public Set<String> crossed(String venueId, String instrument, double price, Instant at) {
        String p = BandIndex.priceEdge(price);
        String t = BandIndex.dueEdge(at);
        List<CompletableFuture<List<String[]>>> parts = new ArrayList<>();
        for (int shard = 0; shard < shards; shard++) {
            parts.add(query(partition(Kind.LOW, venueId, instrument, shard), "sk >= :e", p));
            parts.add(query(partition(Kind.HIGH, venueId, instrument, shard), "sk < :e", p + "$"));
            parts.add(query(partition(Kind.REMINDER, venueId, instrument, shard), "sk < :e", t + "$"));
        }
        Set<String> out = new LinkedHashSet<>();
        for (CompletableFuture<List<String[]>> part : parts) {
            for (String[] sk : part.join()) {
                out.add(sk[1]);
            }
        }
        return out;
    }

    /** Every page of one partition's rows matching {@code condition} on sk; each as {edge, account, version}. */
    private CompletableFuture<List<String[]>> query(String pk, String condition, String edge) {
        return CompletableFuture.supplyAsync(() -> {
            List<String[]> out = new ArrayList<>();
            Map<String, AttributeValue> start = null;
            do {
                QueryRequest.Builder q = QueryRequest.builder().tableName(table).consistentRead(true)
                        .keyConditionExpression("pk = :p" + (condition == null ? "" : " AND " + condition))
                        .projectionExpression("sk");
                Map<String, AttributeValue> values = new HashMap<>();
                values.put(":p", fromS(pk));
                if (condition != null) {
                    values.put(":e", fromS(edge));
                }
                q.expressionAttributeValues(values);
                if (start != null) {
                    q.exclusiveStartKey(start);
                }
                QueryResponse r = ddb.query(q.build());
                for (Map<String, AttributeValue> item : r.items()) {
                    out.add(split(item.get(Keys.SK).s()));
                }
                start = r.hasLastEvaluatedKey() && !r.lastEvaluatedKey().isEmpty() ? r.lastEvaluatedKey() : null;
            } while (start != null);
            return out;
        }, pool);
    }

    /** {edge, account, version} of a row's sort key; account ids never contain '#'. */
    private static String[] split(String sk) {
        int a = sk.indexOf('#');
        int b = sk.lastIndexOf('#');
        return new String[] {sk.substring(0, a), sk.substring(a + 1, b), sk.substring(b + 1)};
    }

    @Override
    public void put(String venueId, String accountId, Collection<Row> rows) {
        List<WriteRequest> writes = new ArrayList<>(rows.size());
        for (Row r : rows) {
            writes.add(WriteRequest.builder().putRequest(PutRequest.builder().item(key(venueId, accountId, r)).build()).build());
        }
        write(writes);
    }

    @Override
    public void deleteAll(String venueId, Map<String, ? extends Collection<Row>> rowsByAccount) {
        List<WriteRequest> writes = new ArrayList<>();
        rowsByAccount.forEach((accountId, rows) -> {
            for (Row r : rows) {
                writes.add(WriteRequest.builder().deleteRequest(DeleteRequest.builder().key(key(venueId, accountId, r)).build())
                        .build());
            }
        });
        write(writes);
    }

    /** BatchWriteItem, 25 requests a call, until DynamoDB has processed every one. */
    private void write(List<WriteRequest> writes) {
        for (int from = 0; from < writes.size(); from += BATCH_WRITE) {
            Map<String, List<WriteRequest>> request = Map.of(table,
                    List.copyOf(writes.subList(from, Math.min(writes.size(), from + BATCH_WRITE))));
            for (int round = 1; !request.isEmpty(); round++) {
                Map<String, List<WriteRequest>> req = request;
                BatchWriteItemResponse r = ddb.batchWriteItem(b -> b.requestItems(req));
                request = r.hasUnprocessedItems() ? r.unprocessedItems() : Map.of();
                if (!request.isEmpty()) {
                    if (round == 8) {
                        throw new IllegalStateException("DynamoDB left " + request.get(table).size()
                                + " band-row writes unprocessed after " + round + " rounds");
                    }
                    try {
                        Thread.sleep(Math.min(1000, 25L << round));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IllegalStateException("interrupted while writing band rows", e);
                    }
                }
            }
        }
    }

    @Override
    public Map<String, Set<Row>> rows(String venueId, String instrument) {
        List<CompletableFuture<List<String[]>>> parts = new ArrayList<>();
        List<Kind> kinds = new ArrayList<>();
        for (int shard = 0; shard < shards; shard++) {
            for (Kind k : Kind.values()) {
                parts.add(query(partition(k, venueId, instrument, shard), null, null));
                kinds.add(k);
            }
        }
        Map<String, Set<Row>> out = new HashMap<>();
        for (int i = 0; i < parts.size(); i++) {
            for (String[] sk : parts.get(i).join()) {
                out.computeIfAbsent(sk[1], k -> new LinkedHashSet<>())
                        .add(new Row(kinds.get(i), instrument, sk[0], Long.parseLong(sk[2])));
            }
        }
        return out;
    }
}
