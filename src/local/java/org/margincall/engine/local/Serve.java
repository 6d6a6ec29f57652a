package org.margincall.engine.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.margincall.engine.domain.InvalidInputException;
import org.margincall.engine.handler.AccountEventHandler;
import org.margincall.engine.handler.ChunkWorkerHandler;
import org.margincall.engine.handler.EventBridgeEvent;
import org.margincall.engine.handler.PriceEventHandler;
import org.margincall.engine.handler.RecheckHandler;
import org.margincall.engine.handler.SweepHandler;
import org.margincall.engine.scenario.Scenario;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sns.SnsClient;

/**
 * The engine on the local stand-ins, wired as template.yaml wires it in AWS, until Ctrl-C
 * ({@code infra/local/serve.sh}). The template's functions are served through the Lambda Invoke
 * API ({@link LambdaInvokeServer}), each by the {@code @Named} handler its
 * {@code QUARKUS_LAMBDA_HANDLER} names: the EventBridge facade invokes the price and account
 * handlers for events matching the template's rules, the escalation state machine (on the
 * facade's real-time clock) invokes the re-check handler, and the sweep schedule runs here on the
 * wall clock, invoking the sweep function as EventBridge Scheduler would. The handlers' clock is
 * the wall clock. The scenario's venue, instruments, collateral assets and accounts are loaded;
 * its events are not (put your own).
 *
 * <pre>
 * Serve [SCENARIO.json] [--sweep-every SECONDS] [--state-dir DIR]
 * </pre>
 * Prints {@code ready <state dir>/endpoints.env} on stdout once everything is up (everything else
 * goes to stderr); the file holds the stack's endpoints plus the topic ARNs, the venue and the
 * Lambda endpoint. On SIGINT/SIGTERM it stops the stand-ins and removes its state directory
 * (default {@code target/serve-<pid>}). A bad scenario file exits with status 2.
 */
public final class Serve implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern RATE = Pattern.compile("rate\\((\\d+) (minute|minutes|hour|hours|day|days)\\)");
    private static final String SCHEDULED_TIME = "<aws.scheduler.scheduled-time>";

    private final Path root;
    private final Path stateDir;
    private final Path stackDir;
    private final Scenario scenario;
    private final Duration sweepEvery;
    private final PrintStream log;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final List<SdkClient> clients = new ArrayList<>();
    private final HttpClient http = HttpClient.newHttpClient();
    private volatile LambdaInvokeServer lambda;
    private volatile ScheduledExecutorService scheduler;
    /** Drains the worker queue as Lambda's SQS event source would. */
    private final ScheduledExecutorService workerPoller = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "serve-worker-queue");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean createdStateDir;

    Serve(Path root, Path stateDir, Scenario scenario, Duration sweepEvery, PrintStream log) {
        this.root = root;
        this.stateDir = stateDir.toAbsolutePath();
        this.stackDir = this.stateDir.resolve("stack");
        this.scenario = scenario;
        this.sweepEvery = sweepEvery;
        this.log = log;
    }

    public static void main(String[] args) throws Exception {
        // stdout carries only the `ready` line; whatever else writes to it (metrics lines) goes to stderr.
        PrintStream out = System.out;
        System.setOut(System.err);
        Path root = LocalStackProcess.projectRoot();
        String scenarioArg = null;
        Duration sweepEvery = null;
        Path stateDir = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--sweep-every" -> {
                    String v = i + 1 < args.length ? args[++i] : "";
                    if (!v.matches("[1-9]\\d{0,5}")) {
                        usage("--sweep-every takes a whole number of seconds, got '" + v + "'");
                    }
                    sweepEvery = Duration.ofSeconds(Long.parseLong(v));
                }
                case "--state-dir" -> {
                    if (i + 1 >= args.length) {
                        usage("--state-dir takes a directory");
                    }
                    stateDir = Path.of(args[++i]);
                }
                default -> {
                    if (args[i].startsWith("--") || scenarioArg != null) {
                        usage("unexpected argument " + args[i]);
                    }
                    scenarioArg = args[i];
                }
            }
        }
        Path scenarioFile = scenarioArg == null ? root.resolve("scenarios/sample-crash.json") : Path.of(scenarioArg);
        Scenario scenario;
        try {
            scenario = Scenario.read(scenarioFile);
        } catch (InvalidInputException e) {
            System.err.println("bad scenario " + scenarioFile + ": " + e.getMessage());
            System.exit(2);
            return;
        }
        Serve serve = new Serve(root, stateDir == null ? root.resolve("target/serve-" + ProcessHandle.current().pid()) : stateDir,
                scenario, sweepEvery, System.err);
        Runtime.getRuntime().addShutdownHook(new Thread(serve::close, "serve-stop"));
        Path env;
        try {
            env = serve.start();
        } catch (Exception e) {
            System.err.println("serve: cannot start: " + e.getMessage());
            System.exit(1);
            return;
        }
        out.println("ready " + env);
        out.flush();
        new CountDownLatch(1).await(); // until Ctrl-C: the shutdown hook stops everything
    }

    private static void usage(String problem) {
        System.err.println("serve: " + problem);
        System.err.println("usage: Serve [SCENARIO.json] [--sweep-every SECONDS] [--state-dir DIR]");
        System.exit(2);
    }

    /** Starts everything; returns the endpoints file. */
    Path start() throws IOException {
        if (stack("status") == 0) {
            closed.set(true); // not ours to stop
            throw new IllegalStateException("a stack is already running from " + stackDir + " (another serve?)");
        }
        createdStateDir = !Files.exists(stateDir);
        Files.createDirectories(stateDir);
        LocalStackProcess stack = LocalStackProcess.start(root, stackDir);
        JsonNode resources = JSON.readTree(stackDir.resolve("resources.json").toFile()).get("resources");

        String venueId = scenario.catalog().venue().id();
        LocalConfig config = LocalConfig.of(stack, venueId);
        DynamoDbClient ddb = client(DynamoDbClient.builder().endpointOverride(URI.create(stack.endpoint("DYNAMODB_ENDPOINT")))
                .region(Region.US_EAST_1).credentialsProvider(creds()).httpClient(UrlConnectionHttpClient.create()).build());
        SnsClient sns = client(SnsClient.builder().endpointOverride(URI.create(stack.endpoint("SNS_ENDPOINT")))
                .region(Region.US_EAST_1).credentialsProvider(creds()).httpClient(UrlConnectionHttpClient.create()).build());
        SfnClient sfn = client(SfnClient.builder().endpointOverride(URI.create(stack.endpoint("SFN_ENDPOINT")))
                .region(Region.US_EAST_1).credentialsProvider(creds()).httpClient(UrlConnectionHttpClient.create()).build());
        EventBridgeClient events = client(EventBridgeClient.builder().endpointOverride(URI.create(stack.endpoint("EVENTS_ENDPOINT")))
                .region(Region.US_EAST_1).credentialsProvider(creds()).httpClient(UrlConnectionHttpClient.create()).build());
        software.amazon.awssdk.services.sqs.SqsClient sqs = client(software.amazon.awssdk.services.sqs.SqsClient.builder()
                .endpointOverride(URI.create(stack.endpoint("SQS_ENDPOINT"))).region(Region.US_EAST_1).credentialsProvider(creds())
                .httpClient(UrlConnectionHttpClient.create()).build());

        // The objects Quarkus wires in Lambda, wired by hand on the wall clock.
        Clock clock = Clock.systemUTC();
        LocalEngine engine = LocalEngine.wire(ddb, sns, sfn, events, sqs, config, clock);
        PriceEventHandler prices = new PriceEventHandler(engine.service(), engine.metrics(), config);
        AccountEventHandler accounts = new AccountEventHandler(engine.service(), engine.metrics(), config);
        RecheckHandler recheck = new RecheckHandler(engine.service(), engine.metrics());
        SweepHandler sweep = new SweepHandler(engine.service(), engine.metrics(), config, clock);
        ChunkWorkerHandler worker = new ChunkWorkerHandler(engine.service(), engine.metrics());
        Map<String, LambdaInvokeServer.Function> handlers = Map.of(
                "chunk-worker", p -> JSON.writeValueAsBytes(worker.handleRequest(
                        JSON.readValue(p, com.amazonaws.services.lambda.runtime.events.SQSEvent.class), null)),
                "price-event", p -> JSON.writeValueAsBytes(prices.handleRequest(JSON.readValue(p, EventBridgeEvent.class), null)),
                "account-event", p -> JSON.writeValueAsBytes(accounts.handleRequest(JSON.readValue(p, EventBridgeEvent.class), null)),
                "escalation-recheck", p -> JSON.writeValueAsBytes(recheck.handleRequest(JSON.readValue(p, RecheckHandler.Request.class), null)),
                "sweep", p -> JSON.writeValueAsBytes(sweep.handleRequest(JSON.readValue(p, SweepHandler.Request.class), null)));

        lambda = new LambdaInvokeServer();
        Map<String, String> handlerOf = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = resources.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode r = e.getValue();
            if (!"AWS::Serverless::Function".equals(r.path("type").asText())) {
                continue;
            }
            String name = r.get("name").asText();
            String handler = r.path("handler").asText(null);
            LambdaInvokeServer.Function fn = handlers.get(handler);
            if (fn == null) {
                throw new IllegalStateException("function " + e.getKey() + " names handler " + handler + ", which serve does not know");
            }
            lambda.register(name, logged(name, handler, fn));
            handlerOf.put(e.getKey(), handler);
        }

        // Lambda's SQS event source for the chunk worker: the worker queue drained every 200 ms.
        config.workerQueueUrl().ifPresent(url -> workerPoller.scheduleWithFixedDelay(() -> {
            try {
                WorkerQueueDrain.drain(sqs, url, worker);
            } catch (RuntimeException e) {
                System.err.println("serve: worker queue: " + e.getMessage());
            }
        }, 200, 200, java.util.concurrent.TimeUnit.MILLISECONDS));
        StackReplay.loadVenue(scenario, engine.venues(), engine.service());
        // The state machine waits in real time (LocalStackProcess starts it on a controlled clock).
        admin(stack.endpoint("SFN_ADMIN_ENDPOINT") + "/config", "{\"lambdaEndpoint\":\"" + lambda.url() + "\",\"clock\":\"real\"}");
        admin(stack.endpoint("EVENTS_ADMIN_ENDPOINT") + "/config", "{\"lambdaEndpoint\":\"" + lambda.url() + "\"}");

        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "schedules");
            t.setDaemon(true);
            return t;
        });
        Map<String, String> sources = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = resources.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode r = e.getValue();
            if ("AWS::Events::Rule".equals(r.path("type").asText())) {
                String fn = r.path("function").asText();
                log.printf("serve: rule %s %s -> %s (%s)%n", r.get("name").asText(), r.get("eventPattern"), fn, handlerOf.get(fn));
                sources.putIfAbsent(handlerOf.get(fn), r.path("eventPattern").path("source").path(0).asText());
            } else if ("AWS::Serverless::StateMachine".equals(r.path("type").asText())) {
                log.printf("serve: state machine %s -> Lambda tasks at %s (real-time clock)%n", r.get("name").asText(), lambda.url());
            }
            for (JsonNode s : r.path("schedules")) {
                schedule(r.get("name").asText(), handlerOf.get(e.getKey()), s);
            }
        }

        Path env = stateDir.resolve("endpoints.env");
        StringBuilder sb = new StringBuilder(Files.readString(stackDir.resolve("endpoints.env")));
        sb.append("NOTIFICATIONS_TOPIC_ARN=").append(config.notificationsTopicArn()).append('\n')
                .append("OPERATIONS_TOPIC_ARN=").append(config.operationsTopicArn()).append('\n')
                .append("EVENT_BUS_NAME=").append(config.eventBusName()).append('\n')
                .append("PRICE_EVENT_SOURCE=").append(sources.getOrDefault("price-event", "")).append('\n')
                .append("ACCOUNT_EVENT_SOURCE=").append(sources.getOrDefault("account-event", "")).append('\n')
                .append("VENUE_ID=").append(venueId).append('\n')
                .append("LAMBDA_ENDPOINT=").append(lambda.url()).append('\n')
                .append("AWS_ENDPOINT_URL_LAMBDA=").append(lambda.url()).append('\n');
        Files.writeString(env, sb.toString());
        log.printf("serve: venue %s with %d accounts loaded; handlers on the wall clock; Ctrl-C stops everything%n",
                venueId, scenario.accounts().size());
        return env;
    }

    /** One function at a time, like a Lambda function with one instance; each invocation logged on one line. */
    private LambdaInvokeServer.Function logged(String name, String handler, LambdaInvokeServer.Function fn) {
        ReentrantLock lock = new ReentrantLock();
        return payload -> {
            lock.lock();
            try {
                byte[] out = fn.invoke(payload);
                log.printf("serve: %s (%s) -> %s%n", name, handler, new String(out, StandardCharsets.UTF_8));
                return out;
            } catch (Exception e) {
                log.printf("serve: %s (%s) failed: %s%n", name, handler, e);
                throw e;
            } finally {
                lock.unlock();
            }
        };
    }

    /** A ScheduleV2 event of the template: its rate on the wall clock (or --sweep-every), its input with the scheduled time. */
    private void schedule(String function, String handler, JsonNode s) {
        String expression = s.path("expression").asText();
        Duration period = sweepEvery;
        if (period == null) {
            Matcher m = RATE.matcher(expression);
            if (!m.matches()) {
                throw new IllegalStateException("schedule " + expression + " of " + function + ": only rate(N minutes|hours|days) is run locally");
            }
            ChronoUnit unit = switch (m.group(2)) {
                case "minute", "minutes" -> ChronoUnit.MINUTES;
                case "hour", "hours" -> ChronoUnit.HOURS;
                default -> ChronoUnit.DAYS;
            };
            period = Duration.of(Long.parseLong(m.group(1)), unit);
        }
        String input = s.path("input").asText("{}");
        Instant first = Instant.now().plus(period);
        long periodMs = period.toMillis();
        long[] n = {0};
        log.printf("serve: schedule %s %s -> %s (%s), every %s s%n", s.path("event").asText(), expression, function, handler,
                period.toSeconds());
        scheduler.scheduleAtFixedRate(() -> {
            Instant due = first.plusMillis(periodMs * n[0]++).truncatedTo(ChronoUnit.SECONDS);
            String body = input.replace(SCHEDULED_TIME, DateTimeFormatter.ISO_INSTANT.format(due));
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(lambda.url() + "/2015-03-31/functions/" + function
                                + "/invocations")).timeout(Duration.ofMinutes(2)).header("content-type", "application/json")
                        .header("x-amz-invocation-type", "Event").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() >= 300 || r.headers().firstValue("x-amz-function-error").isPresent()) {
                    log.printf("serve: scheduled %s at %s failed (no retry, as the template's RetryPolicy says): %s%n", function, due, r.body());
                }
            } catch (IOException e) {
                log.printf("serve: scheduled %s at %s not delivered: %s%n", function, due, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, periodMs, periodMs, TimeUnit.MILLISECONDS);
    }

    /** Stops the schedule, the Lambda endpoint and the stand-ins (every process tagged with our stack dir), and removes the state dir. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        log.println("serve: stopping");
        workerPoller.shutdownNow();
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
        if (lambda != null) {
            lambda.close();
        }
        for (SdkClient c : clients) {
            c.close();
        }
        List<ProcessHandle> ours = stackProcesses();
        if (stack("down") != 0) {
            log.println("serve: stack down failed");
        }
        for (ProcessHandle p : ours) {
            if (running(p)) {
                log.println("serve: killing left-over process " + p.pid());
                p.destroyForcibly();
            }
        }
        // Only what serve created: a --state-dir that existed keeps whatever else it holds.
        if (createdStateDir) {
            deleteTree(stateDir);
        } else {
            deleteTree(stackDir);
            stateDir.resolve("endpoints.env").toFile().delete();
        }
        log.println("serve: stopped");
    }

    /** Runs {@code infra/local/stack CMD} on our stack dir; its exit status (-1 if it could not run). */
    private int stack(String cmd) {
        try {
            ProcessBuilder pb = new ProcessBuilder(root.resolve("infra/local/stack").toString(), cmd).directory(root.toFile())
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
            pb.environment().put("STACK_DIR", stackDir.toString());
            Process p = pb.start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return -1;
            }
            return p.exitValue();
        } catch (IOException e) {
            log.println("serve: stack " + cmd + " failed: " + e.getMessage());
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** The stand-ins started for our stack dir (their command lines carry its tag) and their descendants. */
    private List<ProcessHandle> stackProcesses() {
        String tag = "--stack-dir=" + stackDir;
        List<ProcessHandle> out = new ArrayList<>();
        ProcessHandle.allProcesses()
                .filter(p -> p.info().arguments().map(a -> List.of(a).contains(tag)).orElse(false))
                .forEach(p -> {
                    out.add(p);
                    p.descendants().forEach(out::add);
                });
        return out;
    }

    /** Alive and not a zombie (an orphaned stand-in that exited may wait for PID 1 to reap it). */
    private static boolean running(ProcessHandle p) {
        if (!p.isAlive()) {
            return false;
        }
        try {
            String stat = Files.readString(Path.of("/proc/" + p.pid() + "/stat"));
            return stat.charAt(stat.lastIndexOf(')') + 2) != 'Z';
        } catch (IOException | RuntimeException e) {
            return p.isAlive();
        }
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void admin(String url, String body) {
        try {
            HttpResponse<String> r = StackReplay.sendWithRetry(http, HttpRequest.newBuilder(URI.create(url))
                    .timeout(Duration.ofSeconds(30)).header("content-type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build());
            if (r.statusCode() >= 300) {
                throw new IllegalStateException(url + " answered " + r.statusCode() + ": " + r.body());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private <T extends SdkClient> T client(T c) {
        clients.add(c);
        return c;
    }

    private static StaticCredentialsProvider creds() {
        return StaticCredentialsProvider.create(AwsBasicCredentials.create("local", "local"));
    }
}
