package org.margincall.engine.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.margincall.engine.domain.Notification;
import org.margincall.engine.local.sdk.FaultInjector;
import org.margincall.engine.local.sdk.SdkCallCounter;
import org.margincall.engine.replay.InMemoryReplay;
import org.margincall.engine.scenario.Scenario;

/**
 * The golden crash scenario through the whole stack with faults injected into the engine's
 * clients, checked against the in-process reference by notification id (SPEC §3.3: subscribers
 * deduplicate on it): nothing lost, nothing the reference does not send. Run on demand only, e.g.
 * {@code -Dtest=FaultyReplayTest -Dfaults.rate=0.2 [-Dfaults.seed=1] [-Dfaults.sdkRetries=false]
 * [-Dfaults.kinds=TIMEOUT_AFTER_APPLY,...] [-Dfaults.operations=DynamoDb:UpdateItem,...] [-Dfaults.tag=name]};
 * writes {@code target/fault-replay/<seed>-<rate>-<retries>[-<tag>]/} (metrics.json,
 * notifications.jsonl, report.json) whatever the outcome.
 */
@EnabledIfSystemProperty(named = "faults.rate", matches = ".+")
class FaultyReplayTest {
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    @Test
    void theGoldenCrashUnderFaultsLosesNoNotice() throws Exception {
        double rate = Double.parseDouble(System.getProperty("faults.rate"));
        long seed = Long.parseLong(System.getProperty("faults.seed", "1"));
        boolean sdkRetries = Boolean.parseBoolean(System.getProperty("faults.sdkRetries", "true"));
        Path root = LocalStackProcess.projectRoot();
        Scenario scenario = Scenario.read(Path.of(System.getProperty("golden.scenario", "../shared/golden/scenario-crash.json")));
        String tag = System.getProperty("faults.tag", "");
        Path out = root.resolve("target/fault-replay/" + seed + "-" + rate + (sdkRetries ? "-sdk-retries" : "-no-sdk-retries")
                + (tag.isBlank() ? "" : "-" + tag));
        Files.createDirectories(out);

        SdkCallCounter counter = new SdkCallCounter();
        FaultInjector.Builder fb = FaultInjector.builder().seed(seed).rate(rate);
        String kinds = System.getProperty("faults.kinds", "");
        if (!kinds.isBlank()) {
            fb.kinds(java.util.Arrays.stream(kinds.split(",")).map(String::trim).map(FaultInjector.Kind::valueOf)
                    .collect(java.util.stream.Collectors.toSet()));
        }
        String operations = System.getProperty("faults.operations", "");
        if (!operations.isBlank()) {
            fb.operations(Set.of(operations.split(",")));
        }
        FaultInjector faults = fb.build();
        LocalStackProcess stack = LocalStackProcess.start(root, out.resolve("stack"));
        List<JsonNode> received = List.of();
        String crash = null;
        long started = System.currentTimeMillis();
        try {
            received = new StackReplay(stack, scenario, Double.POSITIVE_INFINITY, line -> { })
                    .withClientOverrides(InterceptedClients.overrides(sdkRetries, counter, faults)).run().notifications();
        } catch (Exception | Error e) {
            StringWriter w = new StringWriter();
            e.printStackTrace(new PrintWriter(w));
            crash = w.toString();
        } finally {
            stack.stop();
        }

        Map<String, JsonNode> reference = new LinkedHashMap<>();
        for (Notification n : new InMemoryReplay(scenario).run(scenario.events())) {
            reference.put(n.notificationId(), JSON.readTree(JSON.writeValueAsString(n)));
        }
        Map<String, Integer> times = new TreeMap<>();
        List<String> differing = new ArrayList<>();
        for (JsonNode n : received) {
            String id = n.get("notificationId").asText();
            times.merge(id, 1, Integer::sum);
            if (reference.containsKey(id) && !reference.get(id).equals(n)) {
                differing.add(id);
            }
        }
        Set<String> missing = new LinkedHashSet<>(reference.keySet());
        missing.removeAll(times.keySet());
        Set<String> unexpected = new LinkedHashSet<>(times.keySet());
        unexpected.removeAll(reference.keySet());
        Map<String, Integer> duplicates = new TreeMap<>();
        times.forEach((id, k) -> {
            if (k > 1) {
                duplicates.put(id, k);
            }
        });

        Map<String, Object> metrics = new LinkedHashMap<>();
        metrics.put("faults", faults.snapshot());
        metrics.put("calls", counter.snapshot());
        metrics.put("wallMillis", System.currentTimeMillis() - started);
        Files.writeString(out.resolve("metrics.json"), JSON.writeValueAsString(metrics));
        StringBuilder lines = new StringBuilder();
        for (JsonNode n : received) {
            lines.append(new ObjectMapper().writeValueAsString(n)).append('\n');
        }
        Files.writeString(out.resolve("notifications.jsonl"), lines);
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("crash", crash);
        report.put("expected", reference.size());
        report.put("received", received.size());
        report.put("missing", describe(missing, reference));
        report.put("unexpected", unexpected);
        report.put("duplicates", duplicates);
        report.put("differingBodies", differing);
        report.put("faultsByOperation", byOperation(faults.faults()));
        Files.writeString(out.resolve("report.json"), JSON.writeValueAsString(report));

        assertThat(crash).as("the replay ran to its end").isNull();
        assertThat(missing).as("notices lost (see %s)", out.resolve("report.json")).isEmpty();
        assertThat(unexpected).as("notices the reference does not send").isEmpty();
    }

    static List<String> describe(Set<String> ids, Map<String, JsonNode> reference) {
        List<String> out = new ArrayList<>();
        for (String id : ids) {
            JsonNode n = reference.get(id);
            out.add(String.join(" ", n.get("evaluatedAt").asText(), n.get("accountId").asText(), n.get("type").asText(),
                    n.get("reason").asText(), n.get("level").asText(), id));
        }
        return out;
    }

    static Map<String, Map<String, Integer>> byOperation(List<FaultInjector.Fault> faults) {
        Map<String, Map<String, Integer>> out = new TreeMap<>();
        for (FaultInjector.Fault f : faults) {
            out.computeIfAbsent(f.service() + ":" + f.operation(), k -> new TreeMap<>()).merge(f.kind().name(), 1, Integer::sum);
        }
        return out;
    }
}
