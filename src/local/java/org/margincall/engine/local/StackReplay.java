package org.margincall.engine.local;

import org.margincall.engine.domain.Timestamps;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.function.Consumer;
import org.margincall.engine.adapter.cloudwatch.EngineMetrics;
import org.margincall.engine.adapter.dynamodb.DynamoDbAccountItems;
import org.margincall.engine.adapter.dynamodb.VenueStore;
import org.margincall.engine.adapter.eventbridge.LiquidationRequests;
import org.margincall.engine.adapter.sfn.EscalationStarter;
import org.margincall.engine.adapter.sns.NotificationPublisher;
import org.margincall.engine.adapter.sns.OperationsAlerts;
import org.margincall.engine.domain.Account;
import org.margincall.engine.domain.Position;
import org.margincall.engine.handler.AccountEventHandler;
import org.margincall.engine.handler.ChunkWorkerHandler;
import org.margincall.engine.handler.EventBridgeEvent;
import org.margincall.engine.handler.EventResult;
import org.margincall.engine.handler.PriceEventHandler;
import org.margincall.engine.handler.RecheckHandler;
import org.margincall.engine.scenario.Scenario;
import org.margincall.engine.scenario.ScenarioEvent;
import org.margincall.engine.service.MarginService;
import org.margincall.engine.service.port.ChunkQueue;
import org.margincall.engine.local.sdk.FaultInjector;
import org.margincall.engine.local.sdk.SdkCallCounter;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.retries.api.RetryStrategy;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sns.SnsClient;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * Replays a SPEC §7 scenario through the whole stack on the local stand-ins: the venue and its
 * accounts are loaded into DynamoDB, every event is handed to the real handler as the JSON
 * Lambda would deliver (prices as "Price Update", deposits and reductions as the account events a
 * venue would send), escalations run in the Step Functions facade and call the re-check handler
 * through the Lambda Invoke API, and notifications are collected from an SQS queue subscribed to
 * the topic, as a venue receives them.
 *
 * <p>Scenario time is the only clock: the facade's clock is controlled, every escalation step due
 * before an event runs before it (one due at the same instant runs after it), and the handlers'
 * clock is the scenario's. So the same scenario yields the same notifications at any speed.
 *
 * <p>Failures are handled as the deployment handles them, at once and at the same scenario
 * instant: an event whose handler throws is delivered again (EventBridge), a chunk whose worker
 * reports it failed is received again (SQS), a re-check that throws runs again (the state
 * machine's {@code Retry}, its back-off in compressed wall time). After the last event, what the
 * engine still owes is flushed ({@link MarginService#flushPending}) as the minute sweep would, the
 * safety net of SPEC §9, a scenario minute apart until nothing is owed (at most
 * {@value #SAFETY_NET_SWEEPS} times); a replay runs no minute sweep (SPEC §7), so what that
 * delivers is counted as late. Each notification received is recorded with the event it arrived after. The engine's
 * clients carry a {@link SdkCallCounter} and, with {@link #withFaults}, a {@link FaultInjector};
 * the harness (loading the venue, reading an account to write its next event), the subscriber and
 * the worker queue's event source use clients of their own.
 */
public final class StackReplay {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String RECHECK_FUNCTION = "EscalationRecheckFunction";
    /**
     * Deliveries of one event before the replay gives up on it and fails: EventBridge's default
     * retry policy for a Lambda target (185 attempts within 24 hours; an event that fails them all
     * would go to the dead-letter queue).
     */
    static final int MAX_DELIVERIES = 185;
    /** Receives of one chunk before SQS would move it to the dead-letter queue (template.yaml maxReceiveCount). */
    static final int MAX_CHUNK_RECEIVES = 5;
    /** Safety-net flushes after the last event at most, and the scenario seconds between them (a claim goes stale after 60). */
    static final int SAFETY_NET_SWEEPS = 5;
    static final long SWEEP_SECONDS = 61;

    /**
     * One notification as the subscriber received it.
     *
     * @param afterEvent how many scenario events had been fed when it arrived (it arrived after event
     *                   number {@code afterEvent}, 1-based, and before the next one)
     * @param at the scenario time when it arrived: the time of that event, or of the safety-net flush
     * @param bySweep delivered by the safety-net flush after the last event, not by the event's own work
     */
    public record Received(JsonNode body, int afterEvent, Instant at, boolean bySweep) {
        public String notificationId() {
            return body.get("notificationId").asText();
        }
    }

    /**
     * Result of a replay: what a subscriber received, and counts for the summary and {@code metrics.json}.
     *
     * @param notifications every body received, duplicates included, in arrival order
     * @param accountsEvaluated (sub-)account evaluations done: price events, chunks, account events, re-checks
     * @param received every body with the event it arrived after
     */
    public record Result(List<JsonNode> notifications, int events, long wallMillis, int accountsEvaluated,
                         List<Received> received, Counts counts) {
        /** The first copy of each notification id, in arrival order (what a deduplicating subscriber keeps). */
        public List<Received> distinct() {
            Map<String, Received> first = new LinkedHashMap<>();
            for (Received r : received) {
                first.putIfAbsent(r.notificationId(), r);
            }
            return List.copyOf(first.values());
        }
    }

    /**
     * What a run did, for {@code metrics.json}. DynamoDB items and SNS calls come from the SDK's
     * responses ({@link SdkCallCounter} on the engine's clients), not from the engine's bookkeeping.
     *
     * @param priceEvents price events fed (each once, however many deliveries it took)
     * @param evaluations (sub-)account evaluations the handlers reported
     * @param itemsRead DynamoDB items the engine read on behalf of price events (their handler and their chunks)
     * @param snsPublishCalls successful Publish and PublishBatch calls of the engine
     * @param notifications distinct notifications received (by id)
     * @param chunks worker-queue chunks processed to completion
     * @param invocationsRetried handler invocations that failed and were delivered again (EventBridge
     *                           redelivering an event, SQS a chunk, Step Functions' Retry a re-check)
     * @param duplicatesReceived bodies received again under an id already received (a subscriber drops them)
     * @param deliveredBySweep distinct notifications first received from the safety-net flush after the last event
     * @param sdk every figure of the engine clients' {@link SdkCallCounter}
     * @param perPriceEvent what each price event cost, in the order fed (BENCHMARKS.md)
     */
    public record Counts(int priceEvents, long evaluations, long itemsRead, long snsPublishCalls, int notifications,
                         int chunks, long wallMillis, long invocationsRetried, int duplicatesReceived, int deliveredBySweep,
                         Map<String, Object> sdk, List<PriceEventCost> perPriceEvent) {
        /** The last price event's cost, or null without one. */
        public PriceEventCost lastPriceEvent() {
            return perPriceEvent.isEmpty() ? null : perPriceEvent.get(perPriceEvent.size() - 1);
        }
    }

    /**
     * What one price event cost, from its handler's invocation (every delivery of it) until the
     * last of its chunks was drained from the worker queue; the setup and the escalation steps the
     * facade runs after it are not included. Calls and items come from the engine clients'
     * {@link SdkCallCounter}, as the run's totals do.
     *
     * @param wallMillis wall time of the handler and its chunks
     * @param millisToLastPublish from the handler's invocation to the last Publish/PublishBatch SNS
     *                            accepted for it; -1 when it published nothing
     * @param itemsRead DynamoDB items read (band rows returned by queries included)
     * @param itemsQueried the part of {@code itemsRead} that Query responses carried: band rows, or
     *                     the holdings index's entries on the baseline path
     * @param evaluations (sub-)account evaluations the handler and its chunks reported
     * @param dynamoDbCalls successful DynamoDB calls, every operation
     * @param snsPublishCalls successful Publish and PublishBatch calls
     * @param snsPublishedEntries notices SNS accepted (PublishBatch's successful entries)
     * @param notifications notifications the handler and its chunks reported published
     * @param chunks worker-queue chunks processed to completion
     */
    public record PriceEventCost(long wallMillis, long millisToLastPublish, long itemsRead, long itemsQueried,
                                 long evaluations, long dynamoDbCalls,
                                 long snsPublishCalls, long snsPublishedEntries, long notifications, int chunks) {
    }

    /** Told after each event is fed and its notifications are collected. */
    @FunctionalInterface
    public interface Progress {
        void fed(int events, int totalEvents, int notifications, Instant scenarioTime);
    }

    private final LocalStackProcess stack;
    private final Scenario scenario;
    private final double speed;
    private final Progress progress;
    private final ScenarioClock clock = new ScenarioClock();
    private final HttpClient http = HttpClient.newHttpClient();
    private final SdkCallCounter counter = new SdkCallCounter();
    private Consumer<ClientOverrideConfiguration.Builder> clientOverrides = c -> c.addExecutionInterceptor(counter);
    private boolean faulty;
    private boolean compressSdkBackoff;
    private final AtomicLong retried = new AtomicLong();

    public StackReplay(LocalStackProcess stack, Scenario scenario, double speed, Consumer<String> progress) {
        this(stack, scenario, speed, (fed, total, received, at) -> progress.accept(
                String.format("events %d/%d, notifications %d, scenario time %s", fed, total, received, at)));
    }

    private int chunkSize = 500;
    private int chunks;

    /** Chunks the workers processed to completion in the last run (SPEC §10 fan-out). */
    public int chunksProcessed() {
        return chunks;
    }

    public StackReplay(LocalStackProcess stack, Scenario scenario, double speed, Progress progress) {
        this.stack = stack;
        this.scenario = scenario;
        this.speed = speed;
        this.progress = progress;
    }

    private boolean triggerBands = true;

    /**
     * Trigger bands on (SPEC §10, the default) or off: off is the pre-§10 baseline, every holder
     * read and decided in turn ({@code margincall.trigger-bands=false}).
     */
    public StackReplay withTriggerBands(boolean on) {
        this.triggerBands = on;
        return this;
    }

    /** Fans a price event out to the worker queue beyond this many crossed accounts (SPEC §10); default 500. */
    public StackReplay withChunkSize(int size) {
        this.chunkSize = size;
        return this;
    }

    /** The call counter on the engine's clients (always the first of their interceptors). */
    public SdkCallCounter counter() {
        return counter;
    }

    /**
     * Injects {@code faults} into every call of the engine's clients (DynamoDB, SNS, SQS, Step
     * Functions, EventBridge; the harness and the subscriber have clients of their own). With
     * {@code compressSdkBackoff} the SDK keeps its retry policy (same attempts, same decisions) but
     * waits at most a few milliseconds between attempts: no decision depends on the wall clock, so
     * only the wall time changes.
     */
    public StackReplay withFaults(FaultInjector faults, boolean compressSdkBackoff) {
        this.faulty = true;
        this.compressSdkBackoff = compressSdkBackoff;
        return withClientOverrides(c -> c.addExecutionInterceptor(faults));
    }

    public Result run() throws Exception {
        long wallStart = System.currentTimeMillis();
        String venueId = scenario.catalog().venue().id();
        LocalConfig config = LocalConfig.of(stack, venueId).withChunkSize(chunkSize).withTriggerBands(triggerBands);
        // The engine's clients: the interceptors (call counter first, faults) sit on these only.
        DynamoDbClient ddb = client(DynamoDbClient::builder, "DYNAMODB_ENDPOINT", clientOverrides);
        SnsClient sns = client(SnsClient::builder, "SNS_ENDPOINT", clientOverrides);
        SqsClient engineSqs = client(SqsClient::builder, "SQS_ENDPOINT", clientOverrides);
        SfnClient sfn = client(SfnClient::builder, "SFN_ENDPOINT", clientOverrides);
        EventBridgeClient events = client(EventBridgeClient::builder, "EVENTS_ENDPOINT", clientOverrides);
        // The harness's own (loading the venue, reading an account to write its next event), the
        // subscriber's and the worker queue's event source: AWS's side, never faulted nor counted.
        Consumer<ClientOverrideConfiguration.Builder> plain = c -> { };
        DynamoDbClient harnessDdb = client(DynamoDbClient::builder, "DYNAMODB_ENDPOINT", plain);
        SnsClient harnessSns = client(SnsClient::builder, "SNS_ENDPOINT", plain);
        SqsClient sqs = client(SqsClient::builder, "SQS_ENDPOINT", plain);

        // The same objects Quarkus wires in Lambda, wired by hand around the scenario clock.
        LocalEngine engine = LocalEngine.wire(ddb, sns, sfn, events, engineSqs, config, clock);
        LocalEngine harness = LocalEngine.wire(harnessDdb, harnessSns, client(SfnClient::builder, "SFN_ENDPOINT", plain),
                client(EventBridgeClient::builder, "EVENTS_ENDPOINT", plain), config, clock);
        VenueStore venues = harness.venues();
        DynamoDbAccountItems accounts = harness.accounts();
        EngineMetrics metrics = engine.metrics();
        MarginService service = engine.service();
        AtomicLong evaluated = new AtomicLong();
        PriceEventHandler prices = new PriceEventHandler(service, metrics, config);
        AccountEventHandler accountEvents = new AccountEventHandler(service, metrics, config);
        RecheckHandler recheck = new RecheckHandler(service, metrics);
        // The worker handler runs as in Lambda; the service under it also tells the replay what each chunk evaluated.
        ChunkWorkerHandler worker = new ChunkWorkerHandler(new MarginService(null, null, null, null) {
            @Override
            public MarginService.Outcome onChunk(ChunkQueue.Chunk c) {
                MarginService.Outcome o = service.onChunk(c);
                evaluated.addAndGet(o.accountsEvaluated());
                return o;
            }
        }, metrics);

        loadVenue(scenario, venues, harness.service());
        String queue = subscribe(harnessSns, sqs, config.notificationsTopicArn());
        AtomicInteger expected = new AtomicInteger();
        List<Received> received = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        int priceEvents = 0;
        long itemsRead = 0;
        int bySweep = 0;
        List<PriceEventCost> perPriceEvent = new ArrayList<>();
        chunks = 0;
        retried.set(0);
        try (LambdaInvokeServer lambda = new LambdaInvokeServer()) {
            lambda.register(RECHECK_FUNCTION, payload -> {
                RecheckHandler.Response r;
                try {
                    r = recheck.handleRequest(JSON.readValue(payload, RecheckHandler.Request.class), null);
                } catch (RuntimeException e) {
                    retried.incrementAndGet(); // the state machine's Retry runs the task again
                    throw e;
                }
                expected.addAndGet(r.notifications());
                if (r.level() != null) {
                    evaluated.incrementAndGet();
                }
                return JSON.writeValueAsBytes(r);
            });
            // Step Functions' Retry back-off (2 s, 4 s, 8 s) in compressed wall time: a re-check that
            // failed runs again at the same scenario instant, before the next event.
            admin("/config", "{\"lambdaEndpoint\":\"" + lambda.url() + "\",\"retryClock\":\"real\",\"retryScale\":0.001}");
            List<ScenarioEvent> list = scenario.events();
            if (!list.isEmpty()) {
                admin("/clock/set", "{\"now\":\"" + list.get(0).at() + "\"}");
            }
            Map<String, Long> accountSeq = new HashMap<>();
            Instant previous = null;
            int fed = 0;
            for (ScenarioEvent e : list) {
                pace(previous, e.at());
                // Escalation steps due strictly before the event run first.
                advance(e.at().minusMillis(1));
                clock.set(e.at());
                boolean price = e instanceof ScenarioEvent.Price;
                EventBridgeEvent envelope = envelope(e, accounts, venues, venueId, accountSeq);
                long readBefore = counter.dynamoDbItemsRead();
                long queriedBefore = counter.dynamoDbItemsQueried();
                long evaluatedBefore = evaluated.get();
                long ddbBefore = counter.dynamoDbCalls();
                long publishBefore = counter.snsPublishCalls();
                long entriesBefore = counter.snsPublishedEntries();
                int chunksBefore = chunks;
                long t0 = System.nanoTime();
                EventResult r = deliver(e, () -> price ? prices.handleRequest(envelope, null)
                        : accountEvents.handleRequest(envelope, null));
                expected.addAndGet(r.notifications());
                evaluated.addAndGet(r.accountsEvaluated());
                // the fan-out's chunks, as the SQS event source would hand them to the worker
                int byChunks = drainWorkerQueue(sqs, config, worker, metrics);
                expected.addAndGet(byChunks);
                if (price) {
                    long t1 = System.nanoTime();
                    long lastPublish = counter.lastPublishAcceptedNanos();
                    priceEvents++;
                    itemsRead += counter.dynamoDbItemsRead() - readBefore;
                    perPriceEvent.add(new PriceEventCost((t1 - t0) / 1_000_000,
                            lastPublish >= t0 ? (lastPublish - t0) / 1_000_000 : -1, counter.dynamoDbItemsRead() - readBefore,
                            counter.dynamoDbItemsQueried() - queriedBefore, evaluated.get() - evaluatedBefore,
                            counter.dynamoDbCalls() - ddbBefore, counter.snsPublishCalls() - publishBefore,
                            counter.snsPublishedEntries() - entriesBefore, r.notifications() + byChunks, chunks - chunksBefore));
                }
                advance(e.at()); // steps due at the event's instant run after it
                fed++;
                drain(sqs, queue, received, ids, faulty ? 0 : expected.get(), fed, e.at(), false);
                previous = e.at();
                progress.fed(fed, list.size(), ids.size(), e.at());
            }
            Instant end = list.isEmpty() ? clock.instant() : list.get(list.size() - 1).at();
            drain(sqs, queue, received, ids, faulty ? 0 : expected.get(), fed, end, false);
            // The safety net (SPEC §9): what the engine still owes, flushed after the last event as the
            // minute sweep would, a scenario minute apart (a claim its dead claimant still holds goes
            // stale meanwhile), until nothing is owed. A replay runs no minute sweep (SPEC §7), so
            // anything this delivers was late. The escalations' clock stays at the last event.
            int before = ids.size();
            for (int sweep = 0; sweep < SAFETY_NET_SWEEPS && !accounts.withPendingWork(venueId).isEmpty(); sweep++) {
                Instant at = end.plusSeconds(SWEEP_SECONDS * sweep);
                clock.set(at);
                flushOwed(service, venueId);
                admin("/idle?timeoutMs=60000", "{}");
                drain(sqs, queue, received, ids, 0, fed, at, true);
            }
            bySweep = ids.size() - before;
        }
        long wall = System.currentTimeMillis() - wallStart;
        List<JsonNode> bodies = received.stream().map(Received::body).toList();
        Counts counts = new Counts(priceEvents, evaluated.get(), itemsRead, counter.snsPublishCalls(), ids.size(), chunks, wall,
                retried.get(), received.size() - ids.size(), bySweep, counter.snapshot(), List.copyOf(perPriceEvent));
        return new Result(bodies, scenario.events().size(), wall, (int) evaluated.get(), List.copyOf(received), counts);
    }

    /**
     * Hands one event to its handler as EventBridge would, again while the invocation throws: the
     * handlers throw on infrastructure failures and when work is left undone, and a redelivered
     * event finishes it (SPEC §5.1, §5.2). Redelivered at once, at the same scenario instant.
     */
    private EventResult deliver(ScenarioEvent e, Supplier<EventResult> handler) {
        for (int delivery = 1; ; delivery++) {
            try {
                return handler.get();
            } catch (RuntimeException ex) {
                if (delivery >= MAX_DELIVERIES) {
                    throw new IllegalStateException("event " + (e.index() + 1) + " at " + e.at() + " failed " + delivery
                            + " deliveries in a row: " + ex.getMessage(), ex);
                }
                retried.incrementAndGet();
            }
        }
    }

    /** One safety-net flush: everything owed and nobody delivering it (a flush that throws is run again). */
    private void flushOwed(MarginService service, String venueId) {
        for (int attempt = 1; ; attempt++) {
            try {
                service.flushPending(venueId);
                return;
            } catch (RuntimeException ex) {
                if (attempt >= MAX_DELIVERIES) {
                    throw ex;
                }
                retried.incrementAndGet();
            }
        }
    }

    /**
     * A client on the stand-in at {@code endpoint} as the engine builds its own; with overrides
     * other than {@code plain} and a compressed back-off, it keeps the service's default retry
     * strategy (attempts, what is retried, the retry quota) with delays of at most 20 ms.
     */
    private <B extends software.amazon.awssdk.awscore.client.builder.AwsClientBuilder<B, C>
            & software.amazon.awssdk.core.client.builder.SdkSyncClientBuilder<B, C>, C extends software.amazon.awssdk.core.SdkClient> C client(
            Supplier<B> builder, String endpoint, Consumer<ClientOverrideConfiguration.Builder> overrides) {
        Consumer<ClientOverrideConfiguration.Builder> o = overrides;
        if (compressSdkBackoff && overrides == clientOverrides) {
            RetryStrategy defaults;
            try (C probe = builder.get().region(Region.US_EAST_1).credentialsProvider(creds()).build()) {
                defaults = probe.serviceClientConfiguration().overrideConfiguration().retryStrategy().orElseThrow();
            }
            BackoffStrategy quick = BackoffStrategy.exponentialDelay(Duration.ofMillis(1), Duration.ofMillis(20));
            RetryStrategy compressed = defaults.toBuilder().backoffStrategy(quick).throttlingBackoffStrategy(quick).build();
            o = ((Consumer<ClientOverrideConfiguration.Builder>) c -> c.retryStrategy(compressed)).andThen(overrides);
        }
        return builder.get().endpointOverride(URI.create(stack.endpoint(endpoint))).region(Region.US_EAST_1).credentialsProvider(creds())
                .httpClient(UrlConnectionHttpClient.create()).overrideConfiguration(o).build();
    }

    /**
     * Hands every chunk on the worker queue to the worker handler as Lambda's SQS event source
     * would (one message a batch, a reported failure made visible again at once, counted as a
     * retried invocation), until the queue is empty.
     *
     * @return the notifications the workers published
     */
    private int drainWorkerQueue(SqsClient sqs, LocalConfig config, ChunkWorkerHandler worker, EngineMetrics metrics) {
        if (config.workerQueueUrl().isEmpty()) {
            return 0;
        }
        long before = metrics.total(org.margincall.engine.service.port.Metrics.NOTIFICATIONS_PUBLISHED);
        String url = config.workerQueueUrl().get();
        Map<String, Integer> receives = new HashMap<>();
        for (int empty = 0; empty < 2; ) {
            List<software.amazon.awssdk.services.sqs.model.Message> got = sqs.receiveMessage(b -> b.queueUrl(url)
                    .maxNumberOfMessages(1).waitTimeSeconds(0).visibilityTimeout(30)).messages();
            if (got.isEmpty()) {
                empty++;
                continue;
            }
            empty = 0;
            for (software.amazon.awssdk.services.sqs.model.Message m : got) {
                com.amazonaws.services.lambda.runtime.events.SQSEvent.SQSMessage record =
                        new com.amazonaws.services.lambda.runtime.events.SQSEvent.SQSMessage();
                record.setMessageId(m.messageId());
                record.setBody(m.body());
                record.setReceiptHandle(m.receiptHandle());
                com.amazonaws.services.lambda.runtime.events.SQSEvent event = new com.amazonaws.services.lambda.runtime.events.SQSEvent();
                event.setRecords(List.of(record));
                if (worker.handleRequest(event, null).getBatchItemFailures().isEmpty()) {
                    chunks++;
                    sqs.deleteMessage(b -> b.queueUrl(url).receiptHandle(m.receiptHandle()));
                } else if (receives.merge(m.messageId(), 1, Integer::sum) >= MAX_CHUNK_RECEIVES) {
                    throw new IllegalStateException("chunk " + m.messageId() + " failed " + MAX_CHUNK_RECEIVES
                            + " times: SQS would move it to the dead-letter queue");
                } else {
                    retried.incrementAndGet();
                    sqs.changeMessageVisibility(b -> b.queueUrl(url).receiptHandle(m.receiptHandle()).visibilityTimeout(0));
                }
            }
        }
        return (int) (metrics.total(org.margincall.engine.service.port.Metrics.NOTIFICATIONS_PUBLISHED) - before);
    }

    /** Writes the scenario's venue, instruments, collateral assets and accounts (not its events) into the table. */
    static void loadVenue(Scenario scenario, VenueStore venues, MarginService service) {
        ObjectNode venue = JSON.createObjectNode();
        var v = scenario.catalog().venue();
        venue.put("id", v.id());
        ObjectNode t = venue.putObject("thresholds");
        t.put("warning", v.thresholds().warning().toPlainString()).put("marginCall", v.thresholds().marginCall().toPlainString())
                .put("critical", v.thresholds().critical().toPlainString())
                .put("liquidation", v.thresholds().liquidation().toPlainString());
        venue.put("hysteresis", v.hysteresis().toPlainString());
        venue.put("gracePeriodSeconds", v.gracePeriodSeconds()).put("finalNoticeSeconds", v.finalNoticeSeconds())
                .put("reminderSeconds", v.reminderSeconds()).put("stalePriceSeconds", v.stalePriceSeconds())
                .put("maxPendingCreditSeconds", v.maxPendingCreditSeconds())
                .put("volatilityHalfLifeSeconds", v.volatilityHalfLifeSeconds());
        if (v.handoffsHeld()) {
            venue.put("handoffsHeld", true);
        }
        if (v.wickGuard() != null) {
            venue.putObject("wickGuard").put("maxTickMove", v.wickGuard().maxTickMove().toPlainString())
                    .put("maxMarkIndexDeviation", v.wickGuard().maxMarkIndexDeviation().toPlainString())
                    .put("windowSeconds", v.wickGuard().windowSeconds()).put("holdSeconds", v.wickGuard().holdSeconds());
        }
        ArrayNode instruments = JSON.createArrayNode();
        for (var i : scenario.catalog().instruments()) {
            ObjectNode n = instruments.addObject().put("symbol", i.symbol());
            ArrayNode tiers = n.putArray("tiers");
            for (int k = 0; k < i.tiers().size(); k++) {
                ObjectNode tier = tiers.addObject().put("floor", i.tiers().floor(k).toPlainString());
                if (i.tiers().cap(k) == null) {
                    tier.putNull("cap");
                } else {
                    tier.put("cap", i.tiers().cap(k).toPlainString());
                }
                tier.put("mmr", i.tiers().rate(k).toPlainString());
            }
        }
        ArrayNode assets = JSON.createArrayNode();
        for (var a : scenario.catalog().collateralAssets()) {
            ObjectNode n = assets.addObject().put("asset", a.asset()).put("haircut", a.haircut().toPlainString());
            if (a.priceInstrument() != null) {
                n.put("priceInstrument", a.priceInstrument());
            }
        }
        venues.putConfiguration(v.id(), venue, instruments, assets);
        for (Account a : scenario.accounts()) {
            service.createAccount(v.id(), a);
        }
    }

    /**
     * The event as EventBridge would deliver it: a "Price Update", or the account event a venue
     * would send (its new absolute state, read from the table as the venue's ledger would know it).
     * Built once per scenario event, so a redelivery is the same event.
     */
    private static EventBridgeEvent envelope(ScenarioEvent e, DynamoDbAccountItems accounts, VenueStore venues, String venueId,
                                             Map<String, Long> seqs) throws IOException {
        ObjectNode env = JSON.createObjectNode();
        env.put("version", "0").put("id", "scenario-event-" + e.index()).put("time", Timestamps.format(e.at()))
                .put("account", "000000000000").put("region", "us-east-1");
        ObjectNode d = env.putObject("detail");
        if (e instanceof ScenarioEvent.Price p) {
            env.put("detail-type", "Price Update").put("source", "price.oracle");
            d.put("instrument", p.instrument()).put("markPrice", p.markPrice().toPlainString())
                    .put("timestamp", Timestamps.format(p.at())).put("sequence", p.sequence()).put("source", "scenario");
            if (p.indexPrice() != null) {
                d.put("indexPrice", p.indexPrice().toPlainString());
            }
            return JSON.readValue(JSON.writeValueAsBytes(env), EventBridgeEvent.class);
        }
        // The venue reports the account's new absolute state, as its own ledger would.
        String accountId = e instanceof ScenarioEvent.Deposit dep ? dep.accountId()
                : e instanceof ScenarioEvent.PendingDeposit pd ? pd.accountId() : ((ScenarioEvent.Reduce) e).accountId();
        Account current = accounts.get(venueId, accountId).orElseThrow().account();
        long seq = seqs.merge(accountId, 1L, Long::sum);
        env.put("source", "venue.accounts");
        d.put("accountId", accountId).put("sequence", seq).put("timestamp", Timestamps.format(e.at()));
        if (e instanceof ScenarioEvent.PendingDeposit pd) {
            env.put("detail-type", "Deposit Pending");
            d.put("asset", pd.asset()).put("amount", pd.amount().toPlainString()).put("reference", pd.reference())
                    .put("expectedBy", Timestamps.format(pd.expectedBy()));
        } else if (e instanceof ScenarioEvent.Deposit dep) {
            env.put("detail-type", "Collateral Changed");
            Account next = current.deposit(dep.asset(), dep.amount());
            d.putObject("collateral").put(dep.asset(), next.collateral().get(dep.asset()).toPlainString());
            if (dep.settles() != null) {
                d.putArray("settles").add(dep.settles());
            }
        } else {
            ScenarioEvent.Reduce red = (ScenarioEvent.Reduce) e;
            BigDecimal mark = venues.load(venueId).marks().exact(red.instrument());
            Account next = current.reduce(red.instrument(), red.size(), mark);
            env.put("detail-type", "Position Changed");
            Position p = next.position(red.instrument());
            d.put("instrument", red.instrument()).put("size", p == null ? "0" : p.size().toPlainString());
            Position before = current.position(red.instrument());
            d.put("entryPrice", before.entryPrice().toPlainString());
            if (p != null && p.isolatedMargin() != null) {
                d.put("isolatedMargin", p.isolatedMargin().toPlainString());
            }
            ObjectNode coll = d.putObject("collateral");
            next.collateral().forEach((asset, amount) -> {
                if (!amount.equals(current.collateral().get(asset))) {
                    coll.put(asset, amount.toPlainString());
                }
            });
        }
        return JSON.readValue(JSON.writeValueAsBytes(env), EventBridgeEvent.class);
    }

    private void pace(Instant previous, Instant next) throws InterruptedException {
        if (previous == null || !Double.isFinite(speed)) {
            return;
        }
        long ms = (long) (Duration.between(previous, next).toMillis() / speed);
        if (ms > 0) {
            Thread.sleep(Math.min(ms, 10_000));
        }
    }

    /** Runs every escalation step due by {@code to} (the facade settles after each release). */
    private void advance(Instant to) {
        JsonNode now = admin("/clock", null);
        if (Instant.parse(now.get("now").asText()).isBefore(to)) {
            admin("/clock/advance", "{\"to\":\"" + to + "\"}");
        }
        admin("/idle?timeoutMs=60000", "{}");
    }

    private static String subscribe(SnsClient sns, SqsClient sqs, String topic) {
        String url = sqs.createQueue(b -> b.queueName("replay-" + System.nanoTime())).queueUrl();
        String arn = sqs.getQueueAttributes(b -> b.queueUrl(url).attributeNames(QueueAttributeName.QUEUE_ARN))
                .attributes().get(QueueAttributeName.QUEUE_ARN);
        sns.subscribe(b -> b.topicArn(topic).protocol("sqs").endpoint(arn).attributes(Map.of("RawMessageDelivery", "true")));
        return url;
    }

    /**
     * Receives until the queue is empty (the SNS stand-in enqueues before Publish answers) and at
     * least {@code expected} bodies have arrived in all; fails loudly if some never do.
     */
    private static void drain(SqsClient sqs, String url, List<Received> into, Set<String> ids, int expected, int afterEvent,
                              Instant at, boolean bySweep) throws IOException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            List<Message> ms = sqs.receiveMessage(b -> b.queueUrl(url).maxNumberOfMessages(10)
                    .waitTimeSeconds(into.size() < expected ? 1 : 0)).messages();
            for (Message m : ms) {
                Received r = new Received(JSON.readTree(m.body()), afterEvent, at, bySweep);
                into.add(r);
                ids.add(r.notificationId());
                sqs.deleteMessage(b -> b.queueUrl(url).receiptHandle(m.receiptHandle()));
            }
            if (ms.isEmpty() && into.size() >= expected) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("only " + into.size() + " of " + expected + " notifications arrived");
            }
        }
    }

    private JsonNode admin(String path, String body) {
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(stack.endpoint("SFN_ADMIN_ENDPOINT") + path))
                    .timeout(Duration.ofSeconds(90)).header("content-type", "application/json");
            HttpRequest req = body == null ? b.GET().build() : b.POST(HttpRequest.BodyPublishers.ofString(body)).build();
            HttpResponse<String> r = sendWithRetry(http, req);
            if (r.statusCode() >= 300) {
                throw new IllegalStateException("Step Functions facade " + path + " answered " + r.statusCode() + ": " + r.body());
            }
            return r.body().isBlank() ? JSON.nullNode() : JSON.readTree(r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static StaticCredentialsProvider creds() {
        return StaticCredentialsProvider.create(AwsBasicCredentials.create("local", "local"));
    }

    /**
     * Adds interceptors (fault injection, call counting: {@code local.sdk}) to the engine's DynamoDB,
     * SNS, SQS, Step Functions and EventBridge clients, after the replay's own {@link #counter()};
     * the harness's and the subscriber's clients are left alone.
     */
    public StackReplay withClientInterceptors(List<ExecutionInterceptor> interceptors) {
        return withClientOverrides(c -> interceptors.forEach(c::addExecutionInterceptor));
    }

    /** Applies {@code overrides} to the engine's DynamoDB, SNS, SQS, Step Functions and EventBridge clients. */
    public StackReplay withClientOverrides(Consumer<ClientOverrideConfiguration.Builder> overrides) {
        this.clientOverrides = this.clientOverrides.andThen(overrides);
        return this;
    }

    /** The handlers' clock during a replay: scenario time, set before each event. */
    static final class ScenarioClock extends Clock {
        private volatile Instant now = Instant.EPOCH;

        void set(Instant t) {
            now = t;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    /**
     * Every admin call is idempotent (advancing to the same instant twice is a no-op), so a call
     * that lost a race with the server closing an idle keep-alive connection is simply repeated.
     */
    static HttpResponse<String> sendWithRetry(HttpClient http, HttpRequest req) throws IOException, InterruptedException {
        IOException last = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            try {
                return http.send(req, HttpResponse.BodyHandlers.ofString());
            } catch (IOException e) {
                last = e;
            }
        }
        throw last;
    }
}
