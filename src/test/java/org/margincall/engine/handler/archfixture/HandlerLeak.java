package org.margincall.engine.handler.archfixture;

/** Breaks a house rule on purpose, so {@code ArchitectureTest} can show the rule failing. Never used. */
public final class HandlerLeak {
    org.margincall.engine.adapter.cloudwatch.EngineMetrics metrics;
}
