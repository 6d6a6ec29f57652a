package org.margincall.engine.service.port;

import java.util.List;
import java.util.Set;

/** Where notifications go (SNS, SPEC §6). */
public interface NotificationSink {

    /**
     * Publishes in the given order.
     *
     * @param entries outbox entries of channel {@link StoredAccount.Channel#SNS}
     * @return ids of the entries accepted; the rest stay owed (never throws for a delivery failure)
     */
    Set<String> publish(String venueId, List<StoredAccount.OutboxEntry> entries);
}
