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
import org.margincall.engine.service.port.AccountItems;
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
    private final TransitionCommitter committer;
    private final Delivery delivery;
    private final StaleFeedWatch staleFeeds;
    private final Metrics metrics;
    private final EngineConfig config;

    public Sweep(VenueRepository venues, AccountItems accounts, HoldingsIndex holdings, TransitionCommitter committer, Delivery delivery, StaleFeedWatch staleFeeds, Metrics metrics, EngineConfig config) {
        this.venues = venues;
        this.accounts = accounts;
        this.holdings = holdings;
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
        accounts.scanAll(venueId, config.sweepSegments(), page -> {
            scanned.addAndGet(page.size());
            for (StoredAccount a : page) {
                if (!a.outbox().isEmpty() || !a.escalations().isEmpty()) {
                    owing.add(a.account().accountId());
                }
                for (String instrument : Exposure.instruments(a.account(), snap.catalog())) {
                    exposed.computeIfAbsent(instrument, k -> java.util.concurrent.ConcurrentHashMap.newKeySet())
                            .add(a.account().accountId());
                }
            }
            List<Delivery.Owed> owed = new ArrayList<>();
            for (StoredAccount a : SweepScreen.due(snap, page, now)) {
                try {
                    StoredAccount[] decidedOn = {a}; // the stored states the commit decided on, for SweepCatches
                    Committed c = committer.commit(snap, a, current -> {
                        decidedOn[0] = current;
                        return Optional.of(Plan.evaluate(current.account(), sub -> true, rule, trigger));
                    });
                    t.add(c);
                    owed.add(c.owed());
                    SweepCatches.report(c, decidedOn[0], metrics);
                } catch (RuntimeException e) {
                    // one account must not poison the venue's sweep: the next one retries it
                    metrics.count(Metrics.ACCOUNT_FAILURES);
                    LOG.errorf(e, "sweep could not decide account %s; the next sweep retries", a.account().accountId());
                }
            }
            delivery.deliver(venueId, owed);
        });
        repairHoldings(venueId, exposed);
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
     * Delivers every outbox entry nobody is delivering and starts every pending escalation: the
     * safety net of SPEC §9.
     *
     * @return how many notifications SNS accepted
     */
    public int flushPending(String venueId) {
        return delivery.flush(venueId, accounts.withPendingWork(venueId));
    }
}
