package org.margincall.engine.replay;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.margincall.engine.domain.Notification;
import org.margincall.engine.scenario.Scenario;

/**
 * SPEC §8: the crash scenario replayed through the pure domain yields exactly the independently
 * computed notices, per account in order. (The whole-stack replay is checked against the same
 * file separately.)
 */
class GoldenScenarioReplayTest {
    static final String DEFAULT = "../shared/golden/scenario-crash.json";

    /** The golden scenarios this engine implements; {@code -Dgolden.scenarios=A,B} runs any files of the same format. */
    static List<String> scenarios() {
        return List.of(System.getProperty("golden.scenarios",
                DEFAULT + ",../shared/golden/scenario-venue.json,../shared/golden/scenario-protect.json").split(","));
    }

    @ParameterizedTest
    @MethodSource("scenarios")
    void goldenScenarioYieldsTheExpectedNotices(String file) throws IOException {
        Path scenarioFile = Path.of(file);
        Path expectedFile = Path.of(scenarioFile.toString().replace(".json", ".expected.jsonl"));
        assertThat(scenarioFile).as("golden scenario").isRegularFile();
        assertThat(expectedFile).as("golden expected notices").isRegularFile();

        Scenario scenario = Scenario.read(scenarioFile);
        List<Notification> got = new InMemoryReplay(scenario).run(scenario.events());

        ObjectMapper json = new ObjectMapper();
        Map<String, List<String>> expected = new LinkedHashMap<>();
        for (String line : Files.readAllLines(expectedFile)) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode n = json.readTree(line);
            String key = n.get("accountId").asText() + (n.get("isolatedInstrument").isNull() ? "" : ":" + n.get("isolatedInstrument").asText());
            expected.computeIfAbsent(key, k -> new ArrayList<>()).add(String.join(" ",
                    n.get("at").asText(), n.get("type").asText(), n.get("reason").asText(), n.get("level").asText(),
                    n.get("requiredDeposit").asText()) + (n.has("priceSuspect") ? " suspect=" + n.get("priceSuspect").asBoolean() : ""));
        }
        assertThat(expected).as("expected notices").isNotEmpty();
        // files that carry priceSuspect (SPEC §3.5) are compared on it too
        boolean suspect = expected.values().stream().flatMap(List::stream).anyMatch(l -> l.contains(" suspect="));
        Map<String, List<String>> actual = new LinkedHashMap<>();
        for (Notification n : got) {
            String key = n.accountId() + (n.isolatedInstrument() == null ? "" : ":" + n.isolatedInstrument());
            actual.computeIfAbsent(key, k -> new ArrayList<>()).add(String.join(" ",
                    n.evaluatedAt(), n.type(), n.reason(), n.level(), n.requiredDeposit())
                    + (suspect ? " suspect=" + n.priceSuspect() : ""));
        }
        assertThat(actual.keySet()).containsExactlyInAnyOrderElementsOf(expected.keySet());
        for (Map.Entry<String, List<String>> e : expected.entrySet()) {
            assertThat(actual.get(e.getKey())).as("notices of " + e.getKey()).containsExactlyElementsOf(e.getValue());
        }
    }
}
