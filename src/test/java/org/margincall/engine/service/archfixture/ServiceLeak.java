package org.margincall.engine.service.archfixture;

/** Breaks a house rule on purpose, so {@code ArchitectureTest} can show the rule failing. Never used. */
public final class ServiceLeak {
    org.margincall.engine.adapter.cloudwatch.EngineMetrics metrics;
}
