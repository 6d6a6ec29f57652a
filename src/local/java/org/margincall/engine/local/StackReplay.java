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
import java.util.concurrent.atomic.AtomicInteger;
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
 */
public final class StackReplay {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String RECHECK_FUNCTION = "EscalationRecheckFunction";

    /** Result of a replay: what a subscriber received, and counts for the summary. */
    public record Result(List<JsonNode> notifications, int events, long wallMillis, int accountsEvaluated) {
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
    private Consumer<ClientOverrideConfiguration.Builder> clientOverrides = c -> { };

    public StackReplay(LocalStackProcess stack, Scenario scenario, double speed, Consumer<String> progress) {
        this(stack, scenario, speed, (fed, total, received, at) -> progress.accept(
                String.format("events %d/%d, notifications %d, scenario time %s", fed, total, received, at)));
    }

    private int chunkSize = 500;
    private int chunks;

    /** Chunks the workers processed in the last run (SPEC §10 fan-out). */
    public int chunksProcessed() {
        return chunks;
    }

    public StackReplay(LocalStackProcess stack, Scenario scenario, double speed, Progress progress) {
        this.stack = stack;
        this.scenario = scenario;
        this.speed = speed;
        this.progress = progress;
    }

    /** Fans a price event out to the worker queue beyond this many crossed accounts (SPEC §10); default 500. */
    public StackReplay withChunkSize(int size) {
        this.chunkSize = size;
        return this;
    }

    public Result run() throws Exception {
        long wallStart = System.currentTimeMillis();
        String venueId = scenario.catalog().venue().id();
        LocalConfig config = LocalConfig.of(stack, venueId).withChunkSize(chunkSize);
        DynamoDbClient ddb = DynamoDbClient.builder().endpointOverride(URI.create(stack.endpoint("DYNAMODB_ENDPOINT")))
                .region(Region.US_EAST_1).credentialsProvider(creds()).httpClient(UrlConnectionHttpClient.create())
                .overrideConfiguration(clientOverrides).build();
        SnsClient sns = SnsClient.builder().endpointOverride(URI.create(stack.endpoint("SNS_ENDPOINT")))
                .region(Region.US_EAST_1).credentialsProvider(creds()).httpClient(UrlConnectionHttpClient.create())
                .overrideConfiguration(clientOverrides).build();
        SqsClient sqs = SqsClient.builder().endpointOverride(URI.create(stack.endpoint("SQS_ENDPOINT")))
                .region(Region.US_EAST_1).credentialsProvider(creds()).httpClient(UrlConnectionHttpClient.create()).build();
        SfnClient sfn = SfnClient.builder().endpointOverride(URI.create(stack.endpoint("SFN_ENDPOINT")))
                .region(Region.US_EAST_1).credentialsProvider(creds()).httpClient(UrlConnectionHttpClient.create())
                .overrideConfiguration(clientOverrides).build();
        EventBridgeClient events = EventBridgeClient.builder().endpointOverride(URI.create(stack.endpoint("EVENTS_ENDPOINT")))
                .region(Region.US_EAST_1).credentialsProvider(creds()).httpClient(UrlConnectionHttpClient.create())
                .overrideConfiguration(clientOverrides).build();

        // The same objects Quarkus wires in Lambda, wired by hand around the scenario clock.
        LocalEngine engine = LocalEngine.wire(ddb, sns, sfn, events, sqs, config, clock);
        VenueStore venues = engine.venues();
        DynamoDbAccountItems accounts = engine.accounts();
        EngineMetrics metrics = engine.metrics();
        MarginService service = engine.service();
        PriceEventHandler prices = new PriceEventHandler(service, metrics, config);
        AccountEventHandler accountEvents = new AccountEventHandler(service, metrics, config);
        RecheckHandler recheck = new RecheckHandler(service, metrics);
        ChunkWorkerHandler worker = new ChunkWorkerHandler(service, metrics);

        loadVenue(scenario, venues, service);
        String queue = subscribe(sns, sqs, config.notificationsTopicArn());
        AtomicInteger expected = new AtomicInteger();
        AtomicInteger evaluated = new AtomicInteger();
        List<JsonNode> received = new ArrayList<>();
        try (LambdaInvokeServer lambda = new LambdaInvokeServer()) {
            lambda.register(RECHECK_FUNCTION, payload -> {
                RecheckHandler.Response r = recheck.handleRequest(JSON.readValue(payload, RecheckHandler.Request.class), null);
                expected.addAndGet(r.notifications());
                return JSON.writeValueAsBytes(r);
            });
            admin("/config", "{\"lambdaEndpoint\":\"" + lambda.url() + "\"}");
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
                EventResult r = feed(e, prices, accountEvents, accounts, venues, venueId, accountSeq);
                expected.addAndGet(r.notifications());
                // the fan-out's chunks, as the SQS event source would hand them to the worker
                expected.addAndGet(drainWorkerQueue(sqs, config, worker, metrics));
                evaluated.addAndGet(r.accountsEvaluated());
                advance(e.at()); // steps due at the event's instant run after it
                drain(sqs, queue, received, expected.get());
                previous = e.at();
                fed++;
                progress.fed(fed, list.size(), received.size(), e.at());
            }
            drain(sqs, queue, received, expected.get());
        }
        return new Result(received, scenario.events().size(), System.currentTimeMillis() - wallStart, evaluated.get());
    }

    /** Drains the worker queue into the worker handler; returns the notifications the workers published. */
    private int drainWorkerQueue(SqsClient sqs, LocalConfig config, ChunkWorkerHandler worker, EngineMetrics metrics) {
        if (config.workerQueueUrl().isEmpty()) {
            return 0;
        }
        long before = metrics.total(org.margincall.engine.service.port.Metrics.NOTIFICATIONS_PUBLISHED);
        chunks += WorkerQueueDrain.drain(sqs, config.workerQueueUrl().get(), worker);
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

    private EventResult feed(ScenarioEvent e, PriceEventHandler prices, AccountEventHandler accountEvents,
                             DynamoDbAccountItems accounts, VenueStore venues, String venueId, Map<String, Long> seqs) throws IOException {
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
            return prices.handleRequest(JSON.readValue(JSON.writeValueAsBytes(env), EventBridgeEvent.class), null);
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
        return accountEvents.handleRequest(JSON.readValue(JSON.writeValueAsBytes(env), EventBridgeEvent.class), null);
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

    /** Receives until {@code expected} notifications have arrived in all; fails loudly if some never do. */
    private static void drain(SqsClient sqs, String url, List<JsonNode> into, int expected) throws IOException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (into.size() < expected) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("only " + into.size() + " of " + expected + " notifications arrived");
            }
            List<Message> ms = sqs.receiveMessage(b -> b.queueUrl(url).maxNumberOfMessages(10).waitTimeSeconds(1)).messages();
            for (Message m : ms) {
                into.add(JSON.readTree(m.body()));
                sqs.deleteMessage(b -> b.queueUrl(url).receiptHandle(m.receiptHandle()));
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
     * SNS, Step Functions and EventBridge clients; the subscriber's SQS client is left alone.
     */
    public StackReplay withClientInterceptors(List<ExecutionInterceptor> interceptors) {
        return withClientOverrides(c -> interceptors.forEach(c::addExecutionInterceptor));
    }

    /** Applies {@code overrides} to the engine's DynamoDB, SNS, Step Functions and EventBridge clients. */
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
