package org.margincall.engine.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
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
    private final JsonNode resources;
    private final HttpClient http = HttpClient.newHttpClient();
    private final ObjectMapper json = new ObjectMapper();

    private LocalStack(Path root, Path stackDir, Map<String, String> endpoints, JsonNode resources) {
        this.root = root;
        this.stackDir = stackDir;
        this.endpoints = endpoints;
        this.resources = resources;
    }

    /** The stack of this test run, started on first use. */
    public static synchronized LocalStack shared() {
        if (shared == null) {
            shared = start();
            Runtime.getRuntime().addShutdownHook(new Thread(shared::stop, "local-stack-down"));
        }
        return shared;
    }

    private static LocalStack start() {
        Path root = projectRoot();
        Path script = root.resolve("infra/local/stack");
        if (!Files.isDirectory(root.resolve("infra/local/node_modules"))) {
            throw new IllegalStateException("infra/local/node_modules is missing: run `npm ci` in infra/local "
                    + "(the Maven build does this in generate-test-resources unless tests are skipped)");
        }
        Path stackDir = root.resolve("target/local-stack-" + ProcessHandle.current().pid());
        Map<String, String> env = Map.of("STACK_DIR", stackDir.toString(), "SFN_CLOCK", "controlled");
        run(List.of(script.toString(), "down"), env, root, false);
        run(List.of(script.toString(), "up"), env, root, true);
        run(List.of(script.toString(), "resources", root.resolve("template.yaml").toString()), env, root, true);
        try {
            Map<String, String> endpoints = new LinkedHashMap<>();
            for (String line : Files.readAllLines(stackDir.resolve("endpoints.env"))) {
                int eq = line.indexOf('=');
                if (eq > 0) {
                    endpoints.put(line.substring(0, eq).trim(), line.substring(eq + 1).trim());
                }
            }
            JsonNode resources = new ObjectMapper().readTree(stackDir.resolve("resources.json").toFile()).get("resources");
            return new LocalStack(root, stackDir, endpoints, resources);
        } catch (IOException e) {
            throw new IllegalStateException("local stack started but its files are unreadable in " + stackDir, e);
        }
    }

    static Path projectRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.exists(p.resolve("template.yaml"))) {
            p = p.getParent();
        }
        if (p == null) {
            throw new IllegalStateException("cannot find the project root (template.yaml) above " + Path.of("").toAbsolutePath());
        }
        return p;
    }

    private static void run(List<String> cmd, Map<String, String> env, Path dir, boolean mustSucceed) {
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
            pb.environment().putAll(env);
            Process p = pb.start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", cmd) + " did not finish in 60 s");
            }
            if (mustSucceed && p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", cmd) + " failed (" + p.exitValue() + "):\n"
                        + new String(out, StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + cmd, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running " + cmd, e);
        }
    }

    public void stop() {
        run(List.of(root.resolve("infra/local/stack").toString(), "down"), Map.of("STACK_DIR", stackDir.toString()), root, false);
    }

    public String endpoint(String key) {
        String v = endpoints.get(key);
        if (v == null) {
            throw new IllegalStateException("no " + key + " in " + stackDir.resolve("endpoints.env"));
        }
        return v;
    }

    /** A field of a template resource as created locally: name, arn or url. */
    public String resource(String logicalId, String field) {
        JsonNode r = resources.get(logicalId);
        if (r == null || r.get(field) == null) {
            throw new IllegalStateException("no " + field + " for resource " + logicalId + " in resources.json");
        }
        return r.get(field).asText();
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
            HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
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
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(endpoint("EVENTS_ADMIN_ENDPOINT") + "/events" + q))
                    .timeout(Duration.ofSeconds(30)).GET().build(), HttpResponse.BodyHandlers.ofString());
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
