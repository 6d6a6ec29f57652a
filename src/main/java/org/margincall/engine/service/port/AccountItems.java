package org.margincall.engine.service.port;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.margincall.engine.domain.Account;
import org.margincall.engine.domain.MarginState;

/**
 * The account items the service reads and commits (docs/data-model.md): the account, the margin
 * state of each sub-account, its outbox and pending escalation starts, and the version every
 * commit checks. Reads are strongly consistent.
 */
public interface AccountItems {

    /**
     * Writes a new account with fresh (healthy) margin state, or replaces an existing one.
     *
     * @param lastEventSequence the venue's event sequence the account reflects (0 for none)
     */
    void create(String venueId, Account account, long lastEventSequence);

    /**
     * Writes a new account with fresh margin state only if the venue has no account of that id.
     *
     * @return false when it already exists (nothing written)
     */
    boolean createIfAbsent(String venueId, Account account, long lastEventSequence);

    /** The account, or empty when the venue has no such account. */
    Optional<StoredAccount> get(String venueId, String accountId);

    /** Many accounts (unknown ids are left out), sorted by account id. */
    List<StoredAccount> getAll(String venueId, List<String> accountIds);

    /**
     * A transition to commit if and only if the item is still at {@code current.version()}.
     *
     * @param changed the account's new collateral and positions from a venue event, or null
     * @param eventSequence the venue event's per-account sequence when {@code changed} is set
     * @param states new margin state per sub-account id
     * @param outbox notifications and liquidation requests owed, claimed by the committing writer
     * @param escalations escalations to start
     * @param bandRows the trigger-band rows the item records from now on (SPEC §10), or null to leave
     *        them as recorded
     * @param forgetBands the item records no rows from now on (it owns {@code service.BandRows#unevaluated}:
     *        an account whose rows would not fit the item); {@code bandRows} is then null
     */
    record Commit(StoredAccount current, Account changed, long eventSequence, Map<String, MarginState> states,
                  List<StoredAccount.OutboxEntry> outbox, List<StoredAccount.PendingEscalation> escalations,
                  java.util.Set<BandIndex.Row> bandRows, boolean forgetBands) {
        public Commit {
            if (forgetBands && bandRows != null) {
                throw new IllegalArgumentException("a commit either records band rows or forgets them");
            }
        }
    }

    /** Commits; false when another writer committed first (nothing written). */
    boolean commit(Commit commit);

    /**
     * Every account of a venue in pages, possibly from several threads at once.
     *
     * @param segments how many parallel scan segments to use (≥ 1)
     * @param page called once per page, from the segment's thread
     */
    void scanAll(String venueId, int segments, Consumer<List<StoredAccount>> page);

    /**
     * Drops the band rows the item records (it owns {@code service.BandRows#unevaluated} again) and
     * increments its version, so that a concurrent evaluation re-reads; nothing else changes. For a
     * venue whose configuration changed: every stored band is stale (SPEC §10).
     *
     * @return false when the venue has no such account
     */
    boolean forgetBands(String venueId, String accountId);

    /** Accounts with unpublished outbox entries or unstarted escalations. */
    List<StoredAccount> withPendingWork(String venueId);

    /** What {@link #importAccount} did with one account of a venue's snapshot. */
    enum ImportOutcome {
        /** The venue had no such account: written with fresh (healthy) margin state. */
        CREATED,
        /** The stored account reflected an older event sequence: its venue-reported state was replaced. */
        UPDATED,
        /** The stored account is at this very sequence already (imported before, or the event was applied). */
        UNCHANGED,
        /** The stored account reflects a newer event than the snapshot: left untouched. */
        SKIPPED_NEWER
    }

    /**
     * @param outcome what was done
     * @param previous for {@code UPDATED}, the account as it was stored before (its exposure may have
     *        shrunk), and for {@code UNCHANGED} / {@code SKIPPED_NEWER} the account as stored; null for {@code CREATED}
     * @param storedSequence the item's {@code lastEventSequence} once the call returns
     */
    record ImportResult(ImportOutcome outcome, Account previous, long storedSequence) {
    }

    /**
     * Imports one account of a venue's snapshot taken at the account's per-account event
     * {@code sequence} (SPEC §5.2), with one conditional write:
     * <ul>
     *   <li>absent: written with fresh margin state and {@code lastEventSequence = sequence};</li>
     *   <li>stored {@code lastEventSequence < sequence}: only what the venue reports is replaced
     *       (collateral, positions, own warning, deposits in flight, {@code lastEventSequence});
     *       margin states, outbox and escalation starts are kept, the recorded band rows are dropped
     *       (the item owns {@code service.BandRows#unevaluated} again: its exposure may have changed),
     *       and the version is incremented so that a concurrent evaluation re-reads;</li>
     *   <li>otherwise nothing is written.</li>
     * </ul>
     */
    ImportResult importAccount(String venueId, Account account, long sequence);
}
