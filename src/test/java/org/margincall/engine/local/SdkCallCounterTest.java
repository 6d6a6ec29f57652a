package org.margincall.engine.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.margincall.engine.local.sdk.FaultInjector;
import org.margincall.engine.local.sdk.SdkCallCounter;
import org.margincall.engine.scenario.Scenario;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BatchGetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.KeysAndAttributes;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;
import software.amazon.awssdk.services.dynamodb.model.ScanResponse;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.eventbridge.model.PutEventsRequestEntry;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sfn.model.ExecutionAlreadyExistsException;
import software.amazon.awssdk.services.sns.SnsClient;
import software.amazon.awssdk.services.sns.model.PublishBatchRequestEntry;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * {@link SdkCallCounter} against the real stand-ins: its counts are those of the responses, checked
 * against numbers known by hand, and a whole replay's counts agree with what the subscriber got.
 */
class SdkCallCounterTest {
    static LocalStack stack;
    static String table;
    static final String RUN = UUID.randomUUID().toString().substring(0, 8);

    @BeforeAll
    static void up() {
        stack = LocalStack.shared();
        table = stack.resource("MarginTable", "name");
    }

    static Map<String, AttributeValue> key(String pk, String sk) {
        return Map.of("pk", AttributeValue.fromS(pk), "sk", AttributeValue.fromS(sk));
    }

    @Test
    void dynamoDbItemsReadAreThoseTheResponsesCarried() {
        SdkCallCounter counter = new SdkCallCounter();
        DynamoDbClient ddb = InterceptedClients.dynamoDb(stack, true, counter);
        String pk = "COUNT#" + RUN;
        for (int i = 0; i < 7; i++) {
            Map<String, AttributeValue> item = new HashMap<>(key(pk, "i" + i));
            item.put("n", AttributeValue.fromN(Integer.toString(i)));
            ddb.putItem(b -> b.tableName(table).item(item));
        }
        assertThat(counter.dynamoDbItemsRead()).isZero();

        ddb.getItem(b -> b.tableName(table).key(key(pk, "i0")).consistentRead(true)); // 1
        ddb.getItem(b -> b.tableName(table).key(key(pk, "absent")).consistentRead(true)); // 0
        List<Map<String, AttributeValue>> keys = new ArrayList<>();
        for (String sk : List.of("i0", "i1", "i2", "i3", "i4", "gone-1", "gone-2")) {
            keys.add(key(pk, sk));
        }
        BatchGetItemResponse batch = ddb.batchGetItem(b -> b.requestItems(Map.of(table, KeysAndAttributes.builder().keys(keys).build())));
        assertThat(batch.responses().get(table)).hasSize(5); // 5
        ddb.query(b -> b.tableName(table).consistentRead(true).keyConditionExpression("pk = :p")
                .expressionAttributeValues(Map.of(":p", AttributeValue.fromS(pk)))); // 7
        int queryPages = 0;
        Map<String, AttributeValue> start = null;
        do { // 3 + 3 + 1
            Map<String, AttributeValue> from = start;
            QueryResponse r = ddb.query(b -> b.tableName(table).consistentRead(true).keyConditionExpression("pk = :p").limit(3)
                    .expressionAttributeValues(Map.of(":p", AttributeValue.fromS(pk))).exclusiveStartKey(from));
            queryPages++;
            start = r.hasLastEvaluatedKey() && !r.lastEvaluatedKey().isEmpty() ? r.lastEvaluatedKey() : null;
        } while (start != null);
        assertThat(queryPages).isBetween(3, 4); // DynamoDB may end on an empty last page
        int scanPages = 0;
        start = null;
        do { // 7 match the filter, whatever else the shared table holds
            Map<String, AttributeValue> from = start;
            ScanResponse r = ddb.scan(b -> b.tableName(table).consistentRead(true).filterExpression("pk = :p")
                    .expressionAttributeValues(Map.of(":p", AttributeValue.fromS(pk))).exclusiveStartKey(from));
            scanPages++;
            start = r.hasLastEvaluatedKey() && !r.lastEvaluatedKey().isEmpty() ? r.lastEvaluatedKey() : null;
        } while (start != null);

        assertThat(counter.dynamoDbItemsRead()).isEqualTo(1 + 0 + 5 + 7 + 7 + 7);
        assertThat(counter.calls("DynamoDb", "PutItem")).isEqualTo(7);
        assertThat(counter.calls("DynamoDb", "GetItem")).isEqualTo(2);
        assertThat(counter.calls("DynamoDb", "BatchGetItem")).isEqualTo(1);
        assertThat(counter.calls("DynamoDb", "Query")).isEqualTo(1 + queryPages);
        assertThat(counter.calls("DynamoDb", "Scan")).isEqualTo(scanPages);
        assertThat(counter.calls("DynamoDb")).isEqualTo(7 + 2 + 1 + 1 + queryPages + scanPages);
        assertThat(counter.dynamoDbCalls()).isEqualTo(counter.calls("DynamoDb"));
        assertThat(counter.dynamoDbItemsQueried()).isEqualTo(7 + 7 + 7);
        @SuppressWarnings("unchecked")
        Map<String, Object> snap = (Map<String, Object>) counter.snapshot().get("dynamodb");
        assertThat(snap).containsEntry("itemsRead", 27L);
        assertThat(snap.get("calls")).isEqualTo(Map.of("PutItem", 7L, "GetItem", 2L, "BatchGetItem", 1L,
                "Query", 1L + queryPages, "Scan", (long) scanPages));
    }

    @Test
    void snsStepFunctionsEventBridgeAndSqsCallsAndEntries() {
        SdkCallCounter counter = new SdkCallCounter();
        SnsClient sns = InterceptedClients.sns(stack, true, counter);
        SqsClient sqs = InterceptedClients.sqs(stack, true, counter);
        SfnClient sfn = InterceptedClients.sfn(stack, true, counter);
        EventBridgeClient events = InterceptedClients.events(stack, true, counter);

        String topic = stack.sns().createTopic(b -> b.name("count-" + RUN)).topicArn();
        assertThat(counter.lastPublishAcceptedNanos()).isEqualTo(Long.MIN_VALUE);
        long before = System.nanoTime();
        sns.publish(b -> b.topicArn(topic).message("one"));
        long afterFirst = counter.lastPublishAcceptedNanos();
        assertThat(afterFirst).isBetween(before, System.nanoTime());
        sns.publish(b -> b.topicArn(topic).message("two"));
        List<PublishBatchRequestEntry> ten = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            ten.add(PublishBatchRequestEntry.builder().id("t" + i).message("t" + i).build());
        }
        sns.publishBatch(b -> b.topicArn(topic).publishBatchRequestEntries(ten));
        long beforeLast = System.nanoTime();
        sns.publishBatch(b -> b.topicArn(topic).publishBatchRequestEntries(ten.subList(0, 3)));
        assertThat(counter.lastPublishAcceptedNanos()).isBetween(beforeLast, System.nanoTime());
        assertThat(counter.snsPublishCalls()).isEqualTo(4);
        assertThat(counter.snsPublishedEntries()).isEqualTo(2 + 10 + 3);
        assertThat(counter.snsFailedEntries()).isZero();

        String machine = stack.sfn().createStateMachine(b -> b.name("count-pass-" + RUN).roleArn("arn:aws:iam::000000000000:role/test")
                .definition("{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\",\"End\":true}}}")).stateMachineArn();
        sfn.startExecution(b -> b.stateMachineArn(machine).name("first"));
        sfn.startExecution(b -> b.stateMachineArn(machine).name("second").input("{\"x\":1}"));
        assertThatThrownBy(() -> sfn.startExecution(b -> b.stateMachineArn(machine).name("first").input("{\"other\":true}")))
                .isInstanceOf(ExecutionAlreadyExistsException.class);
        assertThat(counter.sfnStarts()).isEqualTo(2);
        assertThat(counter.failedCalls("Sfn", "StartExecution")).isEqualTo(1);

        String bus = "default"; // the facade's only bus, the engine's
        PutEventsRequestEntry e = PutEventsRequestEntry.builder().eventBusName(bus).source("count.test").detailType("Count Test")
                .detail("{\"n\":1}").build();
        events.putEvents(b -> b.entries(e, e, e));
        // An entry for a bus that does not exist: EventBridge refuses that entry, not the call.
        events.putEvents(b -> b.entries(e, e.toBuilder().eventBusName("no-such-bus-" + RUN).build()));
        assertThat(counter.eventBridgePutEventsCalls()).isEqualTo(2);
        assertThat(counter.eventBridgeEntries()).isEqualTo(4);
        assertThat(counter.eventBridgeFailedEntries()).isEqualTo(1);

        String url = sqs.createQueue(b -> b.queueName("count-" + RUN)).queueUrl();
        sqs.sendMessage(b -> b.queueUrl(url).messageBody("a"));
        sqs.sendMessage(b -> b.queueUrl(url).messageBody("b"));
        int received = 0;
        int receives = 0;
        while (received < 2) {
            received += sqs.receiveMessage(b -> b.queueUrl(url).maxNumberOfMessages(10).waitTimeSeconds(1)).messages().size();
            receives++;
        }
        assertThat(counter.calls("Sqs", "SendMessage")).isEqualTo(2);
        assertThat(counter.sqsCalls()).isEqualTo(1 + 2 + receives);

        Map<String, Object> snap = counter.snapshot();
        assertThat(snap).containsKeys("dynamodb", "sns", "stepFunctions", "eventBridge", "sqs", "failedCalls", "httpAttempts");
        assertThat(snap.get("sns")).isEqualTo(Map.of("publishCalls", 4L, "publishedEntries", 15L, "failedEntries", 0L,
                "calls", Map.of("Publish", 2L, "PublishBatch", 2L)));
        assertThat(snap.get("failedCalls")).isEqualTo(Map.of("Sfn:StartExecution", 1L));
    }

    @Test
    void whatTheCounterSeesIsWhatTheCallerGotAfterAnInjectedPartialResult() {
        SdkCallCounter counter = new SdkCallCounter();
        FaultInjector partial = FaultInjector.builder().seed(3).rate(1).kinds(FaultInjector.Kind.PARTIAL_BATCH).build();
        DynamoDbClient ddb = InterceptedClients.dynamoDb(stack, false, counter, partial);
        String pk = "PARTIAL#" + RUN;
        List<Map<String, AttributeValue>> keys = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            keys.add(key(pk, "k" + i));
            stack.dynamoDb().putItem(b -> b.tableName(table).item(keys.get(keys.size() - 1)));
        }
        BatchGetItemResponse r = ddb.batchGetItem(b -> b.requestItems(Map.of(table, KeysAndAttributes.builder().keys(keys).build())));
        assertThat(r.unprocessedKeys()).containsKey(table);
        assertThat(counter.dynamoDbItemsRead()).isEqualTo(r.responses().get(table).size()).isLessThan(6);
    }

    @Test
    void countingIsThreadSafe() throws Exception {
        SdkCallCounter counter = new SdkCallCounter();
        DynamoDbClient ddb = InterceptedClients.dynamoDb(stack, true, counter);
        String pk = "THREADS#" + RUN;
        stack.dynamoDb().putItem(b -> b.tableName(table).item(key(pk, "x")));
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                done.add(pool.submit(() -> {
                    for (int i = 0; i < 25; i++) {
                        ddb.getItem(b -> b.tableName(table).key(key(pk, "x")));
                    }
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
        assertThat(counter.dynamoDbItemsRead()).isEqualTo(200);
        assertThat(counter.calls("DynamoDb", "GetItem")).isEqualTo(200);
        assertThat(counter.attempts("DynamoDb", "GetItem")).isEqualTo(200);
    }

    /**
     * The golden crash scenario through the whole stack with the counter (and an injector at rate 0)
     * on the engine's clients: the replay is unchanged, and the counts agree with what the
     * subscriber received: one SNS entry per notification, one execution per call opened, one
     * Liquidation Requested event per hand-off.
     */
    @Test
    void aWholeReplaysCountsAgreeWithWhatTheSubscriberReceived() throws Exception {
        Path root = LocalStackProcess.projectRoot();
        Scenario scenario = Scenario.read(Path.of(System.getProperty("golden.scenario", "../shared/golden/scenario-crash.json")));
        SdkCallCounter counter = new SdkCallCounter();
        FaultInjector none = FaultInjector.builder().seed(1).rate(0).build();
        LocalStackProcess own = LocalStackProcess.start(root, root.resolve("target/counter-test-" + ProcessHandle.current().pid()));
        List<JsonNode> received;
        try {
            received = new StackReplay(own, scenario, Double.POSITIVE_INFINITY, line -> { })
                    .withClientInterceptors(List.<ExecutionInterceptor>of(counter, none)).run().notifications();
        } finally {
            own.stop();
        }
        assertThat(received).isNotEmpty();
        Set<String> calls = new HashSet<>();
        long handoffs = 0;
        for (JsonNode n : received) {
            if (!n.get("callId").isNull()) {
                calls.add(n.get("callId").asText());
            }
            if (n.get("type").asText().equals("LIQUIDATION_HANDOFF")) {
                handoffs++;
            }
        }
        assertThat(counter.snsPublishedEntries()).isEqualTo(received.size());
        assertThat(counter.snsFailedEntries()).isZero();
        assertThat(counter.sfnStarts()).isEqualTo(calls.size());
        assertThat(counter.eventBridgeEntries()).isEqualTo(handoffs);
        assertThat(counter.dynamoDbItemsRead()).isPositive();
        assertThat(counter.calls("DynamoDb", "UpdateItem")).isPositive();
        assertThat(counter.calls("Sqs")).as("the subscriber's SQS client is not the engine's").isZero();
        assertThat(none.injectedTotal()).isZero();
    }
}
