package org.margincall.engine.handler;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.inject.Named;
import java.io.IOException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import org.jboss.logging.Logger;
import org.margincall.engine.domain.InvalidInputException;
import org.margincall.engine.domain.Timestamps;
import org.margincall.engine.service.MarginService;
import org.margincall.engine.service.port.ChunkQueue;
import org.margincall.engine.service.port.Metrics;

/**
 * The worker of a crash's fan-out (SPEC §10): each SQS message is a chunk of a price event's
 * crossed accounts (written by the price handler) → {@link MarginService#onChunk}. A chunk that
 * fails is reported as a batch item failure, so SQS redelivers only that one (its retry sends
 * nothing twice); after the queue's receive limit it lands in the dead-letter queue, whose alarm
 * pages operations.
 */
@Named("chunk-worker")
public class ChunkWorkerHandler implements RequestHandler<SQSEvent, SQSBatchResponse> {
    private static final Logger LOG = Logger.getLogger(ChunkWorkerHandler.class);
    private final MarginService service;
    private final Metrics metrics;
    private final ObjectMapper json = new ObjectMapper();

    public ChunkWorkerHandler(MarginService service, Metrics metrics) {
        this.service = service;
        this.metrics = metrics;
    }

    @Override
    public SQSBatchResponse handleRequest(SQSEvent event, Context context) {
        List<SQSBatchResponse.BatchItemFailure> failures = new ArrayList<>();
        try {
            if (event == null || event.getRecords() == null) {
                return new SQSBatchResponse(failures);
            }
            for (SQSEvent.SQSMessage m : event.getRecords()) {
                try {
                    service.onChunk(parse(m.getBody()));
                } catch (RuntimeException e) {
                    LOG.errorf(e, "chunk %s failed; SQS redelivers it", m.getMessageId());
                    metrics.count(Metrics.ACCOUNT_FAILURES);
                    failures.add(new SQSBatchResponse.BatchItemFailure(m.getMessageId()));
                }
            }
            return new SQSBatchResponse(failures);
        } finally {
            metrics.flush();
        }
    }

    /**
     * Reads a chunk message as the price handler wrote it.
     *
     * @throws InvalidInputException naming the field when the body is not a chunk
     */
    ChunkQueue.Chunk parse(String body) {
        JsonNode n;
        try {
            n = json.readTree(body);
        } catch (IOException e) {
            throw new InvalidInputException("body", body == null ? null : body.substring(0, Math.min(80, body.length())),
                    "is not JSON");
        }
        if (n == null || !n.isObject() || !n.path("accountIds").isArray()) {
            throw new InvalidInputException("body.accountIds", n == null ? null : n.path("accountIds").toString(),
                    "must be an array of account ids");
        }
        List<String> ids = new ArrayList<>();
        n.get("accountIds").forEach(id -> ids.add(id.asText()));
        return new ChunkQueue.Chunk(text(n, "venueId"), text(n, "instrument"), new BigDecimal(text(n, "price")),
                Timestamps.parse("body.timestamp", text(n, "timestamp")), n.path("sequence").asLong(), List.copyOf(ids));
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || !v.isTextual()) {
            throw new InvalidInputException("body." + field, v == null ? null : v.toString(), "must be a string");
        }
        return v.asText();
    }
}
