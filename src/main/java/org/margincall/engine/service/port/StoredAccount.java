package org.margincall.engine.service.port;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.margincall.engine.domain.Account;
import org.margincall.engine.domain.MarginState;

/**
 * What the service knows of one stored account (the DynamoDB adapter keeps it as one item,
 * docs/data-model.md): the account, the margin state of each of its sub-accounts, what it still
 * owes the world (outbox notifications, escalation starts), the version every write checks, and
 * the trigger-band rows its last commit owns (SPEC §10).
 *
 * @param bandRows the band rows the item records as its own, or null when no commit has recorded any
 *        (an account never evaluated, or imported since: it owns {@code service.BandRows#unevaluated})
 */
public record StoredAccount(String venueId, Account account, Map<String, MarginState> states,
                            List<OutboxEntry> outbox, List<PendingEscalation> escalations, long version,
                            long lastEventSequence, Set<BandIndex.Row> bandRows) {

    /** An item without recorded band rows. */
    public StoredAccount(String venueId, Account account, Map<String, MarginState> states,
                         List<OutboxEntry> outbox, List<PendingEscalation> escalations, long version,
                         long lastEventSequence) {
        this(venueId, account, states, outbox, escalations, version, lastEventSequence, null);
    }

    /**
     * Something owed to the outside world, written with the transition that owes it and removed
     * once accepted: a notification for SNS, or a liquidation request for EventBridge.
     */
    public record OutboxEntry(String id, Channel channel, long seq, String body, String type, String level,
                              String accountId, String claimedBy, long claimedAtMillis) {
    }

    public enum Channel { SNS, EVENTS }

    /** An escalation to start for a call, removed once Step Functions has it. */
    public record PendingEscalation(String callId, String executionName, String input) {
    }

    /** The stored state of a sub-account; {@link MarginState#INITIAL} when it was never decided. */
    public MarginState state(String subAccountId) {
        return states.getOrDefault(subAccountId, MarginState.INITIAL);
    }
}
