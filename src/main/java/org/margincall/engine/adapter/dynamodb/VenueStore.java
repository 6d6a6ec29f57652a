package org.margincall.engine.adapter.dynamodb;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.math.BigDecimal;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Set;
import java.util.Map;
import org.margincall.engine.config.EngineConfig;
import org.margincall.engine.domain.Catalog;
import org.margincall.engine.domain.AcceptedMark;
import org.margincall.engine.domain.Marks;
import org.margincall.engine.domain.RealisedVariance;
import org.margincall.engine.domain.PriceStamp;
import org.margincall.engine.domain.Timestamps;
import org.margincall.engine.domain.VenueSnapshot;
import org.margincall.engine.service.port.UnknownVenueException;
import org.margincall.engine.service.port.VenueRepository;
import org.margincall.engine.codec.CatalogJson;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;

/**
 * A venue's partition: its policy, instruments and collateral assets (stored as the SPEC §7 JSON
 * they were loaded from, so loading and reading validate the same way) and the latest price of
 * each instrument. One strongly consistent Query returns all of it.
 */
@ApplicationScoped
public class VenueStore implements VenueRepository {
    private final DynamoDbClient ddb;
    private final String table;
    private final ObjectMapper json = new ObjectMapper();

    public VenueStore(DynamoDbClient ddb, EngineConfig config) {
        this.ddb = ddb;
        this.table = config.table();
    }

    /** Reads the venue's partition with one strongly consistent (paged) query. */
    @Override
    public VenueSnapshot load(String venueId) {
        ObjectNode venue = null;
        ArrayNode instruments = json.createArrayNode();
        ArrayNode assets = json.createArrayNode();
        Map<String, String> prices = new HashMap<>();
        Map<String, PriceStamp> stamps = new HashMap<>();
        Set<String> suspect = new HashSet<>();
        Map<String, RealisedVariance> variances = new HashMap<>();
        Map<String, AttributeValue> start = null;
        do {
            QueryRequest.Builder q = QueryRequest.builder().tableName(table).consistentRead(true)
                    .keyConditionExpression("pk = :pk").expressionAttributeValues(Map.of(":pk", s(Keys.venue(venueId))));
            if (start != null) {
                q.exclusiveStartKey(start);
            }
            QueryResponse r = ddb.query(q.build());
            for (Map<String, AttributeValue> item : r.items()) {
                String sk = item.get(Keys.SK).s();
                if (sk.equals(Keys.VENUE_SK)) {
                    venue = (ObjectNode) parse(item.get("json").s());
                } else if (sk.startsWith("I#")) {
                    instruments.add(parse(item.get("json").s()));
                } else if (sk.startsWith("C#")) {
                    assets.add(parse(item.get("json").s()));
                } else if (sk.startsWith("P#")) {
                    String symbol = sk.substring(2);
                    prices.put(symbol, item.get("markPrice").s());
                    stamps.put(symbol, new PriceStamp(Long.parseLong(item.get("tsMillis").n()), Long.parseLong(item.get("seq").n())));
                    AttributeValue flag = item.get("suspect");
                    if (flag != null && Boolean.TRUE.equals(flag.bool())) {
                        suspect.add(symbol);
                    }
                    AttributeValue variance = item.get("variance");
                    if (variance != null && variance.hasM()) {
                        variances.put(symbol, VarianceCodec.decode(variance.m()));
                    }
                }
            }
            start = r.hasLastEvaluatedKey() && !r.lastEvaluatedKey().isEmpty() ? r.lastEvaluatedKey() : null;
        } while (start != null);
        if (venue == null) {
            throw new UnknownVenueException(venueId);
        }
        ObjectNode root = json.createObjectNode();
        root.set("venue", venue);
        root.set("instruments", instruments);
        root.set("collateralAssets", assets);
        Catalog catalog = CatalogJson.catalog(root, venueId);
        Marks marks = new Marks(catalog);
        prices.forEach((symbol, price) -> {
            if (catalog.knows(symbol)) {
                marks.put(symbol, price);
            }
        });
        return new VenueSnapshot(catalog, marks, stamps, suspect, variances);
    }

    /** Stores a venue's configuration from its SPEC §7 JSON; validates it first, writes nothing if bad. */
    public void putConfiguration(String venueId, JsonNode venue, JsonNode instruments, JsonNode assets) {
        ObjectNode root = json.createObjectNode();
        root.set("venue", venue);
        root.set("instruments", instruments);
        root.set("collateralAssets", assets);
        CatalogJson.catalog(root, venueId); // refuse before writing anything
        String pk = Keys.venue(venueId);
        put(pk, Keys.VENUE_SK, venue);
        for (JsonNode i : instruments) {
            put(pk, Keys.instrumentSk(i.get("symbol").asText()), i);
        }
        for (JsonNode a : assets) {
            put(pk, Keys.assetSk(a.get("asset").asText()), a);
        }
    }

    /** Rewrites the venue item's JSON with {@code handoffsHeld}; the rest of the configuration is untouched. */
    @Override
    public void setHandoffsHeld(String venueId, boolean held) {
        Map<String, AttributeValue> item = ddb.getItem(b -> b.tableName(table).consistentRead(true)
                .key(Map.of(Keys.PK, s(Keys.venue(venueId)), Keys.SK, s(Keys.VENUE_SK)))).item();
        if (item == null || item.isEmpty()) {
            throw new UnknownVenueException(venueId);
        }
        ObjectNode venue = (ObjectNode) parse(item.get("json").s());
        if (held) {
            venue.put("handoffsHeld", true);
        } else {
            venue.remove("handoffsHeld");
        }
        put(Keys.venue(venueId), Keys.VENUE_SK, venue);
    }

    private void put(String pk, String sk, JsonNode body) {
        ddb.putItem(b -> b.tableName(table).item(Map.of(Keys.PK, s(pk), Keys.SK, s(sk), "json", s(body.toString()))));
    }

    /**
     * One conditional put: the condition is {@link PriceStamp#isNewerThan} written as a DynamoDB
     * condition expression on the stored {@code tsMillis} and {@code seq}.
     */
    @Override
    public boolean storeIfNewer(String venueId, String instrument, BigDecimal markPrice, PriceStamp stamp, String source) {
        return put(venueId, new AcceptedMark(instrument, markPrice, stamp, source, false, null),
                "attribute_not_exists(pk) OR tsMillis < :ts OR (tsMillis = :ts AND seq < :seq)",
                Map.of(":ts", n(stamp.timestampMillis()), ":seq", n(stamp.sequence())));
    }

    /** One conditional put on the stored stamp being exactly {@code previous}. */
    @Override
    public boolean storeIfUnchanged(String venueId, AcceptedMark mark, PriceStamp previous) {
        if (previous == null) {
            return put(venueId, mark, "attribute_not_exists(pk)", Map.of());
        }
        return put(venueId, mark, "tsMillis = :pts AND seq = :pseq",
                Map.of(":pts", n(previous.timestampMillis()), ":pseq", n(previous.sequence())));
    }

    private boolean put(String venueId, AcceptedMark mark, String condition, Map<String, AttributeValue> values) {
        PriceStamp stamp = mark.stamp();
        Map<String, AttributeValue> item = new HashMap<>();
        item.put(Keys.PK, s(Keys.venue(venueId)));
        item.put(Keys.SK, s(Keys.priceSk(mark.instrument())));
        item.put("markPrice", s(mark.price().toPlainString()));
        item.put("timestamp", s(Timestamps.format(stamp.timestamp())));
        item.put("tsMillis", n(stamp.timestampMillis()));
        item.put("seq", n(stamp.sequence()));
        item.put("suspect", AttributeValue.fromBool(mark.suspect()));
        if (mark.source() != null) {
            item.put("source", s(mark.source()));
        }
        RealisedVariance v = mark.variance();
        if (v != null) {
            item.put("variance", AttributeValue.fromM(VarianceCodec.encode(v)));
        }
        try {
            ddb.putItem(b -> {
                b.tableName(table).item(item).conditionExpression(condition);
                if (!values.isEmpty()) {
                    b.expressionAttributeValues(values);
                }
            });
            return true;
        } catch (ConditionalCheckFailedException e) {
            return false;
        }
    }

    /**
     * Records that the price stamped {@code tsMillis} has been reported stale, once: true only for
     * the first caller, so a feed that stays silent raises one alert, not one a minute.
     */
    @Override
    public boolean markStaleReported(String venueId, String instrument, long tsMillis) {
        try {
            ddb.updateItem(b -> b.tableName(table).key(Map.of(Keys.PK, s(Keys.venue(venueId)), Keys.SK, s(Keys.priceSk(instrument))))
                    .updateExpression("SET staleReportedFor = :ts")
                    .conditionExpression("tsMillis = :ts AND (attribute_not_exists(staleReportedFor) OR staleReportedFor <> :ts)")
                    .expressionAttributeValues(Map.of(":ts", n(tsMillis))));
            return true;
        } catch (ConditionalCheckFailedException e) {
            return false;
        }
    }

    /** Undoes {@link #markStaleReported} when the alert could not be sent, so the next sweep retries it. */
    @Override
    public void unmarkStaleReported(String venueId, String instrument, long tsMillis) {
        try {
            ddb.updateItem(b -> b.tableName(table).key(Map.of(Keys.PK, s(Keys.venue(venueId)), Keys.SK, s(Keys.priceSk(instrument))))
                    .updateExpression("REMOVE staleReportedFor").conditionExpression("staleReportedFor = :ts")
                    .expressionAttributeValues(Map.of(":ts", n(tsMillis))));
        } catch (ConditionalCheckFailedException e) {
            // a newer price arrived meanwhile: nothing left to retry
        }
    }

    private JsonNode parse(String text) {
        try {
            return json.readTree(text);
        } catch (IOException e) {
            throw new IllegalStateException("stored venue configuration is not JSON: " + e.getMessage(), e);
        }
    }

    static AttributeValue s(String v) {
        return AttributeValue.fromS(v);
    }

    static AttributeValue n(long v) {
        return AttributeValue.fromN(Long.toString(v));
    }
}
