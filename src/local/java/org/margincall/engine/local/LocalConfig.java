package org.margincall.engine.local;

import java.util.Optional;
import org.margincall.engine.config.EngineConfig;

/**
 * Deployment settings for running the engine outside Lambda against the local stand-ins (the
 * replay, the sweep benchmark): the stack's resources and one venue, defaults elsewhere.
 */
public record LocalConfig(String venueId, String table, String notificationsTopicArn, String operationsTopicArn,
                          String escalationStateMachineArn, int chunkSize, String workerQueue) implements EngineConfig {
    /** The stack's resources, the template's worker queue and the engine's default chunk size (500). */
    public static LocalConfig of(LocalStackProcess stack, String venueId) {
        String queue;
        try {
            queue = stack.resource("WorkerQueue", "url");
        } catch (RuntimeException noQueue) {
            queue = null; // a stack created from a template without the fan-out
        }
        return new LocalConfig(venueId, stack.resource("MarginTable", "name"), stack.resource("NotificationsTopic", "arn"),
                stack.resource("OperationsTopic", "arn"), stack.resource("EscalationStateMachine", "arn"), 500, queue);
    }

    /** The same settings with another chunk size (SPEC §10 fan-out beyond this many crossed accounts). */
    public LocalConfig withChunkSize(int size) {
        return new LocalConfig(venueId, table, notificationsTopicArn, operationsTopicArn, escalationStateMachineArn, size,
                workerQueue);
    }

    @Override
    public String eventBusName() {
        return "default";
    }

    @Override
    public String eventSource() {
        return "margincall.engine";
    }

    @Override
    public int sweepSegments() {
        return 4;
    }

    @Override
    public int holdingsShards() {
        return 16;
    }

    @Override
    public long maxFutureSeconds() {
        return 5;
    }

    @Override
    public long outboxClaimSeconds() {
        return 60;
    }

    @Override
    public int evaluationThreads() {
        return 16;
    }

    @Override
    public Optional<String> workerQueueUrl() {
        return Optional.ofNullable(workerQueue);
    }

    @Override
    public Optional<String> sfnEndpointOverride() {
        return Optional.empty();
    }

    @Override
    public Optional<String> eventbridgeEndpointOverride() {
        return Optional.empty();
    }

    @Override
    public String localRegion() {
        return "us-east-1";
    }
}
