package org.margincall.engine.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.util.Optional;

/**
 * Deployment settings, from environment variables in Lambda ({@code MARGINCALL_TABLE} etc., set
 * by template.yaml) or application.properties locally.
 */
@ConfigMapping(prefix = "margincall")
public interface EngineConfig {
    /** The venue this deployment serves (a venue deploys the engine into its own account). */
    String venueId();

    /** The DynamoDB table of venues, prices, accounts and margin state. */
    String table();

    /** SNS topic that carries trader notifications (SPEC §6). */
    String notificationsTopicArn();

    /** SNS topic for the operations team (stale feeds, failed escalations). */
    String operationsTopicArn();

    /** The escalation state machine (SPEC §3.4). */
    String escalationStateMachineArn();

    /** EventBridge bus that receives "Liquidation Requested" events for the venue's liquidation engine. */
    @WithDefault("default")
    String eventBusName();

    /** Source of the events the engine puts on EventBridge. */
    @WithDefault("margincall.engine")
    String eventSource();

    /** Segments of the sweep's parallel scan. */
    @WithDefault("4")
    int sweepSegments();

    /** Shards of the per-instrument holdings index, so one hot instrument spans partitions. */
    @WithDefault("16")
    int holdingsShards();

    /**
     * Whether a price event selects accounts by their stored trigger bands (SPEC §10, the default)
     * or reads every holder of the instrument and decides them one after another, publishing per
     * account: the pre-§10 path, kept as the benchmarks' baseline (BENCHMARKS.md).
     */
    @WithDefault("true")
    boolean triggerBands();

    /**
     * Shards of each instrument's band rows (SPEC §10): a tick runs three strongly consistent
     * queries per shard; more shards spread a crash's band writes over more partitions.
     */
    @WithDefault("16")
    int bandShards();

    /** Largest clock skew accepted on a price event's timestamp (SPEC §5.1: 5 s). */
    @WithDefault("5")
    long maxFutureSeconds();

    /** After this long an unpublished outbox entry claimed by another invocation may be taken over. */
    @WithDefault("60")
    long outboxClaimSeconds();

    /** Endpoint overrides for the clients without a Quarkus extension (local stand-ins only). */
    /**
     * Accounts one invocation evaluates and commits at once (SPEC §10); I/O-bound work, so more
     * than the Lambda's cores.
     */
    @WithDefault("16")
    int evaluationThreads();

    /**
     * Crossed accounts one price event handles itself; more are split into chunks of this size on
     * the worker queue (SPEC §10).
     */
    @WithDefault("500")
    int chunkSize();

    /** The worker queue's URL (SPEC §10 fan-out); absent: every crossed account is handled in the price event. */
    Optional<String> workerQueueUrl();

    Optional<String> sfnEndpointOverride();

    Optional<String> eventbridgeEndpointOverride();

    @WithDefault("us-east-1")
    String localRegion();
}
