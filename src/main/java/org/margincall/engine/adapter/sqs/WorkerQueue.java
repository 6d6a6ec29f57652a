package org.margincall.engine.adapter.sqs;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.margincall.engine.config.EngineConfig;
import org.margincall.engine.domain.Timestamps;
import org.margincall.engine.service.port.ChunkQueue;
import org.margincall.engine.service.port.DeliveryFailedException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchResponse;

/**
 * The worker queue on SQS: chunks as JSON messages, ten a SendMessageBatch call; an entry SQS
 * refuses is retried once in the next call, then the send fails as a whole.
 */
@ApplicationScoped
public class WorkerQueue implements ChunkQueue {
    private final SqsClient sqs;
    private final Optional<String> queueUrl;
    private final ObjectMapper json = new ObjectMapper();

    public WorkerQueue(SqsClient sqs, EngineConfig config) {
        this.sqs = sqs;
        this.queueUrl = config.workerQueueUrl();
    }

    @Override
    public boolean configured() {
        return queueUrl.isPresent() && sqs != null;
    }

    @Override
    public void send(List<Chunk> chunks) {
        String url = queueUrl.orElseThrow(() -> new IllegalStateException("no worker queue is configured"));
        List<SendMessageBatchRequestEntry> entries = new ArrayList<>();
        for (int i = 0; i < chunks.size(); i++) {
            entries.add(SendMessageBatchRequestEntry.builder().id("c" + i).messageBody(body(chunks.get(i))).build());
        }
        for (int from = 0; from < entries.size(); from += 10) {
            List<SendMessageBatchRequestEntry> batch = entries.subList(from, Math.min(entries.size(), from + 10));
            for (int attempt = 1; !batch.isEmpty(); attempt++) {
                List<SendMessageBatchRequestEntry> current = batch;
                SendMessageBatchResponse r;
                try {
                    r = sqs.sendMessageBatch(b -> b.queueUrl(url).entries(current));
                } catch (SdkException | UncheckedIOException e) {
                    throw new DeliveryFailedException("enqueuing " + current.size() + " chunks failed: " + e.getMessage(), e);
                }
                if (r.failed().isEmpty()) {
                    break;
                }
                if (attempt == 2) {
                    throw new DeliveryFailedException("SQS refused " + r.failed().size() + " chunks: "
                            + r.failed().get(0).code() + " " + r.failed().get(0).message(), null);
                }
                List<String> failedIds = r.failed().stream().map(f -> f.id()).toList();
                batch = current.stream().filter(e -> failedIds.contains(e.id())).toList();
            }
        }
    }

    /** The message body; the chunk worker handler reads it back. */
    String body(Chunk c) {
        ObjectNode n = json.createObjectNode();
        n.put("venueId", c.venueId()).put("instrument", c.instrument()).put("price", c.price().toPlainString())
                .put("timestamp", Timestamps.format(c.timestamp())).put("sequence", c.sequence());
        ArrayNode ids = n.putArray("accountIds");
        c.accountIds().forEach(ids::add);
        try {
            return json.writeValueAsString(n);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
