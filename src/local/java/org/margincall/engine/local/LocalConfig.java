package org.margincall.engine.local;

import java.util.Optional;
import org.margincall.engine.config.EngineConfig;

/**
 * Deployment settings for running the engine outside Lambda against the local stand-ins (the
 * replay, the sweep benchmark): the stack's resources and one venue, defaults elsewhere.
 */
public record LocalConfig(String venueId, String table, String notificationsTopicArn, String operationsTopicArn,
                          String escalationStateMachineArn) implements EngineConfig {
    public static LocalConfig of(LocalStackProcess stack, String venueId) {
        return new LocalConfig(venueId, stack.resource("MarginTable", "name"), stack.resource("NotificationsTopic", "arn"),
                stack.resource("OperationsTopic", "arn"), stack.resource("EscalationStateMachine", "arn"));
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
    public int chunkSize() {
        return 500;
    }

    @Override
    public Optional<String> workerQueueUrl() {
        return Optional.empty();
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
