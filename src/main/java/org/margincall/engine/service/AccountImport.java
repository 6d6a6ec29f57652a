package org.margincall.engine.service;

import jakarta.enterprise.context.ApplicationScoped;
import java.util.Set;
import org.margincall.engine.domain.Account;
import org.margincall.engine.domain.Catalog;
import org.margincall.engine.domain.Exposure;
import org.margincall.engine.domain.InvalidInputException;
import org.margincall.engine.domain.SubAccount;
import org.margincall.engine.service.port.AccountItems;
import org.margincall.engine.service.port.AccountItems.ImportResult;
import org.margincall.engine.service.port.BandIndex;
import org.margincall.engine.service.port.HoldingsIndex;
import org.margincall.engine.service.port.VenueRepository;

/**
 * Bulk data in: one account of a venue's snapshot, taken at the account's per-account event
 * {@code sequence} (SPEC §5.2), so that an import and the venue's events agree on which is newer.
 * <ul>
 *   <li>an unknown account is created with fresh (healthy) margin state;</li>
 *   <li>an account whose stored state reflects an older event has what the venue reports replaced
 *       (collateral, positions, own warning, deposits in flight) and keeps its margin state:
 *       levels, open calls, outbox and escalation starts are never reset by an import;</li>
 *   <li>an account at the same or a newer sequence is left untouched.</li>
 * </ul>
 * Nothing is evaluated here: the next price event or the minute sweep does (SPEC §5.3). Holdings
 * rows follow the stored account; importing the same snapshot again writes no account item and
 * only rewrites identical holdings rows, which finishes an import stopped between its two writes.
 * Trigger-band rows (SPEC §10): before the item is written, an empty band on every instrument the
 * imported account depends on (version 0), which a created or updated item owns until its next
 * evaluation, so the first tick of each instrument reads it whatever its new exposure.
 */
@ApplicationScoped
public class AccountImport {
    private final VenueRepository venues;
    private final AccountItems accounts;
    private final HoldingsIndex holdings;
    private final BandIndex bands;

    public AccountImport(VenueRepository venues, AccountItems accounts, HoldingsIndex holdings, BandIndex bands) {
        this.venues = venues;
        this.accounts = accounts;
        this.holdings = holdings;
        this.bands = bands;
    }

    /**
     * The venue's catalog, read once for many accounts.
     *
     * @throws org.margincall.engine.service.port.UnknownVenueException for a venue never loaded
     */
    public Catalog catalog(String venueId) {
        return venues.load(venueId).catalog();
    }

    /** {@link #importAccount(String, Catalog, Account, long)} with the venue's catalog read now. */
    public ImportResult importAccount(String venueId, Account account, long sequence) {
        return importAccount(venueId, catalog(venueId), account, sequence);
    }

    /**
     * Imports one account as of the venue's event {@code sequence}.
     *
     * @throws InvalidInputException when it refers to an instrument or asset the venue lacks, or its
     *         own warning is not above the venue's marginCall (nothing written)
     */
    public ImportResult importAccount(String venueId, Catalog catalog, Account account, long sequence) {
        if (sequence < 0) {
            throw new InvalidInputException("sequence", sequence, "must not be negative");
        }
        SubAccount.of(catalog, account); // refuses unknown assets/instruments before anything is written
        // the rows an item owns once created or updated by an import exist before it is written
        bands.put(venueId, account.accountId(), BandRows.unevaluated(account, catalog));
        ImportResult r = accounts.importAccount(venueId, account, sequence);
        String id = account.accountId();
        switch (r.outcome()) {
            case CREATED -> holdings.put(venueId, id, Exposure.instruments(account, catalog));
            case UPDATED -> {
                Set<String> after = Exposure.instruments(account, catalog);
                holdings.put(venueId, id, after);
                Set<String> before = Exposure.instruments(r.previous(), catalog);
                before.removeAll(after);
                holdings.remove(venueId, id, before);
            }
            // the same snapshot again: its rows, in case an earlier run stopped before writing them
            case UNCHANGED -> holdings.put(venueId, id, Exposure.instruments(r.previous(), catalog));
            case SKIPPED_NEWER -> {
                // the venue's events own this account now
            }
            default -> throw new IllegalStateException(r.outcome().toString());
        }
        return r;
    }

    /**
     * After a change of the venue's configuration (thresholds, hysteresis, tier tables, haircuts)
     * every stored band is stale (SPEC §10, docs/trigger-bands.md §6): each account gets an empty
     * band on every instrument it depends on (rows written first), and its item forgets the rows it
     * recorded, so the first tick of each instrument reads it and its next commit rewrites its bands
     * under the new configuration; the rows it forgot are deleted by the sweep. One read of every
     * account and two writes each: run once per configuration change.
     *
     * @return how many accounts were reset
     */
    public int resetBands(String venueId) {
        Catalog catalog = catalog(venueId);
        java.util.concurrent.atomic.AtomicInteger reset = new java.util.concurrent.atomic.AtomicInteger();
        accounts.scanAll(venueId, 4, page -> {
            for (org.margincall.engine.service.port.StoredAccount a : page) {
                String id = a.account().accountId();
                bands.put(venueId, id, BandRows.unevaluated(a.account(), catalog));
                if (accounts.forgetBands(venueId, id)) {
                    reset.incrementAndGet();
                }
            }
        });
        return reset.get();
    }
}
