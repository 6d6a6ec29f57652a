package org.margincall.engine.handler;

import org.margincall.engine.domain.Timestamps;
import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import io.quarkus.runtime.annotations.RegisterForReflection;
import jakarta.inject.Named;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import org.margincall.engine.service.port.Metrics;
import org.margincall.engine.config.EngineConfig;
import org.margincall.engine.domain.InvalidInputException;
import org.margincall.engine.service.MarginService;

/**
 * The minute sweep (SPEC §5.3), invoked by EventBridge Scheduler with
 * {@code {"scheduledTime": "<aws.scheduler.scheduled-time>"}}; the scheduled time, not the
 * moment the invocation happens to run, is the sweep's clock.
 */
@Named("sweep")
public class SweepHandler implements RequestHandler<SweepHandler.Request, SweepHandler.Response> {
    private final MarginService service;
    private final Metrics metrics;
    private final EngineConfig config;
    private final Clock clock;

    public SweepHandler(MarginService service, Metrics metrics, EngineConfig config, Clock clock) {
        this.service = service;
        this.metrics = metrics;
        this.config = config;
        this.clock = clock;
    }

    @RegisterForReflection
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Request(String scheduledTime) {
    }

    @RegisterForReflection
    public record Response(String sweptAt, int accountsScanned, int transitions, int notifications, int pendingPublished,
                           List<String> stalePrices) {
    }

    @Override
    public Response handleRequest(Request r, Context context) {
        try {
            Instant now = clock.instant();
            if (r != null && r.scheduledTime() != null) {
                now = Timestamps.parse("scheduledTime", r.scheduledTime());
            }
            MarginService.SweepOutcome o = service.sweep(config.venueId(), now);
            return new Response(Timestamps.format(now), o.accountsScanned(), o.transitions(), o.notifications(),
                    o.pendingPublished(), o.stalePricesReported());
        } finally {
            metrics.flush();
        }
    }
}
