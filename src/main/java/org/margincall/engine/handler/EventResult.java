package org.margincall.engine.handler;

import io.quarkus.runtime.annotations.RegisterForReflection;
import java.util.function.Supplier;
import org.jboss.logging.Logger;
import org.margincall.engine.service.port.Metrics;
import org.margincall.engine.service.port.UnknownVenueException;
import org.margincall.engine.domain.InvalidInputException;
import org.margincall.engine.service.MarginService;

/**
 * What a handler answers for one event. A rejected event is answered, not thrown: EventBridge
 * would otherwise retry a malformed event forever; the reason is logged and counted.
 */
@RegisterForReflection
public record EventResult(String status, String reason, int accountsEvaluated, int transitions, int notifications) {
    static EventResult of(MarginService.Outcome o) {
        return new EventResult(o.status().name(), o.reason(), o.accountsEvaluated(), o.transitions(), o.notifications());
    }

    static EventResult rejected(String reason) {
        return new EventResult(MarginService.Outcome.Status.REJECTED.name(), reason, 0, 0, 0);
    }

    /**
     * Runs one event's work: bad input (SPEC §9) is answered as REJECTED, logged and counted;
     * anything else propagates so Lambda retries and, in the end, the dead-letter queue keeps it.
     */
    static EventResult handle(EventBridgeEvent event, String kind, Metrics metrics, Logger log,
                              Supplier<MarginService.Outcome> work) {
        try {
            return of(work.get());
        } catch (InvalidInputException | UnknownVenueException e) {
            metrics.count(Metrics.EVENTS_REJECTED);
            log.warnf("%s event %s rejected: %s", kind, event == null ? null : event.id(), e.getMessage());
            return rejected(e.getMessage());
        } finally {
            metrics.flush();
        }
    }
}
