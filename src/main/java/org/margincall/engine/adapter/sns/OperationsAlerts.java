package org.margincall.engine.adapter.sns;

import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;
import org.margincall.engine.config.EngineConfig;
import software.amazon.awssdk.services.sns.SnsClient;
import software.amazon.awssdk.services.sns.model.MessageAttributeValue;

/** Messages for the venue's operations team on the operations topic (stale price feeds, SPEC §5.3). */
@ApplicationScoped
public class OperationsAlerts {
    private final SnsClient sns;
    private final String topicArn;

    public OperationsAlerts(SnsClient sns, EngineConfig config) {
        this.sns = sns;
        this.topicArn = config.operationsTopicArn();
    }

    /** Publishes one alert; a failure propagates so the caller can retry on its next run. */
    public void alert(String venueId, String type, String body) {
        sns.publish(b -> b.topicArn(topicArn).message(body).messageAttributes(Map.of(
                "venueId", MessageAttributeValue.builder().dataType("String").stringValue(venueId).build(),
                "type", MessageAttributeValue.builder().dataType("String").stringValue(type).build())));
    }
}
