package org.margincall.engine.handler;

import org.margincall.engine.domain.Timestamps;
import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import io.quarkus.runtime.annotations.RegisterForReflection;
import jakarta.inject.Named;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import org.margincall.engine.service.port.Metrics;
import org.margincall.engine.domain.EscalationStep;
import org.margincall.engine.domain.InvalidInputException;
import org.margincall.engine.service.MarginService;

/**
 * The escalation state machine's re-check task (SPEC §3.4). Errors are thrown, not answered:
 * the state machine's Retry and Catch handle them, and a bad input must fail the execution
 * visibly rather than end it as if the call were cured.
 */
@Named("escalation-recheck")
public class RecheckHandler implements RequestHandler<RecheckHandler.Request, RecheckHandler.Response> {
    private final MarginService service;
    private final Metrics metrics;

    public RecheckHandler(MarginService service, Metrics metrics) {
        this.service = service;
        this.metrics = metrics;
    }

    /** The task input the state machine builds from the execution input. */
    @RegisterForReflection
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Request(String venueId, String accountId, String subAccount, String callId, String step, String at) {
    }

    /**
     * What the state machine does next.
     *
     * @param waitUntil the step was not run: wait until this instant and ask again (SPEC §3.6), else null
     * @param nextDeadline when the call's next step falls due (after the grace step), else null
     */
    @RegisterForReflection
    public record Response(boolean continueEscalation, String callId, String level, int notifications, String waitUntil,
                           String nextDeadline) {
    }

    @Override
    public Response handleRequest(Request r, Context context) {
        try {
            if (r == null) {
                throw new InvalidInputException("input", null, "is empty");
            }
            require("venueId", r.venueId());
            require("accountId", r.accountId());
            require("subAccount", r.subAccount());
            require("callId", r.callId());
            EscalationStep step;
            try {
                step = EscalationStep.valueOf(require("step", r.step()));
            } catch (IllegalArgumentException e) {
                throw new InvalidInputException("step", r.step(), "must be GRACE_EXPIRED or FINAL_NOTICE_EXPIRED");
            }
            Instant at = Timestamps.parse("at", require("at", r.at()));
            MarginService.RecheckOutcome o = service.recheck(r.venueId(), r.accountId(), r.subAccount(), r.callId(), step, at);
            return new Response(o.continueEscalation(), r.callId(), o.level() == null ? null : o.level().name(),
                    o.notifications(), Timestamps.format(o.waitUntil()), Timestamps.format(o.nextDeadline()));
        } finally {
            metrics.flush();
        }
    }

    private static String require(String field, String value) {
        if (value == null || value.isBlank()) {
            throw new InvalidInputException(field, value, "is required");
        }
        return value;
    }
}
