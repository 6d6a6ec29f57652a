package org.margincall.engine.replay;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.margincall.engine.domain.InvalidInputException;
import org.margincall.engine.domain.Notification;
import org.margincall.engine.scenario.Scenario;

/**
 * Command line: replays a SPEC §7 scenario through the margin domain in this process and writes
 * {@code notifications.jsonl} (one §6 body a line, in send order) and {@code summary.txt}.
 * Exit status 2 on a bad scenario file, with the field and value named.
 */
public final class ReplayMain {
    private ReplayMain() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 1 || args.length > 2) {
            System.err.println("usage: ReplayMain SCENARIO.json [OUTDIR]");
            System.exit(64);
        }
        Path outDir = Path.of(args.length > 1 ? args[1] : "out");
        Scenario scenario;
        try {
            scenario = Scenario.read(Path.of(args[0]));
        } catch (InvalidInputException e) {
            System.err.println("bad scenario " + args[0] + ": " + e.getMessage());
            System.exit(2);
            return;
        }
        Map<String, List<String>> paths = new LinkedHashMap<>();
        scenario.accounts().forEach(a -> paths.put(a.accountId(), new ArrayList<>(List.of("HEALTHY"))));
        List<Notification> sent = new InMemoryReplay(scenario).run(scenario.events());
        Files.createDirectories(outDir);
        ObjectMapper json = new ObjectMapper().disable(SerializationFeature.INDENT_OUTPUT);
        try (BufferedWriter w = Files.newBufferedWriter(outDir.resolve("notifications.jsonl"))) {
            for (Notification n : sent) {
                w.write(json.writeValueAsString(n));
                w.newLine();
            }
        }
        Map<String, List<Notification>> byAccount = new LinkedHashMap<>();
        for (Notification n : sent) {
            String key = n.accountId() + (n.isolatedInstrument() == null ? "" : ":" + n.isolatedInstrument());
            byAccount.computeIfAbsent(key, k -> new ArrayList<>()).add(n);
        }
        StringBuilder s = new StringBuilder();
        s.append("scenario ").append(args[0]).append(": ").append(scenario.accounts().size()).append(" accounts, ")
                .append(scenario.events().size()).append(" events, ").append(sent.size()).append(" notifications\n\n");
        for (Map.Entry<String, List<Notification>> e : byAccount.entrySet()) {
            s.append(e.getKey()).append('\n');
            for (Notification n : e.getValue()) {
                s.append(String.format("  %s  %-20s %-8s level %-12s ratio %-8s deposit %s%n", n.evaluatedAt(), n.type(),
                        n.reason(), n.level(), n.collateralRatio() == null ? "-" : String.format("%.4f", n.collateralRatio()),
                        n.requiredDeposit()));
            }
        }
        Files.writeString(outDir.resolve("summary.txt"), s.toString());
        System.out.print(s);
        System.out.println("\nwrote " + outDir.resolve("notifications.jsonl") + " and " + outDir.resolve("summary.txt"));
    }
}
