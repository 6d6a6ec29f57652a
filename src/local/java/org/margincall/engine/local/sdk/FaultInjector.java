package org.margincall.engine.local.sdk;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import software.amazon.awssdk.core.SdkRequest;
import software.amazon.awssdk.core.SdkResponse;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttribute;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BatchGetItemRequest;
import software.amazon.awssdk.services.dynamodb.model.BatchGetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.KeysAndAttributes;
import software.amazon.awssdk.services.eventbridge.model.PutEventsRequest;
import software.amazon.awssdk.services.eventbridge.model.PutEventsRequestEntry;
import software.amazon.awssdk.services.eventbridge.model.PutEventsResponse;
import software.amazon.awssdk.services.eventbridge.model.PutEventsResultEntry;
import software.amazon.awssdk.services.sns.model.BatchResultErrorEntry;
import software.amazon.awssdk.services.sns.model.PublishBatchRequest;
import software.amazon.awssdk.services.sns.model.PublishBatchRequestEntry;
import software.amazon.awssdk.services.sns.model.PublishBatchResponse;

/**
 * Fails a seeded fraction of AWS SDK calls the way AWS fails them, through the SDK's own extension
 * point (an {@link ExecutionInterceptor} added to a client's override configuration), with no proxy
 * and no mock: the stand-ins stay real, the interceptor decides what the caller sees.
 *
 * <p><b>Decisions.</b> Every HTTP attempt is decided by a pure function of (seed, service, operation,
 * request key, attempt number): SplitMix64 over the seed, the SHA-256 of service, operation and
 * {@link RequestKeys request key}, and the attempt number, which counts how many attempts with the
 * same (service, operation, key) this injector has already seen (the SDK's own retries included).
 * Whether an attempt fails depends on the seed and rate only; which kind it gets is drawn from the
 * same hash among the configured kinds that apply. So a run with concurrency is reproducible as
 * long as each key's calls come in the same order, which disjoint keys on different threads do.
 *
 * <p><b>Kinds.</b> {@link Kind#THROTTLING}, {@link Kind#HTTP_500} and {@link Kind#HTTP_503} are thrown
 * from {@code beforeTransmission} (nothing reaches the stand-in) as the exception the SDK would
 * unmarshal from AWS's error response ({@link AwsErrors}); {@link Kind#CONNECTION_RESET} likewise,
 * as the SDK's client exception over a {@code SocketException}. {@link Kind#TIMEOUT_AFTER_APPLY} lets
 * the request reach the stand-in and apply, then throws from {@code afterTransmission} as a read
 * timeout: the write happened, the caller does not know. {@link Kind#PARTIAL_BATCH} (PublishBatch,
 * BatchGetItem, PutEvents with two entries or more) is decided on an execution's first attempt:
 * PublishBatch and PutEvents entries chosen to fail are taken out of the request (so, as in AWS, a
 * failed entry was not delivered) and reported failed in the parsed response, in place; BatchGetItem
 * keys chosen are moved from {@code Responses} to {@code UnprocessedKeys}. A batch always keeps at
 * least one entry that succeeds.
 *
 * <p><b>SDK retries.</b> The injector does not change the client's retry policy. With the SDK's
 * default policy (the engine's configuration in Lambda) each retry is a new attempt with a fresh
 * decision, so throttling, 5xx, resets and timeouts are mostly absorbed by the SDK; a timeout after
 * apply still reaches the engine indirectly (the SDK re-sends a write that already happened), and
 * partial batch failures always reach it. {@link #injected()} counts faulted attempts,
 * {@link #surfaced()} the executions whose caller saw the fault. Give the client
 * {@code retryStrategy(AwsRetryStrategy.doNotRetry())} to make every fault surface.
 */
public final class FaultInjector implements ExecutionInterceptor {
    /** What can go wrong with one call. */
    public enum Kind {
        THROTTLING, HTTP_500, HTTP_503, TIMEOUT_AFTER_APPLY, CONNECTION_RESET, PARTIAL_BATCH
    }

    /** The calls the engine makes ({@code Service:Operation}, SDK service names): the default scope. */
    public static final Set<String> ENGINE_OPERATIONS = Set.of("DynamoDb:GetItem", "DynamoDb:BatchGetItem", "DynamoDb:Query",
            "DynamoDb:Scan", "DynamoDb:PutItem", "DynamoDb:UpdateItem", "DynamoDb:DeleteItem", "DynamoDb:BatchWriteItem",
            "Sns:Publish", "Sns:PublishBatch",
            "Sfn:StartExecution", "EventBridge:PutEvents", "Sqs:SendMessageBatch");

    /** One decision: the kind of fault ({@code null}: none) and the hash it was drawn from. */
    public record Decision(Kind kind, long hash) {
        public boolean faulted() {
            return kind != null;
        }
    }

    /** One injected fault, for logs and tests. */
    public record Fault(String service, String operation, String requestKey, long attempt, Kind kind) {
    }

    private static final long GOLDEN = 0x9E3779B97F4A7C15L;
    private static final AtomicInteger INSTANCES = new AtomicInteger();

    private final long seed;
    private final double rate;
    private final Set<Kind> kinds;
    private final Set<String> operations;
    private final Set<String> keyAttributes;
    private final ExecutionAttribute<Execution> state =
            new ExecutionAttribute<>("margincall.faults." + INSTANCES.incrementAndGet());
    private final Map<String, AtomicLong> seen = new ConcurrentHashMap<>();
    private final Map<Kind, LongAdder> injected = new EnumMap<>(Kind.class);
    private final Map<Kind, LongAdder> surfaced = new EnumMap<>(Kind.class);
    private final ConcurrentLinkedQueue<Fault> faults = new ConcurrentLinkedQueue<>();

    private FaultInjector(Builder b) {
        if (!(b.rate >= 0 && b.rate <= 1)) {
            throw new IllegalArgumentException("rate must lie in [0, 1], not " + b.rate);
        }
        this.seed = b.seed;
        this.rate = b.rate;
        this.kinds = Collections.unmodifiableSet(EnumSet.copyOf(b.kinds));
        this.operations = b.operations == null ? null : Set.copyOf(b.operations);
        this.keyAttributes = Set.copyOf(b.keyAttributes);
        for (Kind k : Kind.values()) {
            injected.put(k, new LongAdder());
            surfaced.put(k, new LongAdder());
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * The decision for one attempt: a pure function of this injector's seed, rate and kinds and the
     * arguments. {@code batchEntries} is the number of entries of a batch call (0 otherwise); a
     * partial failure applies only from two entries on.
     */
    public Decision decide(String service, String operation, String requestKey, long attempt, int batchEntries) {
        long h = mix(seed + GOLDEN);
        h = mix(h ^ first8(RequestKeys.sha256(service + "\u0000" + operation + "\u0000" + requestKey)));
        h = mix(h + GOLDEN * (attempt + 1));
        double u = (h >>> 11) * 0x1.0p-53;
        if (u >= rate) {
            return new Decision(null, h);
        }
        List<Kind> applicable = new ArrayList<>();
        for (Kind k : kinds) { // EnumSet: declaration order, so the draw is stable
            if (k != Kind.PARTIAL_BATCH || batchEntries >= 2) {
                applicable.add(k);
            }
        }
        if (applicable.isEmpty()) {
            return new Decision(null, h);
        }
        return new Decision(applicable.get((int) Long.remainderUnsigned(mix(h ^ 0x632BE59BD9B4E019L), applicable.size())), h);
    }

    /** Faulted attempts, per kind (every kind present). */
    public Map<Kind, Long> injected() {
        return counts(injected);
    }

    public long injectedTotal() {
        return injected.values().stream().mapToLong(LongAdder::sum).sum();
    }

    /** Executions whose caller saw an injected fault (after the SDK's retries), per kind. */
    public Map<Kind, Long> surfaced() {
        return counts(surfaced);
    }

    public long surfacedTotal() {
        return surfaced.values().stream().mapToLong(LongAdder::sum).sum();
    }

    /** Every fault injected so far, in the order injected. */
    public List<Fault> faults() {
        return List.copyOf(faults);
    }

    /** Figures for {@code metrics.json}: {@code faultsInjected} and {@code faultsSurfaced}, in total and per kind. */
    public Map<String, Object> snapshot() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("seed", seed);
        m.put("rate", rate);
        m.put("kinds", kinds.stream().map(Kind::name).toList());
        m.put("faultsInjected", injectedTotal());
        m.put("faultsInjectedByKind", byName(injected()));
        m.put("faultsSurfaced", surfacedTotal());
        m.put("faultsSurfacedByKind", byName(surfaced()));
        return m;
    }

    @Override
    public SdkRequest modifyRequest(Context.ModifyRequest context, ExecutionAttributes attributes) {
        String service = attributes.getAttribute(SdkExecutionAttribute.SERVICE_NAME);
        String operation = attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME);
        if (operations != null && !operations.contains(service + ":" + operation)) {
            return context.request();
        }
        SdkRequest request = context.request();
        String key = RequestKeys.of(request, keyAttributes);
        long attempt = nextAttempt(service, operation, key);
        Decision d = decide(service, operation, key, attempt, batchEntries(request));
        Execution e = new Execution(service, operation, key, attempt, d);
        attributes.putAttribute(state, e);
        if (d.kind() == Kind.PARTIAL_BATCH) {
            e.failing = pick(batchEntries(request), d.hash());
            if (request instanceof PublishBatchRequest r) {
                List<PublishBatchRequestEntry> kept = new ArrayList<>();
                for (int i = 0; i < e.failing.length; i++) {
                    if (!e.failing[i]) {
                        kept.add(r.publishBatchRequestEntries().get(i));
                    }
                }
                e.original = r;
                return r.toBuilder().publishBatchRequestEntries(kept).build();
            }
            if (request instanceof PutEventsRequest r) {
                List<PutEventsRequestEntry> kept = new ArrayList<>();
                for (int i = 0; i < e.failing.length; i++) {
                    if (!e.failing[i]) {
                        kept.add(r.entries().get(i));
                    }
                }
                e.original = r;
                return r.toBuilder().entries(kept).build();
            }
            e.original = request; // BatchGetItem: the response is rewritten, the request goes as it is
        }
        return request;
    }

    @Override
    public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
        Execution e = attributes.getAttribute(state);
        if (e == null) {
            return;
        }
        long attempt;
        Decision d;
        if (!e.firstAttemptSent) {
            e.firstAttemptSent = true;
            attempt = e.firstAttempt;
            d = e.first;
        } else { // the SDK retrying: a new attempt of the same key, decided afresh (no partial failure on a retry)
            attempt = nextAttempt(e.service, e.operation, e.key);
            d = decide(e.service, e.operation, e.key, attempt, 0);
        }
        e.lastAttemptFault = null;
        e.timeoutPending = null;
        e.timeoutAttempt = attempt;
        if (!d.faulted() || d.kind() == Kind.PARTIAL_BATCH) {
            return;
        }
        if (d.kind() == Kind.TIMEOUT_AFTER_APPLY) {
            e.timeoutPending = d;
            return;
        }
        record(e, attempt, d.kind());
        throw AwsErrors.of(e.service, d.kind(), d.hash());
    }

    @Override
    public void afterTransmission(Context.AfterTransmission context, ExecutionAttributes attributes) {
        Execution e = attributes.getAttribute(state);
        if (e == null || e.timeoutPending == null) {
            return;
        }
        Decision d = e.timeoutPending;
        e.timeoutPending = null;
        // The stand-in has applied the request and answered; the answer is lost on the way back.
        context.responseBody().ifPresent(FaultInjector::discard);
        record(e, e.timeoutAttempt, Kind.TIMEOUT_AFTER_APPLY);
        throw AwsErrors.of(e.service, Kind.TIMEOUT_AFTER_APPLY, d.hash());
    }

    @Override
    public SdkResponse modifyResponse(Context.ModifyResponse context, ExecutionAttributes attributes) {
        Execution e = attributes.getAttribute(state);
        SdkResponse response = context.response();
        if (e == null || e.failing == null || e.partialReported) {
            return response;
        }
        SdkResponse rewritten = null;
        if (response instanceof PublishBatchResponse r && e.original instanceof PublishBatchRequest req) {
            List<BatchResultErrorEntry> failed = new ArrayList<>(r.failed());
            for (int i = 0; i < e.failing.length; i++) {
                if (e.failing[i]) {
                    boolean throttled = (mix(e.first.hash() ^ (i + 1)) & 1) == 1;
                    failed.add(BatchResultErrorEntry.builder().id(req.publishBatchRequestEntries().get(i).id())
                            .code(throttled ? "Throttled" : "InternalError").message(throttled ? "Rate exceeded" : "Internal Error")
                            .senderFault(false).build());
                }
            }
            rewritten = r.toBuilder().failed(failed).build();
        } else if (response instanceof PutEventsResponse r && e.original instanceof PutEventsRequest) {
            List<PutEventsResultEntry> all = new ArrayList<>();
            int next = 0;
            int added = 0;
            for (int i = 0; i < e.failing.length; i++) {
                if (e.failing[i]) {
                    boolean throttled = (mix(e.first.hash() ^ (i + 1)) & 1) == 1;
                    all.add(PutEventsResultEntry.builder().errorCode(throttled ? "ThrottlingException" : "InternalFailure")
                            .errorMessage(throttled ? "Rate exceeded."
                                    : "The request processing has failed because of an unknown error, exception or failure.")
                            .build());
                    added++;
                } else if (next < r.entries().size()) {
                    all.add(r.entries().get(next++));
                }
            }
            int before = r.failedEntryCount() == null ? 0 : r.failedEntryCount();
            rewritten = r.toBuilder().entries(all).failedEntryCount(before + added).build();
        } else if (response instanceof BatchGetItemResponse r && e.original instanceof BatchGetItemRequest req) {
            rewritten = unprocess(r, req, e.failing);
        }
        if (rewritten == null) {
            return response;
        }
        e.partialReported = true;
        record(e, e.firstAttempt, Kind.PARTIAL_BATCH);
        surfaced.get(Kind.PARTIAL_BATCH).increment();
        return rewritten;
    }

    @Override
    public void onExecutionFailure(Context.FailedExecution context, ExecutionAttributes attributes) {
        Execution e = attributes.getAttribute(state);
        if (e != null && e.lastAttemptFault != null) {
            surfaced.get(e.lastAttemptFault).increment();
        }
    }

    private long nextAttempt(String service, String operation, String key) {
        return seen.computeIfAbsent(service + "\u0000" + operation + "\u0000" + key, k -> new AtomicLong()).getAndIncrement();
    }

    private void record(Execution e, long attempt, Kind kind) {
        injected.get(kind).increment();
        faults.add(new Fault(e.service, e.operation, e.key, attempt, kind));
        if (kind != Kind.PARTIAL_BATCH) {
            e.lastAttemptFault = kind;
        }
    }

    /** Moves the chosen keys (tables in name order, keys in request order) to UnprocessedKeys. */
    private static BatchGetItemResponse unprocess(BatchGetItemResponse r, BatchGetItemRequest req, boolean[] failing) {
        Map<String, List<Map<String, AttributeValue>>> responses = new LinkedHashMap<>();
        r.responses().forEach((t, items) -> responses.put(t, new ArrayList<>(items)));
        Map<String, KeysAndAttributes> unprocessed = new LinkedHashMap<>(r.hasUnprocessedKeys() ? r.unprocessedKeys() : Map.of());
        int i = 0;
        for (Map.Entry<String, KeysAndAttributes> t : new TreeMap<>(req.requestItems()).entrySet()) {
            List<Map<String, AttributeValue>> moved = new ArrayList<>();
            for (Map<String, AttributeValue> key : t.getValue().keys()) {
                if (failing[i++]) {
                    moved.add(key);
                    List<Map<String, AttributeValue>> items = responses.get(t.getKey());
                    if (items != null) {
                        items.removeIf(item -> item.entrySet().containsAll(key.entrySet()));
                    }
                }
            }
            if (!moved.isEmpty()) {
                KeysAndAttributes already = unprocessed.get(t.getKey());
                List<Map<String, AttributeValue>> keys = new ArrayList<>(already == null ? List.of() : already.keys());
                keys.addAll(moved);
                unprocessed.put(t.getKey(), t.getValue().toBuilder().keys(keys).build());
            }
        }
        return r.toBuilder().responses(responses).unprocessedKeys(unprocessed).build();
    }

    private static int batchEntries(SdkRequest request) {
        if (request instanceof PublishBatchRequest r) {
            return r.publishBatchRequestEntries().size();
        }
        if (request instanceof PutEventsRequest r) {
            return r.entries().size();
        }
        if (request instanceof BatchGetItemRequest r) {
            return r.requestItems().values().stream().mapToInt(ka -> ka.keys().size()).sum();
        }
        return 0;
    }

    /** Which of {@code n >= 2} entries fail: a hash bit each, at least one failing and one not. */
    static boolean[] pick(int n, long hash) {
        boolean[] failing = new boolean[n];
        for (int i = 0; i < n; i++) {
            failing[i] = (mix(hash ^ (GOLDEN * (i + 1))) & 1) == 1;
        }
        int count = 0;
        for (boolean f : failing) {
            count += f ? 1 : 0;
        }
        if (count == 0) {
            failing[(int) Long.remainderUnsigned(hash, n)] = true;
        } else if (count == n) {
            failing[(int) Long.remainderUnsigned(hash >>> 7, n)] = false;
        }
        return failing;
    }

    private static void discard(InputStream body) {
        try (InputStream in = body) {
            in.transferTo(OutputStream.nullOutputStream());
        } catch (IOException ignored) {
            // the connection goes away with the lost answer either way
        }
    }

    /** SplitMix64's finaliser. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private static long first8(byte[] b) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (b[i] & 0xFF);
        }
        return v;
    }

    private static Map<Kind, Long> counts(Map<Kind, LongAdder> adders) {
        Map<Kind, Long> out = new EnumMap<>(Kind.class);
        adders.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }

    private static Map<String, Long> byName(Map<Kind, Long> counts) {
        Map<String, Long> out = new LinkedHashMap<>();
        counts.forEach((k, v) -> out.put(k.name(), v));
        return out;
    }

    /** Per-execution state: one SDK call, across the SDK's retries (one thread at a time). */
    private static final class Execution {
        final String service;
        final String operation;
        final String key;
        final long firstAttempt;
        final Decision first;
        boolean firstAttemptSent;
        Decision timeoutPending;
        long timeoutAttempt;
        Kind lastAttemptFault;
        boolean[] failing;
        SdkRequest original;
        boolean partialReported;

        Execution(String service, String operation, String key, long firstAttempt, Decision first) {
            this.service = service;
            this.operation = operation;
            this.key = key;
            this.firstAttempt = firstAttempt;
            this.first = first;
        }
    }

    public static final class Builder {
        private long seed;
        private double rate;
        private Set<Kind> kinds = EnumSet.allOf(Kind.class);
        private Set<String> operations = ENGINE_OPERATIONS;
        private Set<String> keyAttributes = Set.of("pk", "sk");

        private Builder() {
        }

        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** The probability that an attempt fails, in [0, 1]; 0 (the default) injects nothing. */
        public Builder rate(double rate) {
            this.rate = rate;
            return this;
        }

        public Builder kinds(Kind... kinds) {
            return kinds(kinds.length == 0 ? EnumSet.noneOf(Kind.class) : EnumSet.copyOf(Arrays.asList(kinds)));
        }

        public Builder kinds(Set<Kind> kinds) {
            this.kinds = kinds.isEmpty() ? EnumSet.noneOf(Kind.class) : EnumSet.copyOf(kinds);
            return this;
        }

        /** Which calls may fail, as {@code Service:Operation} (e.g. {@code DynamoDb:UpdateItem}); default {@link #ENGINE_OPERATIONS}. */
        public Builder operations(Set<String> operations) {
            this.operations = Set.copyOf(operations);
            return this;
        }

        /** Every call of the client may fail. */
        public Builder allOperations() {
            this.operations = null;
            return this;
        }

        /** The attributes that make a PutItem's key (default {@code pk}, {@code sk}, the margin table's). */
        public Builder keyAttributes(Set<String> names) {
            this.keyAttributes = Set.copyOf(names);
            return this;
        }

        public FaultInjector build() {
            return new FaultInjector(this);
        }
    }
}
