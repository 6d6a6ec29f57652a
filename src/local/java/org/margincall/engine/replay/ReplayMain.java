package org.margincall.engine.replay;

import org.margincall.engine.domain.Timestamps;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.margincall.engine.domain.InvalidInputException;
import org.margincall.engine.domain.Notification;
import org.margincall.engine.local.LocalStackProcess;
import org.margincall.engine.local.StackReplay;
import org.margincall.engine.scenario.ScaleGenerator;
import org.margincall.engine.scenario.Scenario;

/**
 * The local run (README's first command): replays a SPEC §7 scenario through the whole stack on
 * the local stand-ins and writes {@code notifications.jsonl}, {@code summary.txt} and
 * {@code report.html} into OUTDIR.
 *
 * <pre>
 * ReplayMain [SCENARIO.json] [OUTDIR] [--speed N|max] [--accounts N] [--in-process]
 * </pre>
 * {@code --in-process} runs the pure domain instead of the stack (the reference behaviour).
 * A bad scenario file is refused before anything starts (exit status 2).
 */
public final class ReplayMain {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ReplayMain() {
    }

    public static void main(String[] args) throws Exception {
        List<String> positional = new ArrayList<>();
        double speed = 200;
        int extraAccounts = 0;
        boolean inProcess = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--speed" -> {
                    String v = value(args, ++i, "--speed");
                    speed = v.equals("max") ? Double.POSITIVE_INFINITY : positive(v, "--speed");
                }
                case "--accounts" -> extraAccounts = (int) positive(value(args, ++i, "--accounts"), "--accounts");
                case "--in-process" -> inProcess = true;
                default -> {
                    if (args[i].startsWith("--")) {
                        fail("unknown option " + args[i] + " (known: --speed N|max, --accounts N, --in-process)");
                    }
                    positional.add(args[i]);
                }
            }
        }
        Path root = LocalStackProcess.projectRoot();
        Path scenarioFile = Path.of(positional.size() > 0 ? positional.get(0) : root.resolve("scenarios/sample-crash.json").toString());
        Path outDir = Path.of(positional.size() > 1 ? positional.get(1) : root.resolve("out").toString());
        Scenario scenario;
        try {
            scenario = ScaleGenerator.withAccounts(Scenario.read(scenarioFile), extraAccounts, 42);
        } catch (InvalidInputException e) {
            System.err.println("bad scenario " + scenarioFile + ": " + e.getMessage());
            System.exit(2);
            return;
        }
        ReportWriter.Series series = new ReportWriter.Series();
        List<Notification> reference = new InMemoryReplay(scenario).observe(series).run(scenario.events());
        List<JsonNode> received;
        long wallMillis;
        int evaluated;
        if (inProcess) {
            received = new ArrayList<>();
            for (Notification n : reference) {
                received.add(JSON.valueToTree(n));
            }
            wallMillis = 0;
            evaluated = 0;
        } else {
            LocalStackProcess stack = LocalStackProcess.start(root, root.resolve("target/replay-stack-" + ProcessHandle.current().pid()));
            try {
                System.err.println("local stack up; replaying " + scenario.events().size() + " events for "
                        + scenario.accounts().size() + " accounts at speed " + (Double.isInfinite(speed) ? "max" : speed + "x"));
                StackReplay.Result r = new StackReplay(stack, scenario, speed, line -> System.err.print("\r" + line + "   "))
                        .run();
                System.err.println();
                received = r.notifications();
                wallMillis = r.wallMillis();
                evaluated = r.accountsEvaluated();
            } finally {
                stack.stop();
            }
        }
        write(outDir, scenarioFile, scenario, series, deterministicOrder(received), wallMillis, evaluated, inProcess);
        // SDK clients leave non-daemon threads behind; the run is over.
        System.exit(0);
    }

    /**
     * Per (sub-)account in the order received; across accounts by scenario time then account, so
     * that the file is the same on every run (the order across accounts at one instant is not
     * specified, SPEC §7).
     */
    public static List<JsonNode> deterministicOrder(List<JsonNode> received) {
        List<JsonNode> sorted = new ArrayList<>(received);
        sorted.sort(Comparator.comparing((JsonNode n) -> n.get("evaluatedAt").asText(), Timestamps.BY_INSTANT)
                .thenComparing(n -> n.get("accountId").asText())
                .thenComparing(n -> n.get("isolatedInstrument").isNull() ? "" : n.get("isolatedInstrument").asText()));
        return sorted;
    }

    private static void write(Path outDir, Path scenarioFile, Scenario scenario, ReportWriter.Series series,
                              List<JsonNode> notifications, long wallMillis, int evaluated, boolean inProcess) throws IOException {
        Files.createDirectories(outDir);
        try (BufferedWriter w = Files.newBufferedWriter(outDir.resolve("notifications.jsonl"))) {
            for (JsonNode n : notifications) {
                w.write(JSON.writeValueAsString(n));
                w.newLine();
            }
        }
        Map<String, List<JsonNode>> bySub = new LinkedHashMap<>();
        for (JsonNode n : notifications) {
            String key = n.get("accountId").asText() + (n.get("isolatedInstrument").isNull() ? "" : ":" + n.get("isolatedInstrument").asText());
            bySub.computeIfAbsent(key, k -> new ArrayList<>()).add(n);
        }
        StringBuilder s = new StringBuilder();
        s.append("scenario ").append(scenarioFile).append(inProcess ? " (in-process domain replay)" : " (whole stack on the local stand-ins)")
                .append('\n').append(scenario.accounts().size()).append(" accounts, ").append(scenario.events().size())
                .append(" events, ").append(notifications.size()).append(" notifications\n");
        if (wallMillis > 0) {
            double secs = wallMillis / 1000.0;
            s.append(String.format("wall time %.1f s: %.1f events/s, %.1f accounts evaluated/s%n", secs,
                    scenario.events().size() / secs, evaluated / secs));
        }
        s.append('\n');
        for (Map.Entry<String, List<JsonNode>> e : bySub.entrySet()) {
            List<String> path = new ArrayList<>(List.of("HEALTHY"));
            for (JsonNode n : e.getValue()) {
                if (!n.get("level").asText().equals(path.get(path.size() - 1))) {
                    path.add(n.get("level").asText());
                }
            }
            s.append(e.getKey()).append(": ").append(String.join(" -> ", path)).append("  (final ")
                    .append(path.get(path.size() - 1)).append(")\n");
            for (JsonNode n : e.getValue()) {
                s.append(String.format("  %s  %-20s %-8s level %-12s ratio %-8s deposit %s%n", n.get("evaluatedAt").asText(),
                        n.get("type").asText(), n.get("reason").asText(), n.get("level").asText(),
                        n.get("collateralRatio").isNull() ? "-" : String.format("%.4f", n.get("collateralRatio").asDouble()),
                        n.get("requiredDeposit").asText()));
            }
        }
        Files.writeString(outDir.resolve("summary.txt"), s.toString());
        Files.writeString(outDir.resolve("report.html"),
                ReportWriter.html("Margin Call Engine replay: " + scenarioFile.getFileName(), scenario, series, notifications));
        System.out.print(s);
        System.out.println("\nwrote " + outDir.resolve("notifications.jsonl") + ", " + outDir.resolve("summary.txt") + " and "
                + outDir.resolve("report.html"));
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            fail(option + " needs a value");
        }
        return args[i];
    }

    private static double positive(String v, String option) {
        try {
            double d = Double.parseDouble(v);
            if (d > 0 && Double.isFinite(d)) {
                return d;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        fail(option + " = " + v + ": must be a positive number");
        return 0;
    }

    private static void fail(String message) {
        System.err.println(message);
        System.exit(64);
    }
}
