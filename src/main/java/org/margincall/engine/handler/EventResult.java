package org.margincall.engine.handler;

import io.quarkus.runtime.annotations.RegisterForReflection;
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
}
