package org.margincall.engine.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.margincall.engine.domain.Notification;
import org.margincall.engine.local.sdk.FaultInjector;
import org.margincall.engine.replay.DeliveryCheck;
import org.margincall.engine.replay.InMemoryReplay;
import org.margincall.engine.scenario.Scenario;

/**
 * The golden crash scenario through the whole stack with faults injected at rate 0.2 into every
 * call of the engine's clients (seeds 1 and 2; the SDK's retries on, its back-off compressed),
 * each handler invocation that fails as a whole delivered again as EventBridge, SQS and Step
 * Functions would, and the safety-net flush after the last event. A subscriber deduplicating
 * by {@code notificationId} (SPEC §3.3) must get exactly the fault-free run's notices, body for
 * body, each after the same scenario event, none from the safety net.
 *
 * <p>On demand: {@code -Dfaults.seeds=1,2,3 -Dfaults.rate=0.2 [-Dfaults.sdkRetries=false]
 * [-Dfaults.kinds=TIMEOUT_AFTER_APPLY,...] [-Dfaults.operations=DynamoDb:UpdateItem,...]}. Each
 * run writes {@code target/fault-replay/<seed>-<rate>/} (metrics.json, notifications.jsonl,
 * report.json) whatever the outcome.
 */
class FaultyReplayTest {
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    static Path root;
    static Scenario scenario;
    static StackReplay.Result faultFree;

    @BeforeAll
    static void replayWithoutFaults() throws Exception {
        root = LocalStackProcess.projectRoot();
        scenario = Scenario.read(Path.of(System.getProperty("golden.scenario", "../shared/golden/scenario-crash.json")));
        LocalStackProcess stack = LocalStackProcess.start(root, root.resolve("target/fault-replay/clean-stack-"
                + ProcessHandle.current().pid()));
        try {
            faultFree = new StackReplay(stack, scenario, Double.POSITIVE_INFINITY, line -> { }).run();
        } finally {
            stack.stop();
        }
    }

    static Stream<Long> seeds() {
        return Arrays.stream(System.getProperty("faults.seeds", "1,2").split(",")).map(String::trim).map(Long::parseLong);
    }

    @Test
    void theFaultFreeRunIsTheDomainsAndNeedsNoRetryNorSweep() throws Exception {
        DeliveryCheck.Outcome o = DeliveryCheck.againstDomain(domain(), scenario.events()).check(faultFree.received());
        assertThat(o.exact()).as("%s", o).isTrue();
        assertThat(o.owed()).isPositive();
        assertThat(faultFree.counts().invocationsRetried()).isZero();
        assertThat(faultFree.counts().duplicatesReceived()).isZero();
        assertThat(faultFree.counts().deliveredBySweep()).isZero();
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void theGoldenCrashUnderFaultsDeliversExactlyTheFaultFreeNoticesEachAfterTheSameEvent(long seed) throws Exception {
        double rate = Double.parseDouble(System.getProperty("faults.rate", "0.2"));
        boolean sdkRetries = Boolean.parseBoolean(System.getProperty("faults.sdkRetries", "true"));
        Path out = root.resolve("target/fault-replay/" + seed + "-" + rate + (sdkRetries ? "" : "-no-sdk-retries"));
        Files.createDirectories(out);
        FaultInjector.Builder fb = FaultInjector.builder().seed(seed).rate(rate);
        String kinds = System.getProperty("faults.kinds", "");
        if (!kinds.isBlank()) {
            fb.kinds(Arrays.stream(kinds.split(",")).map(String::trim).map(FaultInjector.Kind::valueOf).collect(Collectors.toSet()));
        }
        String operations = System.getProperty("faults.operations", "");
        if (!operations.isBlank()) {
            fb.operations(Set.of(operations.split(",")));
        }
        FaultInjector faults = fb.build();
        LocalStackProcess stack = LocalStackProcess.start(root, out.resolve("stack"));
        StackReplay.Result r = null;
        String crash = null;
        try {
            StackReplay replay = new StackReplay(stack, scenario, Double.POSITIVE_INFINITY, line -> { }).withFaults(faults, sdkRetries);
            if (!sdkRetries) {
                replay.withClientOverrides(InterceptedClients.overrides(false));
            }
            r = replay.run();
        } catch (Exception | Error e) {
            StringWriter w = new StringWriter();
            e.printStackTrace(new PrintWriter(w));
            crash = w.toString();
        } finally {
            stack.stop();
        }
        DeliveryCheck.Outcome o = r == null ? null : DeliveryCheck.against(faultFree).check(r.received());

        Map<String, Object> metrics = new LinkedHashMap<>();
        metrics.put("faults", faults.snapshot());
        if (r != null) {
            metrics.put("counts", r.counts());
        }
        Files.writeString(out.resolve("metrics.json"), JSON.writeValueAsString(metrics));
        StringBuilder lines = new StringBuilder();
        for (StackReplay.Received n : r == null ? List.<StackReplay.Received>of() : r.received()) {
            lines.append(new ObjectMapper().writeValueAsString(n.body())).append('\n');
        }
        Files.writeString(out.resolve("notifications.jsonl"), lines);
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("crash", crash);
        report.put("outcome", o);
        report.put("faultsByOperation", byOperation(faults.faults()));
        Files.writeString(out.resolve("report.json"), JSON.writeValueAsString(report));

        assertThat(crash).as("the replay ran to its end").isNull();
        assertThat(faults.injectedTotal()).as("faults were injected").isPositive();
        assertThat(o.lost()).as("notices lost (see %s)", out.resolve("report.json")).isEmpty();
        assertThat(o.unexpected()).as("notices the fault-free run does not send").isEmpty();
        assertThat(o.differing()).as("bodies that differ from the fault-free run's").isEmpty();
        assertThat(o.late()).as("notices after a later event than in the fault-free run").isEmpty();
        assertThat(o.delivered()).isEqualTo(o.owed()).isEqualTo(faultFree.distinct().size());
        assertThat(r.counts().deliveredBySweep()).as("delivered by the safety net").isZero();
        assertThat(r.counts().duplicatesReceived()).isEqualTo(o.duplicatesReceived());
    }

    static List<JsonNode> domain() throws Exception {
        ObjectMapper plain = new ObjectMapper();
        List<JsonNode> out = new java.util.ArrayList<>();
        for (Notification n : new InMemoryReplay(scenario).run(scenario.events())) {
            out.add(plain.readTree(plain.writeValueAsString(n)));
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
