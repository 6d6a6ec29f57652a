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
public class EngineMetrics {
    public static final String EVENTS_ACCEPTED = "EventsAccepted";
    public static final String EVENTS_REJECTED = "EventsRejected";
    public static final String EVENTS_DUPLICATE = "EventsDuplicate";
    public static final String ACCOUNTS_EVALUATED = "AccountsEvaluated";
    public static final String TRANSITIONS = "Transitions";
    public static final String NOTIFICATIONS_PUBLISHED = "NotificationsPublished";
    public static final String PUBLISH_FAILURES = "PublishFailures";
    public static final String VERSION_CONFLICTS = "VersionConflicts";
    public static final String EXACT_FALLBACKS = "ExactFallbacks";
    public static final String ESCALATIONS_STARTED = "EscalationsStarted";
    public static final String ESCALATION_START_FAILURES = "EscalationStartFailures";
    public static final String EVALUATION_LATENCY = "EvaluationLatency";
    public static final String STALE_PRICE_FEEDS = "StalePriceFeeds";

    private final Map<String, AtomicLong> totals = new ConcurrentHashMap<>();
    private final Metrics emf;

    public EngineMetrics() {
        emf = MetricsFactory.getMetricsInstance();
        emf.setNamespace("MarginCallEngine");
    }

    public void count(String name, long n) {
        if (n == 0) {
            return;
        }
        totals.computeIfAbsent(name, k -> new AtomicLong()).addAndGet(n);
        emf.addMetric(name, n, MetricUnit.COUNT);
    }

    public void count(String name) {
        count(name, 1);
    }

    public void millis(String name, double ms) {
        emf.addMetric(name, ms, MetricUnit.MILLISECONDS);
    }

    /** Writes this invocation's metrics (one EMF line); call once at the end of each handler. */
    public void flush() {
        emf.flush();
    }

    public long total(String name) {
        AtomicLong v = totals.get(name);
        return v == null ? 0 : v.get();
    }
}
