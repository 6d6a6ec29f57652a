package org.margincall.engine.adapter.eventbridge;

import java.io.UncheckedIOException;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.jboss.logging.Logger;
import org.margincall.engine.service.port.LiquidationSink;
import org.margincall.engine.service.port.StoredAccount;
import org.margincall.engine.service.port.StoredAccount.OutboxEntry;
import org.margincall.engine.config.EngineConfig;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.eventbridge.model.PutEventsRequestEntry;
import software.amazon.awssdk.services.eventbridge.model.PutEventsResponse;
import software.amazon.awssdk.services.eventbridge.model.PutEventsResultEntry;

/**
 * Puts "Liquidation Requested" events on the venue's bus (SPEC §3.4 hand-off), so its
 * liquidation engine can route them; the detail is the hand-off notification body.
 */
@ApplicationScoped
public class LiquidationRequests implements LiquidationSink {
    private static final Logger LOG = Logger.getLogger(LiquidationRequests.class);
    private static final int BATCH = 10;

    private final EventBridgeClient events;
    private final EngineConfig config;

    public LiquidationRequests(EventBridgeClient events, EngineConfig config) {
        this.events = events;
        this.config = config;
    }

    /** Returns the outbox ids EventBridge accepted. */
    @Override
    public Set<String> put(List<OutboxEntry> entries) {
        Set<String> accepted = new HashSet<>();
        for (int from = 0; from < entries.size(); from += BATCH) {
            List<OutboxEntry> chunk = entries.subList(from, Math.min(entries.size(), from + BATCH));
            List<PutEventsRequestEntry> batch = new ArrayList<>();
            for (OutboxEntry e : chunk) {
                batch.add(PutEventsRequestEntry.builder().source(config.eventSource()).detailType(DETAIL_TYPE)
                        .eventBusName(config.eventBusName()).detail(e.body()).build());
            }
            try {
                PutEventsResponse r = events.putEvents(b -> b.entries(batch));
                for (int i = 0; i < r.entries().size() && i < chunk.size(); i++) {
                    PutEventsResultEntry res = r.entries().get(i);
                    if (res.errorCode() == null) {
                        accepted.add(chunk.get(i).id());
                    } else {
                        LOG.warnf("EventBridge refused %s: %s %s", chunk.get(i).id(), res.errorCode(), res.errorMessage());
                    }
                }
            } catch (SdkException | UncheckedIOException ex) {
                // The URL-connection client surfaces some broken connections as UncheckedIOException.
                LOG.warnf("putting %d liquidation requests failed: %s", chunk.size(), ex.getMessage());
                break;
            }
        }
        return accepted;
    }
}
