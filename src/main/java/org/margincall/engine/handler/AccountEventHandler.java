package org.margincall.engine.handler;

import static org.margincall.engine.codec.JsonFields.decimal;
import static org.margincall.engine.codec.JsonFields.decimalValue;
import static org.margincall.engine.codec.JsonFields.instant;
import static org.margincall.engine.codec.JsonFields.optionalDecimal;
import static org.margincall.engine.codec.JsonFields.text;
import static org.margincall.engine.codec.JsonFields.wholeNumber;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.fasterxml.jackson.databind.JsonNode;
import jakarta.inject.Named;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jboss.logging.Logger;
import org.margincall.engine.service.port.Metrics;
import org.margincall.engine.config.EngineConfig;
import org.margincall.engine.domain.Decimals;
import org.margincall.engine.domain.InvalidInputException;
import org.margincall.engine.service.MarginService;

/**
 * EventBridge "Collateral Changed" and "Position Changed" (SPEC §5.2) → validate →
 * {@link MarginService#onAccountEvent}. The venue reports new absolute state (balances, the
 * position after a fill or a liquidation) with a per-account sequence, which makes replays and
 * out-of-order deliveries harmless.
 *
 * <pre>
 * Collateral Changed: {"accountId","sequence","timestamp","collateral":{"USDT":"15000"}}
 * Position Changed:   {"accountId","sequence","timestamp","instrument","size","entryPrice",
 *                      "isolatedMargin"?, "collateral"?: {...}}   (size "0" closes the position)
 * </pre>
 */
@Named("account-event")
public class AccountEventHandler implements RequestHandler<EventBridgeEvent, EventResult> {
    static final String COLLATERAL = "Collateral Changed";
    static final String POSITION = "Position Changed";
    private static final Logger LOG = Logger.getLogger(AccountEventHandler.class);

    private final MarginService service;
    private final Metrics metrics;
    private final EngineConfig config;

    public AccountEventHandler(MarginService service, Metrics metrics, EngineConfig config) {
        this.service = service;
        this.metrics = metrics;
        this.config = config;
    }

    @Override
    public EventResult handleRequest(EventBridgeEvent event, Context context) {
        return EventResult.handle(event, "account", metrics, LOG, () -> service.onAccountEvent(config.venueId(), parse(event)));
    }

    static MarginService.AccountChange parse(EventBridgeEvent event) {
        if (event == null) {
            throw new InvalidInputException("event", null, "is empty");
        }
        String type = event.detailType();
        if (!COLLATERAL.equals(type) && !POSITION.equals(type)) {
            throw new InvalidInputException("detail-type", type, "must be \"" + COLLATERAL + "\" or \"" + POSITION + "\"");
        }
        if (event.id() == null || event.id().isBlank()) {
            throw new InvalidInputException("id", event.id(), "is required (it identifies the event in notifications)");
        }
        JsonNode d = event.detail();
        if (d == null || !d.isObject()) {
            throw new InvalidInputException("detail", d == null ? null : d.toString(), "must be an object");
        }
        String accountId = text(d, "detail", "accountId");
        long sequence = wholeNumber(d, "detail", "sequence", 1);
        Instant timestamp = instant(d, "detail", "timestamp");
        Map<String, BigDecimal> collateral = new LinkedHashMap<>();
        JsonNode c = d.get("collateral");
        if (c != null && !c.isNull()) {
            if (!c.isObject()) {
                throw new InvalidInputException("detail.collateral", c.toString(), "must be an object of asset to balance");
            }
            Iterator<Map.Entry<String, JsonNode>> it = c.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                collateral.put(e.getKey(), decimalValue(e.getValue(), "detail.collateral." + e.getKey()));
            }
        }
        MarginService.PositionChange position = null;
        if (POSITION.equals(type)) {
            String instrument = text(d, "detail", "instrument");
            BigDecimal size = decimal(d, "detail", "size");
            BigDecimal entry = size.signum() == 0 ? BigDecimal.ONE
                    : Decimals.positive("detail.entryPrice", decimal(d, "detail", "entryPrice"));
            BigDecimal isolated = optionalDecimal(d, "detail", "isolatedMargin");
            if (isolated != null) {
                Decimals.nonNegative("detail.isolatedMargin", isolated);
            }
            position = new MarginService.PositionChange(instrument, size, entry, isolated);
        } else if (collateral.isEmpty()) {
            throw new InvalidInputException("detail.collateral", c == null ? null : c.toString(), "must name at least one balance");
        }
        return new MarginService.AccountChange(event.id(), accountId, sequence, timestamp, collateral, position);
    }
}
