package org.margincall.engine.handler;

import static org.margincall.engine.codec.JsonFields.decimal;
import static org.margincall.engine.codec.JsonFields.id;
import static org.margincall.engine.codec.JsonFields.instant;
import static org.margincall.engine.codec.JsonFields.onlyFields;
import static org.margincall.engine.codec.JsonFields.optionalDecimal;
import static org.margincall.engine.codec.JsonFields.optionalId;
import static org.margincall.engine.codec.JsonFields.optionalMeta;
import static org.margincall.engine.codec.JsonFields.sequence;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.fasterxml.jackson.databind.JsonNode;
import jakarta.inject.Named;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.Set;
import org.jboss.logging.Logger;
import org.margincall.engine.service.port.Metrics;
import org.margincall.engine.codec.JsonFields;
import org.margincall.engine.codec.JsonFields.Range;
import org.margincall.engine.config.EngineConfig;
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

    /** The fields of a "Price Update" detail (schema/price-update-v1.schema.json); anything else is refused. */
    static final Set<String> DETAIL_FIELDS = Set.of("instrument", "markPrice", "indexPrice", "timestamp", "sequence", "source", "meta");

    /**
     * Validates a "Price Update" exactly as {@code schema/price-update-v1.schema.json} does (SPEC
     * §5.1): unknown fields are refused naming them, except inside {@code meta}. Runs per tick, so
     * every check is a scan of the few fields there are (no regex, no copies).
     */
    static MarginService.PriceUpdate parse(EventBridgeEvent event) {
        if (event == null) {
            throw new InvalidInputException("event", null, "is empty");
        }
        if (!DETAIL_TYPE.equals(event.detailType())) {
            throw new InvalidInputException("detail-type", JsonFields.shownText(event.detailType()), "must be \"" + DETAIL_TYPE + "\"");
        }
        JsonNode d = event.detail();
        if (d == null || !d.isObject()) {
            throw new InvalidInputException("detail", JsonFields.shown(d), "must be a JSON object");
        }
        onlyFields(d, "detail", DETAIL_FIELDS);
        optionalMeta(d, "detail");
        String instrument = id(d, "detail", "instrument");
        BigDecimal mark = decimal(d, "detail", "markPrice", Range.POSITIVE);
        BigDecimal index = optionalDecimal(d, "detail", "indexPrice", Range.POSITIVE); // the §3.5 guard compares it
        Instant timestamp = instant(d, "detail", "timestamp");
        long sequence = sequence(d, "detail", "sequence", 0);
        return new MarginService.PriceUpdate(instrument, mark, timestamp, sequence, optionalId(d, "detail", "source"), index);
    }
}
