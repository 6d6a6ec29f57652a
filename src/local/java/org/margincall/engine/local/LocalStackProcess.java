package org.margincall.engine.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The local AWS stand-ins (infra/local/stack) as a process of this JVM: started with a state
 * directory of its own, the template's resources created in it, stopped on {@link #stop()}.
 * Used by the local replay and by the tests.
 */
public final class LocalStackProcess {
    public final Path root;
    public final Path stackDir;
    public final Map<String, String> endpoints;
    public final JsonNode resources;

    private LocalStackProcess(Path root, Path stackDir, Map<String, String> endpoints, JsonNode resources) {
        this.root = root;
        this.stackDir = stackDir;
        this.endpoints = endpoints;
        this.resources = resources;
    }

    /** Starts the stack with the facade's clock controlled, and creates template.yaml's resources. */
    public static LocalStackProcess start(Path root, Path stackDir) {
        Path script = root.resolve("infra/local/stack");
        if (!Files.isDirectory(root.resolve("infra/local/node_modules"))) {
            throw new IllegalStateException("infra/local/node_modules is missing: run infra/local/install.sh "
                    + "(the Maven build does it before tests)");
        }
        Map<String, String> env = Map.of("STACK_DIR", stackDir.toString(), "SFN_CLOCK", "controlled");
        run(List.of(script.toString(), "down"), env, root, false);
        run(List.of(script.toString(), "up"), env, root, true);
        run(List.of(script.toString(), "resources", root.resolve("template.yaml").toString()), env, root, true);
        try {
            Map<String, String> endpoints = new LinkedHashMap<>();
            for (String line : Files.readAllLines(stackDir.resolve("endpoints.env"))) {
                int eq = line.indexOf('=');
                if (eq > 0) {
                    endpoints.put(line.substring(0, eq).trim(), line.substring(eq + 1).trim());
                }
            }
            JsonNode resources = new ObjectMapper().readTree(stackDir.resolve("resources.json").toFile()).get("resources");
            return new LocalStackProcess(root, stackDir, endpoints, resources);
        } catch (IOException e) {
            throw new IllegalStateException("local stack started but its files are unreadable in " + stackDir, e);
        }
    }

    /** The project root: the nearest directory above the working directory holding template.yaml. */
    public static Path projectRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.exists(p.resolve("template.yaml"))) {
            p = p.getParent();
        }
        if (p == null) {
            throw new IllegalStateException("cannot find the project root (template.yaml) above " + Path.of("").toAbsolutePath());
        }
        return p;
    }

    public void stop() {
        run(List.of(root.resolve("infra/local/stack").toString(), "down"), Map.of("STACK_DIR", stackDir.toString()), root, false);
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

    private static void run(List<String> cmd, Map<String, String> env, Path dir, boolean mustSucceed) {
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
            pb.environment().putAll(env);
            Process p = pb.start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", cmd) + " did not finish in 60 s");
            }
            if (mustSucceed && p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", cmd) + " failed (" + p.exitValue() + "):\n"
                        + new String(out, StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + cmd, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running " + cmd, e);
        }
    }
}
