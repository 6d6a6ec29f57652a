package org.margincall.engine.handler;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.io.InputStream;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.margincall.engine.domain.PriceStamp;
import org.margincall.engine.adapter.cloudwatch.EngineMetrics;
import org.margincall.engine.service.port.AccountItems;
import org.margincall.engine.service.port.StoredAccount;
import org.margincall.engine.adapter.dynamodb.VenueStore;
import org.margincall.engine.domain.Account;
import org.margincall.engine.domain.Level;
import org.margincall.engine.domain.Trigger;
import org.margincall.engine.local.LocalStackResource;
import org.margincall.engine.local.SnsGate;
import org.margincall.engine.service.MarginService;

/**
 * The price path end to end (SPEC §3.3, §5.1, §6): EventBridge envelopes posted to the Lambda
 * mock event server, DynamoDB on dynalite, notifications through SNS to SQS on fauxqs.
 */
@QuarkusTest
@QuarkusTestResource(LocalStackResource.class)
class PriceEventPipelineTest {
    static JsonSchema schema;

    @Inject
    VenueStore venues;
    @Inject
    AccountItems accounts;
    @Inject
    MarginService service;
    @Inject
    EngineMetrics metrics;

    EngineFixture f;
    Instant t0;

    @BeforeAll
    static void loadSchema() throws Exception {
        try (InputStream in = PriceEventPipelineTest.class.getResourceAsStream("/schema/notification-v1.schema.json")) {
            schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(in);
        }
    }

    @BeforeEach
    void fixture() {
        SnsGate.shared().open();
        f = new EngineFixture(venues, service);
        t0 = Instant.now().truncatedTo(ChronoUnit.MILLIS).minusSeconds(60);
    }

    static JsonPath post(String event) {
        return given().contentType("application/json").accept("application/json").body(event)
                .when().post().then().statusCode(200).extract().jsonPath();
    }

    static void assertValid(List<JsonNode> bodies) {
        for (JsonNode b : bodies) {
            Set<ValidationMessage> errors = schema.validate(b);
            assertThat(errors).as("schema errors of %s", b).isEmpty();
        }
    }

    /** At a mark of 40000 each fixture account's ratio is (USDT - 1250) / 200. */
    Map<String, Account> fiveLevels() {
        Map<String, Account> a = new LinkedHashMap<>();
        a.put("HEALTHY", f.account("healthy", "1650"));      // R = 2.0
        a.put("WARNING", f.account("warning", "1510"));      // R = 1.3
        a.put("MARGIN_CALL", f.account("call", "1470"));     // R = 1.1
        a.put("CRITICAL", f.account("critical", "1454"));    // R = 1.02
        a.put("LIQUIDATION", f.account("liquidation", "1430")); // R = 0.9
        return a;
    }

    static Map<String, List<String>> typesByAccount(List<JsonNode> bodies) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (JsonNode b : bodies) {
            out.computeIfAbsent(b.get("accountId").asText(), k -> new ArrayList<>()).add(b.get("type").asText());
        }
        return out;
    }

    @Test
    void accountsAcrossAllFiveLevelsGetExactlyTheirNoticesAndNothingOnTheNextTick() {
        Map<String, Account> accts = fiveLevels();
        EngineFixture.Subscriber sub = new EngineFixture.Subscriber(null);

        JsonPath r = post(EngineFixture.priceEvent(f.instrument, "40000", t0, 1));
        assertThat(r.getString("status")).isEqualTo("ACCEPTED");
        assertThat(r.getInt("accountsEvaluated")).isEqualTo(5);

        List<JsonNode> got = sub.drain(f);
        assertValid(got);
        assertThat(typesByAccount(got)).containsExactlyInAnyOrderEntriesOf(Map.of(
                accts.get("WARNING").accountId(), List.of("MARGIN_WARNING"),
                accts.get("MARGIN_CALL").accountId(), List.of("MARGIN_CALL"),
                accts.get("CRITICAL").accountId(), List.of("FINAL_NOTICE"),
                accts.get("LIQUIDATION").accountId(), List.of("LIQUIDATION_HANDOFF")));

        // Hand-computed at mark 40000 (1.25 long from 41000: U = -1250, notional 50000, MM = 200):
        // ratio, requiredDeposit = 1.53 * 200 - Q, minimumDeposit = 1.224 * 200 - Q, equity Q,
        // reduceFraction = ceil4(1 - Q / 306) (below the 50000 floor MM = 0.004 * notional), and the
        // liquidation price (q·E − C − cum) / (q − |q|·mmr) in the bracket its notional falls in:
        // C = 1510, 1470, 1454 → bracket 0 (/1.245); C = 1430 → bracket 1 ((51200 − C) / 1.24375).
        Map<String, String[]> byHand = Map.of(
                "WARNING", new String[]{"1.3", "46.00", "0.00", "260.00", "0.1504", "39951.80722892"},
                "MARGIN_CALL", new String[]{"1.1", "86.00", "24.80", "220.00", "0.2811", "39983.93574297"},
                "CRITICAL", new String[]{"1.02", "102.00", "40.80", "204.00", "0.3334", "39996.78714859"},
                "LIQUIDATION", new String[]{"0.9", "126.00", "64.80", "180.00", "0.4118", "40016.08040201"});
        for (JsonNode b : got) {
            String level = b.get("level").asText();
            Account a = accts.get(level);
            assertThat(b.get("accountId").asText()).isEqualTo(a.accountId());
            assertThat(b.get("collateralRatio").decimalValue()).isEqualByComparingTo(byHand.get(level)[0]);
            assertThat(b.get("requiredDeposit").asText()).isEqualTo(byHand.get(level)[1]);
            assertThat(b.get("minimumDeposit").asText()).isEqualTo(byHand.get(level)[2]);
            assertThat(b.get("venueId").asText()).isEqualTo(LocalStackResource.VENUE);
            assertThat(b.get("previousLevel").asText()).isEqualTo("HEALTHY");
            assertThat(b.get("reason").asText()).isEqualTo("RATIO");
            assertThat(b.get("trigger").get("sequence").asLong()).isEqualTo(1);
            assertThat(b.get("equity").asText()).isEqualTo(byHand.get(level)[3]);
            assertThat(b.get("maintenanceMargin").asText()).isEqualTo("200.00");
            assertThat(b.get("reduceFraction").decimalValue()).isEqualByComparingTo(byHand.get(level)[4]);
            assertThat(b.get("positions").get(0).get("liquidationPrice").asText()).isEqualTo(byHand.get(level)[5]);
            boolean inCall = !level.equals("WARNING");
            assertThat(b.get("callId").isNull()).isEqualTo(!inCall);
            // The next clock step: grace for a call, the hand-off check after a final notice, none
            // outside a call or once handed off.
            String deadline = switch (level) {
                case "MARGIN_CALL" -> t0.plusSeconds(600).toString();
                case "CRITICAL" -> t0.plusSeconds(900).toString();
                default -> null;
            };
            assertThat(b.get("deadline").isNull() ? null : b.get("deadline").asText()).isEqualTo(deadline);
        }

        // Same levels on the next tick: nothing.
        assertThat(post(EngineFixture.priceEvent(f.instrument, "40000", t0.plusSeconds(1), 2)).getString("status"))
                .isEqualTo("ACCEPTED");
        assertThat(sub.drain(f)).isEmpty();

        // A rally: each level change sends its one notice.
        post(EngineFixture.priceEvent(f.instrument, "40100", t0.plusSeconds(2), 3)); // R = (usdt - 1125) / 200.5
        Map<String, List<String>> rally = typesByAccount(sub.drain(f));
        assertThat(rally).containsExactlyInAnyOrderEntriesOf(Map.of(
                accts.get("WARNING").accountId(), List.of("WARNING_CLEARED"),           // 1.9202 >= 1.53
                accts.get("MARGIN_CALL").accountId(), List.of("MARGIN_CALL_CURED"),     // 1.7207 -> HEALTHY
                accts.get("CRITICAL").accountId(), List.of("MARGIN_CALL_CURED"),        // 1.6409 -> HEALTHY
                accts.get("LIQUIDATION").accountId(), List.of("MARGIN_CALL_CURED")));   // 1.5212 -> WARNING
    }

    @Test
    void aRepeatedOrOlderEventChangesNothing() {
        Account a = f.account("dup", "1470");
        EngineFixture.Subscriber sub = new EngineFixture.Subscriber(null);
        String event = EngineFixture.priceEvent(f.instrument, "40000", t0, 5);
        assertThat(post(event).getString("status")).isEqualTo("ACCEPTED");
        assertThat(sub.drain(f)).extracting(n -> n.get("type").asText()).containsExactly("MARGIN_CALL");
        StoredAccount before = accounts.get(LocalStackResource.VENUE, a.accountId()).orElseThrow();
        long duplicates = metrics.total(EngineMetrics.EVENTS_DUPLICATE);

        assertThat(post(event).getString("status")).isEqualTo("DUPLICATE");
        assertThat(post(EngineFixture.priceEvent(f.instrument, "30000", t0.minusSeconds(1), 9)).getString("status"))
                .isEqualTo("DUPLICATE");
        assertThat(post(EngineFixture.priceEvent(f.instrument, "30000", t0, 4)).getString("status"))
                .isEqualTo("DUPLICATE");

        assertThat(sub.drain(f)).isEmpty();
        assertThat(metrics.total(EngineMetrics.EVENTS_DUPLICATE) - duplicates).isEqualTo(3);
        assertThat(accounts.get(LocalStackResource.VENUE, a.accountId()).orElseThrow()).isEqualTo(before);
        assertThat(venues.load(LocalStackResource.VENUE).marks().exact(f.instrument)).isEqualByComparingTo("40000");
    }

    @Test
    void malformedEventsAreRejectedWithTheFieldAndValueAndTouchNothing() {
        Account a = f.account("bad", "1470");
        post(EngineFixture.priceEvent(f.instrument, "40000", t0, 1));
        StoredAccount before = accounts.get(LocalStackResource.VENUE, a.accountId()).orElseThrow();
        String ok = EngineFixture.priceEvent(f.instrument, "39000", t0.plusSeconds(1), 2);
        Map<String, String[]> cases = new LinkedHashMap<>();
        cases.put(ok.replace(f.instrument, "NOPE-USD"), new String[]{"detail.instrument", "NOPE-USD"});
        cases.put(ok.replace("\"39000\"", "\"0\""), new String[]{"detail.markPrice", "0"});
        cases.put(ok.replace("\"39000\"", "\"-5\""), new String[]{"detail.markPrice", "-5"});
        cases.put(ok.replace("\"39000\"", "\"NaN\""), new String[]{"detail.markPrice", "NaN"});
        cases.put(ok.replace("\"39000\"", "\"Infinity\""), new String[]{"detail.markPrice", "Infinity"});
        cases.put(ok.replace("\"39000\"", "\"12,5\""), new String[]{"detail.markPrice", "12,5"});
        cases.put(ok.replace("\"39000\"", "39000.5"), new String[]{"detail.markPrice", "decimal string"});
        cases.put(ok.replace(",\"timestamp\":\"" + t0.plusSeconds(1) + "\"", ""), new String[]{"detail.timestamp", "required"});
        cases.put(ok.replace("\"timestamp\":\"" + t0.plusSeconds(1), "\"timestamp\":\"" + Instant.now().plusSeconds(60)),
                new String[]{"detail.timestamp", "future"});
        cases.put(ok.replace("\"timestamp\":\"" + t0.plusSeconds(1), "\"timestamp\":\"yesterday"),
                new String[]{"detail.timestamp", "yesterday"});
        cases.put(ok.replace("Price Update", "Price Upd"), new String[]{"detail-type", "Price Upd"});
        cases.put(ok.replace(",\"sequence\":2", ""), new String[]{"detail.sequence", "null"});
        long rejected = metrics.total(EngineMetrics.EVENTS_REJECTED);
        int n = 0;
        for (Map.Entry<String, String[]> c : cases.entrySet()) {
            JsonPath r = post(c.getKey());
            assertThat(r.getString("status")).as(c.getValue()[0]).isEqualTo("REJECTED");
            assertThat(r.getString("reason")).contains(c.getValue()[0]).contains(c.getValue()[1]);
            assertThat(metrics.total(EngineMetrics.EVENTS_REJECTED)).isEqualTo(rejected + ++n);
        }
        assertThat(accounts.get(LocalStackResource.VENUE, a.accountId()).orElseThrow()).isEqualTo(before);
        assertThat(venues.load(LocalStackResource.VENUE).marks().exact(f.instrument)).isEqualByComparingTo("40000");
    }

    @Test
    void aVenueFilterPolicyGetsExactlyItsCallsAndAnotherVenueNothing() {
        fiveLevels();
        EngineFixture.Subscriber calls = new EngineFixture.Subscriber(
                "{\"venueId\":[\"v1\"],\"type\":[\"MARGIN_CALL\",\"FINAL_NOTICE\",\"LIQUIDATION_HANDOFF\"]}");
        EngineFixture.Subscriber otherVenue = new EngineFixture.Subscriber("{\"venueId\":[\"v2\"]}");
        post(EngineFixture.priceEvent(f.instrument, "40000", t0, 1));
        assertThat(calls.drain(f)).extracting(n -> n.get("type").asText())
                .containsExactlyInAnyOrder("MARGIN_CALL", "FINAL_NOTICE", "LIQUIDATION_HANDOFF");
        assertThat(otherVenue.drain()).isEmpty();
    }

    @Test
    void withSnsDownTheTransitionKeepsItsNotificationsAndTheSweepSendsEachOnce() {
        Account a = f.account("outbox", "1454"); // CRITICAL at 40000
        EngineFixture.Subscriber sub = new EngineFixture.Subscriber(null);
        long failures = metrics.total(EngineMetrics.PUBLISH_FAILURES);
        SnsGate.shared().shut();
        try {
            assertThat(post(EngineFixture.priceEvent(f.instrument, "40000", t0, 1)).getString("status")).isEqualTo("ACCEPTED");
        } finally {
            SnsGate.shared().open();
        }
        StoredAccount stored = accounts.get(LocalStackResource.VENUE, a.accountId()).orElseThrow();
        assertThat(stored.state(a.accountId()).level()).isEqualTo(Level.CRITICAL);
        assertThat(stored.outbox()).hasSize(1);
        assertThat(metrics.total(EngineMetrics.PUBLISH_FAILURES) - failures).isEqualTo(1);
        String pendingId = stored.outbox().get(0).id();
        assertThat(sub.drain(f)).isEmpty();

        assertThat(service.flushPending(LocalStackResource.VENUE)).isGreaterThanOrEqualTo(1);
        List<JsonNode> got = sub.drain(f);
        assertValid(got);
        assertThat(got).extracting(n -> n.get("notificationId").asText()).containsExactly(pendingId);
        assertThat(accounts.get(LocalStackResource.VENUE, a.accountId()).orElseThrow().outbox()).isEmpty();

        service.flushPending(LocalStackResource.VENUE);
        assertThat(sub.drain(f)).isEmpty();
    }

    @Test
    void twoConcurrentEvaluationsOfOneAccountSendEachNotificationOnce() throws Exception {
        Account a = f.account("race", "1470");
        EngineFixture.Subscriber sub = new EngineFixture.Subscriber(null);
        // The price lands without evaluating anyone, as if its event was still in flight.
        venues.storeIfNewer(LocalStackResource.VENUE, f.instrument, new BigDecimal("40000"), PriceStamp.of(t0, 1), "test");
        List<CompletableFuture<MarginService.Outcome>> runs = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Trigger t = Trigger.account("race-" + i, t0);
            runs.add(CompletableFuture.supplyAsync(() -> service.evaluateAccount(LocalStackResource.VENUE, a.accountId(), t, t0)));
        }
        int transitions = 0;
        for (CompletableFuture<MarginService.Outcome> r : runs) {
            transitions += r.get().transitions();
        }
        assertThat(transitions).isEqualTo(1);
        assertThat(sub.drain(f)).extracting(n -> n.get("type").asText()).containsExactly("MARGIN_CALL");
    }
}
