package org.margincall.engine.handler;

import com.fasterxml.jackson.databind.JsonNode;
import org.margincall.engine.service.MarginService;

/** Test access to the handlers' static {@code parse} methods for the input tests in other packages (codec). */
public final class HandlerParsing {
    private HandlerParsing() {
    }

    /** An EventBridge envelope as a venue's PutEvents would deliver it. */
    public static EventBridgeEvent envelope(String detailType, JsonNode detail) {
        return new EventBridgeEvent("evt-1", detailType, "venue.test", "2026-01-01T00:00:00Z", "000000000000", "us-east-1", detail);
    }

    public static MarginService.PriceUpdate price(EventBridgeEvent event) {
        return PriceEventHandler.parse(event);
    }

    public static MarginService.AccountChange account(EventBridgeEvent event) {
        return AccountEventHandler.parse(event);
    }

    /** The validated "Deposit Pending" detail (SPEC §3.6), as a record of the handler. */
    public static Object depositPending(EventBridgeEvent event) {
        return AccountEventHandler.parseDepositPending(event);
    }
}
