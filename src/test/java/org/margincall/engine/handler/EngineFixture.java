package org.margincall.engine.handler;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.margincall.engine.service.MarginService;
import org.margincall.engine.adapter.dynamodb.VenueStore;
import org.margincall.engine.domain.Account;
import org.margincall.engine.domain.Position;
import org.margincall.engine.local.LocalStack;
import org.margincall.engine.local.LocalStackResource;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;

/**
 * Test data on the stand-ins: every test gets its own instrument and accounts (ids carry a
 * random tag), so tests sharing the venue cannot see each other's notifications.
 */
public final class EngineFixture {
    static final ObjectMapper JSON = new ObjectMapper();
    static final com.networknt.schema.JsonSchema SCHEMA = loadSchema();

    private static com.networknt.schema.JsonSchema loadSchema() {
        try (java.io.InputStream in = EngineFixture.class.getResourceAsStream("/schema/notification-v1.schema.json")) {
            return com.networknt.schema.JsonSchemaFactory.getInstance(com.networknt.schema.SpecVersion.VersionFlag.V202012)
                    .getSchema(in);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("notification schema missing", e);
        }
    }
    public final String tag = UUID.randomUUID().toString().substring(0, 6);
    public final String instrument = "T" + tag.toUpperCase() + "-USD";
    private final VenueStore venues;
    private final MarginService service;

    public EngineFixture(VenueStore venues, MarginService service) {
        this.venues = venues;
        this.service = service;
        ObjectNode venue = JSON.createObjectNode();
        venue.put("id", LocalStackResource.VENUE);
        ObjectNode t = venue.putObject("thresholds");
        t.put("warning", "1.5").put("marginCall", "1.2").put("critical", "1.05").put("liquidation", "1.0");
        venue.put("hysteresis", "0.02");
        ArrayNode instruments = JSON.createArrayNode();
        ObjectNode i = instruments.addObject();
        i.put("symbol", instrument);
        ArrayNode tiers = i.putArray("tiers");
        tiers.addObject().put("floor", "0").put("cap", "50000").put("mmr", "0.004");
        tiers.addObject().put("floor", "50000").putNull("cap").put("mmr", "0.005");
        ArrayNode assets = JSON.createArrayNode();
        assets.addObject().put("asset", "USDT").put("haircut", "0");
        venues.putConfiguration(LocalStackResource.VENUE, venue, instruments, assets);
    }

    /** An account long 1.25 of the fixture's instrument from 41000 with the given USDT: at a mark of
     * 40000, R = (usdt - 1250) / 200. */
    public Account account(String name, String usdt) {
        Account a = new Account(name + "-" + tag, Map.of("USDT", new BigDecimal(usdt)),
                List.of(new Position(instrument, new BigDecimal("1.25"), new BigDecimal("41000"), null)), null);
        service.createAccount(LocalStackResource.VENUE, a);
        return a;
    }

    /** A venue account event (SPEC §5.2) as the venue would put it on EventBridge. */
    public static String collateralEvent(String accountId, long sequence, Instant ts, String usdt) {
        return "{\"version\":\"0\",\"id\":\"" + UUID.randomUUID() + "\",\"detail-type\":\"Collateral Changed\","
                + "\"source\":\"venue\",\"time\":\"" + ts + "\",\"detail\":{\"accountId\":\"" + accountId + "\","
                + "\"sequence\":" + sequence + ",\"timestamp\":\"" + ts + "\",\"collateral\":{\"USDT\":\"" + usdt + "\"}}}";
    }

    public static String priceEvent(String instrument, String mark, Instant ts, long sequence) {
        return "{\"version\":\"0\",\"id\":\"" + UUID.randomUUID() + "\",\"detail-type\":\"Price Update\","
                + "\"source\":\"oracle-a\",\"account\":\"000000000000\",\"time\":\"" + ts + "\",\"region\":\"us-east-1\","
                + "\"resources\":[],\"detail\":{\"instrument\":\"" + instrument + "\",\"markPrice\":\"" + mark + "\","
                + "\"timestamp\":\"" + ts + "\",\"sequence\":" + sequence + ",\"source\":\"oracle-a\"}}";
    }

    /** An SQS queue subscribed to the notifications topic (raw delivery) with a filter policy, or none. */
    public static final class Subscriber {
        final SqsClient sqs;
        final String url;

        public Subscriber(String filterPolicy) {
            LocalStack stack = LocalStack.shared();
            sqs = stack.sqs();
            url = stack.subscribedQueue("NotificationsTopic", filterPolicy);
        }

        /** Bodies received until the queue has been quiet for a second, in receive order. */
        public List<JsonNode> drain() {
            List<JsonNode> out = new ArrayList<>();
            long quietUntil = System.nanoTime() + Duration.ofMillis(1000).toNanos();
            while (System.nanoTime() < quietUntil) {
                List<Message> ms = sqs.receiveMessage(b -> b.queueUrl(url).maxNumberOfMessages(10).waitTimeSeconds(1))
                        .messages();
                for (Message m : ms) {
                    JsonNode body;
                    try {
                        body = JSON.readTree(m.body());
                    } catch (java.io.IOException e) {
                        throw new AssertionError("notification body is not JSON: " + m.body(), e);
                    }
                    // Every body any test receives is held to the published schema.
                    var errors = SCHEMA.validate(body);
                    if (!errors.isEmpty()) {
                        throw new AssertionError("notification violates its JSON Schema: " + errors + "\n" + body);
                    }
                    out.add(body);
                    sqs.deleteMessage(b -> b.queueUrl(url).receiptHandle(m.receiptHandle()));
                }
                if (!ms.isEmpty()) {
                    quietUntil = System.nanoTime() + Duration.ofMillis(1000).toNanos();
                }
            }
            return out;
        }

        /** Only the bodies of the given fixture's accounts. */
        public List<JsonNode> drain(EngineFixture f) {
            return drain().stream().filter(n -> n.get("accountId").asText().endsWith("-" + f.tag)).toList();
        }
    }
}
