package org.margincall.engine.service;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import org.jboss.logging.Logger;
import org.jboss.logging.MDC;
import java.util.Set;
import org.margincall.engine.config.EngineConfig;
import org.margincall.engine.domain.Account;
import org.margincall.engine.domain.BandBook;
import org.margincall.engine.domain.Catalog;
import org.margincall.engine.domain.AccountTransition;
import org.margincall.engine.domain.EscalationStart;
import org.margincall.engine.domain.MarginState;
import org.margincall.engine.domain.Notification;
import org.margincall.engine.domain.NotificationType;
import org.margincall.engine.domain.SubAccount;
import org.margincall.engine.domain.Timestamps;
import org.margincall.engine.domain.Trigger;
import org.margincall.engine.domain.VenueSnapshot;
import org.margincall.engine.service.port.AccountItems;
import org.margincall.engine.service.port.BandIndex;
import org.margincall.engine.service.port.LiquidationSink;
import org.margincall.engine.service.port.Metrics;
import org.margincall.engine.service.port.SnsLimits;
import org.margincall.engine.service.port.StoredAccount;
import org.margincall.engine.service.port.VenueRepository;
import org.margincall.engine.service.port.StoredAccount.Channel;
import org.margincall.engine.service.port.StoredAccount.OutboxEntry;
import org.margincall.engine.service.port.StoredAccount.PendingEscalation;

/**
 * The one commit shape every use case shares: plan against the account as stored, run the
 * domain's {@link AccountTransition}, write states and what they owe (outbox, escalation starts) in
 * one conditional write. When another writer committed first, it re-reads and
 * re-decides against a fresh venue snapshot too, so a lost race never sends twice (SPEC §3.3: ids
 * are deterministic) and never decides on marks older than the winner's (SPEC §9).
 */
@ApplicationScoped
public class TransitionCommitter {
    private static final Logger LOG = Logger.getLogger(TransitionCommitter.class);
    static final int MAX_ATTEMPTS = 8;

    private final AccountItems accounts;
    private final VenueRepository venues;
    private final BandIndex bands;
    private final Delivery delivery;
    private final Metrics metrics;
    private final EngineConfig config;
    private final Clock clock;
    private final ObjectMapper json = new ObjectMapper();

    public TransitionCommitter(AccountItems accounts, VenueRepository venues, BandIndex bands, Delivery delivery,
                               Metrics metrics, EngineConfig config, Clock clock) {
        this.accounts = accounts;
        this.venues = venues;
        this.bands = bands;
        this.delivery = delivery;
        this.metrics = metrics;
        this.config = config;
        this.clock = clock;
    }

    /**
     * How one account is to be re-decided.
     *
     * @param account the account to evaluate (the stored one, or it with a venue event applied)
     * @param changed the account to store from a venue event, or null when only states change
     * @param eventSequence the venue event's per-account sequence when {@code changed} is set
     */
    record Plan(Account account, Account changed, long eventSequence, Predicate<SubAccount> which,
                AccountTransition.Rule rule, Trigger trigger) {
        static Plan evaluate(Account account, Predicate<SubAccount> which, AccountTransition.Rule rule, Trigger trigger) {
            return new Plan(account, null, 0, which, rule, trigger);
        }
    }

    /** Plans against the account as currently stored; empty when there is nothing to do. */
    @FunctionalInterface
    interface Planner {
        Optional<Plan> plan(StoredAccount current);
    }

    /**
     * What one account's commit did.
     *
     * @param plan the plan that was committed (or found nothing to write), null when the planner declined
     * @param result the transition of that plan, null when the planner declined
     * @param notifications notifications committed
     * @param owed what the commit owes the world, claimed by this writer: for {@link Delivery#deliver}
     * @param snapshot the venue as the decision saw it (null when the planner declined)
     * @param bands the trigger bands the account owns after this call, computed at {@code snapshot}'s
     *        marks (SPEC §10); null when bands are off or the planner declined
     * @param superseded band rows the commit dropped: the caller deletes them once what it owes is
     *        delivered ({@link Decisions#dropSuperseded}), off the path to SNS; empty when none
     */
    record Committed(Plan plan, AccountTransition.Result result, int evaluated, int transitions, int notifications,
                     Delivery.Owed owed, VenueSnapshot snapshot, BandBook.Entry bands, List<BandIndex.Row> superseded) {
        static final Committed DECLINED = new Committed(null, null, 0, 0, 0, null, null, null, List.of());
    }

    /**
     * What a commit does to the account's band rows (SPEC §10, docs/trigger-bands.md §7).
     *
     * @param entry the bands at the decision's marks and the states it leaves
     * @param next the rows the item owns after the commit
     * @param fresh rows of {@code next} not yet stored: written before the commit
     * @param dropped rows owned now but not after: deleted after the commit
     */
    private record BandChange(BandBook.Entry entry, Set<BandIndex.Row> next, List<BandIndex.Row> fresh,
                              List<BandIndex.Row> dropped, boolean unrecorded) {
        boolean changed() {
            return !fresh.isEmpty() || !dropped.isEmpty();
        }
    }

    /** The band change of a transition, or null when bands are off. */
    private BandChange bandChange(VenueSnapshot snap, Plan plan, StoredAccount current, AccountTransition.Result r) {
        if (!config.triggerBands()) {
            return null;
        }
        Catalog catalog = snap.catalog();
        List<SubAccount> subs = SubAccount.of(catalog, plan.account());
        BandBook.Entry entry = BandBook.entry(subs, snap, id -> {
            MarginState changed = r.changed().get(id);
            return changed != null ? changed : current.state(id);
        }, plan.rule().at());
        Set<BandIndex.Row> owned = BandRows.owned(current, catalog);
        Set<BandIndex.Row> next = BandRows.next(owned, entry, catalog, current.version() + 1);
        if (!BandRows.recordable(next)) {
            // too many instruments for the item to record: empty bands everywhere, read on every tick
            Set<BandIndex.Row> empty = BandRows.unevaluated(plan.account(), catalog);
            return new BandChange(BandBook.unevaluated(subs), empty, BandRows.minus(empty, owned),
                    BandRows.minus(owned, empty), true);
        }
        return new BandChange(entry, next, BandRows.minus(next, owned), BandRows.minus(owned, next), false);
    }

    /**
     * Decides and commits one account, retrying on version conflicts. Delivery is the caller's:
     * it hands {@link Committed#owed()} of one or many accounts to {@link Delivery#deliver}.
     *
     * @throws IllegalStateException when the account vanished or kept changing for {@value #MAX_ATTEMPTS} attempts
     */
    Committed commit(VenueSnapshot snapshot, StoredAccount stored, Planner planner) {
        VenueSnapshot snap = snapshot;
        String venueId = stored.venueId();
        String accountId = stored.account().accountId();
        MDC.put("venueId", venueId);
        MDC.put("accountId", accountId);
        try {
            StoredAccount current = stored;
            for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
                Optional<Plan> maybe = planner.plan(current);
                if (maybe.isEmpty()) {
                    return Committed.DECLINED;
                }
                Plan plan = maybe.get();
                long started = System.nanoTime();
                StoredAccount read = current;
                AccountTransition.Result r = AccountTransition.apply(new AccountTransition.Input(snap, plan.account(),
                        read::state, plan.which(), plan.rule(), plan.trigger(), false));
                metrics.count(Metrics.EXACT_FALLBACKS, r.exactFallbacks());
                metrics.count(Metrics.HELD_HANDOFFS, r.heldHandoffs());
                metrics.millis(Metrics.EVALUATION_LATENCY, (System.nanoTime() - started) / 1e6);
                BandChange band = bandChange(snap, plan, current, r);
                BandBook.Entry entry = band == null ? null : band.entry();
                if (r.isEmpty() && plan.changed() == null && (band == null || !band.changed())) {
                    return new Committed(plan, r, r.evaluated(), 0, 0, null, snap, entry, List.of());
                }
                String claimant = delivery.claimant();
                List<OutboxEntry> outbox = outbox(current, r.notifications(), claimant);
                List<PendingEscalation> starts = new ArrayList<>();
                for (EscalationStart e : r.escalations()) {
                    starts.add(pending(venueId, accountId, e));
                }
                if (band != null && !band.fresh().isEmpty()) {
                    // SPEC §10: the new rows exist before the commit that owns them, so no tick can
                    // miss the account between the two writes (extra rows only cost reads)
                    bands.put(venueId, accountId, band.fresh());
                }
                boolean committed;
                try {
                    committed = accounts.commit(new AccountItems.Commit(current, plan.changed(), plan.eventSequence(), r.changed(),
                            outbox, starts, band == null || band.unrecorded() ? null : band.next(),
                            band != null && band.unrecorded() && current.bandRows() != null));
                } catch (RuntimeException e) {
                    // the outcome is unknown (a lost answer, then the SDK gave up): if the write landed,
                    // what it committed is ours to deliver now; a redelivered event would find nothing
                    // left to decide and leave it to the sweep
                    if (landedDespite(e, venueId, accountId, current, outbox, claimant)) {
                        return new Committed(plan, r, r.evaluated(), r.changed().size(), r.notifications().size(),
                                new Delivery.Owed(accountId, outbox, starts), snap, entry,
                                band == null ? List.of() : band.dropped());
                    }
                    throw e;
                }
                if (committed) {
                    metrics.count(Metrics.ACCOUNTS_EVALUATED, r.evaluated());
                    metrics.count(Metrics.TRANSITIONS, r.changed().size());
                    metrics.count(Metrics.POSTPONED_STEPS, r.postponements());
                    r.heldHandoffDelays().forEach(delay -> metrics.millis(Metrics.HELD_HANDOFF_DELAY, delay.toMillis()));
                    for (Map.Entry<String, MarginState> e : r.changed().entrySet()) {
                        LOG.infof("level of %s now %s (call %s)", e.getKey(), e.getValue().level(), e.getValue().callId());
                    }
                    return new Committed(plan, r, r.evaluated(), r.changed().size(), r.notifications().size(),
                            new Delivery.Owed(accountId, outbox, starts), snap, entry,
                                band == null ? List.of() : band.dropped());
                }
                StoredAccount reread = accounts.get(venueId, accountId).orElseThrow(
                        () -> new IllegalStateException("account " + accountId + " vanished during evaluation"));
                if (landed(reread, current, outbox, claimant)) {
                    // the write landed but its answer was lost (an SDK retry then failed the condition):
                    // what it committed is ours to deliver now, not the sweep's in a minute
                    return new Committed(plan, r, r.evaluated(), r.changed().size(), r.notifications().size(),
                            new Delivery.Owed(accountId, outbox, starts), snap, entry,
                                band == null ? List.of() : band.dropped());
                }
                metrics.count(Metrics.VERSION_CONFLICTS);
                current = reread;
                // SPEC §9: the writer that won may have used newer marks; never decide on older ones
                snap = venues.load(venueId);
            }
            throw new IllegalStateException("account " + accountId + " kept changing during " + MAX_ATTEMPTS + " attempts");
        } finally {
            MDC.remove("venueId");
            MDC.remove("accountId");
        }
    }

    /** Whether a commit that threw was applied all the same; the re-read failing too says no. */
    private boolean landedDespite(RuntimeException failure, String venueId, String accountId, StoredAccount attempted,
                                  List<OutboxEntry> outbox, String claimant) {
        try {
            return accounts.get(venueId, accountId).map(reread -> landed(reread, attempted, outbox, claimant)).orElse(false);
        } catch (RuntimeException again) {
            failure.addSuppressed(again);
            return false;
        }
    }

    /**
     * Whether a commit reported as failed was in fact applied: the item is one version on and
     * holds this attempt's outbox entries under this attempt's claimant (claimants are unique per
     * attempt, so no other writer can have written them).
     */
    private static boolean landed(StoredAccount reread, StoredAccount attempted, List<OutboxEntry> outbox, String claimant) {
        if (outbox.isEmpty() || reread.version() != attempted.version() + 1) {
            return false;
        }
        String first = outbox.get(0).id();
        return reread.outbox().stream().anyMatch(e -> e.id().equals(first) && claimant.equals(e.claimedBy()));
    }

    /**
     * Outbox entries for the notifications owed, in send order after what the item already holds;
     * a hand-off also owes a {@code Liquidation Requested} event with the same body.
     */
    private List<OutboxEntry> outbox(StoredAccount current, List<Notification> owed, String claimant) {
        List<OutboxEntry> out = new ArrayList<>();
        long seq = (current.version() + 1) * 1000;
        long now = clock.millis();
        String accountId = current.account().accountId();
        for (Notification n : owed) {
            String body = body(n);
            out.add(new OutboxEntry(n.notificationId(), Channel.SNS, seq++, body, n.type(), n.level(), accountId,
                    claimant, now));
            if (NotificationType.LIQUIDATION_HANDOFF.name().equals(n.type())) {
                out.add(new OutboxEntry(n.notificationId() + "-liquidation", Channel.EVENTS, seq++, body,
                        LiquidationSink.DETAIL_TYPE, n.level(), accountId, claimant, now));
            }
        }
        return out;
    }

    /**
     * The body as published; one larger than SNS allows keeps the positions nearest to liquidation
     * that fit, with {@code positionsTruncated} (SPEC §10), so it is still delivered.
     */
    String body(Notification n) {
        String full = write(n);
        if (SnsLimits.bytes(full) <= SnsLimits.MAX_BODY_BYTES) {
            return full;
        }
        int lo = 0; // keeps fitting
        int hi = n.positions().size() - 1; // the full body does not fit
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (SnsLimits.bytes(write(n.truncatedTo(mid))) <= SnsLimits.MAX_BODY_BYTES) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        metrics.count(Metrics.TRUNCATED_BODIES);
        return write(n.truncatedTo(lo));
    }

    private String write(Notification n) {
        try {
            return json.writeValueAsString(n);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("notification " + n.notificationId() + " cannot be serialised", e);
        }
    }

    /** The escalation execution's input (infra/statemachine/escalation.asl.json reads these fields). */
    private PendingEscalation pending(String venueId, String accountId, EscalationStart e) {
        ObjectNode input = json.createObjectNode();
        input.put("venueId", venueId);
        input.put("accountId", accountId);
        input.put("subAccount", e.subAccountId());
        input.put("callId", e.callId());
        input.put("openedAt", Timestamps.format(e.openedAt()));
        input.put("graceDeadline", Timestamps.format(e.graceDeadline()));
        input.put("finalDeadline", Timestamps.format(e.finalDeadline()));
        return new PendingEscalation(e.callId(), e.executionName(), input.toString());
    }
}
