package org.margincall.engine.local;

import java.time.Clock;
import org.margincall.engine.adapter.cloudwatch.EngineMetrics;
import org.margincall.engine.adapter.dynamodb.DynamoDbAccountItems;
import org.margincall.engine.adapter.dynamodb.DynamoDbBandIndex;
import org.margincall.engine.adapter.dynamodb.DynamoDbHoldingsIndex;
import org.margincall.engine.adapter.dynamodb.DynamoDbOutboxClaims;
import org.margincall.engine.adapter.dynamodb.VenueStore;
import org.margincall.engine.adapter.eventbridge.LiquidationRequests;
import org.margincall.engine.adapter.sfn.EscalationStarter;
import org.margincall.engine.adapter.sns.NotificationPublisher;
import org.margincall.engine.adapter.sns.OperationsAlerts;
import org.margincall.engine.adapter.sqs.WorkerQueue;
import org.margincall.engine.config.EngineConfig;
import org.margincall.engine.service.Delivery;
import org.margincall.engine.service.MarginService;
import org.margincall.engine.service.Parallel;
import org.margincall.engine.service.StaleFeedWatch;
import org.margincall.engine.service.TransitionCommitter;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sns.SnsClient;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * The engine wired by hand as Quarkus wires it in Lambda (same adapters, same service), around a
 * clock of the caller's choosing: the local replay and benchmarks run the real handlers this way.
 */
public record LocalEngine(VenueStore venues, DynamoDbAccountItems accounts, DynamoDbHoldingsIndex holdings,
                          EngineMetrics metrics, MarginService service) {

    /** As {@link #wire(DynamoDbClient, SnsClient, SfnClient, EventBridgeClient, SqsClient, EngineConfig, Clock)} without a worker queue client. */
    public static LocalEngine wire(DynamoDbClient ddb, SnsClient sns, SfnClient sfn, EventBridgeClient events,
                                   EngineConfig config, Clock clock) {
        return wire(ddb, sns, sfn, events, null, config, clock);
    }

    /** The engine on these clients; {@code sqs} sends the fan-out's chunks when the config names a worker queue. */
    public static LocalEngine wire(DynamoDbClient ddb, SnsClient sns, SfnClient sfn, EventBridgeClient events,
                                   SqsClient sqs, EngineConfig config, Clock clock) {
        VenueStore venues = new VenueStore(ddb, config);
        DynamoDbAccountItems accounts = new DynamoDbAccountItems(ddb, config);
        DynamoDbHoldingsIndex holdings = new DynamoDbHoldingsIndex(ddb, config);
        EngineMetrics metrics = new EngineMetrics();
        Parallel parallel = new Parallel(config);
        Delivery delivery = new Delivery(new DynamoDbOutboxClaims(ddb, config), new NotificationPublisher(sns, config),
                new LiquidationRequests(events, config), new EscalationStarter(sfn, config), parallel, metrics, config, clock);
        DynamoDbBandIndex bands = new DynamoDbBandIndex(ddb, config);
        TransitionCommitter committer = new TransitionCommitter(accounts, venues, bands, delivery, metrics, config, clock);
        MarginService service = MarginService.wire(venues, accounts, holdings, bands, new WorkerQueue(sqs, config), committer, delivery,
                new StaleFeedWatch(venues, new OperationsAlerts(sns, config), metrics), parallel, metrics, config, clock);
        return new LocalEngine(venues, accounts, holdings, metrics, service);
    }
}
