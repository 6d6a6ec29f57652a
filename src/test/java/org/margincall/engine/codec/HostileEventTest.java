package org.margincall.engine.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.margincall.engine.domain.InvalidInputException;
import org.margincall.engine.handler.EventBridgeEvent;
import org.margincall.engine.handler.HandlerParsing;
import org.margincall.engine.service.MarginService;

/**
 * Hostile events (SPEC §5, §9) against both handlers' {@code parse}: each is refused with an
 * {@link InvalidInputException} naming the field, showing the value (elided when huge, control
 * characters escaped), and nothing wraps, rounds or defaults silently.
 */
class HostileEventTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String PRICE = """
            {"instrument":"BTC-USD","markPrice":"43250.5","indexPrice":"43251.0","timestamp":"2026-01-01T00:00:00.250Z",
             "sequence":18231,"source":"oracle-a"}""";
    static final String COLLATERAL = """
            {"accountId":"a-17","sequence":42,"timestamp":"2026-01-01T00:00:00Z","collateral":{"USDT":"15000"}}""";
    static final String POSITION = """
            {"accountId":"a-17","sequence":43,"timestamp":"2026-01-01T00:00:01Z","instrument":"BTC-USD","size":"1.5",
             "entryPrice":"42000","collateral":{"USDT":"100"}}""";
    static final String PENDING = """
            {"accountId":"a-17","sequence":44,"timestamp":"2026-01-01T00:00:02Z","asset":"USDT","amount":"5000",
             "reference":"wire-1","expectedBy":"2026-01-01T04:00:00Z"}""";

    enum Kind {
        PRICE("Price Update", HostileEventTest.PRICE, HandlerParsing::price),
        COLLATERAL("Collateral Changed", HostileEventTest.COLLATERAL, HandlerParsing::account),
        POSITION("Position Changed", HostileEventTest.POSITION, HandlerParsing::account),
        PENDING("Deposit Pending", HostileEventTest.PENDING, HandlerParsing::depositPending),
        /** "Deposit Pending" through the account handler's parse, as the handler receives it (§3.6). */
        PENDING_VIA_PARSE("Deposit Pending", HostileEventTest.PENDING, HandlerParsing::account);

        final String detailType;
        final String base;
        final Function<EventBridgeEvent, Object> parse;

        Kind(String detailType, String base, Function<EventBridgeEvent, Object> parse) {
            this.detailType = detailType;
            this.base = base;
            this.parse = parse;
        }
    }

    /** A row: the kind of event, its detail and what the refusal must name (field, a fragment of the message). */
    record Row(String name, Kind kind, JsonNode detail, String field, String fragment) {
        @Override
        public String toString() {
            return name;
        }
    }

    static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (Exception e) {
            throw new IllegalArgumentException(json, e);
        }
    }

    /** The kind's base detail with {@code field} set to the JSON text {@code value} (a path a.b sets inside a.b). */
    static JsonNode with(Kind kind, String field, String value) {
        ObjectNode d = (ObjectNode) parse(kind.base);
        String[] parts = field.split("\\.");
        ObjectNode o = d;
        for (int i = 0; i < parts.length - 1; i++) {
            o = (ObjectNode) o.get(parts[i]);
        }
        o.set(parts[parts.length - 1], parse(value));
        return d;
    }

    static JsonNode without(Kind kind, String field) {
        ObjectNode d = (ObjectNode) parse(kind.base);
        d.remove(field);
        return d;
    }

    static String quoted(String s) {
        return JsonNodeFactory.instance.textNode(s).toString();
    }

    static final String TWO_POW_64_PLUS_5 = "18446744073709551621";

    static Stream<Row> rows() {
        List<Row> rows = new ArrayList<>();
        // The same hostile values for a price, a balance, a position size and a pending amount.
        String[][] decimals = {
                {"json-number", "43250.5", "decimal string"}, {"json-integer", "43250", "decimal string"},
                {"1e308-number", "1e308", "decimal string"}, {"1e308", "\"1e308\"", "1e308"}, {"1e-40", "\"1e-40\"", "1e-40"},
                {"80-digits", quoted("9".repeat(80)), "18 digits"}, {"80-fraction-digits", quoted("0." + "1".repeat(78)), "18 digits"},
                {"negative-zero", "\"-0\"", "negative zero"}, {"padded", "\" 1\"", "\" 1\""}, {"trailing-space", "\"1 \"", "\"1 \""},
                {"localised", "\"1,5\"", "1,5"}, {"thousands", "\"1,000\"", "1,000"}, {"infinity", "\"Infinity\"", "Infinity"},
                {"nan", "\"NaN\"", "NaN"}, {"empty", "\"\"", "decimal string"}, {"null", "null", "null"}, {"boolean", "true", "decimal string"}};
        for (String[] d : decimals) {
            rows.add(new Row("price markPrice " + d[0], Kind.PRICE, with(Kind.PRICE, "markPrice", d[1]), "detail.markPrice", d[2]));
            rows.add(new Row("collateral balance " + d[0], Kind.COLLATERAL, with(Kind.COLLATERAL, "collateral.USDT", d[1]),
                    "detail.collateral.USDT", d[2]));
            rows.add(new Row("position size " + d[0], Kind.POSITION, with(Kind.POSITION, "size", d[1]), "detail.size", d[2]));
            rows.add(new Row("pending amount " + d[0], Kind.PENDING, with(Kind.PENDING, "amount", d[1]), "detail.amount", d[2]));
        }
        // Sequences: negative, fractional, beyond 2^53-1 and beyond 2^63-1; nothing wraps.
        String[][] sequences = {
                {"negative", "-1"}, {"fraction", "18231.5"}, {"2^53", "9007199254740992"}, {"2^63-1", "9223372036854775807"},
                {"2^63", "9223372036854775808"}, {"2^64+5", TWO_POW_64_PLUS_5}, {"1e19", "1e19"}, {"1e400", "1e400"},
                {"string", "\"18231\""}, {"null", "null"}, {"object", "{}"}};
        for (String[] s : sequences) {
            String shown = switch (s[0]) {
                case "1e400" -> "Infinity";
                case "1e19" -> "1.0E19";
                case "string" -> "\"18231\"";
                case "object" -> "whole number";
                default -> s[1];
            };
            for (Kind k : List.of(Kind.PRICE, Kind.COLLATERAL, Kind.POSITION, Kind.PENDING)) {
                rows.add(new Row(k + " sequence " + s[0], k, with(k, "sequence", s[1]), "detail.sequence", shown));
            }
        }
        rows.add(new Row("account sequence 0", Kind.COLLATERAL, with(Kind.COLLATERAL, "sequence", "0"), "detail.sequence", "from 1"));
        // Identifiers: huge, control characters, blank, padded, not a string.
        String huge = "B".repeat(3000);
        rows.add(new Row("price instrument 3000 chars", Kind.PRICE, with(Kind.PRICE, "instrument", quoted(huge)),
                "detail.instrument", "3000 characters"));
        rows.add(new Row("price instrument control character", Kind.PRICE, with(Kind.PRICE, "instrument", "\"BTC\\u0001USD\""),
                "detail.instrument", "BTC\\u0001USD"));
        rows.add(new Row("price instrument newline", Kind.PRICE, with(Kind.PRICE, "instrument", "\"BTC-USD\\n\""),
                "detail.instrument", "U+000A"));
        rows.add(new Row("price source 3000 chars", Kind.PRICE, with(Kind.PRICE, "source", quoted(huge)), "detail.source", "3000"));
        rows.add(new Row("price instrument empty", Kind.PRICE, with(Kind.PRICE, "instrument", "\"\""), "detail.instrument", "empty"));
        rows.add(new Row("account id 3000 chars", Kind.COLLATERAL, with(Kind.COLLATERAL, "accountId", quoted("a".repeat(3000))),
                "detail.accountId", "3000 characters"));
        rows.add(new Row("account id control character", Kind.POSITION, with(Kind.POSITION, "accountId", "\"a\\u0000b\""),
                "detail.accountId", "a\\u0000b"));
        rows.add(new Row("account id with a sub-account colon", Kind.COLLATERAL, with(Kind.COLLATERAL, "accountId", "\"a-17:BTC-USD\""),
                "detail.accountId", "':'"));
        rows.add(new Row("account id padded", Kind.COLLATERAL, with(Kind.COLLATERAL, "accountId", "\" a-17\""),
                "detail.accountId", "space"));
        rows.add(new Row("account id number", Kind.COLLATERAL, with(Kind.COLLATERAL, "accountId", "17"), "detail.accountId", "string"));
        rows.add(new Row("asset key with a control character", Kind.COLLATERAL,
                with(Kind.COLLATERAL, "collateral", "{\"US\\u0007DT\":\"1\"}"), "detail.collateral", "US\\u0007DT"));
        rows.add(new Row("pending reference 3000 chars", Kind.PENDING, with(Kind.PENDING, "reference", quoted(huge)),
                "detail.reference", "3000"));
        // Timestamps.
        for (String[] t : new String[][]{{"unparsable", "\"yesterday\""}, {"month 13", "\"2026-13-01T00:00:00Z\""},
                {"february 30", "\"2026-02-30T00:00:00Z\""}, {"offset", "\"2026-01-01T01:00:00+01:00\""},
                {"no zone", "\"2026-01-01T00:00:00\""}, {"epoch number", "1767225600"}, {"empty", "\"\""}}) {
            rows.add(new Row("price timestamp " + t[0], Kind.PRICE, with(Kind.PRICE, "timestamp", t[1]), "detail.timestamp", "instant"));
            rows.add(new Row("account timestamp " + t[0], Kind.COLLATERAL, with(Kind.COLLATERAL, "timestamp", t[1]),
                    "detail.timestamp", "instant"));
        }
        rows.add(new Row("pending expectedBy unparsable", Kind.PENDING, with(Kind.PENDING, "expectedBy", "\"soon\""),
                "detail.expectedBy", "soon"));
        // Unknown fields (a misspelt optional field must not silently switch a rule off) and the meta object.
        rows.add(new Row("price misspelt indexPrice", Kind.PRICE, with(Kind.PRICE, "indexPrise", "\"43251.0\""),
                "detail.indexPrise", "not a field"));
        rows.add(new Row("price collateral", Kind.PRICE, with(Kind.PRICE, "colateral", "{}"), "detail.colateral", "not a field"));
        rows.add(new Row("position misspelt collateral", Kind.POSITION, with(Kind.POSITION, "colateral", "{\"USDT\":\"1\"}"),
                "detail.colateral", "not a field"));
        rows.add(new Row("position misspelt isolatedMargin", Kind.POSITION, with(Kind.POSITION, "isolatedMargn", "\"4000\""),
                "detail.isolatedMargn", "not a field"));
        rows.add(new Row("collateral with a position field", Kind.COLLATERAL, with(Kind.COLLATERAL, "size", "\"1\""),
                "detail.size", "not a field"));
        rows.add(new Row("pending misspelt reference", Kind.PENDING, with(Kind.PENDING, "referance", "\"w\""),
                "detail.referance", "not a field"));
        rows.add(new Row("meta null", Kind.PRICE, with(Kind.PRICE, "meta", "null"), "detail.meta", "JSON object"));
        rows.add(new Row("meta array", Kind.COLLATERAL, with(Kind.COLLATERAL, "meta", "[]"), "detail.meta", "JSON object"));
        // The detail itself.
        for (Kind k : Kind.values()) {
            rows.add(new Row(k + " detail null", k, JsonNodeFactory.instance.nullNode(), "detail", "JSON object"));
            rows.add(new Row(k + " detail missing", k, null, "detail", "JSON object"));
            rows.add(new Row(k + " detail array", k, parse("[" + k.base + "]"), "detail", "JSON object"));
            rows.add(new Row(k + " detail string", k, parse(quoted(k.base)), "detail", "JSON object"));
        }
        // Other required fields and ranges.
        rows.add(new Row("price markPrice zero", Kind.PRICE, with(Kind.PRICE, "markPrice", "\"0.00\""), "detail.markPrice", "positive"));
        rows.add(new Row("price indexPrice null", Kind.PRICE, with(Kind.PRICE, "indexPrice", "null"), "detail.indexPrice", "null"));
        rows.add(new Row("position entryPrice missing while open", Kind.POSITION, without(Kind.POSITION, "entryPrice"),
                "detail.entryPrice", "required"));
        rows.add(new Row("collateral empty", Kind.COLLATERAL, with(Kind.COLLATERAL, "collateral", "{}"), "detail.collateral",
                "at least one"));
        rows.add(new Row("collateral settles repeated", Kind.COLLATERAL, with(Kind.COLLATERAL, "settles", "[\"w\",\"w\"]"),
                "detail.settles", "twice"));
        rows.add(new Row("pending amount negative", Kind.PENDING, with(Kind.PENDING, "amount", "\"-5\""), "detail.amount", "negative"));
        rows.add(new Row("deposit pending malformed through parse", Kind.PENDING_VIA_PARSE,
                with(Kind.PENDING_VIA_PARSE, "amount", "\"-0\""), "detail.amount", "negative zero"));
        return rows.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rows")
    void hostileEventIsRefusedNamingTheField(Row row) {
        EventBridgeEvent event = HandlerParsing.envelope(row.kind().detailType, row.detail());
        InvalidInputException e = catchThrowableOfType(InvalidInputException.class, () -> row.kind().parse.apply(event));
        assertThat(e).as("refused").isNotNull();
        assertThat(e.field()).as(e.getMessage()).isEqualTo(row.field());
        assertThat(e.getMessage()).startsWith(row.field() + " = ").contains(row.fragment());
        assertThat(e.getMessage()).as("bounded, printable message").hasSizeLessThan(400).doesNotContainPattern("[\\x00-\\x1f\\x7f-\\x9f]");
    }

    @Test
    void aSequenceOfTwoToThe64PlusFiveDoesNotWrapToFive() {
        JsonNode d = with(Kind.PRICE, "sequence", TWO_POW_64_PLUS_5);
        assertThat(d.get("sequence").asLong()).as("what Jackson's asLong would have made of it").isEqualTo(5);
        InvalidInputException e = catchThrowableOfType(InvalidInputException.class,
                () -> HandlerParsing.price(HandlerParsing.envelope("Price Update", d)));
        assertThat(e.value()).isEqualTo(TWO_POW_64_PLUS_5);
    }

    @Test
    void wellFormedEventsAtTheLimitsAreAcceptedExactly() {
        MarginService.PriceUpdate max = HandlerParsing.price(HandlerParsing.envelope("Price Update",
                with(Kind.PRICE, "sequence", "9007199254740991")));
        assertThat(max.sequence()).isEqualTo(9_007_199_254_740_991L);
        MarginService.PriceUpdate integral = HandlerParsing.price(HandlerParsing.envelope("Price Update",
                with(Kind.PRICE, "sequence", "18231.0")));
        assertThat(integral.sequence()).as("an integral JSON number is the integer (JSON Schema)").isEqualTo(18231);
        MarginService.PriceUpdate limits = HandlerParsing.price(HandlerParsing.envelope("Price Update",
                with(Kind.PRICE, "markPrice", "\"999999999999999999.000000000000000001\"")));
        assertThat(limits.markPrice()).isEqualByComparingTo("999999999999999999.000000000000000001");
        MarginService.PriceUpdate nanos = HandlerParsing.price(HandlerParsing.envelope("Price Update",
                with(Kind.PRICE, "timestamp", "\"2024-02-29T23:59:59.999999999Z\"")));
        assertThat(nanos.timestamp().toString()).as("truncated to the millisecond (SPEC §1)").isEqualTo("2024-02-29T23:59:59.999Z");
        HandlerParsing.price(HandlerParsing.envelope("Price Update", with(Kind.PRICE, "instrument", quoted("I".repeat(128)))));
        HandlerParsing.price(HandlerParsing.envelope("Price Update",
                with(Kind.PRICE, "meta", "{\"indexPrise\":1,\"nested\":{\"colateral\":[null,\"x\\u0001\"]}}")));
        MarginService.AccountChange closed = HandlerParsing.account(HandlerParsing.envelope("Position Changed",
                parse("{\"accountId\":\"a-17\",\"sequence\":9007199254740991,\"timestamp\":\"2026-01-01T00:00:00Z\","
                        + "\"instrument\":\"BTC-USD\",\"size\":\"0\"}")));
        assertThat(closed.position().size()).isZero();
        assertThat(HandlerParsing.account(HandlerParsing.envelope("Collateral Changed",
                with(Kind.COLLATERAL, "settles", "[\"wire-1\",\"wire-2\"]"))).collateral()).containsKey("USDT");
        assertThat(HandlerParsing.depositPending(HandlerParsing.envelope("Deposit Pending", with(Kind.PENDING, "amount", "\"0\""))))
                .asString().contains("wire-1");
        MarginService.AccountChange pending = HandlerParsing.account(HandlerParsing.envelope("Deposit Pending", parse(PENDING)));
        assertThat(pending.pending().reference()).as("Deposit Pending is handled (§3.6)").isEqualTo("wire-1");
        assertThat(pending.pending().amount()).isEqualByComparingTo("5000");
    }

    @Test
    void theEnvelopeIsCheckedFirst() {
        InvalidInputException type = catchThrowableOfType(InvalidInputException.class,
                () -> HandlerParsing.price(HandlerParsing.envelope("Price Upd\u0000ate", parse(PRICE))));
        assertThat(type.field()).isEqualTo("detail-type");
        assertThat(type.getMessage()).contains("Price Upd\\u0000ate");
        InvalidInputException noId = catchThrowableOfType(InvalidInputException.class, () -> HandlerParsing.account(
                new EventBridgeEvent(null, "Collateral Changed", "venue", null, null, null, parse(COLLATERAL))));
        assertThat(noId.field()).isEqualTo("id");
        InvalidInputException none = catchThrowableOfType(InvalidInputException.class, () -> HandlerParsing.price(null));
        assertThat(none.field()).isEqualTo("event");
    }
}
