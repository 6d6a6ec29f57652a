package org.margincall.engine.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.margincall.engine.domain.Timestamps;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.eventbridge.model.PutEventsRequestEntry;
import software.amazon.awssdk.services.eventbridge.model.PutEventsResponse;
import software.amazon.awssdk.services.sns.SnsClient;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * {@code infra/local/serve.sh}'s Java side as a venue meets it: started as its own process on a
 * two-trader scenario, driven only through the AWS SDK with the requests the README's "Poke the
 * engine locally" makes with the AWS CLI (a queue with its policy, an SNS subscription with a
 * filter policy, {@code PutEvents} on the default bus), then stopped by a signal as Ctrl-C
 * would, leaving no process, port or state directory behind.
 *
 * <p>The scenario ({@code serve/two-traders.json}): BTC-USD with one tier, mmr 0.01; USDT
 * collateral without haircut; thresholds 1.5 / 1.2 / 1.05 / 1.0, band 0.02; grace 2 s so the
 * state machine's first step comes during the test. carol: 550 USDT, long 1 BTC at 50000; dave:
 * 700 USDT, the same position. Its one event (a crash to 40000) must not be fed.
 */
class ServeTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String CALLS_ONLY = "{\"venueId\":[\"serve-test\"],"
            + "\"type\":[\"MARGIN_CALL\",\"FINAL_NOTICE\",\"LIQUIDATION_HANDOFF\",\"MARGIN_CALL_CURED\"]}";
    static Process serve;

    @AfterAll
    static void stopIfStillRunning() throws InterruptedException {
        if (serve != null && serve.isAlive()) {
            serve.destroy();
            serve.waitFor(60, TimeUnit.SECONDS);
        }
    }

    @Test
    void eventsPutOnTheBusReachTheHandlersAndTheirNoticesASubscribedQueue() throws Exception {
        Path root = LocalStackProcess.projectRoot();
        Path stateDir = root.resolve("target/serve-test-" + ProcessHandle.current().pid());
        Path log = root.resolve("target/serve-test-" + ProcessHandle.current().pid() + ".log");
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        serve = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"), "-cp", classpath,
                Serve.class.getName(), root.resolve("src/test/resources/serve/two-traders.json").toString(),
                "--sweep-every", "1", "--state-dir", stateDir.toString())
                .directory(root.toFile()).redirectError(log.toFile()).start();
        BlockingQueue<String> stdout = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(serve.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    stdout.add(line);
                }
            } catch (IOException ignored) {
                // the process ended
            }
        }, "serve-stdout");
        reader.setDaemon(true);
        reader.start();
        String ready = stdout.poll(180, TimeUnit.SECONDS);
        assertThat(ready).as("serve's first line (log: %s)", log).startsWith("ready ");
        Path envFile = Path.of(ready.substring("ready ".length()));
        assertThat(envFile).isEqualTo(stateDir.resolve("endpoints.env"));
        Map<String, String> env = readEnv(envFile);
        assertThat(env).containsEntry("VENUE_ID", "serve-test").containsEntry("PRICE_EVENT_SOURCE", "price.oracle")
                .containsEntry("ACCOUNT_EVENT_SOURCE", "venue.accounts").containsEntry("EVENT_BUS_NAME", "default");

        try (SqsClient sqs = SqsClient.builder().endpointOverride(URI.create(env.get("SQS_ENDPOINT"))).region(Region.US_EAST_1)
                .credentialsProvider(LocalStack.credentials()).httpClient(UrlConnectionHttpClient.create()).build();
             SnsClient sns = SnsClient.builder().endpointOverride(URI.create(env.get("SNS_ENDPOINT"))).region(Region.US_EAST_1)
                     .credentialsProvider(LocalStack.credentials()).httpClient(UrlConnectionHttpClient.create()).build();
             EventBridgeClient events = EventBridgeClient.builder().endpointOverride(URI.create(env.get("EVENTS_ENDPOINT")))
                     .region(Region.US_EAST_1).credentialsProvider(LocalStack.credentials())
                     .httpClient(UrlConnectionHttpClient.create()).build()) {
            String topic = env.get("NOTIFICATIONS_TOPIC_ARN");
            String calls = subscribedQueue(sqs, sns, "margin-calls", topic, CALLS_ONLY);
            String all = subscribedQueue(sqs, sns, "everything", topic, null);
            String operations = subscribedQueue(sqs, sns, "operations", env.get("OPERATIONS_TOPIC_ARN"), null);

            // The README's price: BTC-USD at 50000 now.
            String priceAt = Timestamps.format(Instant.now().truncatedTo(ChronoUnit.MILLIS));
            put(events, "price.oracle", "Price Update",
                    "{\"instrument\":\"BTC-USD\",\"markPrice\":\"50000\",\"timestamp\":\"" + priceAt + "\",\"sequence\":1}");

            // carol at 50000: MM = 50000 x 0.01 = 500.00, Q = 550 + 1 x (50000 - 50000) = 550.00,
            // R = 1.1: MARGIN_CALL (1.05 <= R < 1.2).
            JsonNode call = receive(sqs, calls, 1).get(0);
            assertThat(call.get("type").asText()).isEqualTo("MARGIN_CALL");
            assertThat(call.get("accountId").asText()).isEqualTo("carol");
            assertThat(call.get("reason").asText()).isEqualTo("RATIO");
            assertThat(call.get("previousLevel").asText()).isEqualTo("HEALTHY");
            assertThat(call.get("collateralRatio").decimalValue()).isEqualByComparingTo("1.1");
            assertThat(call.get("equity").asText()).isEqualTo("550.00");
            assertThat(call.get("maintenanceMargin").asText()).isEqualTo("500.00");
            // requiredDeposit: 1.5 x 1.02 x 500 - 550 = 765 - 550; minimumDeposit: 1.2 x 1.02 x 500 - 550 = 612 - 550.
            assertThat(call.get("requiredDeposit").asText()).isEqualTo("215.00");
            assertThat(call.get("minimumDeposit").asText()).isEqualTo("62.00");
            // reduceFraction: 550 / (500 (1 - f)) >= 1.53  <=>  f >= 1 - 550/765 = 0.281045..., up to 1e-4.
            assertThat(call.get("reduceFraction").decimalValue()).isEqualByComparingTo("0.2811");
            // Q(M) = M - 49450, MM(M) = 0.01 M: R = 1 at M = 49450 / 0.99 = 49949.494949...,
            // R = 1.5 at M = 49450 / 0.985 = 50203.0456852791...
            JsonNode position = call.get("positions").get(0);
            assertThat(position.get("liquidationPrice").asText()).isEqualTo("49949.49494949");
            assertThat(position.get("warningPrice").asText()).isEqualTo("50203.04568528");
            assertThat(call.get("trigger").get("kind").asText()).isEqualTo("PRICE");
            assertThat(call.get("trigger").get("timestamp").asText()).isEqualTo(priceAt);
            Instant opened = Instant.parse(call.get("evaluatedAt").asText());
            assertThat(Instant.parse(call.get("deadline").asText())).isEqualTo(opened.plusSeconds(2));

            // The state machine's grace step, through the Lambda Invoke API into the re-check
            // handler on the wall clock: FINAL_NOTICE at the deadline, the level unchanged.
            JsonNode finalNotice = receive(sqs, calls, 1).get(0);
            assertThat(finalNotice.get("type").asText()).isEqualTo("FINAL_NOTICE");
            assertThat(finalNotice.get("reason").asText()).isEqualTo("DEADLINE");
            assertThat(finalNotice.get("level").asText()).isEqualTo("MARGIN_CALL");
            assertThat(finalNotice.get("callId")).isEqualTo(call.get("callId"));
            assertThat(Instant.parse(finalNotice.get("evaluatedAt").asText())).isEqualTo(opened.plusSeconds(2));
            assertThat(Instant.parse(finalNotice.get("deadline").asText())).isEqualTo(opened.plusSeconds(2 + 3600));

            // carol deposits exactly the minimum: Q = 612, R = 612 / 500 = 1.224 = 1.2 x 1.02, the
            // hysteresis bound: MARGIN_CALL -> WARNING (level(1.224 / 1.02) = level(1.2) = WARNING).
            put(events, "venue.accounts", "Collateral Changed", "{\"accountId\":\"carol\",\"sequence\":1,\"timestamp\":\""
                    + Timestamps.format(Instant.now().truncatedTo(ChronoUnit.MILLIS)) + "\",\"collateral\":{\"USDT\":\"612\"}}");
            JsonNode cured = receive(sqs, calls, 1).get(0);
            assertThat(cured.get("type").asText()).isEqualTo("MARGIN_CALL_CURED");
            assertThat(cured.get("level").asText()).isEqualTo("WARNING");
            assertThat(cured.get("previousLevel").asText()).isEqualTo("MARGIN_CALL");
            assertThat(cured.get("collateralRatio").decimalValue()).isEqualByComparingTo("1.224");
            assertThat(cured.get("requiredDeposit").asText()).isEqualTo("153.00"); // 765 - 612
            assertThat(cured.get("minimumDeposit").asText()).isEqualTo("0.00");
            assertThat(cured.get("reduceFraction").decimalValue()).isEqualByComparingTo("0.2"); // 612 / (500 x 0.8) = 1.53
            // R = 1 at M - 49388 = 0.01 M: M = 49388 / 0.99 = 49886.868686...
            assertThat(cured.get("positions").get(0).get("liquidationPrice").asText()).isEqualTo("49886.86868687");
            assertThat(cured.get("deadline").isNull()).isTrue();

            // Without the filter: dave's warning as well (700 / 500 = 1.4: WARNING), nothing else.
            List<JsonNode> everything = receive(sqs, all, 4);
            assertThat(everything).extracting(n -> n.get("accountId").asText() + " " + n.get("type").asText())
                    .containsExactlyInAnyOrder("carol MARGIN_CALL", "dave MARGIN_WARNING", "carol FINAL_NOTICE",
                            "carol MARGIN_CALL_CURED");
            assertThat(everything.stream().filter(n -> n.get("accountId").asText().equals("dave")).findFirst().orElseThrow()
                    .get("collateralRatio").decimalValue()).isEqualByComparingTo("1.4");

            // The sweep, every second here (--sweep-every 1) on the wall clock: the price is older
            // than the venue's 3 s stalePriceSeconds, so one PRICE_FEED_STALE on the operations topic.
            JsonNode stale = receive(sqs, operations, 1).get(0);
            assertThat(stale.get("type").asText()).isEqualTo("PRICE_FEED_STALE");
            assertThat(stale.get("instrument").asText()).isEqualTo("BTC-USD");
            assertThat(stale.get("lastPriceAt").asText()).isEqualTo(priceAt);

            // No more notices: the sweeps re-evaluate both accounts every second and find nothing new.
            assertThat(sqs.receiveMessage(b -> b.queueUrl(all).waitTimeSeconds(2).maxNumberOfMessages(10)).messages()).isEmpty();

            // The two events went through the template's rules to their functions, once each.
            JsonNode listed = JSON.readTree(HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create(env.get("EVENTS_ADMIN_ENDPOINT") + "/events")).GET().build(), HttpResponse.BodyHandlers.ofString()).body());
            List<String> deliveries = new ArrayList<>();
            listed.get("events").forEach(e -> e.get("deliveries").forEach(d -> deliveries.add(e.get("detailType").asText() + " -> "
                    + d.get("rule").asText() + " " + d.get("status").asText() + " " + d.get("attempts").asInt())));
            assertThat(deliveries).containsExactly("Price Update -> PriceEventFunctionPriceUpdate delivered 1",
                    "Collateral Changed -> AccountEventFunctionAccountChanged delivered 1");
        }

        // Ctrl-C's path (SIGINT and SIGTERM both run the JVM's shutdown hooks).
        List<ProcessHandle> children = serve.descendants().toList();
        serve.destroy();
        assertThat(serve.waitFor(60, TimeUnit.SECONDS)).as("serve stops").isTrue();
        assertThat(serve.exitValue()).isEqualTo(143);
        assertThat(Files.readString(log)).contains("serve: stopped");
        assertThat(stateDir).doesNotExist();
        assertThat(children).noneMatch(ProcessHandle::isAlive);
        String tag = "--stack-dir=" + stateDir.resolve("stack");
        assertThat(ProcessHandle.allProcesses().filter(p -> p.info().arguments().map(a -> List.of(a).contains(tag)).orElse(false))
                .filter(ServeTest::notZombie).map(ProcessHandle::pid).toList()).as("stand-ins left running").isEmpty();
        for (String key : List.of("DYNAMODB_ENDPOINT", "SNS_ENDPOINT", "SFN_ENDPOINT", "EVENTS_ENDPOINT", "LAMBDA_ENDPOINT")) {
            URI u = URI.create(env.get(key));
            assertThat(u.getHost()).isEqualTo("127.0.0.1");
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(u.getHost(), u.getPort()), 1000);
                throw new AssertionError(key + " " + u + " still accepts connections");
            } catch (ConnectException expected) {
                // closed
            }
        }
    }

    /**
     * What the README does with the AWS CLI: a queue, a policy letting the topic send to it (what
     * AWS needs; the stand-in does not check it), a raw subscription with an optional filter policy.
     */
    static String subscribedQueue(SqsClient sqs, SnsClient sns, String name, String topic, String filterPolicy) {
        String url = sqs.createQueue(b -> b.queueName(name)).queueUrl();
        String arn = sqs.getQueueAttributes(b -> b.queueUrl(url).attributeNames(QueueAttributeName.QUEUE_ARN))
                .attributes().get(QueueAttributeName.QUEUE_ARN);
        String policy = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"sns.amazonaws.com\"},"
                + "\"Action\":\"sqs:SendMessage\",\"Resource\":\"" + arn + "\",\"Condition\":{\"ArnEquals\":{\"aws:SourceArn\":\"" + topic + "\"}}}]}";
        sqs.setQueueAttributes(b -> b.queueUrl(url).attributes(Map.of(QueueAttributeName.POLICY, policy)));
        Map<String, String> attributes = filterPolicy == null ? Map.of("RawMessageDelivery", "true")
                : Map.of("RawMessageDelivery", "true", "FilterPolicy", filterPolicy);
        sns.subscribe(b -> b.topicArn(topic).protocol("sqs").endpoint(arn).attributes(attributes));
        return url;
    }

    /** {@code aws events put-events --entries '[{"Source", "DetailType", "Detail", "EventBusName": "default"}]'}. */
    static void put(EventBridgeClient events, String source, String detailType, String detail) {
        PutEventsResponse r = events.putEvents(b -> b.entries(PutEventsRequestEntry.builder().source(source).detailType(detailType)
                .detail(detail).eventBusName("default").build()));
        assertThat(r.failedEntryCount()).isZero();
    }

    static List<JsonNode> receive(SqsClient sqs, String url, int n) throws IOException {
        List<JsonNode> got = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (got.size() < n && System.nanoTime() < deadline) {
            for (Message m : sqs.receiveMessage(b -> b.queueUrl(url).waitTimeSeconds(1).maxNumberOfMessages(n - got.size())
                    .messageAttributeNames("All")).messages()) {
                got.add(JSON.readTree(m.body()));
                sqs.deleteMessage(b -> b.queueUrl(url).receiptHandle(m.receiptHandle()));
            }
        }
        assertThat(got).as("messages on " + url).hasSize(n);
        return got;
    }

    static Map<String, String> readEnv(Path file) throws IOException {
        Map<String, String> env = new LinkedHashMap<>();
        for (String line : Files.readAllLines(file)) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                env.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        return env;
    }

    static boolean notZombie(ProcessHandle p) {
        try {
            String stat = Files.readString(Path.of("/proc/" + p.pid() + "/stat"));
            return stat.charAt(stat.lastIndexOf(')') + 2) != 'Z';
        } catch (IOException e) {
            return false;
        }
    }
}
