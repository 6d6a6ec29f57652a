package org.margincall.engine.adapter.sns;

import java.io.UncheckedIOException;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jboss.logging.Logger;
import org.margincall.engine.service.port.NotificationSink;
import org.margincall.engine.service.port.SnsLimits;
import org.margincall.engine.service.port.StoredAccount;
import org.margincall.engine.service.port.StoredAccount.OutboxEntry;
import org.margincall.engine.config.EngineConfig;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.sns.SnsClient;
import software.amazon.awssdk.services.sns.model.MessageAttributeValue;
import software.amazon.awssdk.services.sns.model.PublishBatchRequestEntry;
import software.amazon.awssdk.services.sns.model.PublishBatchResponse;

/**
 * Publishes notification bodies (SPEC §6) to the notifications topic, ten per PublishBatch, with
 * the message attributes venues filter on. On a FIFO topic the account is the message group
 * (per-account order) and the notification id the deduplication id.
 */
@ApplicationScoped
public class NotificationPublisher implements NotificationSink {
    private static final Logger LOG = Logger.getLogger(NotificationPublisher.class);
    /** Attribute names and data types of the four message attributes, in bytes. */
    private static final int ATTRIBUTE_OVERHEAD = "venueIdaccountIdtypelevel".length() + 4 * "String".length();

    private final SnsClient sns;
    private final String topicArn;
    private final boolean fifo;

    public NotificationPublisher(SnsClient sns, EngineConfig config) {
        this.sns = sns;
        this.topicArn = config.notificationsTopicArn();
        this.fifo = topicArn.endsWith(".fifo");
    }

    /** Publishes in the given order; returns the ids SNS accepted (the rest stay in the outbox). */
    @Override
    public Set<String> publish(String venueId, List<OutboxEntry> entries) {
        Set<String> accepted = new HashSet<>();
        // at most 10 entries and 256 KiB a call (SPEC §10), in order
        for (List<OutboxEntry> chunk : SnsLimits.batches(entries, e -> SnsLimits.bytes(e.body())
                + SnsLimits.bytes(venueId) + SnsLimits.bytes(e.accountId()) + SnsLimits.bytes(e.type())
                + SnsLimits.bytes(e.level()) + ATTRIBUTE_OVERHEAD)) {
            List<PublishBatchRequestEntry> batch = new ArrayList<>(chunk.size());
            for (OutboxEntry e : chunk) {
                PublishBatchRequestEntry.Builder b = PublishBatchRequestEntry.builder().id(e.id())
                        .message(e.body()).messageAttributes(Map.of(
                                "venueId", attr(venueId), "accountId", attr(e.accountId()),
                                "type", attr(e.type()), "level", attr(e.level())));
                if (fifo) {
                    b.messageGroupId(e.accountId()).messageDeduplicationId(e.id());
                }
                batch.add(b.build());
            }
            try {
                PublishBatchResponse r = sns.publishBatch(b -> b.topicArn(topicArn).publishBatchRequestEntries(batch));
                r.successful().forEach(s -> accepted.add(s.id()));
                r.failed().forEach(f -> LOG.warnf("SNS refused notification %s: %s %s", f.id(), f.code(), f.message()));
            } catch (SdkException | UncheckedIOException ex) {
                // The URL-connection client surfaces some broken connections as UncheckedIOException.
                LOG.warnf("publishing %d notifications failed: %s", chunk.size(), ex.getMessage());
                // Later chunks would fail the same way; leave them for the sweep as well.
                break;
            }
        }
        return accepted;
    }

    private static MessageAttributeValue attr(String v) {
        return MessageAttributeValue.builder().dataType("String").stringValue(v).build();
    }
}
