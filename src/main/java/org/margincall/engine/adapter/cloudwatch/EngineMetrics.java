package org.margincall.engine.adapter.cloudwatch;

import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import software.amazon.lambda.powertools.metrics.Metrics;
import software.amazon.lambda.powertools.metrics.MetricsFactory;
import software.amazon.lambda.powertools.metrics.model.MetricUnit;

/**
 * Engine metrics as CloudWatch embedded-metric-format lines (Powertools), flushed at the end of
 * every invocation; the running totals are also kept in process so tests can read them.
 */
@ApplicationScoped
public class EngineMetrics implements org.margincall.engine.service.port.Metrics {

    private final Map<String, AtomicLong> totals = new ConcurrentHashMap<>();
    private final Metrics emf;

    public EngineMetrics() {
        emf = MetricsFactory.getMetricsInstance();
        emf.setNamespace("MarginCallEngine");
    }

    @Override
    public void count(String name, long n) {
        if (n == 0) {
            return;
        }
        totals.computeIfAbsent(name, k -> new AtomicLong()).addAndGet(n);
        emf.addMetric(name, n, MetricUnit.COUNT);
    }

    @Override
    public void millis(String name, double ms) {
        emf.addMetric(name, ms, MetricUnit.MILLISECONDS);
    }

    /** Writes this invocation's metrics (one EMF line); call once at the end of each handler. */
    @Override
    public void flush() {
        emf.flush();
    }

    /** The running total of a counter in this process (for tests and the local replay). */
    public long total(String name) {
        AtomicLong v = totals.get(name);
        return v == null ? 0 : v.get();
    }
}
