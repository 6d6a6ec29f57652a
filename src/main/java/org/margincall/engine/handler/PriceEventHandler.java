package org.margincall.engine.handler;

import static org.margincall.engine.codec.JsonFields.decimal;
import static org.margincall.engine.codec.JsonFields.instant;
import static org.margincall.engine.codec.JsonFields.optionalDecimal;
import static org.margincall.engine.codec.JsonFields.optionalText;
import static org.margincall.engine.codec.JsonFields.text;
import static org.margincall.engine.codec.JsonFields.wholeNumber;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.fasterxml.jackson.databind.JsonNode;
import jakarta.inject.Named;
import java.time.Instant;
import org.jboss.logging.Logger;
import org.margincall.engine.service.port.Metrics;
import org.margincall.engine.config.EngineConfig;
import org.margincall.engine.domain.Decimals;
import org.margincall.engine.domain.InvalidInputException;
import org.margincall.engine.service.MarginService;

/** EventBridge "Price Update" (SPEC §5.1) → validate → {@link MarginService#onPrice}. */
@Named("price-event")
public class PriceEventHandler implements RequestHandler<EventBridgeEvent, EventResult> {
    static final String DETAIL_TYPE = "Price Update";
    private static final Logger LOG = Logger.getLogger(PriceEventHandler.class);

    private final MarginService service;
    private final Metrics metrics;
    private final EngineConfig config;

    public PriceEventHandler(MarginService service, Metrics metrics, EngineConfig config) {
        this.service = service;
        this.metrics = metrics;
        this.config = config;
    }

    @Override
    public EventResult handleRequest(EventBridgeEvent event, Context context) {
        return EventResult.handle(event, "price", metrics, LOG, () -> service.onPrice(config.venueId(), parse(event)));
    }

    static MarginService.PriceUpdate parse(EventBridgeEvent event) {
        if (event == null) {
            throw new InvalidInputException("event", null, "is empty");
        }
        if (!DETAIL_TYPE.equals(event.detailType())) {
            throw new InvalidInputException("detail-type", event.detailType(), "must be \"" + DETAIL_TYPE + "\"");
        }
        JsonNode d = event.detail();
        if (d == null || !d.isObject()) {
            throw new InvalidInputException("detail", d == null ? null : d.toString(), "must be an object");
        }
        String instrument = text(d, "detail", "instrument");
        var mark = Decimals.positive("detail.markPrice", decimal(d, "detail", "markPrice"));
        var index = optionalDecimal(d, "detail", "indexPrice");
        if (index != null) {
            Decimals.positive("detail.indexPrice", index);
        }
        Instant timestamp = instant(d, "detail", "timestamp");
        long sequence = wholeNumber(d, "detail", "sequence", 0);
        return new MarginService.PriceUpdate(instrument, mark, timestamp, sequence, optionalText(d, "detail", "source"));
    }
}
