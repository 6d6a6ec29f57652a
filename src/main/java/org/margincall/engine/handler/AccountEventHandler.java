package org.margincall.engine.handler;

import static org.margincall.engine.codec.JsonFields.accountId;
import static org.margincall.engine.codec.JsonFields.decimal;
import static org.margincall.engine.codec.JsonFields.id;
import static org.margincall.engine.codec.JsonFields.idValue;
import static org.margincall.engine.codec.JsonFields.instant;
import static org.margincall.engine.codec.JsonFields.object;
import static org.margincall.engine.codec.JsonFields.onlyFields;
import static org.margincall.engine.codec.JsonFields.optionalArray;
import static org.margincall.engine.codec.JsonFields.optionalDecimal;
import static org.margincall.engine.codec.JsonFields.optionalMeta;
import static org.margincall.engine.codec.JsonFields.optionalObject;
import static org.margincall.engine.codec.JsonFields.required;
import static org.margincall.engine.codec.JsonFields.sequence;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.fasterxml.jackson.databind.JsonNode;
import jakarta.inject.Named;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.HashSet;
import java.util.Map;
import java.util.List;
import java.util.ArrayList;
import java.util.Set;
import org.jboss.logging.Logger;
import org.margincall.engine.service.port.Metrics;
import org.margincall.engine.codec.CatalogJson;
import org.margincall.engine.codec.JsonFields;
import org.margincall.engine.codec.JsonFields.Range;
import org.margincall.engine.config.EngineConfig;
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

    static final String DEPOSIT_PENDING = "Deposit Pending";
    /** Detail fields per type (schema/{collateral-changed,position-changed,deposit-pending}-v1.schema.json). */
    static final Set<String> COLLATERAL_FIELDS = Set.of("accountId", "sequence", "timestamp", "collateral", "settles", "meta");
    static final Set<String> POSITION_FIELDS = Set.of("accountId", "sequence", "timestamp", "instrument", "size", "entryPrice",
            "isolatedMargin", "collateral", "meta");
    static final Set<String> DEPOSIT_PENDING_FIELDS = Set.of("accountId", "sequence", "timestamp", "asset", "amount", "reference",
            "expectedBy", "meta");

    /** A validated SPEC §3.6 "Deposit Pending" detail; an {@code amount} of 0 cancels the reference. */
    record DepositPending(String eventId, String accountId, long sequence, Instant timestamp, String asset, BigDecimal amount,
                          String reference, Instant expectedBy) {
    }

    /**
     * Validates a "Collateral Changed" or "Position Changed" event exactly as its published schema
     * does (SPEC §5.2): unknown fields are refused naming them, except inside {@code meta}. A
     * "Deposit Pending" (SPEC §3.6) becomes a change carrying the pending deposit.
     */
    static MarginService.AccountChange parse(EventBridgeEvent event) {
        JsonNode d = detail(event);
        String type = event.detailType();
        if (DEPOSIT_PENDING.equals(type)) {
            DepositPending p = parseDepositPending(event);
            return new MarginService.AccountChange(p.eventId(), p.accountId(), p.sequence(), p.timestamp(), Map.of(), null,
                    List.of(), new MarginService.PendingDepositChange(p.asset(), p.amount(), p.reference(), p.expectedBy()));
        }
        boolean position = POSITION.equals(type);
        onlyFields(d, "detail", position ? POSITION_FIELDS : COLLATERAL_FIELDS);
        optionalMeta(d, "detail");
        String accountId = accountId(d, "detail", "accountId");
        long sequence = sequence(d, "detail", "sequence", 1);
        Instant timestamp = instant(d, "detail", "timestamp");
        JsonNode c = position ? optionalObject(d, "detail", "collateral") : object(required(d, "detail", "collateral"), "detail.collateral");
        Map<String, BigDecimal> collateral = CatalogJson.collateral(c, "detail.collateral", null);
        MarginService.PositionChange change = null;
        List<String> settled = new ArrayList<>();
        if (position) {
            String instrument = id(d, "detail", "instrument");
            BigDecimal size = decimal(d, "detail", "size");
            BigDecimal entry = optionalDecimal(d, "detail", "entryPrice", Range.POSITIVE);
            if (entry == null && size.signum() != 0) {
                throw new InvalidInputException("detail.entryPrice", null, "is required while the position is open (size is not 0)");
            }
            BigDecimal isolated = optionalDecimal(d, "detail", "isolatedMargin", Range.NON_NEGATIVE);
            change = new MarginService.PositionChange(instrument, size, size.signum() == 0 ? BigDecimal.ONE : entry, isolated);
        } else {
            if (collateral.isEmpty()) {
                throw new InvalidInputException("detail.collateral", JsonFields.shown(c), "must name at least one balance");
            }
            // SPEC §3.6: the references of the pending deposits this credit settles
            JsonNode settles = optionalArray(d, "detail", "settles");
            if (settles != null) {
                Set<String> seen = new HashSet<>();
                for (int i = 0; i < settles.size(); i++) {
                    String ref = idValue(settles.get(i), "detail.settles[" + i + "]");
                    if (!seen.add(ref)) {
                        throw new InvalidInputException("detail.settles", settles.get(i).textValue(),
                                "names a reference twice (at " + i + ")");
                    }
                    settled.add(ref);
                }
            }
        }
        return new MarginService.AccountChange(event.id(), accountId, sequence, timestamp, collateral, change,
                List.copyOf(settled), null);
    }

    /** Validates a SPEC §3.6 "Deposit Pending" event as schema/deposit-pending-v1.schema.json does. */
    static DepositPending parseDepositPending(EventBridgeEvent event) {
        JsonNode d = detail(event);
        if (!DEPOSIT_PENDING.equals(event.detailType())) {
            throw new InvalidInputException("detail-type", JsonFields.shownText(event.detailType()),
                    "must be \"" + DEPOSIT_PENDING + "\"");
        }
        onlyFields(d, "detail", DEPOSIT_PENDING_FIELDS);
        optionalMeta(d, "detail");
        return new DepositPending(event.id(), accountId(d, "detail", "accountId"), sequence(d, "detail", "sequence", 1),
                instant(d, "detail", "timestamp"), id(d, "detail", "asset"), decimal(d, "detail", "amount", Range.NON_NEGATIVE),
                id(d, "detail", "reference"), instant(d, "detail", "expectedBy"));
    }

    /** The envelope checks every account event shares; returns the detail object. */
    private static JsonNode detail(EventBridgeEvent event) {
        if (event == null) {
            throw new InvalidInputException("event", null, "is empty");
        }
        String type = event.detailType();
        if (!COLLATERAL.equals(type) && !POSITION.equals(type) && !DEPOSIT_PENDING.equals(type)) {
            throw new InvalidInputException("detail-type", JsonFields.shownText(type),
                    "must be \"" + COLLATERAL + "\", \"" + POSITION + "\" or \"" + DEPOSIT_PENDING + "\"");
        }
        if (event.id() == null || event.id().isBlank()) {
            throw new InvalidInputException("id", event.id(), "is required (it identifies the event in notifications)");
        }
        JsonNode d = event.detail();
        if (d == null || !d.isObject()) {
            throw new InvalidInputException("detail", JsonFields.shown(d), "must be a JSON object");
        }
        return d;
    }
}
