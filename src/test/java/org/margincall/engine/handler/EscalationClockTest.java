package org.margincall.engine.handler;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.margincall.engine.domain.PriceStamp;
import org.margincall.engine.domain.Timestamps;
import org.margincall.engine.service.port.AccountItems;
import org.margincall.engine.adapter.dynamodb.VenueStore;
import org.margincall.engine.domain.Account;
import org.margincall.engine.local.LambdaInvokeServer;
import org.margincall.engine.local.LocalStack;
import org.margincall.engine.local.LocalStackResource;
import org.margincall.engine.local.SnsGate;
import org.margincall.engine.service.MarginService;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sfn.model.DescribeExecutionResponse;
import software.amazon.awssdk.services.sfn.model.ExecutionStatus;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * SPEC §3.4, §5.2, §5.3 on the stand-ins: escalations run by the state machine in the Step
 * Functions facade on a controlled clock, their re-check task invoked through the Lambda Invoke
 * API into the real {@link RecheckHandler}; account events through {@link AccountEventHandler}.
 */
@QuarkusTest
@QuarkusTestResource(LocalStackResource.class)
class EscalationClockTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static LambdaInvokeServer lambda;
    /** Re-check failures to inject per call id; negative means always. */
    static final Map<String, AtomicInteger> failures = new ConcurrentHashMap<>();

    @Inject
    VenueStore venues;
    @Inject
    AccountItems accounts;
    @Inject
    MarginService service;
    @Inject
    RecheckHandler recheck;
    @Inject
    AccountEventHandler accountEvents;

    LocalStack stack;
    SfnClient sfn;
    EngineFixture f;
    Instant t0;

    @BeforeAll
    static void lambdaEndpoint() throws Exception {
        lambda = new LambdaInvokeServer();
        LocalStack.shared().lambdaEndpoint(lambda.url());
    }

    @AfterAll
    static void closeLambda() {
        lambda.close();
    }

    @BeforeEach
    void setUp() {
        SnsGate.shared().open();
        stack = LocalStack.shared();
        sfn = stack.sfn();
        RecheckHandler handler = recheck;
        lambda.register("EscalationRecheckFunction", payload -> {
            RecheckHandler.Request r = JSON.readValue(payload, RecheckHandler.Request.class);
            AtomicInteger left = failures.get(r.callId());
            if (left != null && (left.get() < 0 || left.getAndDecrement() > 0)) {
                throw new IllegalStateException("injected failure for " + r.callId());
            }
            return JSON.writeValueAsBytes(handler.handleRequest(r, null));
        });
        f = new EngineFixture(venues, service);
        // two hours back: every event of a test (up to t0 + 1 h) lies in the past, as account and
        // price events must (more than 5 s ahead of the wall clock is refused, SPEC §5.1)
        t0 = Instant.now().truncatedTo(ChronoUnit.SECONDS).minusSeconds(7200);
        stack.setClock(t0);
    }

    void price(String mark, Instant at, long seq) {
        String status = given().contentType("application/json").body(EngineFixture.priceEvent(f.instrument, mark, at, seq))
                .when().post().then().statusCode(200).extract().jsonPath().getString("status");
        assertThat(status).isEqualTo("ACCEPTED");
    }

    EventResult collateral(Account a, long seq, Instant at, String usdt) throws Exception {
        return accountEvents.handleRequest(JSON.readValue(EngineFixture.collateralEvent(a.accountId(), seq, at, usdt),
                EventBridgeEvent.class), null);
    }

    String executionArn(String callId) {
        return stack.resource("EscalationStateMachine", "arn").replace(":stateMachine:", ":execution:") + ":" + callId;
    }

    DescribeExecutionResponse execution(String callId) {
        return sfn.describeExecution(b -> b.executionArn(executionArn(callId)));
    }

    static List<String> types(List<JsonNode> bodies) {
        return bodies.stream().map(b -> b.get("type").asText() + "/" + b.get("reason").asText()).toList();
    }

    @Test
    void aCallLeftAloneGetsTheFinalNoticeThenTheHandOffOnTheClock() {
        Account a = f.account("alone", "1470"); // R = 1.1 at 40000
        EngineFixture.Subscriber sub = new EngineFixture.Subscriber(null);
        price("40000", t0, 1);
        List<JsonNode> opened = sub.drain(f);
        assertThat(types(opened)).containsExactly("MARGIN_CALL/RATIO");
        String callId = opened.get(0).get("callId").asText();
        stack.awaitIdle();
        assertThat(execution(callId).status()).isEqualTo(ExecutionStatus.RUNNING);

        stack.advanceClock(t0.plusSeconds(599));
        assertThat(sub.drain(f)).isEmpty();
        stack.advanceClock(t0.plusSeconds(600));
        List<JsonNode> fin = sub.drain(f);
        assertThat(types(fin)).containsExactly("FINAL_NOTICE/DEADLINE");
        assertThat(fin.get(0).get("level").asText()).isEqualTo("MARGIN_CALL");
        assertThat(fin.get(0).get("evaluatedAt").asText()).isEqualTo(Timestamps.format(t0.plusSeconds(600)));

        stack.advanceClock(t0.plusSeconds(900));
        List<JsonNode> handoff = sub.drain(f);
        assertThat(types(handoff)).containsExactly("LIQUIDATION_HANDOFF/DEADLINE");
        assertThat(execution(callId).status()).isEqualTo(ExecutionStatus.SUCCEEDED);
        List<JsonNode> requests = stack.events("Liquidation Requested").stream()
                .filter(e -> e.get("detail").get("accountId").asText().equals(a.accountId())).toList();
        assertThat(requests).hasSize(1);
        assertThat(requests.get(0).get("detail").get("notificationId").asText())
                .isEqualTo(handoff.get(0).get("notificationId").asText());
        stack.advanceClock(t0.plusSeconds(2000));
        assertThat(sub.drain(f)).isEmpty();
    }

    @Test
    void aDepositDuringGraceCuresAtOnceAndTheEscalationEndsWithoutAFinalNotice() throws Exception {
        Account a = f.account("cured", "1470");
        EngineFixture.Subscriber sub = new EngineFixture.Subscriber(null);
        price("40000", t0, 1);
        String callId = sub.drain(f).get(0).get("callId").asText();

        EventResult r = collateral(a, 1, t0.plusSeconds(120), "1600"); // R = 1.75
        assertThat(r.status()).isEqualTo("ACCEPTED");
        List<JsonNode> cured = sub.drain(f);
        assertThat(types(cured)).containsExactly("MARGIN_CALL_CURED/RATIO");
        assertThat(cured.get(0).get("level").asText()).isEqualTo("HEALTHY");
        assertThat(cured.get(0).get("trigger").get("kind").asText()).isEqualTo("ACCOUNT");

        // The same event again, and an older one, change nothing.
        assertThat(collateral(a, 1, t0.plusSeconds(120), "1600").status()).isEqualTo("DUPLICATE");
        assertThat(collateral(a, 0 + 1, t0.plusSeconds(100), "1000").status()).isEqualTo("DUPLICATE");

        stack.advanceClock(t0.plusSeconds(600));
        assertThat(execution(callId).status()).isEqualTo(ExecutionStatus.SUCCEEDED);
        stack.advanceClock(t0.plusSeconds(1000));
        assertThat(sub.drain(f)).isEmpty();
        assertThat(accounts.get(LocalStackResource.VENUE, a.accountId()).orElseThrow().account().collateral().get("USDT"))
                .isEqualByComparingTo("1600");
    }

    @Test
    void aCrashDuringGraceHandsOffByRatioAndTheEscalationEndsWithoutASecond() {
        f.account("crash", "1470");
        EngineFixture.Subscriber sub = new EngineFixture.Subscriber(null);
        price("40000", t0, 1);
        String callId = sub.drain(f).get(0).get("callId").asText();
        price("39000", t0.plusSeconds(60), 2);
        assertThat(types(sub.drain(f))).containsExactly("LIQUIDATION_HANDOFF/RATIO");
        stack.advanceClock(t0.plusSeconds(1000));
        assertThat(execution(callId).status()).isEqualTo(ExecutionStatus.SUCCEEDED);
        assertThat(sub.drain(f)).isEmpty();
    }

    @Test
    void aNewCallAfterACureGetsItsOwnExecutionAndClock() throws Exception {
        Account a = f.account("again", "1470");
        EngineFixture.Subscriber sub = new EngineFixture.Subscriber(null);
        price("40000", t0, 1);
        String first = sub.drain(f).get(0).get("callId").asText();
        collateral(a, 1, t0.plusSeconds(60), "1600");
        collateral(a, 2, t0.plusSeconds(120), "1470");
        List<JsonNode> got = sub.drain(f);
        assertThat(types(got)).containsExactly("MARGIN_CALL_CURED/RATIO", "MARGIN_CALL/RATIO");
        String second = got.get(1).get("callId").asText();
        assertThat(second).isNotEqualTo(first);
        assertThat(got.get(1).get("deadline").asText()).isEqualTo(Timestamps.format(t0.plusSeconds(720)));
        stack.advanceClock(t0.plusSeconds(700));
        assertThat(execution(first).status()).isEqualTo(ExecutionStatus.SUCCEEDED);
        assertThat(sub.drain(f)).as("the second call's grace runs to t0+720").isEmpty();
        stack.advanceClock(t0.plusSeconds(720));
        assertThat(types(sub.drain(f))).containsExactly("FINAL_NOTICE/DEADLINE");
    }

    @Test
    void aRecheckFailingTwiceIsRetriedAndOneFailingAlwaysAlertsOperations() {
        f.account("flaky", "1470");
        Account broken = f.account("broken", "1471");
        EngineFixture.Subscriber sub = new EngineFixture.Subscriber(null);
        SqsClient sqs = stack.sqs();
        String ops = stack.subscribedQueue("OperationsTopic", null);
        price("40000", t0, 1);
        List<JsonNode> calls = sub.drain(f);
        String flaky = calls.stream().filter(n -> n.get("accountId").asText().startsWith("flaky")).findFirst().orElseThrow()
                .get("callId").asText();
        String always = calls.stream().filter(n -> n.get("accountId").asText().equals(broken.accountId())).findFirst()
                .orElseThrow().get("callId").asText();
        failures.put(flaky, new AtomicInteger(2));
        failures.put(always, new AtomicInteger(-1));

        stack.advanceClock(t0.plusSeconds(600 + 60)); // grace, then every back-off (2 + 4 + 8 + 16 s)
        List<JsonNode> after = sub.drain(f);
        assertThat(after).extracting(n -> n.get("accountId").asText() + "/" + n.get("type").asText())
                .containsExactly("flaky-" + f.tag + "/FINAL_NOTICE");
        assertThat(execution(flaky).status()).isEqualTo(ExecutionStatus.RUNNING);
        DescribeExecutionResponse failed = execution(always);
        assertThat(failed.status()).isEqualTo(ExecutionStatus.FAILED);
        assertThat(failed.error()).isEqualTo("EscalationFailed");
        List<String> alerts = sqs.receiveMessage(b -> b.queueUrl(ops).waitTimeSeconds(2).maxNumberOfMessages(10)).messages()
                .stream().map(m -> m.body()).filter(body -> body.contains(always)).toList();
        assertThat(alerts).hasSize(1);
        assertThat(alerts.get(0)).contains("injected failure");
    }

    @Test
    void theSweepCatchesALostEventSendsRemindersOnTimeAndReportsAStaleFeedOnce() {
        Account a = f.account("lost", "1470");
        EngineFixture.Subscriber sub = new EngineFixture.Subscriber(null);
        SqsClient sqs = stack.sqs();
        String ops = stack.subscribedQueue("OperationsTopic", "{\"type\":[\"PRICE_FEED_STALE\"]}");
        // The price lands but its event is lost before anyone is evaluated.
        venues.storeIfNewer(LocalStackResource.VENUE, f.instrument, new BigDecimal("40000"), PriceStamp.of(t0, 1), "test");
        assertThat(sub.drain(f)).isEmpty();

        service.sweep(LocalStackResource.VENUE, t0.plusSeconds(30));
        List<JsonNode> found = sub.drain(f);
        assertThat(types(found)).containsExactly("MARGIN_CALL/RATIO");
        assertThat(found.get(0).get("trigger").get("kind").asText()).isEqualTo("SWEEP");
        assertThat(found.get(0).get("accountId").asText()).isEqualTo(a.accountId());

        // 120 s without a price is stale: one alert for this price, however many sweeps see it.
        List<String> stale = service.sweep(LocalStackResource.VENUE, t0.plusSeconds(121)).stalePricesReported();
        assertThat(stale).contains(f.instrument);
        assertThat(service.sweep(LocalStackResource.VENUE, t0.plusSeconds(181)).stalePricesReported()).doesNotContain(f.instrument);

        service.sweep(LocalStackResource.VENUE, t0.plusSeconds(30 + 299));
        assertThat(sub.drain(f)).as("no reminder before reminderSeconds").isEmpty();
        service.sweep(LocalStackResource.VENUE, t0.plusSeconds(30 + 300));
        assertThat(types(sub.drain(f))).containsExactly("REMINDER/DEADLINE");
        service.sweep(LocalStackResource.VENUE, t0.plusSeconds(30 + 360));
        assertThat(sub.drain(f)).as("not faster than reminderSeconds").isEmpty();
        service.sweep(LocalStackResource.VENUE, t0.plusSeconds(30 + 600));
        assertThat(types(sub.drain(f))).containsExactly("REMINDER/DEADLINE");

        List<String> alerts = sqs.receiveMessage(b -> b.queueUrl(ops).waitTimeSeconds(2).maxNumberOfMessages(10)).messages()
                .stream().map(m -> m.body()).filter(body -> body.contains(f.instrument)).toList();
        assertThat(alerts).hasSize(1);
        assertThat(alerts.get(0)).contains("PRICE_FEED_STALE");
    }
}
