package org.margincall.engine.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Ctrl-C on the run command (README's first command): {@code infra/local/run-scenario.sh} is
 * launched as a child process on the golden crash scenario, paced so that it runs long enough,
 * and sent SIGINT as a terminal would ({@code kill -INT}; {@code Process.destroy()} would send
 * SIGTERM). It must exit 130 having stopped every process it started (the stand-ins are detached
 * daemons, not descendants, so their PIDs come from the run's state dir), left no listener on
 * the ports it used, and removed its state dir {@code target/replay-stack-<pid>}.
 */
class RunScenarioInterruptTest {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(120);

    private Path root;
    private Path outDir;
    private Process run;
    private final List<String> stderr = new CopyOnWriteArrayList<>();
    private final Set<Long> recorded = new LinkedHashSet<>();

    @BeforeEach
    void setUp() throws IOException {
        root = LocalStackProcess.projectRoot();
        Files.createDirectories(root.resolve("target"));
        outDir = Files.createTempDirectory(root.resolve("target"), "interrupt-test-out-");
    }

    @AfterEach
    void killWhateverIsLeft() throws IOException {
        if (run != null && run.isAlive()) {
            run.descendants().forEach(ProcessHandle::destroyForcibly);
            run.destroyForcibly();
        }
        for (long pid : recorded) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
        Files.deleteIfExists(stdoutFile());
        if (Files.exists(outDir)) {
            try (Stream<Path> all = Files.walk(outDir)) {
                for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    @Test
    void ctrlCDuringTheReplayStopsEveryProcessOfTheRunAndRemovesItsStateDir() throws Exception {
        start("20");
        awaitLine(l -> l.startsWith("local stack up"));
        awaitLine(l -> l.startsWith("replay: "));
        Path stackDir = root.resolve("target/replay-stack-" + run.pid());
        assertThat(stackDir).as("the run's state dir").isDirectory();
        List<Long> servers = LocalStackProcess.recordedPids(stackDir);
        List<Integer> ports = ports(stackDir);
        assertThat(servers).as("stand-ins recorded in %s", stackDir).hasSize(4);
        assertThat(ports).as("ports in endpoints.env").hasSize(4);
        recorded.addAll(servers);
        run.descendants().forEach(d -> recorded.add(d.pid()));
        assertThat(servers).allMatch(LocalStackProcess::alive, "stand-ins alive before the signal");

        interruptAndExpectEverythingGone(stackDir, ports);
        assertThat(outDir.resolve("notifications.jsonl")).as("an interrupted run writes no result").doesNotExist();
    }

    @Test
    void ctrlCWhileTheStackIsStartingStopsWhatWasStartedSoFar() throws Exception {
        start("20");
        awaitLine(l -> l.startsWith("starting the local stack"));
        Path stackDir = root.resolve("target/replay-stack-" + run.pid());
        // Let `stack up` get some servers going (it records each in the pids file as it starts it).
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (LocalStackProcess.recordedPids(stackDir).isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        recorded.addAll(LocalStackProcess.recordedPids(stackDir));
        run.descendants().forEach(d -> recorded.add(d.pid()));
        assertThat(recorded).as("processes started by the run before the signal").isNotEmpty();

        interruptAndExpectEverythingGone(stackDir, ports(stackDir));
    }

    private void start(String speed) throws IOException {
        Path scenario = Path.of(System.getProperty("golden.scenario", "../shared/golden/scenario-crash.json"))
                .toAbsolutePath().normalize();
        List<String> cmd = new ArrayList<>();
        // A JVM whose parent ignores SIGINT inherits that (and then cannot trap it): reset it, as
        // an interactive shell would have.
        if (Files.isExecutable(Path.of("/usr/bin/env"))) {
            cmd.addAll(List.of("/usr/bin/env", "--default-signal=INT"));
        }
        cmd.addAll(List.of("bash", root.resolve("infra/local/run-scenario.sh").toString(), scenario.toString(),
                outDir.toString(), "--speed", speed));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(root.toFile())
                .redirectOutput(stdoutFile().toFile());
        // This JVM's test classpath holds the tooling: no install or Maven build inside the test.
        pb.environment().put("REPLAY_CLASSPATH", System.getProperty("java.class.path"));
        run = pb.start();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(run.getErrorStream(), StandardCharsets.UTF_8))) {
                for (String line = r.readLine(); line != null; line = r.readLine()) {
                    stderr.add(line);
                }
            } catch (IOException e) {
                stderr.add("(stderr closed: " + e + ")");
            }
        }, "run-scenario stderr");
        reader.setDaemon(true);
        reader.start();
    }

    private void interruptAndExpectEverythingGone(Path stackDir, List<Integer> ports) throws Exception {
        Process kill = new ProcessBuilder("kill", "-INT", Long.toString(run.pid())).inheritIO().start();
        assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(kill.exitValue()).as("kill -INT").isZero();

        assertThat(run.waitFor(60, TimeUnit.SECONDS)).as("the run ends after SIGINT; stderr:%n%s", log()).isTrue();
        assertThat(run.exitValue()).as("exit code after SIGINT; stderr:%n%s", log()).isEqualTo(130);
        for (long pid : recorded) {
            assertThat(LocalStackProcess.alive(pid)).as("pid %d (%s) of the run still alive", pid, command(pid)).isFalse();
        }
        List<Integer> listening = listeningPorts();
        assertThat(ports).as("ports of the run still listened on").noneMatch(listening::contains);
        assertThat(stackDir).as("the run's state dir").doesNotExist();
        assertThat(log()).contains("interrupted").doesNotContain("Exception", "run failed");
    }

    private void awaitLine(Predicate<String> wanted) throws InterruptedException {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (stderr.stream().noneMatch(wanted)) {
            assertThat(run.isAlive()).as("the run ended early (%s); stderr:%n%s", run.isAlive() ? "" : run.exitValue(), log())
                    .isTrue();
            assertThat(System.nanoTime()).as("waiting for a line of the run; stderr:%n%s", log()).isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    private Path stdoutFile() {
        return outDir.resolveSibling(outDir.getFileName() + ".stdout");
    }

    private String log() {
        return String.join("\n", stderr);
    }

    private static List<Integer> ports(Path stackDir) throws IOException {
        List<Integer> ports = new ArrayList<>();
        Path env = stackDir.resolve("endpoints.env");
        if (!Files.exists(env)) {
            return ports;
        }
        for (String line : Files.readAllLines(env)) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("^[A-Z_]+_ENDPOINT=http://127\\.0\\.0\\.1:(\\d+)$")
                    .matcher(line);
            if (m.matches() && !ports.contains(Integer.parseInt(m.group(1)))) {
                ports.add(Integer.parseInt(m.group(1)));
            }
        }
        return ports;
    }

    /** Local ports in the LISTEN state, IPv4 and IPv6. */
    private static List<Integer> listeningPorts() throws IOException {
        List<Integer> ports = new ArrayList<>();
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            Path p = Path.of(table);
            if (!Files.exists(p)) {
                continue;
            }
            List<String> lines = Files.readAllLines(p); // read once: the table changes between two reads
            for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
                String[] f = line.trim().split("\\s+");
                if (f.length > 3 && f[3].equals("0A")) {
                    ports.add(Integer.parseInt(f[1].substring(f[1].lastIndexOf(':') + 1), 16));
                }
            }
        }
        return ports;
    }

    private static String command(long pid) {
        return ProcessHandle.of(pid).flatMap(h -> h.info().commandLine()).orElse("?");
    }
}
