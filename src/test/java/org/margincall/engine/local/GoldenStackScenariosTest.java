package org.margincall.engine.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.margincall.engine.domain.Notification;
import org.margincall.engine.replay.InMemoryReplay;
import org.margincall.engine.replay.ReplayMain;
import org.margincall.engine.scenario.Scenario;

/**
 * SPEC §8: the golden venue and protection scenarios through the whole stack (handlers, DynamoDB,
 * SNS → SQS, the escalation state machine on the scenario clock, its re-check answering
 * {@code waitUntil} for deposits in flight) yield exactly their expected notices per
 * (sub-)account, {@code priceSuspect} included where the file has it, and body for body what the
 * in-process replay yields. (The crash scenario has {@link StackReplayTest}.)
 */
class GoldenStackScenariosTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * With trigger bands (SPEC §10, the default) and, for the venue, also without (the per-holder
     * baseline): the same expected notices either way.
     */
    @ParameterizedTest(name = "{0}, trigger bands {1}")
    @CsvSource({"scenario-protect, true", "scenario-venue, true", "scenario-venue, false"})
    void theStackYieldsTheExpectedNoticesAndTheInProcessBodies(String name, boolean bands) throws Exception {
        Path root = LocalStackProcess.projectRoot();
        Path file = root.resolve("../shared/golden/" + name + ".json");
        Scenario scenario = Scenario.read(file);
        List<JsonNode> got;
        LocalStackProcess stack = LocalStackProcess.start(root, root.resolve("target/golden-" + name + "-" + bands + "-"
                + ProcessHandle.current().pid()));
        try {
            got = ReplayMain.deterministicOrder(new StackReplay(stack, scenario, Double.POSITIVE_INFINITY, line -> { })
                    .withTriggerBands(bands).run().notifications());
        } finally {
            stack.stop();
        }

        Map<String, List<String>> expected = new LinkedHashMap<>();
        boolean suspect = false;
        for (String line : Files.readAllLines(Path.of(file.toString().replace(".json", ".expected.jsonl")))) {
            if (!line.isBlank()) {
                JsonNode n = JSON.readTree(line);
                suspect |= n.has("priceSuspect");
                expected.computeIfAbsent(StackReplayTest.key(n), k -> new ArrayList<>())
                        .add(StackReplayTest.notice(n, "at") + (n.has("priceSuspect") ? " " + n.get("priceSuspect") : ""));
            }
        }
        Map<String, List<String>> actual = new LinkedHashMap<>();
        for (JsonNode n : got) {
            actual.computeIfAbsent(StackReplayTest.key(n), k -> new ArrayList<>())
                    .add(StackReplayTest.notice(n, "evaluatedAt") + (suspect ? " " + n.get("priceSuspect") : ""));
        }
        assertThat(actual.keySet()).containsExactlyInAnyOrderElementsOf(expected.keySet());
        expected.forEach((k, v) -> assertThat(actual.get(k)).as(name + ": notices of " + k).containsExactlyElementsOf(v));

        List<JsonNode> reference = new ArrayList<>();
        for (Notification n : new InMemoryReplay(scenario).run(scenario.events())) {
            reference.add(JSON.readTree(JSON.writeValueAsString(n)));
        }
        assertThat(got).as(name + ": stack vs in-process, body for body").containsExactlyElementsOf(ReplayMain.deterministicOrder(reference));
    }

    /**
     * SPEC §10 fan-out: the golden crash with a chunk size of 4, so every tick that crosses more
     * than four accounts puts chunks on the worker queue (fauxqs SQS) that the worker handler takes
     * from it as Lambda's event source would: the notices equal the in-process reference's.
     */
    @org.junit.jupiter.api.Test
    void aCrashChunkedAcrossTheWorkerQueueGivesTheInProcessNotices() throws Exception {
        Path root = LocalStackProcess.projectRoot();
        Scenario scenario = Scenario.read(root.resolve("../shared/golden/scenario-crash.json"));
        List<JsonNode> got;
        StackReplay replay;
        LocalStackProcess stack = LocalStackProcess.start(root, root.resolve("target/golden-chunked-" + ProcessHandle.current().pid()));
        try {
            replay = new StackReplay(stack, scenario, Double.POSITIVE_INFINITY, line -> { }).withChunkSize(4);
            got = ReplayMain.deterministicOrder(replay.run().notifications());
        } finally {
            stack.stop();
        }
        assertThat(replay.chunksProcessed()).as("chunks the workers took from the queue").isPositive();
        List<JsonNode> reference = new ArrayList<>();
        for (Notification n : new InMemoryReplay(scenario).run(scenario.events())) {
            reference.add(JSON.readTree(JSON.writeValueAsString(n)));
        }
        assertThat(got).containsExactlyElementsOf(ReplayMain.deterministicOrder(reference));
    }
}
