package org.margincall.engine.local;

import java.util.Optional;
import org.margincall.engine.config.EngineConfig;

/**
 * Deployment settings for running the engine outside Lambda against the local stand-ins (the
 * replay, the sweep benchmark): the stack's resources and one venue, defaults elsewhere.
 */
public record LocalConfig(String venueId, String table, String notificationsTopicArn, String operationsTopicArn,
                          String escalationStateMachineArn, int chunkSize, String workerQueue, boolean triggerBands)
        implements EngineConfig {
    /**
     * Band shards on the local stack (the template's default is 16): every tick queries three rows
     * kinds per shard, and dynalite answers one query at a time; the tools that write rows
     * ({@code venue.sh import}) use the same number.
     */
    public static final int BAND_SHARDS = 4;

    /** Settings with trigger bands on (SPEC §10, the default). */
    public LocalConfig(String venueId, String table, String notificationsTopicArn, String operationsTopicArn,
                       String escalationStateMachineArn, int chunkSize, String workerQueue) {
        this(venueId, table, notificationsTopicArn, operationsTopicArn, escalationStateMachineArn, chunkSize, workerQueue, true);
    }

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
                workerQueue, triggerBands);
    }

    /**
     * The same settings with trigger bands on or off; off is the pre-SPEC §10 path, every holder
     * read and decided in turn (the benchmarks' baseline).
     */
    public LocalConfig withTriggerBands(boolean on) {
        return new LocalConfig(venueId, table, notificationsTopicArn, operationsTopicArn, escalationStateMachineArn, chunkSize,
                workerQueue, on);
    }

    @Override
    public int bandShards() {
        return BAND_SHARDS;
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
