package org.margincall.engine.template;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.margincall.engine.adapter.cloudwatch.EngineMetrics;

/**
 * Offline checks of template.yaml against the code, which no generic linter can know: every
 * function names a real @Named handler and gets exactly the configuration the code reads, every
 * SDK operation the code can reach from a handler is allowed on its resource and nothing else is
 * granted, no policy grants a wildcard action or data actions on every resource, every local
 * CodeUri/DefinitionUri exists (cfn-lint does not look at local paths), and every alarm on the
 * engine's own metrics watches a metric and dimension the code writes. Whether the template is
 * valid CloudFormation/SAM (references resolve, properties exist and have their types) is
 * cfn-lint's job: .ci/run and TemplateCfnLintTest. Each check returns its problems, one line
 * each, empty when the template is right.
 */
final class TemplateLint {
    private static final Set<String> RUNTIME_VARIABLES = Set.of("QUARKUS_LAMBDA_HANDLER", "POWERTOOLS_SERVICE_NAME",
            "POWERTOOLS_METRICS_NAMESPACE", "DISABLE_SIGNAL_HANDLERS");
    /** Actions whose API takes no resource-level permission, for which AWS documents Resource "*". */
    private static final Pattern RESOURCELESS = Pattern.compile("^(logs|xray):.*");

    private final Map<String, Object> t;
    private final Path root;
    private final Map<String, Object> resources;

    @SuppressWarnings("unchecked")
    TemplateLint(Map<String, Object> template, Path root) {
        this.t = template;
        this.root = root;
        this.resources = (Map<String, Object>) template.getOrDefault("Resources", Map.of());
    }

    List<String> all(CodeFacts code) {
        List<String> out = new ArrayList<>();
        out.addAll(handlers(code));
        out.addAll(environment());
        out.addAll(paths());
        out.addAll(permissions(code));
        out.addAll(wildcards());
        out.addAll(engineAlarms());
        return out;
    }

    // ---- handlers and environment ----

    Map<String, Map<String, Object>> functions() {
        Map<String, Map<String, Object>> out = new LinkedHashMap<>();
        resources.forEach((id, r) -> {
            Map<String, Object> res = map(r);
            if ("AWS::Serverless::Function".equals(res.get("Type"))) {
                out.put(id, map(res.get("Properties")));
            }
        });
        return out;
    }

    /** A function's environment with the Globals merged in. */
    Map<String, Object> environment(Map<String, Object> props) {
        Map<String, Object> env = new LinkedHashMap<>();
        env.putAll(map(map(map(map(t.get("Globals")).get("Function")).get("Environment")).get("Variables")));
        env.putAll(map(map(props.get("Environment")).get("Variables")));
        return env;
    }

    List<String> handlers(CodeFacts code) {
        List<String> out = new ArrayList<>();
        if (functions().isEmpty()) {
            out.add("template defines no function");
        }
        functions().forEach((id, props) -> {
            Object handler = environment(props).get("QUARKUS_LAMBDA_HANDLER");
            if (handler == null) {
                out.add(id + ": no QUARKUS_LAMBDA_HANDLER, so Quarkus cannot pick among " + code.handlerClasses.keySet());
            } else if (!code.handlerClasses.containsKey(handler.toString())) {
                out.add(id + ": QUARKUS_LAMBDA_HANDLER " + handler + " is no @Named handler (known: "
                        + code.handlerClasses.keySet() + ")");
            }
        });
        return out;
    }

    List<String> environment() {
        List<String> out = new ArrayList<>();
        Map<String, Boolean> config = CodeFacts.configVariables();
        functions().forEach((id, props) -> {
            Map<String, Object> env = environment(props);
            for (String var : env.keySet()) {
                if (!config.containsKey(var) && !RUNTIME_VARIABLES.contains(var)) {
                    out.add(id + ": environment variable " + var + " is read by nothing in the code");
                }
            }
            config.forEach((var, required) -> {
                if (required && !env.containsKey(var)) {
                    out.add(id + ": required configuration " + var + " is not set");
                }
            });
        });
        return out;
    }

    // ---- paths ----

    List<String> paths() {
        List<String> out = new ArrayList<>();
        Object globalCode = map(map(t.get("Globals")).get("Function")).get("CodeUri");
        resources.forEach((id, r) -> {
            Map<String, Object> props = map(map(r).get("Properties"));
            for (String key : List.of("DefinitionUri", "CodeUri")) {
                Object v = props.get(key);
                if (v == null && key.equals("CodeUri") && "AWS::Serverless::Function".equals(map(r).get("Type"))) {
                    v = globalCode;
                }
                if (v instanceof String path) {
                    // The function package is built by `mvn package` (quarkus-amazon-lambda names it function.zip).
                    boolean built = path.equals("target/function.zip");
                    if (!built && !Files.exists(root.resolve(path))) {
                        out.add(id + ": " + key + " " + path + " does not exist");
                    }
                }
            }
        });
        return out;
    }

    // ---- permissions ----

    List<String> permissions(CodeFacts code) {
        List<String> out = new ArrayList<>();
        functions().forEach((id, props) -> {
            Object handler = environment(props).get("QUARKUS_LAMBDA_HANDLER");
            String cls = handler == null ? null : code.handlerClasses.get(handler.toString());
            if (cls == null) {
                return;
            }
            Map<String, Object> env = environment(props);
            List<Map<String, Object>> statements = statements(props.get("Policies"));
            Set<CodeFacts.Need> needs = code.needs(cls);
            Set<String> needed = new java.util.HashSet<>();
            needs.forEach(n -> needed.add(n.action()));
            for (Map<String, Object> s : statements) {
                for (Object a : list(s.get("Action"))) {
                    String action = a.toString();
                    boolean service = action.startsWith("dynamodb:") || action.startsWith("sns:") || action.startsWith("states:")
                            || action.startsWith("events:") || action.startsWith("sqs:") || action.startsWith("lambda:");
                    if (service && !needed.contains(action)) {
                        out.add(id + ": statement " + s.get("Sid") + " grants " + action + ", which its handler's code never calls");
                    }
                }
            }
            for (CodeFacts.Need need : needs) {
                Object target = env.get(CodeFacts.envName(need.configKey()));
                if (target == null) {
                    out.add(id + ": " + need.where() + " calls " + need.action() + " on " + need.configKey()
                            + ", which the function's environment does not set");
                    continue;
                }
                Object resource = EXECUTION_ACTIONS.contains(need.action()) ? executionsOf(target) : target;
                boolean allowed = statements.stream().anyMatch(s -> "Allow".equals(s.get("Effect"))
                        && list(s.get("Action")).contains(need.action()) && list(s.get("Resource")).stream()
                        .anyMatch(res -> sameResource(res, resource)));
                if (!allowed) {
                    out.add(id + ": no statement allows " + need.action() + " on " + render(target) + " (called from "
                            + need.where() + ")");
                }
            }
        });
        return out;
    }

    /** Step Functions actions whose resource is an execution of the configured state machine, not the machine. */
    private static final java.util.Set<String> EXECUTION_ACTIONS = java.util.Set.of("states:DescribeExecution");

    /** The executions of a state machine ARN written as {@code !Sub '…:stateMachine:NAME'}: {@code …:execution:NAME:*}. */
    @SuppressWarnings("unchecked")
    private static Object executionsOf(Object stateMachineArn) {
        if (stateMachineArn instanceof Map<?, ?> m && m.get("Fn::Sub") instanceof String sub) {
            return Map.of("Fn::Sub", sub.replace(":stateMachine:", ":execution:") + ":*");
        }
        return stateMachineArn;
    }

    /** Whether a policy resource designates what an environment value names (by logical id or exact text). */
    private boolean sameResource(Object policyResource, Object envValue) {
        if (envValue instanceof Map<?, ?> m && m.containsKey("Ref")) {
            String id = m.get("Ref").toString();
            String text = render(policyResource);
            return text.contains("Ref=" + id) || text.contains("GetAtt=[" + id + ",") || text.contains("${" + id + "}")
                    || text.contains("${" + id + ".");
        }
        return render(policyResource).equals(render(envValue));
    }

    // ---- wildcards ----

    List<String> wildcards() {
        List<String> out = new ArrayList<>();
        walk(resources, "Resources", (path, key, value) -> {
            if (!key.equals("Action")) {
                return;
            }
            for (Object a : list(value)) {
                String action = a.toString();
                if (action.equals("*") || action.endsWith(":*")) {
                    out.add(path + ": wildcard action " + action);
                }
            }
        });
        functions().forEach((id, props) -> {
            for (Map<String, Object> s : statements(props.get("Policies"))) {
                boolean dataAction = list(s.get("Action")).stream().anyMatch(a -> !RESOURCELESS.matcher(a.toString()).matches());
                if (dataAction && list(s.get("Resource")).contains("*")) {
                    out.add(id + ": statement " + s.get("Sid") + " grants data actions on every resource");
                }
            }
        });
        return out;
    }

    // ---- alarms on the engine's own metrics ----

    /**
     * Every alarm metric outside the {@code AWS/} namespaces is one of the engine's: in
     * {@link EngineMetrics#NAMESPACE}, named by the {@code Metrics} port, with exactly the dimension
     * EngineMetrics writes ({@link EngineMetrics#DIMENSION} = one of the template's functions). An
     * alarm on any other dimension watches a metric that never exists, so it never fires.
     */
    List<String> engineAlarms() {
        List<String> out = new ArrayList<>();
        Set<String> names = CodeFacts.metricNames();
        resources.forEach((id, r) -> {
            if (!"AWS::CloudWatch::Alarm".equals(map(r).get("Type"))) {
                return;
            }
            Map<String, Object> props = map(map(r).get("Properties"));
            List<Map<String, Object>> watched = new ArrayList<>();
            if (props.containsKey("MetricName")) {
                watched.add(props);
            }
            for (Object query : list(props.get("Metrics"))) {
                Map<String, Object> metric = map(map(map(query).get("MetricStat")).get("Metric"));
                if (!metric.isEmpty()) {
                    watched.add(metric);
                }
            }
            for (Map<String, Object> m : watched) {
                String namespace = String.valueOf(m.get("Namespace"));
                Object name = m.get("MetricName");
                if (namespace.startsWith("AWS/")) {
                    continue;
                }
                if (!namespace.equals(EngineMetrics.NAMESPACE)) {
                    out.add(id + ": " + name + " in namespace " + namespace + ", which nothing writes (the engine's is "
                            + EngineMetrics.NAMESPACE + ")");
                    continue;
                }
                if (!names.contains(String.valueOf(name))) {
                    out.add(id + ": metric " + name + " is not one the Metrics port declares");
                }
                List<Object> dims = list(m.get("Dimensions"));
                Map<String, Object> dim = dims.size() == 1 ? map(dims.get(0)) : Map.of();
                boolean function = map(dim.get("Value")).get("Ref") instanceof String ref && functions().containsKey(ref);
                if (!EngineMetrics.DIMENSION.equals(dim.get("Name")) || !function) {
                    out.add(id + ": " + name + " is written with the one dimension " + EngineMetrics.DIMENSION
                            + " = a function's name (!Ref of a function), not " + render(dims));
                }
            }
        });
        return out;
    }

    // ---- helpers ----

    private interface Visitor {
        void visit(String path, String key, Object value);
    }

    private static void walk(Object node, String path, Visitor v) {
        if (node instanceof Map<?, ?> m) {
            m.forEach((k, val) -> {
                v.visit(path, k.toString(), val);
                walk(val, path + "." + k, v);
            });
        } else if (node instanceof List<?> l) {
            for (int i = 0; i < l.size(); i++) {
                walk(l.get(i), path + "[" + i + "]", v);
            }
        }
    }

    private static List<Map<String, Object>> statements(Object policies) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Object p : list(policies)) {
            for (Object s : list(map(p).get("Statement"))) {
                out.add(map(s));
            }
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) {
        return o instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }

    private static List<Object> list(Object o) {
        if (o == null) {
            return List.of();
        }
        return o instanceof List<?> l ? new ArrayList<>(l) : List.of(o);
    }

    private static String render(Object o) {
        if (o instanceof Map<?, ?> m && m.size() == 1) {
            Map.Entry<?, ?> e = m.entrySet().iterator().next();
            String k = e.getKey().toString().replace("Fn::", "");
            return k + "=" + render(e.getValue());
        }
        if (o instanceof List<?> l) {
            List<String> parts = new ArrayList<>();
            l.forEach(x -> parts.add(render(x)));
            return "[" + String.join(",", parts) + "]";
        }
        return String.valueOf(o);
    }
}
