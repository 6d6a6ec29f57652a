package org.margincall.engine.adapter.sns;

import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;
import org.margincall.engine.service.port.DeliveryFailedException;
import org.margincall.engine.service.port.OperationsChannel;
import org.margincall.engine.config.EngineConfig;
import software.amazon.awssdk.services.sns.SnsClient;
import software.amazon.awssdk.services.sns.model.MessageAttributeValue;

/** Messages for the venue's operations team on the operations topic (stale price feeds, SPEC §5.3). */
@ApplicationScoped
public class OperationsAlerts implements OperationsChannel {
    private final SnsClient sns;
    private final String topicArn;

    public OperationsAlerts(SnsClient sns, EngineConfig config) {
        this.sns = sns;
        this.topicArn = config.operationsTopicArn();
    }

    /** Publishes one alert; a failure propagates so the caller can retry on its next run. */
    @Override
    public void alert(String venueId, String type, String body) {
        try {
            sns.publish(b -> b.topicArn(topicArn).message(body).messageAttributes(Map.of(
                    "venueId", MessageAttributeValue.builder().dataType("String").stringValue(venueId).build(),
                    "type", MessageAttributeValue.builder().dataType("String").stringValue(type).build())));
        } catch (software.amazon.awssdk.core.exception.SdkException | java.io.UncheckedIOException e) {
            // The URL-connection client surfaces some broken connections as UncheckedIOException.
            throw new DeliveryFailedException(type + " alert not sent: " + e.getMessage(), e);
        }
    }
}
