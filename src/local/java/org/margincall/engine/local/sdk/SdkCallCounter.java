package org.margincall.engine.local.sdk;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import software.amazon.awssdk.core.SdkResponse;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BatchGetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.GetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;
import software.amazon.awssdk.services.dynamodb.model.ScanResponse;
import software.amazon.awssdk.services.eventbridge.model.PutEventsResponse;
import software.amazon.awssdk.services.sfn.model.StartExecutionResponse;
import software.amazon.awssdk.services.sns.model.PublishBatchResponse;
import software.amazon.awssdk.services.sns.model.PublishResponse;

/**
 * Counts AWS calls from what the SDK returned, not from the engine's own bookkeeping: DynamoDB
 * items read (GetItem: 1 when an item came back; BatchGetItem: the items in {@code Responses};
 * Query and Scan: {@code Count}), calls per service and operation, SNS publishes and the entries
 * SNS accepted and refused, Step Functions executions started, EventBridge PutEvents calls and
 * entries accepted and refused, SQS calls. Successful calls are counted in {@code afterExecution}
 * (once per call, with the response the caller got, after every interceptor's
 * {@code modifyResponse}), failed calls in {@code onExecutionFailure}, HTTP attempts (the SDK's
 * retries included) in {@code beforeTransmission}. Thread-safe; one instance may serve several
 * clients. Add it before a {@link FaultInjector} on the same client: interceptors run in the order
 * added, and an attempt the injector fails in {@code beforeTransmission} never reaches the
 * interceptors after it.
 */
public final class SdkCallCounter implements ExecutionInterceptor {
    private final Map<String, LongAdder> calls = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> failures = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> attempts = new ConcurrentHashMap<>();
    private final LongAdder ddbItemsRead = new LongAdder();
    private final LongAdder ddbItemsQueried = new LongAdder();
    private final LongAdder snsPublishCalls = new LongAdder();
    private final LongAdder snsEntries = new LongAdder();
    private final LongAdder snsFailedEntries = new LongAdder();
    private final LongAdder sfnStarts = new LongAdder();
    private final LongAdder putEventsCalls = new LongAdder();
    private final LongAdder eventEntries = new LongAdder();
    private final LongAdder eventFailedEntries = new LongAdder();
    private final java.util.concurrent.atomic.LongAccumulator lastPublishAccepted =
            new java.util.concurrent.atomic.LongAccumulator(Math::max, Long.MIN_VALUE);

    @Override
    public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
        add(attempts, name(attributes));
    }

    @Override
    public void afterExecution(Context.AfterExecution context, ExecutionAttributes attributes) {
        add(calls, name(attributes));
        SdkResponse r = context.response();
        if (r instanceof GetItemResponse g) {
            if (g.hasItem() && !g.item().isEmpty()) {
                ddbItemsRead.increment();
            }
        } else if (r instanceof BatchGetItemResponse b) {
            for (List<Map<String, AttributeValue>> items : b.responses().values()) {
                ddbItemsRead.add(items.size());
            }
        } else if (r instanceof QueryResponse q) {
            int n = q.count() == null ? q.items().size() : q.count();
            ddbItemsRead.add(n);
            ddbItemsQueried.add(n);
        } else if (r instanceof ScanResponse s) {
            int n = s.count() == null ? s.items().size() : s.count();
            ddbItemsRead.add(n);
            ddbItemsQueried.add(n);
        } else if (r instanceof PublishResponse) {
            snsPublishCalls.increment();
            snsEntries.increment();
            lastPublishAccepted.accumulate(System.nanoTime());
        } else if (r instanceof PublishBatchResponse p) {
            snsPublishCalls.increment();
            snsEntries.add(p.successful().size());
            snsFailedEntries.add(p.failed().size());
            if (!p.successful().isEmpty()) {
                lastPublishAccepted.accumulate(System.nanoTime());
            }
        } else if (r instanceof StartExecutionResponse) {
            sfnStarts.increment();
        } else if (r instanceof PutEventsResponse e) {
            putEventsCalls.increment();
            int failed = e.failedEntryCount() == null ? 0 : e.failedEntryCount();
            eventEntries.add(e.entries().size() - failed);
            eventFailedEntries.add(failed);
        }
    }

    @Override
    public void onExecutionFailure(Context.FailedExecution context, ExecutionAttributes attributes) {
        add(failures, name(attributes));
    }

    /** DynamoDB items the responses carried. */
    public long dynamoDbItemsRead() {
        return ddbItemsRead.sum();
    }

    /** The part of {@link #dynamoDbItemsRead()} that Query and Scan responses carried (index and band rows). */
    public long dynamoDbItemsQueried() {
        return ddbItemsQueried.sum();
    }

    /** Successful DynamoDB calls, all operations. */
    public long dynamoDbCalls() {
        return calls("DynamoDb");
    }

    /**
     * {@link System#nanoTime()} when the last Publish, or PublishBatch with an accepted entry,
     * returned (SNS accepted a notice); {@link Long#MIN_VALUE} before any.
     */
    public long lastPublishAcceptedNanos() {
        return lastPublishAccepted.get();
    }

    /** Successful calls of one operation, e.g. {@code calls("DynamoDb", "UpdateItem")}. */
    public long calls(String service, String operation) {
        return sum(calls, service + ":" + operation);
    }

    /** Calls of one operation that ended in an exception (after the SDK's retries). */
    public long failedCalls(String service, String operation) {
        return sum(failures, service + ":" + operation);
    }

    /** HTTP attempts of one operation, the SDK's retries included. */
    public long attempts(String service, String operation) {
        return sum(attempts, service + ":" + operation);
    }

    /** Successful calls of a service, all operations. */
    public long calls(String service) {
        return calls.entrySet().stream().filter(e -> e.getKey().startsWith(service + ":")).mapToLong(e -> e.getValue().sum()).sum();
    }

    /** Successful Publish and PublishBatch calls. */
    public long snsPublishCalls() {
        return snsPublishCalls.sum();
    }

    /** Messages SNS accepted: one per Publish, the {@code Successful} entries of each PublishBatch. */
    public long snsPublishedEntries() {
        return snsEntries.sum();
    }

    /** PublishBatch entries SNS reported {@code Failed}. */
    public long snsFailedEntries() {
        return snsFailedEntries.sum();
    }

    /** Step Functions executions started (successful StartExecution responses). */
    public long sfnStarts() {
        return sfnStarts.sum();
    }

    public long eventBridgePutEventsCalls() {
        return putEventsCalls.sum();
    }

    /** PutEvents entries accepted (entries without an error code). */
    public long eventBridgeEntries() {
        return eventEntries.sum();
    }

    /** PutEvents entries refused ({@code FailedEntryCount}). */
    public long eventBridgeFailedEntries() {
        return eventFailedEntries.sum();
    }

    /** Successful SQS calls, all operations. */
    public long sqsCalls() {
        return calls("Sqs");
    }

    /** Every figure, for {@code metrics.json}; keys in a stable order. */
    public Map<String, Object> snapshot() {
        Map<String, Object> m = new LinkedHashMap<>();
        Map<String, Object> ddb = new LinkedHashMap<>();
        ddb.put("itemsRead", dynamoDbItemsRead());
        ddb.put("calls", byOperation(calls, "DynamoDb"));
        m.put("dynamodb", ddb);
        Map<String, Object> sns = new LinkedHashMap<>();
        sns.put("publishCalls", snsPublishCalls());
        sns.put("publishedEntries", snsPublishedEntries());
        sns.put("failedEntries", snsFailedEntries());
        sns.put("calls", byOperation(calls, "Sns"));
        m.put("sns", sns);
        Map<String, Object> sfn = new LinkedHashMap<>();
        sfn.put("starts", sfnStarts());
        sfn.put("calls", byOperation(calls, "Sfn"));
        m.put("stepFunctions", sfn);
        Map<String, Object> events = new LinkedHashMap<>();
        events.put("putEventsCalls", eventBridgePutEventsCalls());
        events.put("entries", eventBridgeEntries());
        events.put("failedEntries", eventBridgeFailedEntries());
        m.put("eventBridge", events);
        Map<String, Object> sqs = new LinkedHashMap<>();
        sqs.put("calls", byOperation(calls, "Sqs"));
        m.put("sqs", sqs);
        m.put("failedCalls", all(failures));
        m.put("httpAttempts", all(attempts));
        return m;
    }

    private static String name(ExecutionAttributes a) {
        return a.getAttribute(SdkExecutionAttribute.SERVICE_NAME) + ":" + a.getAttribute(SdkExecutionAttribute.OPERATION_NAME);
    }

    private static void add(Map<String, LongAdder> map, String key) {
        map.computeIfAbsent(key, k -> new LongAdder()).increment();
    }

    private static long sum(Map<String, LongAdder> map, String key) {
        LongAdder a = map.get(key);
        return a == null ? 0 : a.sum();
    }

    private static Map<String, Long> byOperation(Map<String, LongAdder> map, String service) {
        Map<String, Long> out = new TreeMap<>();
        map.forEach((k, v) -> {
            if (k.startsWith(service + ":")) {
                out.put(k.substring(service.length() + 1), v.sum());
            }
        });
        return out;
    }

    private static Map<String, Long> all(Map<String, LongAdder> map) {
        Map<String, Long> out = new TreeMap<>();
        map.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }
}
