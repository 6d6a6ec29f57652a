package org.margincall.engine.template;

import io.smallrye.config.WithDefault;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.margincall.engine.config.EngineConfig;

/**
 * What the code needs from its deployment, read from the code itself so the template checks
 * cannot drift from it: the @Named handlers, the configuration keys (as environment variables)
 * and, per handler, every AWS SDK operation it can reach with the configuration key naming the
 * resource it is called on. Reachability follows method calls through the handler, the service
 * and the adapters by name; the code's layering (handler → service → one adapter per service)
 * keeps that simple and exact enough.
 */
final class CodeFacts {
    /** An SDK operation as an IAM action, on the resource a config key names. */
    record Need(String action, String configKey, String where) {
    }

    private static final Pattern NAMED = Pattern.compile("@Named\\(\"([^\"]+)\"\\)\\s*public class (\\w+)");
    private static final Pattern METHOD = Pattern.compile(
            "(?m)^    (?:public |private |protected |static |final |synchronized )*[\\w<>\\[\\], .?]+\\s+(\\w+)\\([^;{]*\\)[^;{]*\\{");
    private static final Pattern FIELD = Pattern.compile("private final (\\w+)(?:<[^>]*>)? (\\w+);");
    private static final Pattern CALL = Pattern.compile("\\b(\\w+)\\.(\\w+)\\(");
    private static final Pattern LOCAL_CALL = Pattern.compile("(?<![.\\w])(\\w+)\\(");
    private static final Pattern CONFIG = Pattern.compile("config\\.(\\w+)\\(\\)");
    private static final Pattern IMPLEMENTS = Pattern.compile("class (\\w+)[^{]*?\\bimplements ([\\w.,<> ]+)\\{");
    private static final Map<String, String> CLIENTS = Map.of(
            "DynamoDbClient", "dynamodb", "SnsClient", "sns", "SfnClient", "states", "EventBridgeClient", "events",
            "SqsClient", "sqs");
    /** SDK methods whose IAM action is not simply the capitalised method name. */
    private static final Map<String, String> ACTION_ALIASES = Map.of("sns:PublishBatch", "sns:Publish",
            "sqs:SendMessageBatch", "sqs:SendMessage");

    final Map<String, String> handlerClasses = new LinkedHashMap<>();
    private final Map<String, String> sources = new HashMap<>();
    /** Engine interfaces (the service's ports) → the classes implementing them (the adapters). */
    private final Map<String, Set<String>> implementations = new HashMap<>();
    private final Path srcMain;

    CodeFacts(Path srcMain) {
        this.srcMain = srcMain;
        try (Stream<Path> files = Files.walk(srcMain)) {
            files.filter(p -> p.toString().endsWith(".java")).forEach(p -> {
                String text = read(p);
                String name = p.getFileName().toString().replace(".java", "");
                sources.put(name, text);
                Matcher impl = IMPLEMENTS.matcher(text);
                if (impl.find()) {
                    for (String type : impl.group(2).replaceAll("<[^>]*>", "").split(",")) {
                        String simple = type.trim().substring(type.trim().lastIndexOf('.') + 1);
                        implementations.computeIfAbsent(simple, k -> new LinkedHashSet<>()).add(impl.group(1));
                    }
                }
                Matcher m = NAMED.matcher(text);
                if (m.find() && text.contains("implements RequestHandler")) {
                    handlerClasses.put(m.group(1), m.group(2));
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Environment variables the configuration reads: {@code margincall.table-name} → {@code MARGINCALL_TABLE_NAME}. */
    static Map<String, Boolean> configVariables() {
        Map<String, Boolean> out = new LinkedHashMap<>();
        for (Method m : EngineConfig.class.getDeclaredMethods()) {
            boolean required = m.getAnnotation(WithDefault.class) == null && m.getReturnType() != Optional.class;
            out.put(envName(m.getName()), required);
        }
        return out;
    }

    /** The metric names the service's {@code Metrics} port declares (its String constants). */
    static Set<String> metricNames() {
        Set<String> out = new LinkedHashSet<>();
        for (java.lang.reflect.Field f : org.margincall.engine.service.port.Metrics.class.getFields()) {
            if (f.getType() == String.class) {
                try {
                    out.add((String) f.get(null));
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return out;
    }

    static String envName(String configMethod) {
        return "MARGINCALL_" + configMethod.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toUpperCase();
    }

    /** Every SDK operation reachable from a handler, with the config key of its resource. */
    Set<Need> needs(String handlerClass) {
        Set<Need> out = new LinkedHashSet<>();
        Set<String> seen = new HashSet<>();
        Deque<String[]> todo = new ArrayDeque<>(); // {class, method}
        todo.add(new String[]{handlerClass, "handleRequest"});
        while (!todo.isEmpty()) {
            String[] at = todo.poll();
            String key = at[0] + "#" + at[1];
            if (!seen.add(key) || !sources.containsKey(at[0])) {
                continue;
            }
            String src = sources.get(at[0]);
            Map<String, String> fields = fields(src);
            String body = methodBody(src, at[1]);
            if (body == null) {
                continue;
            }
            Matcher c = CALL.matcher(body);
            while (c.find()) {
                String type = fields.get(c.group(1));
                if (type == null) {
                    continue;
                }
                if (CLIENTS.containsKey(type)) {
                    String action = CLIENTS.get(type) + ":" + Character.toUpperCase(c.group(2).charAt(0)) + c.group(2).substring(1);
                    out.add(new Need(ACTION_ALIASES.getOrDefault(action, action), resourceKey(src, type), at[0] + "." + at[1]));
                } else {
                    todo.add(new String[]{type, c.group(2)});
                    // a port: whatever implements it in the Lambda package is what runs
                    for (String impl : implementations.getOrDefault(type, Set.of())) {
                        todo.add(new String[]{impl, c.group(2)});
                    }
                }
            }
            Matcher l = LOCAL_CALL.matcher(body);
            while (l.find()) {
                todo.add(new String[]{at[0], l.group(1)});
            }
        }
        return out;
    }

    /** The config key an adapter's client calls are aimed at: the one it reads in its constructor. */
    private static String resourceKey(String adapterSource, String clientType) {
        Matcher m = CONFIG.matcher(adapterSource);
        Set<String> keys = new LinkedHashSet<>();
        while (m.find()) {
            keys.add(m.group(1));
        }
        keys.removeIf(k -> !k.endsWith("Arn") && !k.endsWith("QueueUrl") && !k.equals("table") && !k.equals("eventBusName"));
        if (keys.size() != 1) {
            throw new IllegalStateException("an adapter using " + clientType + " should name exactly one resource from "
                    + "the configuration, found " + keys);
        }
        return keys.iterator().next();
    }

    private static Map<String, String> fields(String src) {
        Map<String, String> out = new HashMap<>();
        Matcher m = FIELD.matcher(src);
        while (m.find()) {
            out.put(m.group(2), m.group(1));
        }
        return out;
    }

    /** The body of a member method (4-space indentation), braces matched; null if absent. */
    static String methodBody(String src, String name) {
        Matcher m = METHOD.matcher(src);
        StringBuilder all = null;
        while (m.find()) {
            if (!m.group(1).equals(name)) {
                continue;
            }
            int depth = 1;
            int i = m.end();
            while (i < src.length() && depth > 0) {
                char ch = src.charAt(i++);
                if (ch == '{') {
                    depth++;
                } else if (ch == '}') {
                    depth--;
                }
            }
            if (all == null) {
                all = new StringBuilder();
            }
            all.append(src, m.end(), i).append('\n'); // overloads: all of them
        }
        return all == null ? null : all.toString();
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
