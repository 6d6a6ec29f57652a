package org.margincall.engine.service.port;

import java.util.List;
import java.util.Set;

/** Where hand-offs go to the venue's liquidation engine ({@code Liquidation Requested} events). */
public interface LiquidationSink {

    /** The detail-type of the event a hand-off sends. */
    String DETAIL_TYPE = "Liquidation Requested";

    /**
     * @param entries outbox entries of channel {@link StoredAccount.Channel#EVENTS}
     * @return ids of the entries accepted; the rest stay owed (never throws for a delivery failure)
     */
    Set<String> put(List<StoredAccount.OutboxEntry> entries);
}
