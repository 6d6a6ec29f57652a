package org.margincall.engine.architecture;

/** Breaks a house rule on purpose, so {@code ArchitectureTest} can show the rule failing. Never used. */
public final class ToolingLeak {
    org.margincall.engine.replay.InMemoryReplay replay;
}
