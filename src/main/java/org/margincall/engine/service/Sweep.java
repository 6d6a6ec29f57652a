package org.margincall.engine.service;

import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.margincall.engine.config.EngineConfig;
import org.margincall.engine.domain.AccountTransition;
import org.margincall.engine.domain.Exposure;
import org.margincall.engine.domain.Trigger;
import org.margincall.engine.domain.VenueSnapshot;
import org.margincall.engine.service.MarginService.SweepOutcome;
import org.margincall.engine.service.TransitionCommitter.Committed;
import org.margincall.engine.service.TransitionCommitter.Plan;
import java.util.HashMap;
import java.util.HashSet;
import org.margincall.engine.domain.Catalog;
import org.margincall.engine.domain.Instrument;
import org.margincall.engine.service.port.AccountItems;
import org.margincall.engine.service.port.BandIndex;
import org.margincall.engine.service.port.HoldingsIndex;
import org.margincall.engine.service.port.Metrics;
import org.margincall.engine.service.port.StoredAccount;
import org.margincall.engine.service.port.VenueRepository;

/**
 * The minute sweep (SPEC §5.3): every account against the latest prices (lost events, due
 * reminders, held hand-offs of silent feeds), holdings rows repaired, everything still owed
 * delivered, stale feeds alerted once.
 */
@ApplicationScoped
public class Sweep {
    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(Sweep.class);
    private final VenueRepository venues;
    private final AccountItems accounts;
    private final HoldingsIndex holdings;
    private final BandIndex bands;
    private final TransitionCommitter committer;
    private final Delivery delivery;
    private final StaleFeedWatch staleFeeds;
    private final Metrics metrics;
    private final EngineConfig config;

    public Sweep(VenueRepository venues, AccountItems accounts, HoldingsIndex holdings, BandIndex bands,
                 TransitionCommitter committer, Delivery delivery, StaleFeedWatch staleFeeds, Metrics metrics,
                 EngineConfig config) {
        this.venues = venues;
        this.accounts = accounts;
        this.holdings = holdings;
        this.bands = bands;
        this.committer = committer;
        this.delivery = delivery;
        this.staleFeeds = staleFeeds;
        this.metrics = metrics;
        this.config = config;
    }

    /**
     * Every account against the latest prices at {@code now} (lost events, due reminders), then
     * everything still owed, then one operations alert per stale price.
     */
    public SweepOutcome sweep(String venueId, Instant now) {
        VenueSnapshot snap = venues.load(venueId);
        Trigger trigger = Trigger.sweep(now);
        AccountTransition.Rule rule = new AccountTransition.Evaluate(now);
        Decisions.Tally t = new Decisions.Tally();
        AtomicInteger scanned = new AtomicInteger();
        List<String> owing = Collections.synchronizedList(new ArrayList<>());
        Map<String, Set<String>> exposed = new java.util.concurrent.ConcurrentHashMap<>();
        Map<String, StoredAccount> seen = new java.util.concurrent.ConcurrentHashMap<>();
        accounts.scanAll(venueId, config.sweepSegments(), page -> {
            scanned.addAndGet(page.size());
            for (StoredAccount a : page) {
                if (config.triggerBands()) {
                    seen.put(a.account().accountId(), a);
                }
                if (!a.outbox().isEmpty() || !a.escalations().isEmpty()) {
                    owing.add(a.account().accountId());
                }
                for (String instrument : Exposure.instruments(a.account(), snap.catalog())) {
                    exposed.computeIfAbsent(instrument, k -> java.util.concurrent.ConcurrentHashMap.newKeySet())
                            .add(a.account().accountId());
                }
            }
            List<Delivery.Owed> owed = new ArrayList<>();
            List<Committed> decided = new ArrayList<>();
            for (StoredAccount a : SweepScreen.due(snap, page, now)) {
                if (aTickWillDecide(a, snap, now)) {
                    metrics.count(Metrics.SWEEP_LEFT_TO_TICKS);
                    continue;
                }
                try {
                    StoredAccount[] decidedOn = {a}; // the stored states the commit decided on, for SweepCatches
                    Committed c = committer.commit(snap, a, current -> {
                        decidedOn[0] = current;
                        return Optional.of(Plan.evaluate(current.account(), sub -> true, rule, trigger));
                    });
                    // its rows are what this commit just wrote, not what the scan saw
                    seen.remove(a.account().accountId());
                    t.add(c);
                    owed.add(c.owed());
                    decided.add(c);
                    SweepCatches.report(c, decidedOn[0], metrics);
                } catch (RuntimeException e) {
                    // one account must not poison the venue's sweep: the next one retries it
                    metrics.count(Metrics.ACCOUNT_FAILURES);
                    LOG.errorf(e, "sweep could not decide account %s; the next sweep retries", a.account().accountId());
                }
            }
            delivery.deliver(venueId, owed);
            SupersededRows.drop(bands, metrics, venueId, decided);
        });
        repairHoldings(venueId, exposed);
        if (config.triggerBands()) {
            repairBands(venueId, snap.catalog(), seen);
        }
        // What the scan saw still owed (decisions above deliver their own at once); re-read for claims.
        int pending = delivery.flush(venueId, accounts.getAll(venueId, owing));
        List<String> stale = staleFeeds.check(venueId, snap, now);
        return new SweepOutcome(scanned.get(), t.transitions.get(), t.notifications.get(), pending, stale);
    }

    /**
     * Writes the holdings rows the scan found missing (a row lost to a failed write or deleted
     * behind the engine's back would hide the account from price events). Rows are only added,
     * never removed here: an extra row costs a read, a wrongly removed one would miss a notice.
     */
    private void repairHoldings(String venueId, Map<String, Set<String>> exposed) {
        exposed.forEach((instrument, ids) -> {
            Set<String> missing = new java.util.TreeSet<>(ids);
            missing.removeAll(holdings.holders(venueId, instrument));
            for (String accountId : missing) {
                holdings.put(venueId, accountId, Set.of(instrument));
            }
        });
    }

    /**
     * How young a mark must be for the sweep to leave an account it moves to that mark's price
     * event (milliseconds): a tick is decided well within a second; one that failed is retried by
     * EventBridge, and the next sweep takes whatever is still undecided.
     */
    static final long TICK_GRACE_MILLIS = 5_000;

    /**
     * Whether a price event in flight will decide this account (SPEC §10): a mark of an instrument
     * it depends on arrived less than {@value #TICK_GRACE_MILLIS} ms ago (by its timestamp) and
     * crosses a band row the item owns, so its tick reads the account. The sweep leaves such an
     * account alone rather than race the tick to the same change (the notice would carry the
     * sweep as its trigger and count as one a tick missed). A change inside every stored band —
     * a band that failed — is the sweep's at once.
     */
    private boolean aTickWillDecide(StoredAccount a, VenueSnapshot snap, Instant now) {
        if (!config.triggerBands()) {
            return false;
        }
        Set<BandIndex.Row> rows;
        try {
            rows = BandRows.owned(a, snap.catalog());
        } catch (RuntimeException e) {
            return false;
        }
        for (BandIndex.Row r : rows) {
            org.margincall.engine.domain.PriceStamp stamp = snap.stamps().get(r.instrument());
            if (stamp == null || stamp.timestamp().isBefore(now.minusMillis(TICK_GRACE_MILLIS))) {
                continue;
            }
            int slot = snap.catalog().slot("instrument", r.instrument());
            if (snap.marks().has(slot) && r.crossedBy(snap.marks().price(slot), stamp.timestamp())) {
                return true;
            }
        }
        return false;
    }

    /**
     * Makes the stored band rows what the scanned items own (SPEC §10: a band lost outside the
     * engine's writes is repaired by the sweep): writes an owned row that is missing, deletes a row
     * of a scanned account that its item does not own, if that row's version is at most the item's
     * (a commit in flight writes rows at a higher version before it lands; a row dropped at or
     * below the item's version can never be owned again, docs/trigger-bands.md §7). Rows at
     * version 0 (written for accounts never evaluated, also by an import in flight) and rows of
     * accounts the scan did not see are left: an extra row costs a read, a row wrongly deleted
     * could miss a notice. A quiet sweep writes nothing.
     */
    private void repairBands(String venueId, Catalog catalog, Map<String, StoredAccount> seen) {
        Map<String, Map<String, Set<BandIndex.Row>>> owned = new HashMap<>(); // instrument → account → rows
        for (StoredAccount a : seen.values()) {
            Set<BandIndex.Row> rows;
            try {
                rows = BandRows.owned(a, catalog);
            } catch (RuntimeException e) {
                metrics.count(Metrics.ACCOUNT_FAILURES);
                LOG.errorf(e, "sweep cannot derive the band rows of account %s", a.account().accountId());
                continue;
            }
            for (BandIndex.Row r : rows) {
                owned.computeIfAbsent(r.instrument(), k -> new HashMap<>())
                        .computeIfAbsent(a.account().accountId(), k -> new HashSet<>()).add(r);
            }
        }
        long repaired = 0;
        for (Instrument instrument : catalog.instruments()) {
            String symbol = instrument.symbol();
            Map<String, Set<BandIndex.Row>> stored = bands.rows(venueId, symbol);
            Map<String, Set<BandIndex.Row>> wanted = owned.getOrDefault(symbol, Map.of());
            for (Map.Entry<String, Set<BandIndex.Row>> e : wanted.entrySet()) {
                Set<BandIndex.Row> have = stored.getOrDefault(e.getKey(), Set.of());
                List<BandIndex.Row> missing = BandRows.minus(e.getValue(), have);
                if (!missing.isEmpty()) {
                    LOG.warnf("sweep rewrites %d missing band rows of account %s (%s)", missing.size(), e.getKey(), symbol);
                    bands.put(venueId, e.getKey(), missing);
                    repaired += missing.size();
                }
            }
            for (Map.Entry<String, Set<BandIndex.Row>> e : stored.entrySet()) {
                StoredAccount item = seen.get(e.getKey());
                if (item == null) {
                    continue;
                }
                List<BandIndex.Row> orphans = new ArrayList<>();
                for (BandIndex.Row r : BandRows.minus(e.getValue(), wanted.getOrDefault(e.getKey(), Set.of()))) {
                    if (r.version() > 0 && r.version() <= item.version()) {
                        orphans.add(r);
                    }
                }
                if (!orphans.isEmpty()) {
                    bands.delete(venueId, e.getKey(), orphans);
                    repaired += orphans.size();
                }
            }
        }
        metrics.count(Metrics.BAND_ROWS_REPAIRED, repaired);
    }

    /**
     * Delivers every outbox entry nobody is delivering and starts every pending escalation: the
     * safety net of SPEC §9.
     *
     * @return how many notifications SNS accepted
     */
    public int flushPending(String venueId) {
        return delivery.flush(venueId, accounts.withPendingWork(venueId));
    }
}
