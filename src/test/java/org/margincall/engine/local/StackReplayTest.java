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
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.margincall.engine.domain.Notification;
import org.margincall.engine.replay.InMemoryReplay;
import org.margincall.engine.replay.ReplayMain;
import org.margincall.engine.replay.ReportWriter;
import org.margincall.engine.scenario.Scenario;

/**
 * The golden crash scenario (SPEC §8) through the whole stack: every event handed to the real
 * handlers, escalations in the Step Functions facade on the scenario's clock, notifications
 * collected from SQS. Each run gets a fresh stack; two runs must agree line for line, and with
 * the in-process reference.
 */
class StackReplayTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static Path root;
    static Scenario scenario;
    static List<JsonNode> first;
    static List<JsonNode> second;

    @BeforeAll
    static void replayTwice() throws Exception {
        root = LocalStackProcess.projectRoot();
        scenario = Scenario.read(Path.of(System.getProperty("golden.scenario", "../shared/golden/scenario-crash.json")));
        first = replay("a");
        second = replay("b");
    }

    static List<JsonNode> replay(String name) throws Exception {
        LocalStackProcess stack = LocalStackProcess.start(root, root.resolve("target/replay-test-" + name + "-" + ProcessHandle.current().pid()));
        try {
            return ReplayMain.deterministicOrder(
                    new StackReplay(stack, scenario, Double.POSITIVE_INFINITY, line -> { }).run().notifications());
        } finally {
            stack.stop();
        }
    }

    @Test
    void theGoldenCrashScenarioYieldsExactlyTheExpectedNotices() throws Exception {
        Path expectedFile = Path.of(System.getProperty("golden.scenario", "../shared/golden/scenario-crash.json")
                .replace(".json", ".expected.jsonl"));
        Map<String, List<String>> expected = new LinkedHashMap<>();
        for (String line : Files.readAllLines(expectedFile)) {
            if (!line.isBlank()) {
                JsonNode n = JSON.readTree(line);
                expected.computeIfAbsent(key(n), k -> new ArrayList<>()).add(notice(n, "at"));
            }
        }
        Map<String, List<String>> actual = new LinkedHashMap<>();
        for (JsonNode n : first) {
            actual.computeIfAbsent(key(n), k -> new ArrayList<>()).add(notice(n, "evaluatedAt"));
        }
        assertThat(actual.keySet()).containsExactlyInAnyOrderElementsOf(expected.keySet());
        expected.forEach((k, v) -> assertThat(actual.get(k)).as("notices of " + k).containsExactlyElementsOf(v));
    }

    @Test
    void twoRunsGiveTheSameNotificationsIdsIncluded() {
        assertThat(second).hasSameSizeAs(first);
        for (int i = 0; i < first.size(); i++) {
            assertThat(second.get(i)).as("line %d", i + 1).isEqualTo(first.get(i));
        }
    }

    @Test
    void theStackAgreesWithTheInProcessReferenceBodyForBody() throws Exception {
        List<JsonNode> reference = new ArrayList<>();
        for (Notification n : new InMemoryReplay(scenario).run(scenario.events())) {
            reference.add(JSON.readTree(JSON.writeValueAsString(n))); // as a subscriber would parse it
        }
        assertThat(first).containsExactlyElementsOf(ReplayMain.deterministicOrder(reference));
    }

    /**
     * The report renders in headless Chromium with no console error. CI installs Debian's
     * chromium (.ci/run) and requires it; elsewhere the test is skipped when it is absent.
     */
    @Test
    void theReportRendersInHeadlessChromiumWithoutConsoleErrors() throws Exception {
        Path chromium = Path.of("/usr/bin/chromium");
        boolean ci = "true".equals(System.getenv("CI"));
        if (!ci) {
            org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(chromium),
                    "Debian's chromium is not installed (apt-get install chromium); CI installs it");
        }
        assertThat(chromium).as("chromium (CI installs it)").isExecutable();
        ReportWriter.Series series = new ReportWriter.Series();
        new InMemoryReplay(scenario).observe(series).run(scenario.events());
        Path dir = root.resolve("target/report-test");
        Files.createDirectories(dir);
        Path html = dir.resolve("report.html");
        Files.writeString(html, ReportWriter.html("golden crash", scenario, series, first));
        Path png = dir.resolve("report.png");
        Files.deleteIfExists(png);
        Path profile = Files.createTempDirectory(dir, "profile");
        Process p = new ProcessBuilder(chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--user-data-dir=" + profile, "--enable-logging=stderr", "--v=0", "--window-size=1000,1400",
                "--screenshot=" + png, html.toUri().toString()).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(90, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(log).isZero();
        assertThat(png).isRegularFile();
        assertThat(Files.size(png)).isGreaterThan(10_000);
        assertThat(log.lines().filter(l -> l.contains("CONSOLE") || l.contains("Uncaught")).toList()).isEmpty();
        assertThat(Files.readString(html)).doesNotContain("http://", "https://").contains("<svg");
    }

    static String key(JsonNode n) {
        return n.get("accountId").asText() + (n.get("isolatedInstrument").isNull() ? "" : ":" + n.get("isolatedInstrument").asText());
    }

    static String notice(JsonNode n, String timeField) {
        return String.join(" ", n.get(timeField).asText(), n.get("type").asText(), n.get("reason").asText(),
                n.get("level").asText(), n.get("requiredDeposit").asText());
    }
}
