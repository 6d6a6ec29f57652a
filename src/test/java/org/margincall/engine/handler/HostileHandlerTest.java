package org.margincall.engine.handler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.margincall.engine.adapter.cloudwatch.EngineMetrics;
import org.margincall.engine.domain.Account;
import org.margincall.engine.domain.Position;
import org.margincall.engine.local.LocalConfig;
import org.margincall.engine.local.LocalEngine;
import org.margincall.engine.local.LocalStack;
import org.margincall.engine.service.MarginService;
import org.margincall.engine.service.port.Metrics;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.GlobalSecondaryIndex;
import software.amazon.awssdk.services.dynamodb.model.TableDescription;
import software.amazon.awssdk.services.dynamodb.model.TableStatus;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;

/**
 * Hostile events through both event handlers (SPEC §5.1, §5.2, §9), constructed by hand as
 * {@link LocalEngine} wires them (no Quarkus), against dynalite and fauxqs through the AWS SDK.
 * Each test gets a table of its own (the template's key schema and index) and a venue of its own,
 * so "the whole table" really is the whole table; a queue subscribed to the notifications topic
 * (filtered on the venue) is what a venue's subscriber would receive.
 *
 * <p>Every rejected event must be answered {@code REJECTED} with a message that starts with the
 * field's path, count one {@code EventsRejected}, leave every item of the table byte-identical (a
 * consistent Scan of every item, serialised canonically, before and after) and send nothing. The
 * documented ignores (SPEC §5.1 an older price, §5.2 an older or equal account sequence, a
 * price delivered again) answer {@code DUPLICATE}, count one {@code EventsDuplicate} and change
 * nothing either.
 *
 * <p>The escalation state machine ARN of these venues names no state machine: the tests leave
 * escalation clocks alone (a start fails, is counted and stays owed in the item) so that no
 * execution of theirs runs on the shared Step Functions facade.
 */
class HostileHandlerTest {
    static final ObjectMapper JSON = new ObjectMapper();
    /** The handlers' clock; every event time below is relative to it. */
    static final Instant NOW = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    /** When the stored BTC-USD price was marked. */
    static final Instant STORED = NOW.minusSeconds(600);
    /** The hostile events' time: newer than the stored price, so only the hostile part is wrong. */
    static final Instant TS = NOW.minusSeconds(300);
    static final long STORED_SEQ = 10;
    /** The account whose last applied venue event has this sequence. */
    static final long H_SEQ = 5;

    enum Handler { PRICE, ACCOUNT }

    /** One venue on a table of its own, the handlers wired by hand, a subscribed queue. */
    static final class World {
        final LocalStack stack = LocalStack.shared();
        final String tag = UUID.randomUUID().toString().substring(0, 8);
        final String table = "hostile-" + tag;
        final String venue = "hostile-" + tag;
        final DynamoDbClient ddb = stack.dynamoDb();
        final SqsClient sqs = stack.sqs();
        final LocalEngine engine;
        final EngineMetrics metrics;
        final PriceEventHandler prices;
        final AccountEventHandler accounts;
        final String queue;

        World() {
            TableDescription model = ddb.describeTable(b -> b.tableName(stack.resource("MarginTable", "name"))).table();
            ddb.createTable(b -> b.tableName(table).billingMode(BillingMode.PAY_PER_REQUEST)
                    .attributeDefinitions(model.attributeDefinitions()).keySchema(model.keySchema())
                    .globalSecondaryIndexes(model.globalSecondaryIndexes().stream().map(g -> GlobalSecondaryIndex.builder()
                            .indexName(g.indexName()).keySchema(g.keySchema()).projection(g.projection()).build()).toList()));
            for (int i = 0; i < 100 && ddb.describeTable(b -> b.tableName(table)).table().tableStatus() != TableStatus.ACTIVE; i++) {
                sleep(50);
            }
            LocalConfig config = new LocalConfig(venue, table, stack.resource("NotificationsTopic", "arn"),
                    stack.resource("OperationsTopic", "arn"), "arn:aws:states:us-east-1:000000000000:stateMachine:none-" + tag, 500, null);
            EventBridgeClient events = EventBridgeClient.builder().endpointOverride(URI.create(stack.endpoint("EVENTS_ENDPOINT")))
                    .region(Region.US_EAST_1).credentialsProvider(LocalStack.credentials())
                    .httpClient(UrlConnectionHttpClient.create()).build();
            engine = LocalEngine.wire(ddb, stack.sns(), stack.sfn(), events, config, Clock.fixed(NOW, ZoneOffset.UTC));
            metrics = engine.metrics();
            prices = new PriceEventHandler(engine.service(), metrics, config);
            accounts = new AccountEventHandler(engine.service(), metrics, config);
            queue = stack.subscribedQueue("NotificationsTopic", "{\"venueId\":[\"" + venue + "\"]}");

            ObjectNode v = JSON.createObjectNode().put("id", venue);
            v.putObject("thresholds").put("warning", "1.5").put("marginCall", "1.2").put("critical", "1.05").put("liquidation", "1.0");
            v.put("hysteresis", "0.02");
            ArrayNode instruments = JSON.createArrayNode();
            for (String symbol : List.of("BTC-USD", "ETH-USD")) {
                ArrayNode tiers = instruments.addObject().put("symbol", symbol).putArray("tiers");
                tiers.addObject().put("floor", "0").put("cap", "50000").put("mmr", "0.004");
                tiers.addObject().put("floor", "50000").putNull("cap").put("mmr", "0.005");
            }
            ArrayNode assets = JSON.createArrayNode();
            assets.addObject().put("asset", "USDT").put("haircut", "0");
            assets.addObject().put("asset", "USDC").put("haircut", "0.01");
            engine.venues().putConfiguration(venue, v, instruments, assets);
            // At a mark of 40000 an account long 1.25 BTC from 41000 has R = (USDT − 1250) / 200.
            for (String[] a : new String[][]{{"a-17", "1470"}, {"w-1", "1510"}, {"h-1", "1700"}}) {
                engine.service().createAccount(venue, new Account(a[0], Map.of("USDT", new BigDecimal(a[1])),
                        List.of(new Position("BTC-USD", new BigDecimal("1.25"), new BigDecimal("41000"), null)), null));
            }
            expect(prices, env("Price Update", price("BTC-USD", "40000", STORED, STORED_SEQ)), "ACCEPTED");
            expect(prices, env("Price Update", price("ETH-USD", "2000", STORED, STORED_SEQ)), "ACCEPTED");
            expect(accounts, env("Collateral Changed", parse("{\"accountId\":\"h-1\",\"sequence\":" + H_SEQ + ",\"timestamp\":\""
                    + STORED.plusSeconds(1) + "\",\"collateral\":{\"USDT\":\"1700\"}}")), "ACCEPTED");
            List<JsonNode> first = drain(2);
            assertThat(first).extracting(n -> n.get("type").asText()).containsExactlyInAnyOrder("MARGIN_CALL", "MARGIN_WARNING");
        }

        private static void expect(com.amazonaws.services.lambda.runtime.RequestHandler<EventBridgeEvent, EventResult> h,
                                   EventBridgeEvent e, String status) {
            EventResult r = h.handleRequest(e, null);
            assertThat(r.status()).as(String.valueOf(r.reason())).isEqualTo(status);
        }

        EventResult handle(Handler h, EventBridgeEvent e) {
            return h == Handler.PRICE ? prices.handleRequest(e, null) : accounts.handleRequest(e, null);
        }

        long total(String metric) {
            return metrics.total(metric);
        }

        /** Every item of the table, each serialised canonically, sorted: equal strings mean an untouched table. */
        String snapshot() {
            List<String> items = new ArrayList<>();
            ddb.scanPaginator(b -> b.tableName(table).consistentRead(true)).items().forEach(i -> items.add(canonical(i)));
            items.sort(null);
            return String.join("\n", items);
        }

        /** What arrived on the queue within {@code seconds} (0: what is there now). */
        List<JsonNode> receive(int seconds) {
            List<JsonNode> out = new ArrayList<>();
            List<Message> ms = sqs.receiveMessage(b -> b.queueUrl(queue).maxNumberOfMessages(10).waitTimeSeconds(seconds)).messages();
            for (Message m : ms) {
                out.add(parse(m.body()));
                sqs.deleteMessage(b -> b.queueUrl(queue).receiptHandle(m.receiptHandle()));
            }
            return out;
        }

        /** Exactly {@code n} notices, then a second of quiet with nothing more. */
        List<JsonNode> drain(int n) {
            List<JsonNode> out = new ArrayList<>();
            long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (out.size() < n && System.nanoTime() < until) {
                out.addAll(receive(1));
            }
            out.addAll(receive(1));
            assertThat(out).as("notices received").hasSize(n);
            return out;
        }

        /** Everything that arrives until the queue stays quiet for two seconds. */
        List<JsonNode> drainQuiet() {
            List<JsonNode> out = new ArrayList<>();
            int quiet = 0;
            while (quiet < 2) {
                List<JsonNode> got = receive(1);
                out.addAll(got);
                quiet = got.isEmpty() ? quiet + 1 : 0;
            }
            return out;
        }
    }

    // ---- canonical items ----

    static String canonical(Map<String, AttributeValue> item) {
        StringBuilder b = new StringBuilder("{");
        new TreeMap<>(item).forEach((k, v) -> b.append(JsonNodeFactory.instance.textNode(k)).append(':').append(canonical(v)).append(','));
        return b.append('}').toString();
    }

    static String canonical(AttributeValue v) {
        return switch (v.type()) {
            case S -> "S" + JsonNodeFactory.instance.textNode(v.s());
            case N -> "N" + v.n();
            case B -> "B" + Base64.getEncoder().encodeToString(v.b().asByteArray());
            case BOOL -> "BOOL" + v.bool();
            case NUL -> "NULL";
            case SS -> "SS" + new TreeSet<>(v.ss()).stream().map(s -> JsonNodeFactory.instance.textNode(s).toString()).toList();
            case NS -> "NS" + new TreeSet<>(v.ns());
            case BS -> "BS" + v.bs().stream().map(x -> Base64.getEncoder().encodeToString(x.asByteArray())).sorted().toList();
            case L -> "L" + v.l().stream().map(HostileHandlerTest::canonical).toList();
            case M -> "M" + canonical(v.m());
            default -> throw new IllegalStateException("unknown attribute type " + v.type());
        };
    }

    /** Fails with the items that differ (abridged) unless the two snapshots are identical. */
    static void assertUnchanged(String before, String after, String what) {
        if (before.equals(after)) {
            return;
        }
        Set<String> b = new LinkedHashSet<>(before.lines().toList());
        Set<String> a = new LinkedHashSet<>(after.lines().toList());
        Set<String> gone = new LinkedHashSet<>(b);
        gone.removeAll(a);
        Set<String> added = new LinkedHashSet<>(a);
        added.removeAll(b);
        fail(what + ": the table changed.\nitems before that are gone or changed:\n" + abridge(gone)
                + "\nitems after that are new or changed:\n" + abridge(added));
    }

    static String abridge(Set<String> lines) {
        return lines.stream().map(l -> l.length() > 600 ? l.substring(0, 600) + "…(" + l.length() + " chars)" : l)
                .collect(Collectors.joining("\n"));
    }

    // ---- events ----

    static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (Exception e) {
            throw new IllegalArgumentException(json.length() > 200 ? json.substring(0, 200) + "…" : json, e);
        }
    }

    static String quoted(String s) {
        return JsonNodeFactory.instance.textNode(s).toString();
    }

    static ObjectNode price(String instrument, String mark, Instant ts, long seq) {
        ObjectNode d = JSON.createObjectNode().put("instrument", instrument).put("markPrice", mark)
                .put("indexPrice", mark).put("timestamp", ts.toString()).put("sequence", seq).put("source", "oracle-a");
        return d;
    }

    /**
     * The envelope as EventBridge delivers it, through JSON text as Lambda deserialises it (so JSON
     * numbers reach the handler as Jackson reads them); {@code detail} null leaves it out.
     */
    static EventBridgeEvent env(String detailType, JsonNode detail) {
        return env(UUID.randomUUID().toString(), detailType, detail);
    }

    static EventBridgeEvent env(String id, String detailType, JsonNode detail) {
        ObjectNode e = JSON.createObjectNode().put("version", "0").put("id", id).put("detail-type", detailType)
                .put("source", "venue.test").put("account", "000000000000").put("time", TS.toString()).put("region", "us-east-1");
        e.putArray("resources");
        if (detail != null) {
            e.set("detail", detail);
        }
        try {
            return JSON.readValue(JSON.writeValueAsString(e), EventBridgeEvent.class);
        } catch (Exception ex) {
            throw new IllegalStateException(ex);
        }
    }

    /** The valid events each hostile row breaks in one way; delivered as they are, each would change the table. */
    enum Base {
        PRICE(Handler.PRICE, "Price Update", "{\"instrument\":\"BTC-USD\",\"markPrice\":\"39000\",\"indexPrice\":\"39001\","
                + "\"timestamp\":\"" + TS + "\",\"sequence\":20,\"source\":\"oracle-a\"}"),
        COLLATERAL(Handler.ACCOUNT, "Collateral Changed", "{\"accountId\":\"a-17\",\"sequence\":7,\"timestamp\":\"" + TS
                + "\",\"collateral\":{\"USDT\":\"1700\"}}"),
        POSITION(Handler.ACCOUNT, "Position Changed", "{\"accountId\":\"a-17\",\"sequence\":7,\"timestamp\":\"" + TS
                + "\",\"instrument\":\"BTC-USD\",\"size\":\"2\",\"entryPrice\":\"41000\"}"),
        PENDING(Handler.ACCOUNT, "Deposit Pending", "{\"accountId\":\"a-17\",\"sequence\":7,\"timestamp\":\"" + TS
                + "\",\"asset\":\"USDT\",\"amount\":\"500\",\"reference\":\"wire-1\",\"expectedBy\":\"" + TS.plusSeconds(3600) + "\"}");

        final Handler handler;
        final String detailType;
        final String json;

        Base(Handler handler, String detailType, String json) {
            this.handler = handler;
            this.detailType = detailType;
            this.json = json;
        }

        ObjectNode detail() {
            return (ObjectNode) parse(json);
        }

        /** The base with {@code path} (dotted) set to the JSON text {@code value}. */
        JsonNode with(String path, String value) {
            ObjectNode d = detail();
            String[] parts = path.split("\\.");
            ObjectNode o = d;
            for (int i = 0; i < parts.length - 1; i++) {
                o = (ObjectNode) o.get(parts[i]);
            }
            o.set(parts[parts.length - 1], parse(value));
            return d;
        }

        JsonNode without(String field) {
            ObjectNode d = detail();
            d.remove(field);
            return d;
        }

        EventBridgeEvent event(JsonNode detail) {
            return env(detailType, detail);
        }
    }

    /**
     * One hostile event and what it must get: {@code REJECTED} with a reason starting with
     * {@code field + " = "}, or {@code DUPLICATE} (a documented ignore) with {@code field} in its reason.
     */
    record Row(String name, Handler handler, EventBridgeEvent event, String status, String field) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Row rejected(String name, Base base, JsonNode detail, String field) {
        return new Row(name, base.handler, base.event(detail), "REJECTED", field);
    }

    static final String KB250 = "x".repeat(250 * 1024);

    static Stream<Row> rows() {
        List<Row> rows = new ArrayList<>();
        // The detail itself.
        for (Base b : Base.values()) {
            rows.add(rejected(b + " detail null", b, JsonNodeFactory.instance.nullNode(), "detail"));
            rows.add(rejected(b + " detail missing", b, null, "detail"));
            rows.add(rejected(b + " detail array", b, parse("[" + b.json + "]"), "detail"));
            rows.add(rejected(b + " detail string", b, JsonNodeFactory.instance.textNode(b.json), "detail"));
            rows.add(rejected(b + " detail number", b, parse("1e308"), "detail"));
            rows.add(rejected(b + " unknown field", b, b.with("colour", "\"red\""), "detail.colour"));
            rows.add(rejected(b + " 250 KB unknown field", b, b.with("padding", quoted(KB250)), "detail.padding"));
            rows.add(rejected(b + " field name with a control character", b, b.with("time\u0000stamp", "\"x\""),
                    "detail.time\\u0000stamp"));
            rows.add(rejected(b + " meta not an object", b, b.with("meta", "[1]"), "detail.meta"));
            rows.add(new Row(b + " wrong detail-type", b.handler, env(b == Base.PRICE ? "Collateral Changed" : "Price Update",
                    b.detail()), "REJECTED", "detail-type"));
            rows.add(new Row(b + " detail-type with a control character", b.handler, env(b.detailType + "\u0007", b.detail()),
                    "REJECTED", "detail-type"));
        }
        // Decimals: the same hostile values for a price, an index price, a balance, a size, an entry price, an amount.
        String[][] decimals = {
                {"JSON number", "39000.5"}, {"JSON integer", "39000"}, {"1e308 JSON number", "1e308"}, {"1e308", "\"1e308\""},
                {"1e-40", "\"1e-40\""}, {"1e-40 JSON number", "1e-40"}, {"80 digits", quoted("9".repeat(80))},
                {"80 fraction digits", quoted("0." + "1".repeat(80))}, {"-0", "\"-0\""}, {"-0.0", "\"-0.0\""},
                {"padded", "\" 39000\""}, {"trailing space", "\"39000 \""}, {"plus sign", "\"+39000\""},
                {"localised comma", "\"39000,5\""}, {"thousands separator", "\"39,000.5\""}, {"thin space separator", "\"39\u2009000\""},
                {"full-width digits", "\"\uFF13\uFF19\uFF10\uFF10\uFF10\""}, {"arabic-indic digits", "\"\u0663\u0669\u0660\u0660\u0660\""},
                {"Infinity", "\"Infinity\""}, {"-Infinity", "\"-Infinity\""}, {"NaN", "\"NaN\""}, {"hex", "\"0x9858\""},
                {"empty", "\"\""}, {"null", "null"}, {"boolean", "true"}, {"object", "{}"}, {"array", "[\"39000\"]"},
                {"250 KB of digits", quoted("1".repeat(250 * 1024))}};
        for (String[] d : decimals) {
            rows.add(rejected("price markPrice " + d[0], Base.PRICE, Base.PRICE.with("markPrice", d[1]), "detail.markPrice"));
            rows.add(rejected("price indexPrice " + d[0], Base.PRICE, Base.PRICE.with("indexPrice", d[1]), "detail.indexPrice"));
            rows.add(rejected("collateral balance " + d[0], Base.COLLATERAL, Base.COLLATERAL.with("collateral.USDT", d[1]),
                    "detail.collateral.USDT"));
            rows.add(rejected("position size " + d[0], Base.POSITION, Base.POSITION.with("size", d[1]), "detail.size"));
            rows.add(rejected("position entryPrice " + d[0], Base.POSITION, Base.POSITION.with("entryPrice", d[1]),
                    "detail.entryPrice"));
            rows.add(rejected("pending amount " + d[0], Base.PENDING, Base.PENDING.with("amount", d[1]), "detail.amount"));
        }
        rows.add(rejected("price markPrice zero", Base.PRICE, Base.PRICE.with("markPrice", "\"0\""), "detail.markPrice"));
        rows.add(rejected("price markPrice negative", Base.PRICE, Base.PRICE.with("markPrice", "\"-39000\""), "detail.markPrice"));
        rows.add(rejected("pending amount negative", Base.PENDING, Base.PENDING.with("amount", "\"-500\""), "detail.amount"));
        // Sequences: negative, fractional, huge, not a number; nothing wraps.
        String[][] sequences = {{"negative", "-1"}, {"fraction", "20.5"}, {"2^53", "9007199254740992"},
                {"2^63", "9223372036854775808"}, {"2^64+20", "18446744073709551636"}, {"1e19", "1e19"}, {"1e400", "1e400"},
                {"80 digits", "9".repeat(80)}, {"string", "\"20\""}, {"null", "null"}, {"object", "{}"}, {"boolean", "true"}};
        for (String[] s : sequences) {
            for (Base b : Base.values()) {
                rows.add(rejected(b + " sequence " + s[0], b, b.with("sequence", s[1]), "detail.sequence"));
            }
        }
        rows.add(rejected("collateral sequence 0", Base.COLLATERAL, Base.COLLATERAL.with("sequence", "0"), "detail.sequence"));
        rows.add(rejected("collateral sequence -0", Base.COLLATERAL, Base.COLLATERAL.with("sequence", "-0"), "detail.sequence"));
        // Timestamps: unparsable, far future, just past the 5 s allowance.
        String[][] badInstants = {{"unparsable", "\"yesterday\""}, {"epoch number", Long.toString(TS.getEpochSecond())},
                {"offset", "\"2026-01-01T01:00:00+01:00\""}, {"no zone", "\"2026-01-01T00:00:00\""},
                {"lower-case t and z", quoted(TS.toString().toLowerCase())}, {"february 30", "\"2026-02-30T00:00:00Z\""},
                {"leap second", "\"2026-06-30T23:59:60Z\""}, {"year 10000", "\"+10000-01-01T00:00:00Z\""},
                {"empty", "\"\""}, {"null", "null"}, {"250 KB", quoted(TS + KB250)}};
        for (String[] t : badInstants) {
            for (Base b : Base.values()) {
                rows.add(rejected(b + " timestamp " + t[0], b, b.with("timestamp", t[1]), "detail.timestamp"));
            }
        }
        rows.add(rejected("pending expectedBy unparsable", Base.PENDING, Base.PENDING.with("expectedBy", "\"soon\""),
                "detail.expectedBy"));
        for (String[] t : new String[][]{{"far future", "\"2126-01-01T00:00:00Z\""}, {"year 9999", "\"9999-12-31T23:59:59.999Z\""},
                {"6 s ahead", quoted(NOW.plusSeconds(6).toString())}}) {
            for (Base b : Base.values()) {
                rows.add(rejected(b + " timestamp " + t[0], b, b.with("timestamp", t[1]), "detail.timestamp"));
            }
        }
        // Identifiers: very long, control characters, padded, not strings.
        String[][] ids = {{"129 characters", quoted("A".repeat(129))}, {"250 KB", quoted(KB250)},
                {"NUL", "\"BTC\\u0000USD\""}, {"newline", "\"BTC-USD\\n\""}, {"DEL", "\"BTC\\u007fUSD\""},
                {"C1 NEL", "\"BTC\\u0085USD\""}, {"escape", "\"BTC\\u001b[31mUSD\""}, {"leading space", "\" BTC-USD\""},
                {"empty", "\"\""}, {"number", "17"}, {"null", "null"}, {"array", "[\"BTC-USD\"]"}};
        for (String[] i : ids) {
            rows.add(rejected("price instrument " + i[0], Base.PRICE, Base.PRICE.with("instrument", i[1]), "detail.instrument"));
            rows.add(rejected("price source " + i[0], Base.PRICE, Base.PRICE.with("source", i[1]), "detail.source"));
            rows.add(rejected("collateral accountId " + i[0], Base.COLLATERAL, Base.COLLATERAL.with("accountId", i[1]),
                    "detail.accountId"));
            rows.add(rejected("position instrument " + i[0], Base.POSITION, Base.POSITION.with("instrument", i[1]),
                    "detail.instrument"));
            rows.add(rejected("pending reference " + i[0], Base.PENDING, Base.PENDING.with("reference", i[1]),
                    "detail.reference"));
            rows.add(rejected("pending asset " + i[0], Base.PENDING, Base.PENDING.with("asset", i[1]), "detail.asset"));
        }
        // (Jackson refuses names over 50,000 characters while reading the event, before any handler.)
        rows.add(rejected("collateral asset key 40 KB", Base.COLLATERAL, Base.COLLATERAL.with("collateral",
                "{" + quoted("X".repeat(40_000)) + ":\"1\"}"), "detail.collateral"));
        rows.add(rejected("collateral asset key with a control character", Base.COLLATERAL, Base.COLLATERAL.with("collateral",
                "{\"US\\u0000DT\":\"1\"}"), "detail.collateral"));
        rows.add(rejected("accountId with a sub-account colon", Base.COLLATERAL, Base.COLLATERAL.with("accountId", "\"a-17:BTC-USD\""),
                "detail.accountId"));
        // Unknown fields, misspellings, missing fields.
        rows.add(rejected("price misspelt indexPrice", Base.PRICE, Base.PRICE.with("indexPrise", "\"39001\""), "detail.indexPrise"));
        rows.add(rejected("price markPrice in the wrong case", Base.PRICE, Base.PRICE.with("MarkPrice", "\"39000\""),
                "detail.MarkPrice"));
        rows.add(rejected("position misspelt isolatedMargin", Base.POSITION, Base.POSITION.with("isolatedMargn", "\"100\""),
                "detail.isolatedMargn"));
        rows.add(rejected("collateral with a position field", Base.COLLATERAL, Base.COLLATERAL.with("size", "\"1\""), "detail.size"));
        rows.add(rejected("price without markPrice", Base.PRICE, Base.PRICE.without("markPrice"), "detail.markPrice"));
        rows.add(rejected("price without timestamp", Base.PRICE, Base.PRICE.without("timestamp"), "detail.timestamp"));
        rows.add(rejected("collateral without accountId", Base.COLLATERAL, Base.COLLATERAL.without("accountId"), "detail.accountId"));
        rows.add(rejected("collateral without sequence", Base.COLLATERAL, Base.COLLATERAL.without("sequence"), "detail.sequence"));
        rows.add(rejected("collateral empty", Base.COLLATERAL, Base.COLLATERAL.with("collateral", "{}"), "detail.collateral"));
        rows.add(rejected("position open without entryPrice", Base.POSITION, Base.POSITION.without("entryPrice"), "detail.entryPrice"));
        rows.add(rejected("pending without reference", Base.PENDING, Base.PENDING.without("reference"), "detail.reference"));
        // What only the venue's catalog can refuse (the service, after parsing).
        rows.add(rejected("price unknown instrument", Base.PRICE, Base.PRICE.with("instrument", "\"DOGE-USD\""), "detail.instrument"));
        rows.add(rejected("collateral unknown asset", Base.COLLATERAL, Base.COLLATERAL.with("collateral", "{\"DOGE\":\"1\"}"),
                "detail.collateral"));
        rows.add(rejected("collateral unknown asset of a new account", Base.COLLATERAL, (ObjectNode) ((ObjectNode) Base.COLLATERAL
                .with("collateral", "{\"DOGE\":\"1\"}")).put("accountId", "new-1"), "detail.collateral"));
        rows.add(rejected("position unknown instrument", Base.POSITION, Base.POSITION.with("instrument", "\"DOGE-USD\""),
                "detail.instrument"));
        rows.add(rejected("pending unknown asset", Base.PENDING, Base.PENDING.with("asset", "\"DOGE\""), "detail.asset"));
        // The envelope.
        rows.add(new Row("account event without id", Handler.ACCOUNT, env(null, "Collateral Changed", Base.COLLATERAL.detail()),
                "REJECTED", "id"));
        rows.add(new Row("account event with a blank id", Handler.ACCOUNT, env(" ", "Collateral Changed", Base.COLLATERAL.detail()),
                "REJECTED", "id"));
        rows.add(new Row("price event without detail-type", Handler.PRICE, env(null, Base.PRICE.detail()), "REJECTED", "detail-type"));
        // The documented ignores: an older price, the stored price again, an older or equal account sequence.
        rows.add(new Row("price far in the past (1970)", Handler.PRICE, Base.PRICE.event(Base.PRICE.with("timestamp",
                "\"1970-01-01T00:00:00Z\"")), "DUPLICATE", "older"));
        rows.add(new Row("price in year 0001", Handler.PRICE, Base.PRICE.event(Base.PRICE.with("timestamp",
                "\"0001-01-01T00:00:00Z\"")), "DUPLICATE", "older"));
        rows.add(new Row("price at the stored instant with an older sequence", Handler.PRICE,
                Base.PRICE.event(price("BTC-USD", "1", STORED, STORED_SEQ - 1)), "DUPLICATE", "older"));
        ObjectNode again = price("BTC-USD", "1", STORED, STORED_SEQ);
        again.putObject("meta").put("note", KB250);
        rows.add(new Row("the stored price's (timestamp, sequence) again, another mark and 250 KB of meta", Handler.PRICE,
                Base.PRICE.event(again), "DUPLICATE", "delivered again"));
        rows.add(new Row("collateral of an older sequence, far-past timestamp", Handler.ACCOUNT, Base.COLLATERAL.event(
                parse("{\"accountId\":\"h-1\",\"sequence\":" + (H_SEQ - 2) + ",\"timestamp\":\"1970-01-01T00:00:00Z\","
                        + "\"collateral\":{\"USDT\":\"1\"}}")), "DUPLICATE", "not newer"));
        rows.add(new Row("position of the last applied sequence again, other content", Handler.ACCOUNT, Base.POSITION.event(
                parse("{\"accountId\":\"h-1\",\"sequence\":" + H_SEQ + ",\"timestamp\":\"" + TS + "\",\"instrument\":\"BTC-USD\","
                        + "\"size\":\"0\"}")), "DUPLICATE", "not newer"));
        rows.add(new Row("deposit pending of an older sequence", Handler.ACCOUNT, Base.PENDING.event(
                ((ObjectNode) Base.PENDING.detail()).put("accountId", "h-1").put("sequence", 1)), "DUPLICATE", "not newer"));
        return rows.stream();
    }

    // ---- the table-driven test ----

    static World shared;

    @BeforeAll
    static void world() {
        shared = new World();
    }

    @AfterAll
    static void nothingArrivedLate() {
        if (shared != null) {
            assertThat(shared.drainQuiet()).as("notices of rejected or ignored events, arriving late").isEmpty();
        }
    }

    @Test
    void theBaseEventsAreValidSoEachRowBreaksOneThing() {
        for (Base b : Base.values()) {
            EventBridgeEvent e = b.event(b.detail());
            if (b.handler == Handler.PRICE) {
                assertThat(PriceEventHandler.parse(e).markPrice()).isEqualByComparingTo("39000");
            } else {
                assertThat(AccountEventHandler.parse(e).accountId()).isEqualTo("a-17");
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rows")
    void aHostileEventIsRefusedNamingTheFieldOrIgnoredAndTouchesNothing(Row row) {
        World w = shared;
        String before = w.snapshot();
        long rejected = w.total(Metrics.EVENTS_REJECTED);
        long duplicates = w.total(Metrics.EVENTS_DUPLICATE);
        long accepted = w.total(Metrics.EVENTS_ACCEPTED);
        EventResult r = w.handle(row.handler(), row.event());
        assertThat(r.status()).as(r.reason()).isEqualTo(row.status());
        if (row.status().equals("REJECTED")) {
            assertThat(r.reason()).as("names the field first").startsWith(row.field() + " = ");
            assertThat(r.reason()).as("bounded and printable").hasSizeLessThan(600).doesNotContainPattern("[\\x00-\\x1f\\x7f-\\x9f]");
            assertThat(w.total(Metrics.EVENTS_REJECTED) - rejected).as("counted once").isEqualTo(1);
            assertThat(w.total(Metrics.EVENTS_DUPLICATE) - duplicates).isZero();
        } else {
            assertThat(r.reason()).contains(row.field());
            assertThat(w.total(Metrics.EVENTS_DUPLICATE) - duplicates).as("counted once").isEqualTo(1);
            assertThat(w.total(Metrics.EVENTS_REJECTED) - rejected).isZero();
        }
        assertThat(w.total(Metrics.EVENTS_ACCEPTED) - accepted).isZero();
        assertThat(r.notifications()).isZero();
        assertThat(r.transitions()).isZero();
        assertUnchanged(before, w.snapshot(), row.name());
        assertThat(w.receive(0)).as("no notification").isEmpty();
    }

    // ---- the same event delivered concurrently ----

    @Test
    void theSameEventDeliveredConcurrentlyIsAcceptedOnceAndNotifiedOnce() throws Exception {
        World w = new World();
        int threads = 8;
        // A rally: a-17 is cured (R = 345 / 200.625), w-1 leaves its warning; h-1 stays healthy.
        EventBridgeEvent rally = env("Price Update", price("BTC-USD", "40100", TS, 20));
        Map<String, Integer> statuses = deliverConcurrently(w, Handler.PRICE, rally, threads);
        assertThat(statuses).containsExactlyInAnyOrderEntriesOf(Map.of("ACCEPTED", 1, "DUPLICATE", threads - 1));
        List<JsonNode> notices = w.drain(2);
        assertThat(notices).extracting(n -> n.get("accountId").asText() + " " + n.get("type").asText())
                .containsExactlyInAnyOrder("a-17 MARGIN_CALL_CURED", "w-1 WARNING_CLEARED");
        assertThat(w.total(Metrics.EVENTS_ACCEPTED)).isEqualTo(4); // 3 while setting up + this one

        // A balance change for w-1 (R = (1360 − 1125) / 200.625 = 1.17: a call), delivered by 8 at once.
        EventBridgeEvent withdrawal = env("Collateral Changed", parse("{\"accountId\":\"w-1\",\"sequence\":3,\"timestamp\":\""
                + TS.plusSeconds(1) + "\",\"collateral\":{\"USDT\":\"1360\"}}"));
        statuses = deliverConcurrently(w, Handler.ACCOUNT, withdrawal, threads);
        assertThat(statuses).containsExactlyInAnyOrderEntriesOf(Map.of("ACCEPTED", 1, "DUPLICATE", threads - 1));
        List<JsonNode> call = w.drain(1);
        assertThat(call.get(0).get("type").asText()).isEqualTo("MARGIN_CALL");
        assertThat(w.engine.accounts().get(w.venue, "w-1").orElseThrow().lastEventSequence()).isEqualTo(3);
        Set<String> ids = new HashSet<>();
        Stream.concat(notices.stream(), call.stream()).forEach(n -> assertThat(ids.add(n.get("notificationId").asText())).isTrue());
    }

    private static Map<String, Integer> deliverConcurrently(World w, Handler h, EventBridgeEvent e, int threads) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<EventResult>> results = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                results.add(pool.submit(() -> {
                    go.await();
                    return w.handle(h, e);
                }));
            }
            go.countDown();
            Map<String, Integer> statuses = new TreeMap<>();
            for (Future<EventResult> f : results) {
                statuses.merge(f.get(60, TimeUnit.SECONDS).status(), 1, Integer::sum);
            }
            return statuses;
        } finally {
            pool.shutdownNow();
        }
    }

    // ---- the seeded fuzz test ----

    @Test
    void mutatedEventsAreRefusedUntouchedOrAcceptedAndNothingEscapes() {
        // A fixed seed by default, so a build is repeatable; -Dhostile.seed=random (or any number) explores further.
        String given = System.getProperty("hostile.seed", "20260101");
        long seed = given.equals("random") ? System.nanoTime() : Long.parseLong(given);
        int cases = Integer.getInteger("hostile.cases", 300);
        System.out.println("HostileHandlerTest fuzz: -Dhostile.seed=" + seed + " -Dhostile.cases=" + cases);
        Fuzzer fuzz = new Fuzzer(new Random(seed));
        World w = new World();
        Set<String> priceTriggers = new HashSet<>();
        Set<String> accountTriggers = new HashSet<>();
        int notified = 0;
        Map<String, Integer> tally = new TreeMap<>();
        String before = w.snapshot();
        for (int i = 0; i < cases; i++) {
            Fuzzer.Case c = fuzz.next(i);
            String detail = String.valueOf(c.event().detail());
            String where = "seed " + seed + " case " + i + " (" + c.description() + ": " + c.event().detailType() + " "
                    + (detail.length() > 400 ? detail.substring(0, 400) + "…" : detail) + ")";
            long rejected = w.total(Metrics.EVENTS_REJECTED);
            EventResult r;
            try {
                r = w.handle(c.handler(), c.event());
            } catch (RuntimeException e) {
                throw new AssertionError(where + ": an exception escaped the handler: " + e, e);
            }
            tally.merge(r.status(), 1, Integer::sum);
            String after = w.snapshot();
            switch (r.status()) {
                case "REJECTED" -> {
                    assertThat(r.reason()).as(where).matches("(?s)^(detail[^=]*|detail-type|id|event) = .*");
                    assertThat(w.total(Metrics.EVENTS_REJECTED) - rejected).as(where).isEqualTo(1);
                    assertThat(r.notifications()).as(where).isZero();
                    assertUnchanged(before, after, where);
                }
                case "ACCEPTED", "DUPLICATE" -> {
                    assertThat(w.total(Metrics.EVENTS_REJECTED) - rejected).as(where).isZero();
                    notified += r.notifications();
                    if (c.handler() == Handler.PRICE) {
                        MarginService.PriceUpdate p = PriceEventHandler.parse(c.event());
                        priceTriggers.add(p.instrument() + "|" + p.timestamp() + "|" + p.sequence());
                    } else {
                        accountTriggers.add(c.event().id());
                    }
                }
                default -> fail(where + ": status " + r.status());
            }
            before = after;
        }
        System.out.println("HostileHandlerTest fuzz outcomes: " + tally + " (seed " + seed + ")");
        assertThat(tally.getOrDefault("REJECTED", 0)).as("most mutations break the event").isGreaterThan(cases / 2);
        assertThat(tally.getOrDefault("ACCEPTED", 0)).as("some stay valid").isPositive();
        List<JsonNode> got = w.drainQuiet();
        for (JsonNode n : got) {
            JsonNode t = n.get("trigger");
            String kind = t.get("kind").asText();
            if (kind.equals("PRICE")) {
                assertThat(priceTriggers).as("seed %d: a notice of a price event that was not accepted: %s", seed, t)
                        .contains(t.get("instrument").asText() + "|" + Instant.parse(t.get("timestamp").asText()) + "|"
                                + t.get("sequence").asLong());
            } else {
                assertThat(kind).as("seed %d: %s", seed, t).isEqualTo("ACCOUNT");
                assertThat(accountTriggers).as("seed %d: a notice of an account event that was not accepted: %s", seed, t)
                        .contains(t.get("eventId").asText());
            }
        }
        assertThat(got).as("seed %d: every notice the accepted events reported, once", seed).hasSize(notified);
        assertThat(got.stream().map(n -> n.get("notificationId").asText()).distinct().count()).isEqualTo(got.size());
    }

    /** Mutations of valid events: deletion, renaming, type swaps, boundary numbers, unicode and control characters, huge strings. */
    static final class Fuzzer {
        record Case(Handler handler, EventBridgeEvent event, String description) {
        }

        static final String[] BOUNDARY = {"0", "-0", "\"0\"", "\"-0\"", "\"1e308\"", "1e308", "\"1e-40\"", "1e-40", "\"Infinity\"",
                "\"-Infinity\"", "\"NaN\"", quoted("9".repeat(80)), "\"999999999999999999.999999999999999999\"",
                "\"0.000000000000000001\"", "\"-1\"", "\"1\"", "9007199254740991", "9007199254740992", "-1", "18446744073709551621",
                "1.5", "20.0", "\"1,5\"", "\" 1\"", "\"\uFF11\"", "true", "null", "[]", "{}", "\"\"", "\"41000\"", "\"0.5\""};
        static final String[] INSTANTS = {"\"2126-01-01T00:00:00Z\"", "\"1970-01-01T00:00:00Z\"", "\"0001-01-01T00:00:00Z\"",
                "\"9999-12-31T23:59:59.999999999Z\"", "\"2026-06-30T23:59:60Z\"", "\"2026-13-01T00:00:00Z\"",
                "\"2026-01-01T00:00:00+00:00\"", "\"2026-01-01 00:00:00Z\"", "1767225600", "\"\"", "null",
                quoted(NOW.plusSeconds(6).toString()), quoted(NOW.plusSeconds(4).toString()), quoted(NOW.minusSeconds(1).toString())};
        static final String[] CHARS = {"\u0000", "\u0001", "\u001f", "\u007f", "\u0085", "\u009f", "\u200b", "\u202e", "\ufeff",
                "\ud83d\ude00", "\ud800", "\udfff", "\u0301", " ", "\t", "\"", "\\", ":", "\u00e9", "\u4e2d"};
        static final String[] DETAIL_TYPES = {"Price Update", "Collateral Changed", "Position Changed", "Deposit Pending",
                "price update", "Price Update ", "Price\u0000Update", ""};

        final Random rnd;

        Fuzzer(Random rnd) {
            this.rnd = rnd;
        }

        <T> T pick(T[] xs) {
            return xs[rnd.nextInt(xs.length)];
        }

        /** A valid event of a random kind, numbered so that it is newer than everything before it. */
        ObjectNode base(Base b, int i) {
            ObjectNode d = b.detail();
            Instant ts = TS.plusMillis(i * 10L);
            d.put("timestamp", ts.toString()).put("sequence", 100 + i);
            switch (b) {
                case PRICE -> {
                    String instrument = rnd.nextBoolean() ? "BTC-USD" : "ETH-USD";
                    String mark = instrument.equals("BTC-USD") ? Integer.toString(38000 + rnd.nextInt(4000))
                            : Integer.toString(1800 + rnd.nextInt(400));
                    d.put("instrument", instrument).put("markPrice", mark).put("indexPrice", mark);
                }
                case COLLATERAL -> d.putObject("collateral").put(rnd.nextBoolean() ? "USDT" : "USDC",
                        Integer.toString(1200 + rnd.nextInt(800)));
                case POSITION -> d.put("accountId", pick(new String[]{"a-17", "w-1", "p-" + rnd.nextInt(5)}))
                        .put("size", rnd.nextBoolean() ? "1.25" : "-0.5").put("entryPrice", "40000");
                case PENDING -> d.put("reference", "wire-" + i).put("expectedBy", ts.plusSeconds(3600).toString());
            }
            if (rnd.nextInt(4) == 0) {
                d.putObject("meta").put("trace", "t-" + i);
            }
            return d;
        }

        Case next(int i) {
            Base b = pick(Base.values());
            ObjectNode d = base(b, i);
            JsonNode detail = d;
            String type = b.detailType;
            List<String> did = new ArrayList<>();
            int mutations = rnd.nextInt(10) == 0 ? 0 : 1 + rnd.nextInt(rnd.nextInt(4) == 0 ? 3 : 1);
            for (int m = 0; m < mutations; m++) {
                int op = rnd.nextInt(12);
                List<String[]> fields = fields(d, "");
                String[] f = fields.isEmpty() ? null : fields.get(rnd.nextInt(fields.size()));
                ObjectNode parent = f == null ? d : parentOf(d, f[0]);
                String name = f == null ? "x" : f[1];
                switch (op) {
                    case 0 -> {
                        parent.remove(name);
                        did.add("delete " + name);
                    }
                    case 1 -> {
                        JsonNode v = parent.remove(name);
                        String renamed = pick(new String[]{name + "s", name.toUpperCase(), " " + name, name + "\u0000",
                                name.replace('e', '\u0435'), name.isEmpty() ? "" : name.substring(1), ""});
                        parent.set(renamed, v == null ? JsonNodeFactory.instance.textNode("x") : v);
                        did.add("rename " + name);
                    }
                    case 2 -> {
                        parent.set(name, parse(pick(new String[]{"1", "43250.5", "true", "null", "[]", "{}", "\"text\"", "-7"})));
                        did.add("type swap " + name);
                    }
                    case 3, 4 -> {
                        parent.set(name, parse(pick(BOUNDARY)));
                        did.add("boundary " + name);
                    }
                    case 5 -> {
                        JsonNode v = parent.get(name);
                        String s = v != null && v.isTextual() ? v.textValue() : "v";
                        int at = rnd.nextInt(s.length() + 1);
                        parent.put(name, s.substring(0, at) + pick(CHARS) + s.substring(at));
                        did.add("unicode in " + name);
                    }
                    case 6 -> {
                        int len = pick(new Integer[]{129, 1000, 65_536, 200_000, 255 * 1024});
                        String huge = rnd.nextBoolean() ? "1".repeat(len) : "z".repeat(len);
                        int where = rnd.nextInt(3);
                        if (where == 0) {
                            parent.put(name, huge);
                        } else if (where == 1) {
                            d.put("extra" + rnd.nextInt(3), huge);
                        } else {
                            d.putObject("meta").put("blob", huge);
                        }
                        did.add("huge (" + len + ") " + (where == 0 ? name : where == 1 ? "unknown field" : "meta"));
                    }
                    case 7 -> {
                        d.put(pick(new String[]{"indexPrise", "colour", "Sequence", "markprice", "settle"}), "1");
                        did.add("unknown field");
                    }
                    case 8 -> {
                        d.set("sequence", parse(pick(new String[]{"-1", "0", "1.5", "9007199254740992", "1e19", "1e400",
                                "\"101\"", "null", "18446744073709551621", "-0", "1", Integer.toString(100 + i)})));
                        did.add("sequence");
                    }
                    case 9 -> {
                        d.set(b == Base.PENDING && rnd.nextBoolean() ? "expectedBy" : "timestamp", parse(pick(INSTANTS)));
                        did.add("timestamp");
                    }
                    case 10 -> {
                        type = pick(DETAIL_TYPES);
                        did.add("detail-type " + quoted(type));
                    }
                    default -> {
                        if (rnd.nextInt(3) == 0) {
                            detail = parse(pick(new String[]{"null", "[]", "\"detail\"", "17", "{}", "[{}]"}));
                            did.add("detail replaced");
                        } else {
                            d.removeAll();
                            did.add("detail emptied");
                        }
                    }
                }
            }
            String describe = b + (did.isEmpty() ? " unmodified" : " " + String.join(", ", did));
            return new Case(b.handler, env(type, detail), describe);
        }

        /** (path of the parent, field name) of every field of the detail and of its nested objects. */
        static List<String[]> fields(ObjectNode o, String path) {
            List<String[]> out = new ArrayList<>();
            o.fields().forEachRemaining(e -> {
                out.add(new String[]{path, e.getKey()});
                if (e.getValue().isObject() && !path.contains(".")) {
                    out.addAll(fields((ObjectNode) e.getValue(), path.isEmpty() ? e.getKey() : path + "." + e.getKey()));
                }
            });
            return out;
        }

        static ObjectNode parentOf(ObjectNode d, String path) {
            if (path.isEmpty()) {
                return d;
            }
            JsonNode n = d.get(path);
            return n instanceof ObjectNode o ? o : d;
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
