package org.margincall.engine.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.margincall.engine.local.sdk.FaultInjector;
import org.margincall.engine.local.sdk.FaultInjector.Kind;
import org.margincall.engine.local.sdk.RequestKeys;
import org.margincall.engine.local.sdk.SdkCallCounter;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BatchGetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.DynamoDbException;
import software.amazon.awssdk.services.dynamodb.model.InternalServerErrorException;
import software.amazon.awssdk.services.dynamodb.model.KeysAndAttributes;
import software.amazon.awssdk.services.dynamodb.model.ProvisionedThroughputExceededException;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.eventbridge.model.InternalException;
import software.amazon.awssdk.services.eventbridge.model.PutEventsRequestEntry;
import software.amazon.awssdk.services.eventbridge.model.PutEventsResponse;
import software.amazon.awssdk.services.eventbridge.model.PutEventsResultEntry;
import software.amazon.awssdk.services.eventbridge.model.ThrottlingException;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sfn.model.ExecutionAlreadyExistsException;
import software.amazon.awssdk.services.sfn.model.ExecutionDoesNotExistException;
import software.amazon.awssdk.services.sfn.model.SfnException;
import software.amazon.awssdk.services.sns.SnsClient;
import software.amazon.awssdk.services.sns.model.BatchResultErrorEntry;
import software.amazon.awssdk.services.sns.model.InternalErrorException;
import software.amazon.awssdk.services.sns.model.PublishBatchRequestEntry;
import software.amazon.awssdk.services.sns.model.PublishBatchResponse;
import software.amazon.awssdk.services.sns.model.SnsException;
import software.amazon.awssdk.services.sns.model.ThrottledException;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * {@link FaultInjector} against the real stand-ins through the SDK: every fault kind surfaces as
 * the AWS error or partial result a caller sees, a timeout after apply really applied the write,
 * decisions are reproducible (also across threads with disjoint keys), rate 0 injects nothing, and
 * the SDK's retries are accounted for.
 */
class FaultInjectorTest {
    static LocalStack stack;
    static String table;
    static DynamoDbClient cleanDdb;
    static SnsClient cleanSns;
    static SqsClient sqs;
    static SfnClient cleanSfn;
    static EventBridgeClient cleanEvents;
    static String machine;
    static String bus;
    static final String RUN = UUID.randomUUID().toString().substring(0, 8);

    @BeforeAll
    static void up() {
        stack = LocalStack.shared();
        table = stack.resource("MarginTable", "name");
        cleanDdb = stack.dynamoDb();
        cleanSns = stack.sns();
        sqs = stack.sqs();
        cleanSfn = stack.sfn();
        cleanEvents = InterceptedClients.events(stack, true);
        // A state machine of its own that ends at once, so nothing waits on the shared clock.
        machine = cleanSfn.createStateMachine(b -> b.name("faults-pass-" + RUN).roleArn("arn:aws:iam::000000000000:role/test")
                .definition("{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\",\"End\":true}}}")).stateMachineArn();
        // The facade has only the default bus (the engine's); this run's events carry their own marker.
        bus = "default";
    }

    static FaultInjector always(Kind kind) {
        return FaultInjector.builder().seed(1).rate(1.0).kinds(kind).build();
    }

    static Map<String, AttributeValue> key(String id) {
        return Map.of("pk", AttributeValue.fromS("FAULT#" + RUN + "#" + id), "sk", AttributeValue.fromS("ITEM"));
    }

    static Map<String, AttributeValue> item(String id, String value) {
        Map<String, AttributeValue> item = new HashMap<>(key(id));
        item.put("value", AttributeValue.fromS(value));
        return item;
    }

    static boolean exists(String id) {
        Map<String, AttributeValue> item = cleanDdb.getItem(b -> b.tableName(table).key(key(id)).consistentRead(true)).item();
        return item != null && !item.isEmpty();
    }

    /** A fresh topic with a raw-delivery queue subscribed: returns {topicArn, queueUrl}. */
    static String[] topicWithQueue() {
        String topic = cleanSns.createTopic(b -> b.name("faults-" + UUID.randomUUID())).topicArn();
        String url = sqs.createQueue(b -> b.queueName("faults-" + UUID.randomUUID())).queueUrl();
        String arn = sqs.getQueueAttributes(b -> b.queueUrl(url).attributeNames(QueueAttributeName.QUEUE_ARN))
                .attributes().get(QueueAttributeName.QUEUE_ARN);
        cleanSns.subscribe(b -> b.topicArn(topic).protocol("sqs").endpoint(arn).attributes(Map.of("RawMessageDelivery", "true")));
        return new String[]{topic, url};
    }

    /** Bodies received until {@code expected} have arrived and the queue then stayed quiet for a second. */
    static List<String> drain(String url, int expected) {
        List<String> bodies = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        long quietUntil = 0;
        while (System.nanoTime() < deadline && (bodies.size() < expected || System.nanoTime() < quietUntil)) {
            List<Message> ms = sqs.receiveMessage(b -> b.queueUrl(url).maxNumberOfMessages(10).waitTimeSeconds(1)).messages();
            for (Message m : ms) {
                bodies.add(m.body());
                sqs.deleteMessage(b -> b.queueUrl(url).receiptHandle(m.receiptHandle()));
            }
            if (bodies.size() >= expected && quietUntil == 0) {
                quietUntil = System.nanoTime() + Duration.ofSeconds(1).toNanos();
            }
        }
        return bodies;
    }

    static List<String> details(String marker) {
        List<String> out = new ArrayList<>();
        for (JsonNode e : stack.events("Faults Test")) {
            if (bus.equals(e.get("eventBusName").asText()) && e.get("detail").path("marker").asText().equals(marker)) {
                out.add(e.get("detail").get("n").asText());
            }
        }
        return out;
    }

    static PutEventsRequestEntry event(String marker, int n) {
        return PutEventsRequestEntry.builder().eventBusName(bus).source("faults.test").detailType("Faults Test")
                .detail("{\"marker\":\"" + marker + "\",\"n\":\"" + n + "\"}").build();
    }

    static void assertServiceError(Throwable t, Class<?> type, int status, String code) {
        assertThat(t).isInstanceOf(type);
        AwsServiceException e = (AwsServiceException) t;
        assertThat(e.statusCode()).isEqualTo(status);
        assertThat(e.awsErrorDetails().errorCode()).isEqualTo(code);
        assertThat(e.requestId()).startsWith("fault-");
    }

    @Test
    void throttlingIsEachServicesOwnErrorAndNothingIsApplied() {
        FaultInjector f = always(Kind.THROTTLING);
        Throwable ddb = catchThrowable(() -> InterceptedClients.dynamoDb(stack, false, f)
                .putItem(b -> b.tableName(table).item(item("throttled", "x"))));
        assertServiceError(ddb, ProvisionedThroughputExceededException.class, 400, "ProvisionedThroughputExceededException");
        assertThat(((AwsServiceException) ddb).isThrottlingException()).isTrue();
        assertThat(exists("throttled")).isFalse();

        String[] tq = topicWithQueue();
        Throwable sns = catchThrowable(() -> InterceptedClients.sns(stack, false, f).publish(b -> b.topicArn(tq[0]).message("throttled")));
        assertServiceError(sns, ThrottledException.class, 429, "Throttled");
        assertThat(((AwsServiceException) sns).isThrottlingException()).isTrue();

        String name = "throttled-" + RUN;
        Throwable sfn = catchThrowable(() -> InterceptedClients.sfn(stack, false, f)
                .startExecution(b -> b.stateMachineArn(machine).name(name)));
        assertServiceError(sfn, SfnException.class, 400, "ThrottlingException");
        assertThat(((AwsServiceException) sfn).isThrottlingException()).isTrue();
        assertThatThrownBy(() -> cleanSfn.describeExecution(b -> b.executionArn(executionArn(name))))
                .isInstanceOf(ExecutionDoesNotExistException.class);

        Throwable events = catchThrowable(() -> InterceptedClients.events(stack, false, f)
                .putEvents(b -> b.entries(event("throttled-" + RUN, 1))));
        assertServiceError(events, ThrottlingException.class, 400, "ThrottlingException");
        assertThat(details("throttled-" + RUN)).isEmpty();

        cleanSns.publish(b -> b.topicArn(tq[0]).message("marker"));
        assertThat(drain(tq[1], 1)).containsExactly("marker");
        assertThat(f.injected().get(Kind.THROTTLING)).isEqualTo(4);
        assertThat(f.surfaced().get(Kind.THROTTLING)).isEqualTo(4);
    }

    @Test
    void serverErrorsCarryAwsStatusAndCodesAndApplyNothing() {
        FaultInjector f500 = always(Kind.HTTP_500);
        FaultInjector f503 = always(Kind.HTTP_503);
        assertServiceError(catchThrowable(() -> InterceptedClients.dynamoDb(stack, false, f500)
                .putItem(b -> b.tableName(table).item(item("e500", "x")))), InternalServerErrorException.class, 500, "InternalServerError");
        Throwable unavailable = catchThrowable(() -> InterceptedClients.dynamoDb(stack, false, f503)
                .putItem(b -> b.tableName(table).item(item("e503", "x"))));
        assertServiceError(unavailable, DynamoDbException.class, 503, "ServiceUnavailable");
        assertThat(exists("e500")).isFalse();
        assertThat(exists("e503")).isFalse();

        String[] tq = topicWithQueue();
        assertServiceError(catchThrowable(() -> InterceptedClients.sns(stack, false, f500).publish(b -> b.topicArn(tq[0]).message("e500"))),
                InternalErrorException.class, 500, "InternalError");
        assertServiceError(catchThrowable(() -> InterceptedClients.sns(stack, false, f503).publish(b -> b.topicArn(tq[0]).message("e503"))),
                SnsException.class, 503, "ServiceUnavailable");
        assertServiceError(catchThrowable(() -> InterceptedClients.sfn(stack, false, f500)
                .startExecution(b -> b.stateMachineArn(machine).name("e500-" + RUN))), SfnException.class, 500, "InternalFailure");
        assertServiceError(catchThrowable(() -> InterceptedClients.events(stack, false, f500)
                .putEvents(b -> b.entries(event("e500-" + RUN, 1)))), InternalException.class, 500, "InternalException");
        assertThat(details("e500-" + RUN)).isEmpty();
        cleanSns.publish(b -> b.topicArn(tq[0]).message("marker"));
        assertThat(drain(tq[1], 1)).containsExactly("marker");
    }

    @Test
    void aConnectionResetBeforeSendingAppliesNothing() {
        FaultInjector f = always(Kind.CONNECTION_RESET);
        Throwable t = catchThrowable(() -> InterceptedClients.dynamoDb(stack, false, f).putItem(b -> b.tableName(table).item(item("reset", "x"))));
        assertThat(t).isInstanceOf(SdkClientException.class).hasCauseInstanceOf(SocketException.class)
                .hasMessageContaining("Connection reset");
        assertThat(exists("reset")).isFalse();
        String[] tq = topicWithQueue();
        assertThatThrownBy(() -> InterceptedClients.sns(stack, false, f).publish(b -> b.topicArn(tq[0]).message("reset")))
                .isInstanceOf(SdkClientException.class).hasCauseInstanceOf(SocketException.class);
        cleanSns.publish(b -> b.topicArn(tq[0]).message("marker"));
        assertThat(drain(tq[1], 1)).containsExactly("marker");
        assertThat(f.injected().get(Kind.CONNECTION_RESET)).isEqualTo(2);
    }

    @Test
    void aTimeoutAfterApplyLeavesTheWriteDoneAndTheCallerInTheDark() {
        FaultInjector f = always(Kind.TIMEOUT_AFTER_APPLY);
        Throwable t = catchThrowable(() -> InterceptedClients.dynamoDb(stack, false, f).putItem(b -> b.tableName(table).item(item("lost-ack", "v1"))));
        assertThat(t).isInstanceOf(SdkClientException.class).hasCauseInstanceOf(SocketTimeoutException.class)
                .hasMessageContaining("Read timed out");
        assertThat(exists("lost-ack")).as("the write was applied before the answer was lost").isTrue();

        String[] tq = topicWithQueue();
        assertThatThrownBy(() -> InterceptedClients.sns(stack, false, f).publish(b -> b.topicArn(tq[0]).message("published-anyway")))
                .hasCauseInstanceOf(SocketTimeoutException.class);
        assertThat(drain(tq[1], 1)).containsExactly("published-anyway");

        String name = "lost-ack-" + RUN;
        assertThatThrownBy(() -> InterceptedClients.sfn(stack, false, f).startExecution(b -> b.stateMachineArn(machine).name(name)))
                .hasCauseInstanceOf(SocketTimeoutException.class);
        assertThat(cleanSfn.describeExecution(b -> b.executionArn(executionArn(name))).name()).isEqualTo(name);
        assertThatThrownBy(() -> cleanSfn.startExecution(b -> b.stateMachineArn(machine).name(name)))
                .isInstanceOf(ExecutionAlreadyExistsException.class);

        assertThatThrownBy(() -> InterceptedClients.events(stack, false, f).putEvents(b -> b.entries(event("lost-ack-" + RUN, 7))))
                .hasCauseInstanceOf(SocketTimeoutException.class);
        assertThat(details("lost-ack-" + RUN)).containsExactly("7");
        assertThat(f.injected().get(Kind.TIMEOUT_AFTER_APPLY)).isEqualTo(4);
    }

    /**
     * The hazard a lost answer leaves even behind the SDK's retries: the SDK re-sends a versioned
     * write that already happened, and the caller gets ConditionalCheckFailed for its own write.
     */
    @Test
    void withSdkRetriesALostAnswerOnAConditionalWriteComesBackAsAConditionFailure() {
        cleanDdb.putItem(b -> b.tableName(table).item(Map.of("pk", key("versioned").get("pk"), "sk", key("versioned").get("sk"),
                "version", AttributeValue.fromN("0"))));
        UpdateItemRequest commit = UpdateItemRequest.builder().tableName(table).key(key("versioned"))
                .updateExpression("SET version = :next").conditionExpression("version = :expected")
                .expressionAttributeValues(Map.of(":next", AttributeValue.fromN("1"), ":expected", AttributeValue.fromN("0"))).build();
        String requestKey = RequestKeys.of(commit, Set.of("pk", "sk"));
        // A seed whose first attempt loses the answer and whose SDK retry goes through.
        FaultInjector f = null;
        for (long seed = 0; f == null; seed++) {
            FaultInjector candidate = FaultInjector.builder().seed(seed).rate(0.5).kinds(Kind.TIMEOUT_AFTER_APPLY).build();
            if (candidate.decide("DynamoDb", "UpdateItem", requestKey, 0, 0).kind() == Kind.TIMEOUT_AFTER_APPLY
                    && !candidate.decide("DynamoDb", "UpdateItem", requestKey, 1, 0).faulted()) {
                f = candidate;
            }
        }
        SdkCallCounter counter = new SdkCallCounter();
        DynamoDbClient retrying = InterceptedClients.dynamoDb(stack, true, counter, f);
        assertThatThrownBy(() -> retrying.updateItem(commit)).isInstanceOf(ConditionalCheckFailedException.class);
        assertThat(cleanDdb.getItem(b -> b.tableName(table).key(key("versioned")).consistentRead(true)).item().get("version").n())
                .isEqualTo("1");
        assertThat(counter.attempts("DynamoDb", "UpdateItem")).isEqualTo(2);
        assertThat(f.injected().get(Kind.TIMEOUT_AFTER_APPLY)).isEqualTo(1);
        assertThat(f.surfaced().get(Kind.TIMEOUT_AFTER_APPLY)).as("the caller saw a condition failure, not the timeout").isZero();
    }

    @Test
    void partialBatchFailuresAreReportedInPlaceAndTheFailedEntriesWereNotDelivered() {
        FaultInjector f = always(Kind.PARTIAL_BATCH);
        // PublishBatch: Successful and Failed partition the entries; only the successful ones arrive.
        String[] tq = topicWithQueue();
        List<PublishBatchRequestEntry> entries = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            entries.add(PublishBatchRequestEntry.builder().id("e" + i).message("m" + i).build());
        }
        PublishBatchResponse r = InterceptedClients.sns(stack, false, f).publishBatch(b -> b.topicArn(tq[0]).publishBatchRequestEntries(entries));
        assertThat(r.failed()).isNotEmpty();
        assertThat(r.successful()).isNotEmpty();
        Set<String> ids = new HashSet<>();
        r.successful().forEach(s -> ids.add(s.id()));
        r.failed().forEach(e -> ids.add(e.id()));
        assertThat(ids).hasSize(8);
        assertThat(r.failed()).extracting(BatchResultErrorEntry::code).allMatch(c -> c.equals("InternalError") || c.equals("Throttled"));
        List<String> delivered = drain(tq[1], r.successful().size());
        assertThat(delivered).containsExactlyInAnyOrderElementsOf(r.successful().stream().map(s -> "m" + s.id().substring(1)).toList());

        // BatchGetItem: Responses and UnprocessedKeys partition the keys; asking again for the rest gets them.
        List<Map<String, AttributeValue>> keys = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            String id = "batch-" + i;
            cleanDdb.putItem(b -> b.tableName(table).item(item(id, "v")));
            keys.add(key(id));
        }
        DynamoDbClient faulty = InterceptedClients.dynamoDb(stack, false, f);
        BatchGetItemResponse first = faulty.batchGetItem(b -> b.requestItems(Map.of(table,
                KeysAndAttributes.builder().keys(keys).consistentRead(true).build())));
        int got = first.responses().get(table).size();
        assertThat(got).isBetween(1, 5);
        assertThat(first.unprocessedKeys().get(table).keys()).hasSize(6 - got);
        assertThat(first.unprocessedKeys().get(table).consistentRead()).isTrue();
        Set<String> seen = new HashSet<>();
        first.responses().get(table).forEach(i -> seen.add(i.get("pk").s()));
        Map<String, KeysAndAttributes> rest = first.unprocessedKeys();
        while (!rest.isEmpty()) {
            Map<String, KeysAndAttributes> req = rest;
            BatchGetItemResponse again = faulty.batchGetItem(b -> b.requestItems(req));
            again.responses().getOrDefault(table, List.of()).forEach(i -> seen.add(i.get("pk").s()));
            rest = again.hasUnprocessedKeys() ? again.unprocessedKeys() : Map.of();
        }
        assertThat(seen).hasSize(6);

        // PutEvents: failed entries in place, FailedEntryCount set, and only the others were put.
        String marker = "partial-" + RUN;
        List<PutEventsRequestEntry> evs = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            evs.add(event(marker, i));
        }
        PutEventsResponse pr = InterceptedClients.events(stack, false, f).putEvents(b -> b.entries(evs));
        assertThat(pr.entries()).hasSize(5);
        assertThat(pr.failedEntryCount()).isBetween(1, 4);
        List<String> accepted = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            PutEventsResultEntry e = pr.entries().get(i);
            if (e.errorCode() == null) {
                assertThat(e.eventId()).isNotNull();
                accepted.add(String.valueOf(i));
            } else {
                assertThat(e.errorCode()).isIn("InternalFailure", "ThrottlingException");
                assertThat(e.eventId()).isNull();
            }
        }
        assertThat(accepted).hasSize(5 - pr.failedEntryCount());
        assertThat(details(marker)).containsExactlyInAnyOrderElementsOf(accepted);
        assertThat(f.surfaced().get(Kind.PARTIAL_BATCH)).isEqualTo(f.injected().get(Kind.PARTIAL_BATCH)).isGreaterThanOrEqualTo(3);
    }

    @Test
    void aSingleEntryBatchIsNeverPartial() {
        FaultInjector f = always(Kind.PARTIAL_BATCH);
        String[] tq = topicWithQueue();
        PublishBatchResponse r = InterceptedClients.sns(stack, false, f).publishBatch(b -> b.topicArn(tq[0])
                .publishBatchRequestEntries(PublishBatchRequestEntry.builder().id("only").message("only").build()));
        assertThat(r.failed()).isEmpty();
        assertThat(f.injectedTotal()).isZero();
        assertThat(drain(tq[1], 1)).containsExactly("only");
    }

    @Test
    void rateZeroInjectsNothing() {
        FaultInjector f = FaultInjector.builder().seed(99).rate(0).allOperations().build();
        DynamoDbClient ddb = InterceptedClients.dynamoDb(stack, false, f);
        String[] tq = topicWithQueue();
        SnsClient sns = InterceptedClients.sns(stack, false, f);
        for (int i = 0; i < 40; i++) {
            String id = "zero-" + (i % 7);
            ddb.putItem(b -> b.tableName(table).item(item(id, "v")));
            assertThat(ddb.getItem(b -> b.tableName(table).key(key(id)).consistentRead(true)).item()).isNotEmpty();
        }
        List<PublishBatchRequestEntry> entries = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            entries.add(PublishBatchRequestEntry.builder().id("z" + i).message("z" + i).build());
        }
        for (int round = 0; round < 3; round++) {
            assertThat(sns.publishBatch(b -> b.topicArn(tq[0]).publishBatchRequestEntries(entries)).failed()).isEmpty();
        }
        assertThat(InterceptedClients.events(stack, false, f).putEvents(b -> b.entries(event("zero-" + RUN, 1), event("zero-" + RUN, 2)))
                .failedEntryCount()).isZero();
        assertThat(drain(tq[1], 30)).hasSize(30);
        assertThat(f.injectedTotal()).isZero();
        assertThat(f.faults()).isEmpty();
        assertThat(f.snapshot()).containsEntry("faultsInjected", 0L).containsEntry("faultsSurfaced", 0L);
    }

    /**
     * What a caller sees of each call of a fixed sequence: Put, Get and Update of keys
     * {@code prefix-0..6}, three rounds each, so every (operation, key) is seen three times.
     */
    static List<String> sequence(DynamoDbClient ddb, String prefix) {
        List<String> outcomes = new ArrayList<>();
        for (int i = 0; i < 63; i++) {
            String id = prefix + "-" + (i % 7);
            int n = i;
            outcomes.add(id + " " + outcome(switch ((i / 7) % 3) {
                case 0 -> () -> ddb.putItem(b -> b.tableName(table).item(item(id, "v" + n)));
                case 1 -> () -> ddb.getItem(b -> b.tableName(table).key(key(id)));
                default -> () -> ddb.updateItem(b -> b.tableName(table).key(key(id)).updateExpression("SET #v = :v")
                        .expressionAttributeNames(Map.of("#v", "value")).expressionAttributeValues(Map.of(":v", AttributeValue.fromS("u" + n))));
            }));
        }
        return outcomes;
    }

    static String outcome(Runnable call) {
        try {
            call.run();
            return "ok";
        } catch (AwsServiceException e) {
            return e.getClass().getSimpleName() + "/" + e.statusCode();
        } catch (SdkClientException e) {
            return "client/" + e.getCause().getClass().getSimpleName();
        }
    }

    static FaultInjector seeded(long seed) {
        return FaultInjector.builder().seed(seed).rate(0.3).build();
    }

    @Test
    void theSameSeedAndCallsGiveTheSameDecisions() {
        FaultInjector a = seeded(42);
        FaultInjector b = seeded(42);
        List<String> first = sequence(InterceptedClients.dynamoDb(stack, false, a), "det");
        List<String> second = sequence(InterceptedClients.dynamoDb(stack, false, b), "det");
        assertThat(second).isEqualTo(first);
        assertThat(b.faults()).isEqualTo(a.faults());
        assertThat(a.injectedTotal()).isBetween(5L, 35L);
        assertThat(first.stream().filter(o -> !o.endsWith(" ok")).count()).isEqualTo(a.surfacedTotal());
        // Repeats of a key are later attempts: the decisions differ from the key's first.
        assertThat(a.faults()).extracting(FaultInjector.Fault::attempt).contains(0L, 1L, 2L);

        FaultInjector other = seeded(43);
        assertThat(sequence(InterceptedClients.dynamoDb(stack, false, other), "det")).isNotEqualTo(first);
    }

    @Test
    void twoThreadsWithDisjointKeysDecideAsOneThreadWould() throws Exception {
        FaultInjector alone = seeded(7);
        DynamoDbClient oneClient = InterceptedClients.dynamoDb(stack, false, alone);
        Map<String, List<String>> sequential = new LinkedHashMap<>();
        sequential.put("A", sequence(oneClient, "thread-A"));
        sequential.put("B", sequence(oneClient, "thread-B"));
        for (int round = 0; round < 2; round++) {
            FaultInjector shared = seeded(7);
            DynamoDbClient client = InterceptedClients.dynamoDb(stack, false, shared);
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                Future<List<String>> fa = pool.submit((Callable<List<String>>) () -> sequence(client, "thread-A"));
                Future<List<String>> fb = pool.submit((Callable<List<String>>) () -> sequence(client, "thread-B"));
                assertThat(fa.get()).isEqualTo(sequential.get("A"));
                assertThat(fb.get()).isEqualTo(sequential.get("B"));
            } finally {
                pool.shutdown();
            }
            assertThat(shared.injected()).isEqualTo(alone.injected());
            assertThat(new HashSet<>(shared.faults())).isEqualTo(new HashSet<>(alone.faults()));
        }
        assertThat(alone.injectedTotal()).isPositive();
    }

    @Test
    void decisionsArePureAndHitTheRate() {
        FaultInjector a = FaultInjector.builder().seed(5).rate(0.2).build();
        FaultInjector b = FaultInjector.builder().seed(5).rate(0.2).build();
        Map<Kind, Integer> drawn = new HashMap<>();
        int faulted = 0;
        int n = 20_000;
        for (int i = 0; i < n; i++) {
            FaultInjector.Decision d = a.decide("DynamoDb", "GetItem", "key-" + i, i % 3, 0);
            assertThat(b.decide("DynamoDb", "GetItem", "key-" + i, i % 3, 0)).isEqualTo(d);
            if (d.faulted()) {
                faulted++;
                drawn.merge(d.kind(), 1, Integer::sum);
            }
        }
        assertThat(faulted / (double) n).isBetween(0.19, 0.21);
        assertThat(drawn.keySet()).containsExactlyInAnyOrder(Kind.THROTTLING, Kind.HTTP_500, Kind.HTTP_503,
                Kind.TIMEOUT_AFTER_APPLY, Kind.CONNECTION_RESET);
        int partial = 0;
        for (int i = 0; i < 2_000; i++) {
            if (a.decide("Sns", "PublishBatch", "batch-" + i, 0, 10).kind() == Kind.PARTIAL_BATCH) {
                partial++;
            }
        }
        assertThat(partial).isPositive();
        // Whether an attempt fails depends on the seed and rate only, not on which kinds are enabled.
        FaultInjector onlyResets = FaultInjector.builder().seed(5).rate(0.2).kinds(Kind.CONNECTION_RESET).build();
        for (int i = 0; i < 1_000; i++) {
            assertThat(onlyResets.decide("Sfn", "StartExecution", "x" + i, 0, 0).faulted())
                    .isEqualTo(a.decide("Sfn", "StartExecution", "x" + i, 0, 0).faulted());
        }
        assertThat(FaultInjector.builder().seed(5).rate(0).build().decide("DynamoDb", "GetItem", "k", 0, 0).faulted()).isFalse();
        assertThat(FaultInjector.builder().seed(5).rate(1).build().decide("DynamoDb", "GetItem", "k", 0, 0).faulted()).isTrue();
        assertThatThrownBy(() -> FaultInjector.builder().rate(1.5).build()).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theSdksRetriesAbsorbWhatTheyCanAndTheCountsSayWhatReachedTheCaller() {
        // Every attempt reset: the SDK tries its policy's number of times, then the caller sees one failure.
        FaultInjector resets = always(Kind.CONNECTION_RESET);
        SdkCallCounter counter = new SdkCallCounter();
        String[] tq = topicWithQueue();
        // The counter goes first: an injector's beforeTransmission throws before later interceptors see the attempt.
        SnsClient retrying = InterceptedClients.sns(stack, true, counter, resets);
        assertThatThrownBy(() -> retrying.publish(b -> b.topicArn(tq[0]).message("never"))).isInstanceOf(SdkClientException.class);
        assertThat(counter.attempts("Sns", "Publish")).isGreaterThan(1);
        assertThat(resets.injected().get(Kind.CONNECTION_RESET)).isEqualTo(counter.attempts("Sns", "Publish"));
        assertThat(resets.surfaced().get(Kind.CONNECTION_RESET)).isEqualTo(1);
        assertThat(counter.failedCalls("Sns", "Publish")).isEqualTo(1);

        // A throttled first attempt and a clean second: the SDK absorbs it, the caller sees success.
        String requestKey = RequestKeys.of(software.amazon.awssdk.services.sns.model.PublishRequest.builder()
                .topicArn(tq[0]).message("absorbed").build(), Set.of());
        Supplier<FaultInjector> search = () -> {
            for (long seed = 0; ; seed++) {
                FaultInjector c = FaultInjector.builder().seed(seed).rate(0.5).kinds(Kind.THROTTLING).build();
                if (c.decide("Sns", "Publish", requestKey, 0, 0).faulted() && !c.decide("Sns", "Publish", requestKey, 1, 0).faulted()) {
                    return c;
                }
            }
        };
        FaultInjector once = search.get();
        SnsClient absorbing = InterceptedClients.sns(stack, true, once);
        absorbing.publish(b -> b.topicArn(tq[0]).message("absorbed"));
        assertThat(once.injected().get(Kind.THROTTLING)).isEqualTo(1);
        assertThat(once.surfacedTotal()).isZero();
        assertThat(drain(tq[1], 1)).containsExactly("absorbed");
    }

    static String executionArn(String name) {
        return machine.replace(":stateMachine:", ":execution:") + ":" + name;
    }
}
