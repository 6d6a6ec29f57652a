package org.margincall.engine.local;

import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import java.util.List;
import org.margincall.engine.handler.ChunkWorkerHandler;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;

/**
 * What Lambda's SQS event source does for the chunk worker (SPEC §10), locally: takes one message
 * at a time from the worker queue, hands it to the handler as an {@link SQSEvent}, deletes it when
 * the handler reports no batch item failure and makes it visible again at once when it does.
 */
final class WorkerQueueDrain {
    private WorkerQueueDrain() {
    }

    /**
     * Drains until the queue is empty.
     *
     * @return how many messages the worker handled (retries included)
     */
    static int drain(SqsClient sqs, String url, ChunkWorkerHandler worker) {
        int handled = 0;
        for (int empty = 0; empty < 2; ) {
            List<Message> got = sqs.receiveMessage(b -> b.queueUrl(url).maxNumberOfMessages(1).waitTimeSeconds(0)
                    .visibilityTimeout(30)).messages();
            if (got.isEmpty()) {
                empty++;
                continue;
            }
            empty = 0;
            for (Message m : got) {
                SQSEvent.SQSMessage record = new SQSEvent.SQSMessage();
                record.setMessageId(m.messageId());
                record.setBody(m.body());
                record.setReceiptHandle(m.receiptHandle());
                SQSEvent event = new SQSEvent();
                event.setRecords(List.of(record));
                handled++;
                if (worker.handleRequest(event, null).getBatchItemFailures().isEmpty()) {
                    sqs.deleteMessage(b -> b.queueUrl(url).receiptHandle(m.receiptHandle()));
                } else {
                    sqs.changeMessageVisibility(b -> b.queueUrl(url).receiptHandle(m.receiptHandle()).visibilityTimeout(0));
                }
            }
        }
        return handled;
    }
}
