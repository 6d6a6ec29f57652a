package org.margincall.engine.replay;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The run command's surface, in process (no stand-ins: --in-process): help, typed errors and
 * their exit codes, the short summary, and outputs that are the same bytes on every run.
 */
class ReplayMainTest {
    static final Path GOLDEN = Path.of(System.getProperty("golden.scenario", "../shared/golden/scenario-crash.json"))
            .toAbsolutePath().normalize();

    record Outcome(int code, String out, String err) {
    }

    static Outcome run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = ReplayMain.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), false);
        return new Outcome(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void helpListsTheOptionsOutputsAndExitCodes() {
        Outcome r = run("--help");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("Usage: run-scenario.sh", "--speed=N|max", "--accounts=N", "--in-process",
                "--faults=RATE", "--fault-seed=N", "--fault-kinds=KIND,...", "--no-sdk-retries", "notifications.jsonl", "summary.txt", "report.html",
                "metrics.json", "Exit codes:");
        assertThat(r.out()).containsPattern("(?m)^ +0 +done").containsPattern("(?m)^ +1 +the run failed")
                .containsPattern("(?m)^ +2 +bad input").containsPattern("(?m)^ +130 +interrupted");
        assertThat(r.out()).as("no colour codes when not a terminal").doesNotContain("\u001b[");
        assertThat(run("-h").out()).isEqualTo(r.out());
    }

    @Test
    void aBadOptionIsBadInputNamedOnStderr() {
        Outcome unknown = run("--spede", "3");
        assertThat(unknown.code()).isEqualTo(2);
        assertThat(unknown.err()).contains("Unknown option: '--spede'", "--help");
        assertThat(unknown.out()).isEmpty();

        Outcome speed = run("--speed", "fast");
        assertThat(speed.code()).isEqualTo(2);
        assertThat(speed.err()).contains("--speed", "'fast' is neither a positive number nor max");
        assertThat(run("--speed", "0").code()).isEqualTo(2);
        assertThat(run("--accounts", "-1").code()).isEqualTo(2);
        assertThat(run("a.json", "out", "extra").code()).isEqualTo(2);

        Outcome rate = run("--faults", "1.5");
        assertThat(rate.code()).isEqualTo(2);
        assertThat(rate.err()).contains("--faults", "'1.5' is not a fault rate (a number from 0 to 1)");
        assertThat(run("--faults", "0.2", "--fault-kinds", "GREMLINS").code()).isEqualTo(2);
        assertThat(run("--faults", "0.2", "--fault-seed", "one").code()).isEqualTo(2);
    }

    @Test
    void faultOptionsThatCannotApplyAreBadInputBeforeAnythingStarts(@TempDir Path tmp) {
        Path out = tmp.resolve("out");
        Outcome inProcess = run(GOLDEN.toString(), out.toString(), "--in-process", "--faults", "0.2");
        assertThat(inProcess.code()).isEqualTo(2);
        assertThat(inProcess.err()).contains("--faults needs the stack");
        Outcome kinds = run(GOLDEN.toString(), out.toString(), "--in-process", "--fault-kinds", "HTTP_500");
        assertThat(kinds.code()).isEqualTo(2);
        assertThat(kinds.err()).contains("need --faults RATE");
        assertThat(run(GOLDEN.toString(), out.toString(), "--no-sdk-retries").code()).isEqualTo(2);
        assertThat(out).doesNotExist();
    }

    @Test
    void aScenarioThatDoesNotParseIsBadInputAndNothingIsWritten(@TempDir Path tmp) throws IOException {
        Path broken = tmp.resolve("broken.json");
        Files.writeString(broken, Files.readString(GOLDEN).replaceFirst("\"venue\": \\{", "\"venue\": {,"));
        Path out = tmp.resolve("out");
        Outcome r = run(broken.toString(), out.toString(), "--in-process");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("bad scenario " + broken, "is not valid JSON (line 2)");
        assertThat(out).doesNotExist();

        Path typo = tmp.resolve("typo.json");
        Files.writeString(typo, Files.readString(GOLDEN).replace("\"markPrice\"", "\"markPrise\""));
        Outcome t = run(typo.toString(), out.toString(), "--in-process");
        assertThat(t.code()).isEqualTo(2);
        assertThat(t.err()).contains("bad scenario " + typo, "events[0]");
        assertThat(out).doesNotExist();

        Outcome missing = run(tmp.resolve("missing.json").toString(), out.toString(), "--in-process");
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err()).contains("is not a readable file");
    }

    @Test
    void anInProcessRunWritesTheSameBytesEveryTimeWhateverTheLocale(@TempDir Path tmp) throws IOException {
        Outcome first = run(GOLDEN.toString(), tmp.resolve("a").toString(), "--in-process");
        assertThat(first.code()).as(first.err()).isZero();
        Locale before = Locale.getDefault();
        Outcome second;
        try {
            Locale.setDefault(Locale.GERMANY); // decimal commas must not reach the files
            second = run(GOLDEN.toString(), tmp.resolve("b").toString(), "--in-process");
        } finally {
            Locale.setDefault(before);
        }
        assertThat(second.code()).as(second.err()).isZero();
        for (String f : new String[]{"notifications.jsonl", "report.html"}) {
            assertThat(Files.readAllBytes(tmp.resolve("b").resolve(f))).as(f)
                    .isEqualTo(Files.readAllBytes(tmp.resolve("a").resolve(f)));
        }
        assertThat(Files.readAllLines(tmp.resolve("a/notifications.jsonl"))).hasSize(111);

        // The short summary: a few lines, the counts, the wall time, where the files are.
        assertThat(first.out().lines().count()).isBetween(4L, 8L);
        assertThat(first.out()).contains("111 notifications", "notices:", "LIQUIDATION_HANDOFF 32",
                "(sub-)accounts by final level:", "wall time", tmp.resolve("a/report.html").toString());
        assertThat(first.out()).doesNotContain("events/s");
        // The full summary has every (sub-)account; the wall time lives there, never in the report.
        String summary = Files.readString(tmp.resolve("a/summary.txt"));
        assertThat(summary).contains("wall time", "worst first", "h17", "c0: HEALTHY -> WARNING");
        assertThat(Files.readString(tmp.resolve("a/report.html"))).doesNotContain("wall");
        assertThat(summary).contains("metrics (metrics.json", "priceEvents", "itemsRead                   n/a");
    }

    @Test
    void anInProcessRunWritesTheMetricsItCanAndNullForTheOthers(@TempDir Path tmp) throws IOException {
        Outcome r = run(GOLDEN.toString(), tmp.toString(), "--in-process");
        assertThat(r.code()).as(r.err()).isZero();
        com.fasterxml.jackson.databind.JsonNode m = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(tmp.resolve("metrics.json").toFile());
        assertThat(m.get("scenario").asText()).isEqualTo("scenario-crash.json");
        assertThat(m.get("mode").asText()).isEqualTo("in-process");
        assertThat(m.get("events").asInt()).isEqualTo(159);
        assertThat(m.get("priceEvents").asInt()).isEqualTo(150);
        assertThat(m.get("evaluations").asInt()).isPositive();
        assertThat(m.get("notifications").asInt()).isEqualTo(111);
        assertThat(m.get("wallMillis").isIntegralNumber()).isTrue();
        for (String k : new String[]{"itemsRead", "snsPublishCalls", "chunks", "faults", "faultsInjected", "invocationsRetried",
                "duplicatesReceived", "deliveredBySweep", "lost", "late", "lastPriceEvent", "perPriceEvent"}) {
            assertThat(m.has(k)).as(k).isTrue();
            assertThat(m.get(k).isNull()).as(k).isTrue();
        }
    }

    /** SPEC §7 and the first-hour issue: both paths write the same bytes for the golden crash. */
    @Test
    void theWholeStackWritesTheSameBytesAsTheInProcessReplay(@TempDir Path tmp) throws IOException {
        Outcome stack = run(GOLDEN.toString(), tmp.resolve("stack").toString(), "--speed", "max");
        assertThat(stack.code()).as(stack.err()).isZero();
        Outcome inProcess = run(GOLDEN.toString(), tmp.resolve("reference").toString(), "--in-process");
        assertThat(inProcess.code()).as(inProcess.err()).isZero();
        for (String f : new String[]{"notifications.jsonl", "report.html"}) {
            assertThat(Files.readAllBytes(tmp.resolve("stack").resolve(f))).as(f)
                    .isEqualTo(Files.readAllBytes(tmp.resolve("reference").resolve(f)));
        }
        // BENCHMARKS.md's per-price-event figures: one entry per price event, adding up to the run's totals
        com.fasterxml.jackson.databind.JsonNode m = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(tmp.resolve("stack/metrics.json").toFile());
        com.fasterxml.jackson.databind.JsonNode per = m.get("perPriceEvent");
        java.util.function.Function<String, Long> sum = k -> {
            assertThat(per.get(k).size()).as(k).isEqualTo(m.get("priceEvents").asInt());
            long t = 0;
            for (com.fasterxml.jackson.databind.JsonNode v : per.get(k)) {
                assertThat(v.asLong()).as(k).isGreaterThanOrEqualTo(k.equals("millisToLastPublish") ? -1 : 0);
                t += v.asLong();
            }
            return t;
        };
        assertThat(sum.apply("itemsRead")).isEqualTo(m.get("itemsRead").asLong()).isPositive();
        assertThat(sum.apply("itemsQueried")).isPositive().isLessThan(m.get("itemsRead").asLong());
        assertThat(sum.apply("evaluations")).isPositive().isLessThanOrEqualTo(m.get("evaluations").asLong());
        assertThat(sum.apply("chunks")).isEqualTo(m.get("chunks").asLong());
        long ddbCalls = 0;
        for (com.fasterxml.jackson.databind.JsonNode v : m.get("sdkCalls").get("dynamodb").get("calls")) {
            ddbCalls += v.asLong();
        }
        assertThat(sum.apply("dynamoDbCalls")).isPositive().isLessThanOrEqualTo(ddbCalls);
        // re-checks publish too: price events' share of the run's publish calls and notices
        assertThat(sum.apply("snsPublishCalls")).isPositive().isLessThanOrEqualTo(m.get("snsPublishCalls").asLong());
        long notices = sum.apply("notifications");
        assertThat(notices).isPositive().isLessThanOrEqualTo(m.get("notifications").asLong())
                .isEqualTo(sum.apply("snsPublishedEntries"));
        assertThat(sum.apply("wallMillis")).isLessThanOrEqualTo(m.get("wallMillis").asLong());
        sum.apply("millisToLastPublish");
        com.fasterxml.jackson.databind.JsonNode last = m.get("lastPriceEvent");
        per.fieldNames().forEachRemaining(k -> assertThat(last.get(k)).as(k).isEqualTo(per.get(k).get(per.get(k).size() - 1)));
    }
}
