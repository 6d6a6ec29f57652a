package org.margincall.engine.adapter.cloudwatch;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Engine metrics as CloudWatch embedded metric format (EMF) lines: one JSON line per invocation on
 * stdout, which Lambda ships to CloudWatch Logs and CloudWatch turns into metrics in the
 * {@value #NAMESPACE} namespace, dimension {@value #DIMENSION}. The format is small and
 * documented (the "Embedded metric format specification" of CloudWatch), so it is written here
 * rather than through aws-embedded-metrics, which would bring commons-lang3 and javatuples into the
 * Lambda package. Outside Lambda (the local replay, tests) nothing is written; the running totals
 * are kept in process either way, so tests and the replay can read them.
 */
@ApplicationScoped
public class EngineMetrics implements org.margincall.engine.service.port.Metrics {
    /** The CloudWatch namespace of every metric. */
    public static final String NAMESPACE = "MarginCallEngine";
    /** The one dimension of every metric: the Lambda function's name (an alarm must name it too). */
    public static final String DIMENSION = "FunctionName";
    /** EMF allows at most 100 values per metric in one line; more values go on further lines. */
    static final int MAX_VALUES = 100;
    /**
     * Lines' worth of values kept per duration metric and invocation: a crash's fan-out publishes
     * hundreds of notices in one invocation, and a percentile of only the first 100 latencies
     * would leave out the slowest. Beyond this, values are dropped (memory stays bounded).
     */
    static final int MAX_LINES = 100;

    private final Map<String, AtomicLong> totals = new ConcurrentHashMap<>();
    private final String functionName;
    private final PrintStream out;
    private final ObjectMapper json = new ObjectMapper();
    /** This invocation's metrics: counts summed, durations kept as values (up to {@link #MAX_LINES} lines' worth). */
    private final Map<String, Double> counts = new TreeMap<>();
    private final Map<String, List<Double>> durations = new TreeMap<>();

    public EngineMetrics() {
        this(System.getenv("AWS_LAMBDA_FUNCTION_NAME"), System.out);
    }

    /**
     * @param functionName the function's name (the metrics' dimension), or null outside Lambda: no output
     * @param out where EMF lines go (stdout in Lambda)
     */
    EngineMetrics(String functionName, PrintStream out) {
        this.functionName = functionName;
        this.out = out;
    }

    @Override
    public void count(String name, long n) {
        if (n == 0) {
            return;
        }
        totals.computeIfAbsent(name, k -> new AtomicLong()).addAndGet(n);
        if (functionName != null) {
            synchronized (this) {
                counts.merge(name, (double) n, Double::sum);
            }
        }
    }

    @Override
    public void millis(String name, double ms) {
        if (functionName != null) {
            synchronized (this) {
                List<Double> values = durations.computeIfAbsent(name, k -> new ArrayList<>());
                if (values.size() < MAX_VALUES * MAX_LINES) {
                    values.add(ms);
                }
            }
        }
    }

    /**
     * Writes this invocation's metrics as one EMF line (more when a duration has over
     * {@value #MAX_VALUES} values); call once at the end of each handler.
     */
    @Override
    public void flush() {
        if (functionName == null) {
            return;
        }
        List<String> lines = new ArrayList<>();
        synchronized (this) {
            if (counts.isEmpty() && durations.isEmpty()) {
                return;
            }
            long now = System.currentTimeMillis();
            int n = durations.values().stream().mapToInt(List::size).max().orElse(0);
            for (int from = 0; from == 0 || from < n; from += MAX_VALUES) {
                lines.add(line(now, from));
            }
            counts.clear();
            durations.clear();
        }
        lines.forEach(out::println);
    }

    /**
     * One EMF document of the metrics gathered so far, stamped {@code timestampMillis}: the counts
     * (on the first line only) and the durations' values {@code from} … {@code from + MAX_VALUES - 1}.
     */
    private String line(long timestampMillis, int from) {
        ObjectNode root = json.createObjectNode();
        ObjectNode aws = root.putObject("_aws");
        aws.put("Timestamp", timestampMillis);
        ObjectNode directive = aws.putArray("CloudWatchMetrics").addObject();
        directive.put("Namespace", NAMESPACE);
        directive.putArray("Dimensions").addArray().add(DIMENSION);
        ArrayNode metrics = directive.putArray("Metrics");
        root.put(DIMENSION, functionName);
        if (from == 0) {
            counts.forEach((name, value) -> {
                metrics.addObject().put("Name", name).put("Unit", "Count");
                root.put(name, value);
            });
        }
        durations.forEach((name, values) -> {
            if (from < values.size()) {
                metrics.addObject().put("Name", name).put("Unit", "Milliseconds");
                ArrayNode a = root.putArray(name);
                values.subList(from, Math.min(values.size(), from + MAX_VALUES)).forEach(a::add);
            }
        });
        return root.toString();
    }

    /** The running total of a counter in this process (for tests and the local replay). */
    public long total(String name) {
        AtomicLong v = totals.get(name);
        return v == null ? 0 : v.get();
    }
}
