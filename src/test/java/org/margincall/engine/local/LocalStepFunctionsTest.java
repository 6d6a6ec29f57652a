package org.margincall.engine.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sfn.model.DescribeExecutionResponse;
import software.amazon.awssdk.services.sfn.model.ExecutionAlreadyExistsException;
import software.amazon.awssdk.services.sfn.model.ExecutionStatus;
import software.amazon.awssdk.services.sfn.model.HistoryEvent;
import software.amazon.awssdk.services.sfn.model.HistoryEventType;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * The escalation state machine from infra/statemachine, created from template.yaml in the local
 * facade, running its Lambda tasks into Java through the Lambda Invoke endpoint, on a
 * controlled clock.
 */
class LocalStepFunctionsTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static LocalStack stack;
    static SfnClient sfn;
    static LambdaInvokeServer lambda;
    static String machine;
    static final List<JsonNode> calls = new CopyOnWriteArrayList<>();
    static volatile LambdaInvokeServer.Function recheck;

    @BeforeAll
    static void up() throws Exception {
        stack = LocalStack.shared();
        sfn = stack.sfn();
        machine = stack.resource("EscalationStateMachine", "arn");
        lambda = new LambdaInvokeServer().register("EscalationRecheckFunction", payload -> {
            calls.add(JSON.readTree(payload));
            return recheck.invoke(payload);
        });
        stack.lambdaEndpoint(lambda.url());
    }

    @AfterAll
    static void down() {
        lambda.close();
    }

    static String input(String callId, Instant opened) {
        return "{\"venueId\":\"demo\",\"accountId\":\"a-1\",\"subAccount\":\"a-1\",\"callId\":\"" + callId + "\","
                + "\"graceDeadline\":\"" + opened.plusSeconds(600) + "\",\"finalDeadline\":\"" + opened.plusSeconds(900) + "\"}";
    }

    static byte[] answer(boolean continueEscalation) {
        return ("{\"continueEscalation\":" + continueEscalation + "}").getBytes(StandardCharsets.UTF_8);
    }

    static List<String> statesEntered(String executionArn) {
        return sfn.getExecutionHistory(b -> b.executionArn(executionArn).maxResults(1000)).events().stream()
                .filter(e -> e.stateEnteredEventDetails() != null)
                .map(HistoryEvent::stateEnteredEventDetails).map(d -> d.name()).toList();
    }

    String start(String name, Instant opened) {
        return sfn.startExecution(b -> b.stateMachineArn(machine).name(name).input(input(name, opened))).executionArn();
    }

    @Test
    void aCuredCallEndsAtTheGraceCheckThroughTheChoice() {
        Instant t0 = Instant.parse("2026-02-01T00:00:00Z");
        stack.setClock(t0);
        calls.clear();
        recheck = payload -> answer(false);
        String arn = start("cured-" + UUID.randomUUID(), t0);
        stack.awaitIdle();
        assertThat(sfn.describeExecution(b -> b.executionArn(arn)).status()).isEqualTo(ExecutionStatus.RUNNING);
        assertThat(calls).as("nothing runs before the grace deadline").isEmpty();

        stack.advanceClock(t0.plusSeconds(600));
        assertThat(sfn.describeExecution(b -> b.executionArn(arn)).status()).isEqualTo(ExecutionStatus.SUCCEEDED);
        assertThat(calls).hasSize(1);
        assertThat(calls.get(0).get("step").asText()).isEqualTo("GRACE_EXPIRED");
        assertThat(statesEntered(arn)).containsExactly("WaitForGrace", "RecheckAfterGrace", "CallStillOpenAfterGrace", "CallClosed");
    }

    @Test
    void anOpenCallWaitsForTheFinalNoticeAndChecksAgain() {
        Instant t0 = Instant.parse("2026-02-02T00:00:00Z");
        stack.setClock(t0);
        calls.clear();
        recheck = payload -> answer(true);
        String arn = start("open-" + UUID.randomUUID(), t0);
        stack.advanceClock(t0.plusSeconds(899));
        assertThat(sfn.describeExecution(b -> b.executionArn(arn)).status()).isEqualTo(ExecutionStatus.RUNNING);
        stack.advanceClock(t0.plusSeconds(900));
        assertThat(sfn.describeExecution(b -> b.executionArn(arn)).status()).isEqualTo(ExecutionStatus.SUCCEEDED);
        assertThat(calls).extracting(c -> c.get("step").asText()).containsExactly("GRACE_EXPIRED", "FINAL_NOTICE_EXPIRED");
        assertThat(statesEntered(arn)).containsSubsequence("CallStillOpenAfterGrace", "WaitForFinalNotice",
                "RecheckAfterFinalNotice", "CallClosed");
    }

    @Test
    void aSecondStartWithTheSameNameIsRefused() {
        Instant t0 = Instant.parse("2026-02-03T00:00:00Z");
        stack.setClock(t0);
        recheck = payload -> answer(false);
        String name = "dup-" + UUID.randomUUID();
        start(name, t0);
        assertThatThrownBy(() -> sfn.startExecution(b -> b.stateMachineArn(machine).name(name)
                .input(input(name, t0.plusSeconds(1))))).isInstanceOf(ExecutionAlreadyExistsException.class);
        stack.advanceClock(t0.plusSeconds(600));
        // Finished executions keep their name too.
        assertThatThrownBy(() -> start(name, t0)).isInstanceOf(ExecutionAlreadyExistsException.class);
    }

    @Test
    void aTaskThatKeepsFailingIsRetriedThenAlertsOperationsAndFailsVisibly() {
        Instant t0 = Instant.parse("2026-02-04T00:00:00Z");
        stack.setClock(t0);
        SqsClient sqs = stack.sqs();
        String queue = stack.subscribedQueue("OperationsTopic", null);
        AtomicInteger attempts = new AtomicInteger();
        recheck = payload -> {
            attempts.incrementAndGet();
            throw new IllegalStateException("table unavailable");
        };
        String name = "failing-" + UUID.randomUUID();
        String arn = start(name, t0);
        stack.advanceClock(t0.plusSeconds(600 + 120)); // grace, then every back-off
        DescribeExecutionResponse d = sfn.describeExecution(b -> b.executionArn(arn));
        assertThat(d.status()).isEqualTo(ExecutionStatus.FAILED);
        assertThat(d.error()).isEqualTo("EscalationFailed");
        assertThat(attempts.get()).isEqualTo(5); // first try + 4 retries
        assertThat(sfn.getExecutionHistory(b -> b.executionArn(arn).maxResults(1000)).events())
                .anyMatch(e -> e.type() == HistoryEventType.TASK_SUCCEEDED);
        List<String> bodies = sqs.receiveMessage(b -> b.queueUrl(queue).waitTimeSeconds(5).maxNumberOfMessages(10)).messages()
                .stream().map(m -> m.body()).toList();
        assertThat(bodies).hasSize(1);
        assertThat(bodies.get(0)).contains(name).contains("table unavailable");
    }
}
