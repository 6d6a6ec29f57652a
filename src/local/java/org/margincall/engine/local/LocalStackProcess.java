package org.margincall.engine.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The local AWS stand-ins (infra/local/stack) as a process of this JVM: started with a state
 * directory of its own, the template's resources created in it, stopped on {@link #stop()}.
 * Used by the local replay and by the tests.
 *
 * <p>Nothing outlives the run: from the moment {@link #start} is called a shutdown hook stands
 * ready to stop the stack (Ctrl-C, SIGTERM, {@code System.exit}), and {@link #stop()} (also on a
 * failed start) kills the helper processes still running with their process trees, then the
 * servers recorded in the state dir's {@code pids} file (those tagged with this state dir only,
 * SIGTERM, SIGKILL after a grace), and deletes the state dir. The servers are detached daemons
 * (not descendants of this JVM), so they also get {@code STACK_OWNER_PID}: each stops by itself
 * once this JVM is gone, even after a SIGKILL that runs no hook.
 */
public final class LocalStackProcess implements AutoCloseable {
    /** The system property naming the project root, set by run-scenario.sh (see {@link #projectRoot()}). */
    public static final String ROOT_PROPERTY = "margincall.root";
    private static final long STOP_GRACE_MILLIS = 5_000;

    public final Path root;
    public final Path stackDir;
    public final Map<String, String> endpoints;
    public final JsonNode resources;
    private final Cleanup cleanup;

    private LocalStackProcess(Path root, Path stackDir, Map<String, String> endpoints, JsonNode resources, Cleanup cleanup) {
        this.root = root;
        this.stackDir = stackDir;
        this.endpoints = endpoints;
        this.resources = resources;
        this.cleanup = cleanup;
    }

    /**
     * Starts the stack with the facade's clock controlled, and creates template.yaml's resources.
     * On any failure (or an interrupt meanwhile) whatever was started is stopped and the state
     * dir removed before this throws.
     */
    public static LocalStackProcess start(Path root, Path stackDir) {
        Path script = root.resolve("infra/local/stack");
        if (!Files.isDirectory(root.resolve("infra/local/node_modules"))) {
            throw new IllegalStateException("infra/local/node_modules is missing: run infra/local/install.sh "
                    + "(the Maven build does it before tests)");
        }
        Cleanup cleanup = new Cleanup(root, stackDir);
        try {
            Map<String, String> env = Map.of("STACK_DIR", stackDir.toString(), "SFN_CLOCK", "controlled",
                    "STACK_OWNER_PID", Long.toString(ProcessHandle.current().pid()));
            cleanup.run(List.of(script.toString(), "down"), env, false);
            cleanup.run(List.of(script.toString(), "up"), env, true);
            cleanup.run(List.of(script.toString(), "resources", root.resolve("template.yaml").toString()), env, true);
            Map<String, String> endpoints = new LinkedHashMap<>();
            for (String line : Files.readAllLines(stackDir.resolve("endpoints.env"))) {
                int eq = line.indexOf('=');
                if (eq > 0) {
                    endpoints.put(line.substring(0, eq).trim(), line.substring(eq + 1).trim());
                }
            }
            JsonNode resources = new ObjectMapper().readTree(stackDir.resolve("resources.json").toFile()).get("resources");
            return new LocalStackProcess(root, stackDir, endpoints, resources, cleanup);
        } catch (IOException e) {
            cleanup.stop();
            throw new IllegalStateException("local stack started but its files are unreadable in " + stackDir, e);
        } catch (RuntimeException | Error e) {
            cleanup.stop();
            throw e;
        }
    }

    /**
     * The project root: the {@value #ROOT_PROPERTY} system property when set, else the nearest
     * directory above the working directory holding template.yaml.
     */
    public static Path projectRoot() {
        String configured = System.getProperty(ROOT_PROPERTY);
        if (configured != null && !configured.isBlank()) {
            Path p = Path.of(configured).toAbsolutePath().normalize();
            if (!Files.exists(p.resolve("template.yaml"))) {
                throw new IllegalStateException(ROOT_PROPERTY + "=" + configured + " holds no template.yaml");
            }
            return p;
        }
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.exists(p.resolve("template.yaml"))) {
            p = p.getParent();
        }
        if (p == null) {
            throw new IllegalStateException("cannot find the project root (template.yaml) above " + Path.of("").toAbsolutePath());
        }
        return p;
    }

    /**
     * Removes state dirs {@code <prefix><pid>} under {@code parent} whose owning process is gone
     * (a run killed with SIGKILL, which runs no hook): stops any server of theirs still running
     * and deletes the dir. Returns how many were removed.
     */
    public static int removeStale(Path parent, String prefix) {
        if (!Files.isDirectory(parent)) {
            return 0;
        }
        Pattern name = Pattern.compile(Pattern.quote(prefix) + "(\\d+)");
        List<Path> stale = new ArrayList<>();
        try (Stream<Path> dirs = Files.list(parent)) {
            dirs.forEach(d -> {
                Matcher m = name.matcher(d.getFileName().toString());
                if (m.matches() && Files.isDirectory(d) && !alive(Long.parseLong(m.group(1)))) {
                    stale.add(d);
                }
            });
        } catch (IOException e) {
            return 0;
        }
        stale.sort(Comparator.naturalOrder());
        for (Path d : stale) {
            new Cleanup(null, d, false).stop();
        }
        return stale.size();
    }

    /** Stops every process this stack started and deletes its state dir; idempotent, thread-safe. */
    public void stop() {
        cleanup.stop();
    }

    @Override
    public void close() {
        stop();
    }

    /** The servers' PIDs as recorded in the state dir (empty once stopped). */
    public List<Long> serverPids() {
        return recordedPids(stackDir);
    }

    /** The server PIDs recorded in a state dir's {@code pids} file (`stack up` adds each as it starts it). */
    static List<Long> recordedPids(Path stackDir) {
        return Cleanup.recordedPids(stackDir);
    }

    /** The last lines of every server log, for a failure report (empty once stopped). */
    public String logTails(int lines) {
        StringBuilder b = new StringBuilder();
        try (Stream<Path> logs = Files.list(stackDir.resolve("logs"))) {
            for (Path log : logs.sorted().toList()) {
                List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
                b.append("--- ").append(stackDir.relativize(log)).append(" (last ").append(Math.min(lines, all.size()))
                        .append(" lines)\n");
                all.subList(Math.max(0, all.size() - lines), all.size()).forEach(l -> b.append(l).append('\n'));
            }
        } catch (IOException | UncheckedIOException e) {
            // gone or unreadable: nothing to add
        }
        return b.toString();
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

    /** Alive and not a zombie (an orphan's zombie may never be reaped in a container). */
    static boolean alive(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            int close = stat.lastIndexOf(')');
            return close < 0 || close + 2 >= stat.length() || stat.charAt(close + 2) != 'Z';
        } catch (NoSuchFileException e) {
            return false;
        } catch (IOException e) {
            return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
        }
    }

    /**
     * What a stack started, and how to stop it. Registered as a shutdown hook from the first
     * moment, removed again by a {@link #stop()} that is not itself the hook.
     */
    private static final class Cleanup {
        private final Path root;
        private final Path stackDir;
        private final Thread hook;
        private final Set<Process> running = ConcurrentHashMap.newKeySet();
        private volatile boolean stopping;
        private boolean stopped;

        Cleanup(Path root, Path stackDir) {
            this(root, stackDir, true);
        }

        Cleanup(Path root, Path stackDir, boolean hooked) {
            this.root = root;
            this.stackDir = stackDir.toAbsolutePath().normalize();
            this.hook = hooked ? new Thread(this::stop, "local-stack-stop " + this.stackDir.getFileName()) : null;
            if (hook != null) {
                Runtime.getRuntime().addShutdownHook(hook);
            }
        }

        /** Runs a helper (the stack script) to completion; it is killed, tree and all, by a stop meanwhile. */
        void run(List<String> cmd, Map<String, String> env, boolean mustSucceed) {
            if (stopping) {
                throw new IllegalStateException("the local stack in " + stackDir + " is stopping");
            }
            Process p;
            try {
                ProcessBuilder pb = new ProcessBuilder(cmd).directory(root.toFile()).redirectErrorStream(true);
                pb.environment().putAll(env);
                p = pb.start();
            } catch (IOException e) {
                throw new IllegalStateException("cannot run " + cmd, e);
            }
            running.add(p);
            try {
                byte[] out = p.getInputStream().readAllBytes();
                if (!p.waitFor(60, TimeUnit.SECONDS)) {
                    killTree(p.toHandle());
                    throw new IllegalStateException(String.join(" ", cmd) + " did not finish in 60 s");
                }
                if (stopping) {
                    throw new IllegalStateException("the local stack in " + stackDir + " was stopped during "
                            + String.join(" ", cmd));
                }
                if (mustSucceed && p.exitValue() != 0) {
                    throw new IllegalStateException(String.join(" ", cmd) + " failed (" + p.exitValue() + "):\n"
                            + new String(out, StandardCharsets.UTF_8));
                }
            } catch (IOException e) {
                throw new IllegalStateException("cannot read the output of " + cmd, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                killTree(p.toHandle());
                throw new IllegalStateException("interrupted running " + cmd, e);
            } finally {
                running.remove(p);
            }
        }

        void stop() {
            stopping = true;
            boolean interrupted = Thread.interrupted(); // the grace waits below must really wait
            try {
                stopOnce();
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        private synchronized void stopOnce() {
            if (stopped) {
                return;
            }
            stopped = true;
            // 1. A helper still running (a `stack up` cut short): its whole tree, servers it has
            //    started included (they are its children until it exits).
            for (Process p : List.copyOf(running)) {
                killTree(p.toHandle());
            }
            // 2. The servers, as recorded, if they still carry this state dir's tag.
            String tag = "\0--stack-dir=" + realPath(stackDir) + "\0";
            List<ProcessHandle> servers = new ArrayList<>();
            for (long pid : recordedPids(stackDir)) {
                if (alive(pid) && commandLine(pid).contains(tag)) {
                    ProcessHandle.of(pid).ifPresent(servers::add);
                }
            }
            terminate(servers);
            // 3. The state dir.
            deleteRecursively(stackDir);
            if (hook != null && Thread.currentThread() != hook) {
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException e) {
                    // the JVM is shutting down: the hook runs and finds nothing left to do
                }
            }
        }

        static List<Long> recordedPids(Path stackDir) {
            List<Long> pids = new ArrayList<>();
            try {
                for (String line : Files.readAllLines(stackDir.resolve("pids"))) {
                    String[] f = line.trim().split("\\s+");
                    if (f.length >= 2 && f[1].matches("\\d+")) {
                        pids.add(Long.parseLong(f[1]));
                    }
                }
            } catch (IOException e) {
                // no pids file: nothing was started, or it is stopped already
            }
            return pids;
        }

        private static void killTree(ProcessHandle root) {
            List<ProcessHandle> tree = new ArrayList<>(root.descendants().toList());
            tree.add(0, root);
            terminate(tree);
        }

        /** SIGTERM, then SIGKILL to whatever is left after the grace. */
        private static void terminate(List<ProcessHandle> processes) {
            if (processes.isEmpty()) {
                return;
            }
            processes.forEach(ProcessHandle::destroy);
            long deadline = System.currentTimeMillis() + STOP_GRACE_MILLIS;
            while (processes.stream().anyMatch(p -> alive(p.pid())) && System.currentTimeMillis() < deadline) {
                sleep(50);
            }
            List<ProcessHandle> left = processes.stream().filter(p -> alive(p.pid())).toList();
            left.forEach(ProcessHandle::destroyForcibly);
            long killDeadline = System.currentTimeMillis() + 2_000;
            while (left.stream().anyMatch(p -> alive(p.pid())) && System.currentTimeMillis() < killDeadline) {
                sleep(20);
            }
        }

        private static String commandLine(long pid) {
            try {
                byte[] raw = Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline"));
                return "\0" + new String(raw, StandardCharsets.UTF_8);
            } catch (IOException e) {
                return ProcessHandle.of(pid).flatMap(h -> h.info().arguments())
                        .map(args -> "\0" + String.join("\0", args) + "\0").orElse("");
            }
        }

        private static String realPath(Path p) {
            try {
                return p.toRealPath().toString();
            } catch (IOException e) {
                return p.toString();
            }
        }

        private static void deleteRecursively(Path dir) {
            if (!Files.exists(dir)) {
                return;
            }
            try (Stream<Path> all = Files.walk(dir)) {
                for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            } catch (IOException | UncheckedIOException e) {
                System.err.println("could not remove " + dir + ": " + e.getMessage());
            }
        }

        private static void sleep(long ms) {
            try {
                Thread.sleep(ms);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
