package org.margincall.engine.service;

import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.time.Instant;
import java.util.Optional;
import org.margincall.engine.domain.AccountTransition;
import org.margincall.engine.domain.BandBook;
import org.margincall.engine.domain.PriceStamp;
import org.margincall.engine.domain.Trigger;
import org.margincall.engine.domain.TriggerBands;
import org.margincall.engine.domain.VenueSnapshot;
import org.margincall.engine.service.port.AccountItems;
import org.margincall.engine.service.port.BandIndex;
import org.margincall.engine.service.port.VenueRepository;
import org.margincall.engine.service.MarginService.Outcome;
import org.margincall.engine.service.TransitionCommitter.Committed;
import org.margincall.engine.service.port.Metrics;
import org.margincall.engine.service.port.StoredAccount;

/**
 * How the use cases decide accounts: one account and what it owes delivered at once, or many on
 * the bounded pool with what they owe delivered together (SPEC §10).
 */
@ApplicationScoped
public class Decisions {
    private final TransitionCommitter committer;
    private final Delivery delivery;
    private final Parallel parallel;
    private final Metrics metrics;
    private final VenueRepository venues;
    private final AccountItems accounts;
    private final BandIndex bands;

    public Decisions(TransitionCommitter committer, Delivery delivery, Parallel parallel, Metrics metrics,
                     VenueRepository venues, AccountItems accounts, BandIndex bands) {
        this.bands = bands;
        this.committer = committer;
        this.delivery = delivery;
        this.parallel = parallel;
        this.metrics = metrics;
        this.venues = venues;
        this.accounts = accounts;
    }

    /** Sums of several accounts' commits; atomic because the sweep decides pages in parallel. */
    static final class Tally {
        final AtomicInteger evaluated = new AtomicInteger();
        final AtomicInteger transitions = new AtomicInteger();
        final AtomicInteger notifications = new AtomicInteger();

        void add(Committed c) {
            evaluated.addAndGet(c.evaluated());
            transitions.addAndGet(c.transitions());
            notifications.addAndGet(c.notifications());
        }

        Outcome accepted() {
            return new Outcome(Outcome.Status.ACCEPTED, null, evaluated.get(), transitions.get(), notifications.get());
        }
    }

    /**
     * Decides and commits many accounts concurrently (a bounded pool), then delivers what they owe
     * together; one account's failure stops none of the others.
     *
     * @throws IncompleteWorkException after all others are done, when some accounts failed
     */
    Tally decideAndDeliver(String venueId, List<StoredAccount> batch,
                                   java.util.function.Function<StoredAccount, Committed> decide, String what) {
        Tally t = new Tally();
        List<String> failed = new ArrayList<>();
        RuntimeException first = null;
        List<Delivery.Owed> owed = new ArrayList<>();
        List<Committed> done = new ArrayList<>();
        for (Parallel.Attempt<StoredAccount, Committed> a : parallel.each(batch, decide)) {
            if (a.error() != null) {
                failed.add(a.item().account().accountId());
                first = first == null ? a.error() : first;
                continue;
            }
            t.add(a.value());
            owed.add(a.value().owed());
            done.add(a.value());
        }
        try {
            for (Committed c : catchUp(venueId, new ArrayList<>(done))) {
                t.add(c);
                owed.add(c.owed());
                done.add(c);
            }
        } catch (RuntimeException e) {
            first = first == null ? e : first;
            failed.add("(catch-up of newer marks)");
        }
        delivery.deliver(venueId, owed);
        dropSuperseded(venueId, done);
        if (first != null) {
            metrics.count(Metrics.ACCOUNT_FAILURES, failed.size());
            throw new IncompleteWorkException(what, failed, first);
        }
        return t;
    }

    /**
     * The baseline of BENCHMARKS.md (the pre-SPEC §10 path): each account decided, committed and
     * delivered in turn, one SNS call per account; one account's failure stops none of the others.
     *
     * @throws IncompleteWorkException after all others are done, when some accounts failed
     */
    Tally decideEach(String venueId, List<StoredAccount> batch, VenueSnapshot snap, TransitionCommitter.Planner planner,
                     String what) {
        Tally t = new Tally();
        List<String> failed = new ArrayList<>();
        RuntimeException first = null;
        for (StoredAccount a : batch) {
            try {
                t.add(decideOne(venueId, snap, a, planner));
            } catch (RuntimeException e) {
                failed.add(a.account().accountId());
                first = first == null ? e : first;
            }
        }
        if (first != null) {
            metrics.count(Metrics.ACCOUNT_FAILURES, failed.size());
            throw new IncompleteWorkException(what, failed, first);
        }
        return t;
    }

    /** Commits one account's plan and delivers what it owes (with any catch-up on newer marks). */
    Committed decideOne(String venueId, VenueSnapshot snap, StoredAccount a, TransitionCommitter.Planner planner) {
        Committed c = committer.commit(snap, a, planner);
        List<Delivery.Owed> owed = new ArrayList<>();
        List<Committed> done = new ArrayList<>();
        owed.add(c.owed());
        done.add(c);
        RuntimeException caughtUp = null;
        try {
            for (Committed again : catchUp(venueId, List.of(c))) {
                owed.add(again.owed());
                done.add(again);
            }
        } catch (RuntimeException e) {
            // what the commit owes goes out first: a redelivered event finds it decided and would
            // leave it to the sweep
            caughtUp = e;
        }
        delivery.deliver(venueId, owed);
        dropSuperseded(venueId, done);
        if (caughtUp != null) {
            throw caughtUp;
        }
        return c;
    }

    /** {@link SupersededRows#drop}. */
    void dropSuperseded(String venueId, List<Committed> commits) {
        SupersededRows.drop(bands, metrics, venueId, commits);
    }

    /**
     * The one race trigger bands leave (SPEC §10, docs/trigger-bands.md §7): a decision computes
     * bands around the marks it read; a tick stored after that read and before the new rows
     * existed queried the old rows and may not have seen the account. After committing, the
     * latest stored marks are compared with the decisions' marks: an account whose new band a
     * newer mark already leaves (or whose reminder that mark's time finds due) is evaluated again
     * on that mark, as its tick would have (SPEC §9: never left on older marks). Up to three rounds.
     *
     * @return the commits made again, their deliveries owed
     */
    List<Committed> catchUp(String venueId, List<Committed> done) {
        List<Committed> out = new ArrayList<>();
        List<Committed> round = done;
        for (int i = 0; i < 3; i++) {
            List<Committed> banded = new ArrayList<>();
            for (Committed c : round) {
                if (c != null && c.bands() != null && c.snapshot() != null) {
                    banded.add(c);
                }
            }
            if (banded.isEmpty()) {
                return out;
            }
            VenueSnapshot latest = venues.load(venueId);
            List<Committed> again = new ArrayList<>();
            for (Committed c : banded) {
                Missed m = missed(c, latest);
                if (m == null) {
                    continue;
                }
                metrics.count(Metrics.BAND_CATCH_UPS);
                String accountId = c.plan().account().accountId();
                StoredAccount a = accounts.get(venueId, accountId).orElseThrow(() ->
                        new IllegalStateException("account " + accountId + " vanished after its commit"));
                Instant at = m.stamp().timestamp().isAfter(c.plan().rule().at()) ? m.stamp().timestamp() : c.plan().rule().at();
                Trigger trigger = Trigger.price(m.symbol(), latest.marks().exact(m.slot()), m.stamp().timestamp(),
                        m.stamp().sequence());
                AccountTransition.Rule rule = new AccountTransition.Evaluate(at);
                int slot = m.slot();
                Committed redo = committer.commit(latest, a, current -> Optional.of(
                        TransitionCommitter.Plan.evaluate(current.account(), sub -> sub.exposedTo(slot), rule, trigger)));
                out.add(redo);
                again.add(redo);
            }
            round = again;
        }
        return out;
    }

    private record Missed(int slot, String symbol, PriceStamp stamp) {
    }

    /** The earliest newer mark that finds {@code c}'s new bands crossed or a reminder due, or null. */
    private static Missed missed(Committed c, VenueSnapshot latest) {
        Missed best = null;
        BandBook.Entry e = c.bands();
        java.util.Set<Integer> slots = new java.util.TreeSet<>(e.bands().keySet());
        slots.addAll(e.reminders().keySet());
        for (int slot : slots) {
            String symbol = latest.catalog().instrument(slot).symbol();
            PriceStamp now = latest.stamps().get(symbol);
            PriceStamp then = c.snapshot().stamps().get(symbol);
            if (now == null || !latest.marks().has(slot) || (then != null && !now.isNewerThan(then))) {
                continue;
            }
            TriggerBands.Band band = e.bands().get(slot);
            Instant due = e.reminders().get(slot);
            boolean crossed = (band != null && !band.contains(latest.marks().price(slot)))
                    || (due != null && !due.isAfter(now.timestamp()));
            if (crossed && (best == null || best.stamp().isNewerThan(now))) {
                best = new Missed(slot, symbol, now);
            }
        }
        return best;
    }

}
