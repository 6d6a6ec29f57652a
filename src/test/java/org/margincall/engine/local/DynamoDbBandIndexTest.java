package org.margincall.engine.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.margincall.engine.adapter.dynamodb.DynamoDbBandIndex;
import org.margincall.engine.service.port.BandIndex;
import org.margincall.engine.service.port.BandIndex.Kind;
import org.margincall.engine.service.port.BandIndex.Row;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * The band rows of SPEC §10 against dynalite through the SDK: which rows a tick's queries find
 * (an edge equal to the mark is crossed, one a hair away is not; reminders due at the tick's
 * millisecond are found), across shards and pages, and that deletes and {@code rows} see what was
 * written. Edges by hand: a band (39 000, 41 000) is crossed by 39 000 and 41 000, not by 40 000,
 * 39 000.000001 or 40 999.99999.
 */
class DynamoDbBandIndexTest {
    static DynamoDbClient ddb;
    static LocalConfig config;

    @BeforeAll
    static void up() {
        LocalStack stack = LocalStack.shared();
        ddb = stack.dynamoDb();
        config = new LocalConfig("v-" + UUID.randomUUID().toString().substring(0, 8), stack.resource("MarginTable", "name"),
                "", "", "", 500, null);
    }

    private static Row low(String instrument, double edge, long version) {
        return new Row(Kind.LOW, instrument, BandIndex.priceEdge(edge), version);
    }

    private static Row high(String instrument, double edge, long version) {
        return new Row(Kind.HIGH, instrument, BandIndex.priceEdge(edge), version);
    }

    @Test
    void aTickFindsExactlyTheBandsItLeavesEdgesIncluded() {
        DynamoDbBandIndex index = new DynamoDbBandIndex(ddb, config);
        String venue = config.venueId();
        String btc = "BTC-" + UUID.randomUUID().toString().substring(0, 6);
        index.put(venue, "inside", List.of(low(btc, 39000, 3), high(btc, 41000, 3)));
        index.put(venue, "low-only", List.of(low(btc, 39500, 1)));
        index.put(venue, "empty", List.of(high(btc, 0, 0)));
        Instant t = Instant.parse("2026-01-01T00:10:00.250Z");
        index.put(venue, "reminder", List.of(new Row(Kind.REMINDER, btc, BandIndex.dueEdge(t), 2)));

        assertThat(index.crossed(venue, btc, 40000, t.minusMillis(1))).containsExactlyInAnyOrder("empty");
        assertThat(index.crossed(venue, btc, 39000, t.minusMillis(1))).containsExactlyInAnyOrder("inside", "low-only", "empty");
        assertThat(index.crossed(venue, btc, 39000.000001, t.minusMillis(1))).containsExactlyInAnyOrder("low-only", "empty");
        assertThat(index.crossed(venue, btc, 41000, t.minusMillis(1))).containsExactlyInAnyOrder("inside", "empty");
        assertThat(index.crossed(venue, btc, 40999.99999, t.minusMillis(1))).containsExactlyInAnyOrder("empty");
        assertThat(index.crossed(venue, btc, 40999.99999, t)).containsExactlyInAnyOrder("empty", "reminder");
        assertThat(index.crossed(venue, "ETH-" + btc, 40000, t)).isEmpty();

        index.delete(venue, "low-only", List.of(low(btc, 39500, 1)));
        index.delete(venue, "inside", List.of(low(btc, 39000, 2))); // another version: not that row
        assertThat(index.crossed(venue, btc, 39000, t.minusMillis(1))).containsExactlyInAnyOrder("inside", "empty");
        Map<String, Set<Row>> rows = index.rows(venue, btc);
        assertThat(rows.get("inside")).containsExactlyInAnyOrder(low(btc, 39000, 3), high(btc, 41000, 3));
        assertThat(rows).containsOnlyKeys("inside", "empty", "reminder");
    }

    @Test
    void manyHoldersAcrossShardsAndPages() {
        DynamoDbBandIndex index = new DynamoDbBandIndex(ddb, config);
        String venue = config.venueId();
        String sol = "SOL-" + UUID.randomUUID().toString().substring(0, 6);
        // 400 accounts with 200-character ids, each with an empty band (crossed by anything): about
        // 90 KB of keys a shard, so a query pages only if dynalite pages like DynamoDB (1 MB); none is lost
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            String id = "acct-" + i + "-" + "x".repeat(200);
            ids.add(id);
            index.put(venue, id, List.of(high(sol, 0, 0), low(sol, 100 + i, 1)));
        }
        assertThat(index.crossed(venue, sol, 150, Instant.EPOCH)).containsExactlyInAnyOrderElementsOf(ids);
        assertThat(index.rows(venue, sol)).hasSize(400).allSatisfy((id, r) -> assertThat(r).hasSize(2));
    }
}
