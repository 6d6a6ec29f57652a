package org.margincall.engine.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sns.SnsClient;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * The local AWS stand-ins (infra/local/stack), started once per test JVM and stopped by a
 * shutdown hook: dynalite, fauxqs and the Step Functions facade on loopback, with the
 * resources of template.yaml created in them. The facade's clock is controlled, so tests decide
 * when escalation waits release.
 */
public final class LocalStack {
    private static LocalStack shared;

    public final Path root;
    public final Path stackDir;
    public final Map<String, String> endpoints;
    public final LocalStackProcess process;
    private final HttpClient http = HttpClient.newHttpClient();
    private final ObjectMapper json = new ObjectMapper();

    private LocalStack(LocalStackProcess process) {
        this.process = process;
        this.root = process.root;
        this.stackDir = process.stackDir;
        this.endpoints = process.endpoints;
    }

    /** The stack of this test run, started on first use. */
    public static synchronized LocalStack shared() {
        if (shared == null) {
            Path root = LocalStackProcess.projectRoot();
            shared = new LocalStack(LocalStackProcess.start(root, root.resolve("target/local-stack-" + ProcessHandle.current().pid())));
            Runtime.getRuntime().addShutdownHook(new Thread(shared.process::stop, "local-stack-down"));
        }
        return shared;
    }

    public void stop() {
        process.stop();
    }

    public String endpoint(String key) {
        return process.endpoint(key);
    }

    /** A field of a template resource as created locally: name, arn or url. */
    public String resource(String logicalId, String field) {
        return process.resource(logicalId, field);
    }

    /**
     * A fresh SQS queue subscribed to a topic of the template with raw delivery and an optional
     * filter policy, as a venue would subscribe; returns the queue URL.
     */
    public String subscribedQueue(String topicLogicalId, String filterPolicy) {
        SqsClient sqs = sqs();
        String url = sqs.createQueue(b -> b.queueName("sub-" + java.util.UUID.randomUUID())).queueUrl();
        String arn = sqs.getQueueAttributes(b -> b.queueUrl(url)
                .attributeNames(software.amazon.awssdk.services.sqs.model.QueueAttributeName.QUEUE_ARN))
                .attributes().get(software.amazon.awssdk.services.sqs.model.QueueAttributeName.QUEUE_ARN);
        Map<String, String> attrs = filterPolicy == null ? Map.of("RawMessageDelivery", "true")
                : Map.of("RawMessageDelivery", "true", "FilterPolicy", filterPolicy);
        sns().subscribe(b -> b.topicArn(resource(topicLogicalId, "arn")).protocol("sqs").endpoint(arn).attributes(attrs));
        return url;
    }

    public DynamoDbClient dynamoDb() {
        return DynamoDbClient.builder().endpointOverride(URI.create(endpoint("DYNAMODB_ENDPOINT")))
                .region(Region.US_EAST_1).credentialsProvider(credentials()).httpClient(UrlConnectionHttpClient.create()).build();
    }

    public SnsClient sns() {
        return SnsClient.builder().endpointOverride(URI.create(endpoint("SNS_ENDPOINT")))
                .region(Region.US_EAST_1).credentialsProvider(credentials()).httpClient(UrlConnectionHttpClient.create()).build();
    }

    public SqsClient sqs() {
        return SqsClient.builder().endpointOverride(URI.create(endpoint("SQS_ENDPOINT")))
                .region(Region.US_EAST_1).credentialsProvider(credentials()).httpClient(UrlConnectionHttpClient.create()).build();
    }

    public SfnClient sfn() {
        return SfnClient.builder().endpointOverride(URI.create(endpoint("SFN_ENDPOINT")))
                .region(Region.US_EAST_1).credentialsProvider(credentials()).httpClient(UrlConnectionHttpClient.create()).build();
    }

    public static StaticCredentialsProvider credentials() {
        return StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test"));
    }

    /** Calls the facade's admin API ({@code /_admin/...}); returns the response body. */
    public JsonNode admin(String path, String body) {
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(endpoint("SFN_ADMIN_ENDPOINT") + path))
                    .timeout(Duration.ofSeconds(60)).header("content-type", "application/json");
            HttpRequest req = body == null ? b.GET().build() : b.POST(HttpRequest.BodyPublishers.ofString(body)).build();
            HttpResponse<String> r = StackReplay.sendWithRetry(http, req);
            if (r.statusCode() >= 300) {
                throw new IllegalStateException("admin " + path + " answered " + r.statusCode() + ": " + r.body());
            }
            return r.body().isBlank() ? json.nullNode() : json.readTree(r.body());
        } catch (IOException e) {
            throw new IllegalStateException("admin " + path + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    public void setClock(Instant now) {
        admin("/clock/set", "{\"now\":\"" + now + "\"}");
    }

    /** Advances the controlled clock to {@code to}, running every escalation step due by then. */
    public void advanceClock(Instant to) {
        admin("/clock/advance", "{\"to\":\"" + to + "\"}");
    }

    public void awaitIdle() {
        admin("/idle?timeoutMs=30000", "{}");
    }

    /** Events put on the local EventBridge, oldest first, optionally of one detail-type. */
    public List<JsonNode> events(String detailType) {
        try {
            String q = detailType == null ? "" : "?detailType=" + java.net.URLEncoder.encode(detailType, StandardCharsets.UTF_8);
            HttpResponse<String> r = StackReplay.sendWithRetry(http, HttpRequest.newBuilder(URI.create(endpoint("EVENTS_ADMIN_ENDPOINT")
                    + "/events" + q)).timeout(Duration.ofSeconds(30)).GET().build());
            List<JsonNode> out = new java.util.ArrayList<>();
            json.readTree(r.body()).get("events").forEach(out::add);
            return out;
        } catch (IOException e) {
            throw new IllegalStateException("events admin failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    public void lambdaEndpoint(String url) {
        admin("/config", "{\"lambdaEndpoint\":\"" + url + "\"}");
    }
}
