package org.margincall.engine.service;

import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.margincall.engine.domain.VenueSnapshot;
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

    public Decisions(TransitionCommitter committer, Delivery delivery, Parallel parallel, Metrics metrics) {
        this.committer = committer;
        this.delivery = delivery;
        this.parallel = parallel;
        this.metrics = metrics;
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
        for (Parallel.Attempt<StoredAccount, Committed> a : parallel.each(batch, decide)) {
            if (a.error() != null) {
                failed.add(a.item().account().accountId());
                first = first == null ? a.error() : first;
                continue;
            }
            t.add(a.value());
            owed.add(a.value().owed());
        }
        delivery.deliver(venueId, owed);
        if (first != null) {
            metrics.count(Metrics.ACCOUNT_FAILURES, failed.size());
            throw new IncompleteWorkException(what, failed, first);
        }
        return t;
    }

    /** Commits one account's plan and delivers what it owes. */
    Committed decideOne(String venueId, VenueSnapshot snap, StoredAccount a, TransitionCommitter.Planner planner) {
        Committed c = committer.commit(snap, a, planner);
        delivery.deliver(venueId, java.util.Collections.singletonList(c.owed()));
        return c;
    }

}
