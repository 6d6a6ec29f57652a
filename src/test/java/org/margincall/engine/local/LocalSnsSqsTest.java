package org.margincall.engine.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.sns.SnsClient;
import software.amazon.awssdk.services.sns.model.MessageAttributeValue;
import software.amazon.awssdk.services.sns.model.PublishBatchRequestEntry;
import software.amazon.awssdk.services.sns.model.PublishBatchResponse;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/** SNS fan-out to SQS subscriptions with filter policies, on fauxqs through the AWS SDK v2. */
class LocalSnsSqsTest {
    static LocalStack stack;
    static SnsClient sns;
    static SqsClient sqs;
    static String topic;

    @BeforeAll
    static void up() {
        stack = LocalStack.shared();
        sns = stack.sns();
        sqs = stack.sqs();
        topic = stack.resource("NotificationsTopic", "arn");
    }

    /** A fresh queue subscribed to the topic with a filter policy on message attributes, raw delivery. */
    static String subscribe(String filterPolicy) {
        String name = "sub-" + UUID.randomUUID();
        String url = sqs.createQueue(b -> b.queueName(name)).queueUrl();
        String arn = sqs.getQueueAttributes(b -> b.queueUrl(url).attributeNames(QueueAttributeName.QUEUE_ARN))
                .attributes().get(QueueAttributeName.QUEUE_ARN);
        sns.subscribe(b -> b.topicArn(topic).protocol("sqs").endpoint(arn)
                .attributes(Map.of("FilterPolicy", filterPolicy, "RawMessageDelivery", "true")));
        return url;
    }

    static Map<String, MessageAttributeValue> attrs(String venue, String type) {
        return Map.of("venueId", MessageAttributeValue.builder().dataType("String").stringValue(venue).build(),
                "type", MessageAttributeValue.builder().dataType("String").stringValue(type).build(),
                "level", MessageAttributeValue.builder().dataType("String").stringValue("MARGIN_CALL").build(),
                "accountId", MessageAttributeValue.builder().dataType("String").stringValue("a-1").build());
    }

    /** Drains a queue until it has stayed empty for a moment. */
    static List<String> drain(String url) {
        List<String> bodies = new ArrayList<>();
        long quietUntil = System.nanoTime() + Duration.ofMillis(1500).toNanos();
        while (System.nanoTime() < quietUntil) {
            List<Message> ms = sqs.receiveMessage(b -> b.queueUrl(url).maxNumberOfMessages(10).waitTimeSeconds(1)).messages();
            for (Message m : ms) {
                bodies.add(m.body());
                sqs.deleteMessage(b -> b.queueUrl(url).receiptHandle(m.receiptHandle()));
            }
            if (!ms.isEmpty()) {
                quietUntil = System.nanoTime() + Duration.ofMillis(1500).toNanos();
            }
        }
        return bodies;
    }

    @Test
    void publishAndPublishBatchReachOnlyTheQueuesWhoseFilterMatches() {
        String v1Calls = subscribe("{\"venueId\":[\"v1\"],\"type\":[\"MARGIN_CALL\",\"FINAL_NOTICE\",\"LIQUIDATION_HANDOFF\"]}");
        String v1All = subscribe("{\"venueId\":[\"v1\"]}");
        String v2 = subscribe("{\"venueId\":[\"v2\"]}");

        sns.publish(b -> b.topicArn(topic).message("single-call").messageAttributes(attrs("v1", "MARGIN_CALL")));
        sns.publish(b -> b.topicArn(topic).message("single-warning").messageAttributes(attrs("v1", "MARGIN_WARNING")));
        List<PublishBatchRequestEntry> batch = new ArrayList<>();
        String[] types = {"FINAL_NOTICE", "REMINDER", "LIQUIDATION_HANDOFF"};
        for (int i = 0; i < types.length; i++) {
            batch.add(PublishBatchRequestEntry.builder().id("e" + i).message("batch-" + types[i])
                    .messageAttributes(attrs("v1", types[i])).build());
        }
        batch.add(PublishBatchRequestEntry.builder().id("other").message("batch-v2").messageAttributes(attrs("v2", "MARGIN_CALL")).build());
        PublishBatchResponse r = sns.publishBatch(b -> b.topicArn(topic).publishBatchRequestEntries(batch));
        assertThat(r.failed()).isEmpty();
        assertThat(r.successful()).hasSize(4);

        assertThat(drain(v1Calls)).containsExactlyInAnyOrder("single-call", "batch-FINAL_NOTICE", "batch-LIQUIDATION_HANDOFF");
        assertThat(drain(v1All)).containsExactlyInAnyOrder("single-call", "single-warning", "batch-FINAL_NOTICE",
                "batch-REMINDER", "batch-LIQUIDATION_HANDOFF");
        assertThat(drain(v2)).containsExactly("batch-v2");
    }
}
