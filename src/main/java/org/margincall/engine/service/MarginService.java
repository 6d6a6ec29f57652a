package org.margincall.engine.service;

import jakarta.enterprise.context.ApplicationScoped;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.margincall.engine.config.EngineConfig;
import org.margincall.engine.domain.Account;
import org.margincall.engine.domain.AcceptedMark;
import org.margincall.engine.domain.AccountTransition;
import org.margincall.engine.domain.EscalationStep;
import org.margincall.engine.domain.Exposure;
import org.margincall.engine.domain.InvalidInputException;
import org.margincall.engine.domain.Level;
import org.margincall.engine.domain.PendingDeposit;
import org.margincall.engine.domain.Position;
import org.margincall.engine.domain.PriceArrival;
import org.margincall.engine.domain.PriceStamp;
import org.margincall.engine.domain.SubAccount;
import org.margincall.engine.domain.Timestamps;
import org.margincall.engine.domain.Trigger;
import org.margincall.engine.domain.VenueSnapshot;
import org.margincall.engine.service.TransitionCommitter.Committed;
import org.margincall.engine.service.TransitionCommitter.Plan;
import org.margincall.engine.service.port.AccountItems;
import org.margincall.engine.service.port.HoldingsIndex;
import org.margincall.engine.service.port.Metrics;
import org.margincall.engine.service.port.StoredAccount;
import org.margincall.engine.service.port.VenueRepository;

/**
 * The engine's use cases, one a page: a price event (SPEC §5.1), a venue's account event (§5.2),
 * an escalation's clock step (§3.4) and the minute sweep (§5.3). Each loads what its input
 * touches, lets {@link TransitionCommitter} decide and commit per account, and reports what it did.
 */
@ApplicationScoped
public class MarginService {
    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(MarginService.class);
    private final VenueRepository venues;
    private final AccountItems accounts;
    private final HoldingsIndex holdings;
    private final TransitionCommitter committer;
    private final Delivery delivery;
    private final StaleFeedWatch staleFeeds;
    private final Metrics metrics;
    private final EngineConfig config;
    private final Clock clock;

    public MarginService(VenueRepository venues, AccountItems accounts, HoldingsIndex holdings,
                         TransitionCommitter committer, Delivery delivery, StaleFeedWatch staleFeeds, Metrics metrics,
                         EngineConfig config, Clock clock) {
        this.venues = venues;
        this.accounts = accounts;
        this.holdings = holdings;
        this.committer = committer;
        this.delivery = delivery;
        this.staleFeeds = staleFeeds;
        this.metrics = metrics;
        this.config = config;
        this.clock = clock;
    }

    /**
     * A validated SPEC §5.1 price event; prices in quote currency, {@code timestamp} truncated to ms.
     *
     * @param indexPrice the event's index price (SPEC §3.5), or null
     */
    public record PriceUpdate(String instrument, BigDecimal markPrice, Instant timestamp, long sequence, String source,
                              BigDecimal indexPrice) {
        /** An event without an index price. */
        public PriceUpdate(String instrument, BigDecimal markPrice, Instant timestamp, long sequence, String source) {
            this(instrument, markPrice, timestamp, sequence, source, null);
        }
    }

    /**
     * A validated SPEC §5.2 account event: the venue's new state of the account's collateral
     * balances and/or one position, or a deposit in flight, numbered by a per-account {@code sequence}.
     *
     * @param collateral new balances by asset (absolute, not deltas), possibly empty
     * @param position the new state of one position (size 0 closes it), or null
     * @param settles references of pending deposits this credit settles (SPEC §3.6), possibly empty
     * @param pending a {@code Deposit Pending} (amount 0 cancels its reference), or null
     */
    public record AccountChange(String eventId, String accountId, long sequence, Instant timestamp,
                                Map<String, BigDecimal> collateral, PositionChange position, List<String> settles,
                                PendingDepositChange pending) {
        /** A balance or position change that settles nothing. */
        public AccountChange(String eventId, String accountId, long sequence, Instant timestamp,
                             Map<String, BigDecimal> collateral, PositionChange position) {
            this(eventId, accountId, sequence, timestamp, collateral, position, List.of(), null);
        }
    }

    /** A SPEC §3.6 {@code Deposit Pending}: asset, amount in its units ("0" cancels), reference, expected credit time. */
    public record PendingDepositChange(String asset, BigDecimal amount, String reference, Instant expectedBy) {
    }

    /** A position's new state: signed size in base units (0 closes), entry price and isolated margin in quote currency. */
    public record PositionChange(String instrument, BigDecimal size, BigDecimal entryPrice, BigDecimal isolatedMargin) {
    }

    /** What one event did; {@code reason} says why it was rejected or ignored. */
    public record Outcome(Status status, String reason, int accountsEvaluated, int transitions, int notifications) {
        public enum Status { ACCEPTED, DUPLICATE, REJECTED }

        static Outcome duplicate(String reason) {
            return new Outcome(Status.DUPLICATE, reason, 0, 0, 0);
        }
    }

    /**
     * What a re-check decided for the escalation that asked (SPEC §3.4); {@code level} null when not evaluated.
     *
     * @param waitUntil the step was postponed (SPEC §3.6) or is not due: run it at this instant; else null
     * @param nextDeadline when the call's next step falls due, when the escalation continues; else null
     */
    public record RecheckOutcome(boolean continueEscalation, Level level, int notifications, Instant waitUntil,
                                 Instant nextDeadline) {
    }

    /** The sweep's tallies (SPEC §5.3). */
    public record SweepOutcome(int accountsScanned, int transitions, int notifications, int pendingPublished,
                               List<String> stalePricesReported) {
    }

    /** Sums of several accounts' commits; atomic because the sweep decides pages in parallel. */
    private static final class Tally {
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

    // ---- price events (SPEC §5.1) ----

    /**
     * Stores the price if it is newer than the stored one, then re-evaluates every (sub-)account
     * exposed to the instrument. The same event delivered again re-evaluates too (idempotent), so
     * a retry finishes what a failed delivery left undone.
     *
     * @throws InvalidInputException for an unknown instrument or a timestamp too far in the future
     * @throws IncompleteWorkException when some accounts failed after the others were done (retry it)
     */
    public Outcome onPrice(String venueId, PriceUpdate p) {
        VenueSnapshot snap = venues.load(venueId);
        int slot = snap.catalog().slot("detail.instrument", p.instrument());
        if (p.timestamp().isAfter(clock.instant().plusSeconds(config.maxFutureSeconds()))) {
            throw new InvalidInputException("detail.timestamp", Timestamps.format(p.timestamp()),
                    "is more than " + config.maxFutureSeconds() + " s in the future");
        }
        PriceStamp stamp = PriceStamp.of(p.timestamp(), p.sequence());
        boolean redelivered = false;
        // The suspect flag and the variance derive from the previous mark: store only if it is still
        // the stored one, else read again (another price landed meanwhile) and decide again.
        for (int attempt = 1; ; attempt++) {
            AcceptedMark mark = PriceArrival.accept(snap, p.instrument(), p.markPrice(), p.indexPrice(), stamp, p.source());
            if (mark == null && stamp.equals(snap.stamps().get(p.instrument()))) {
                // SPEC §5.1: the same event again (e.g. a retried invocation) finishes the work the
                // first delivery left undone; evaluation is idempotent, so nothing is sent twice
                redelivered = true;
                break;
            }
            if (mark == null) {
                metrics.count(Metrics.EVENTS_DUPLICATE);
                return Outcome.duplicate("older than the stored price of " + p.instrument() + " by (timestamp, sequence)");
            }
            if (venues.storeIfUnchanged(venueId, mark, snap.stamps().get(p.instrument()))) {
                PriceArrival.apply(snap, mark);
                if (mark.suspect()) {
                    metrics.count(Metrics.SUSPECT_MARKS);
                }
                break;
            }
            if (attempt == TransitionCommitter.MAX_ATTEMPTS) {
                throw new IllegalStateException("the price of " + p.instrument() + " kept changing during "
                        + attempt + " attempts");
            }
            snap = venues.load(venueId);
        }
        metrics.count(redelivered ? Metrics.EVENTS_DUPLICATE : Metrics.EVENTS_ACCEPTED);
        Trigger trigger = Trigger.price(p.instrument(), p.markPrice(), p.timestamp(), p.sequence());
        AccountTransition.Rule rule = new AccountTransition.Evaluate(p.timestamp());
        Tally t = new Tally();
        VenueSnapshot stored = snap;
        List<String> failed = new ArrayList<>();
        RuntimeException first = null;
        for (StoredAccount a : accounts.getAll(venueId, holdings.holders(venueId, p.instrument()))) {
            try {
                t.add(committer.commit(stored, a, current ->
                        Optional.of(Plan.evaluate(current.account(), sub -> sub.exposedTo(slot), rule, trigger))));
            } catch (RuntimeException e) {
                // one account's failure must not keep the others waiting for the sweep
                failed.add(a.account().accountId());
                first = first == null ? e : first;
            }
        }
        if (first != null) {
            throw new IncompleteWorkException("price event " + p.instrument() + "@" + Timestamps.format(p.timestamp())
                    + "#" + p.sequence(), failed, first);
        }
        Outcome done = t.accepted();
        return redelivered ? new Outcome(Outcome.Status.DUPLICATE, "delivered again: finished what an earlier delivery "
                + "left undone", done.accountsEvaluated(), done.transitions(), done.notifications()) : done;
    }

    /**
     * Re-evaluates one whole account at {@code at}.
     *
     * @throws InvalidInputException when the venue has no such account
     */
    public Outcome evaluateAccount(String venueId, String accountId, Trigger trigger, Instant at) {
        VenueSnapshot snap = venues.load(venueId);
        StoredAccount a = accounts.get(venueId, accountId).orElseThrow(() ->
                new InvalidInputException("accountId", accountId, "is not an account of venue " + venueId));
        Tally t = new Tally();
        t.add(committer.commit(snap, a, current ->
                Optional.of(Plan.evaluate(current.account(), sub -> true, new AccountTransition.Evaluate(at), trigger))));
        return t.accepted();
    }

    // ---- accounts in ----

    /**
     * Stores an account with fresh (healthy) margin state and its holdings rows, replacing an
     * existing one (a venue's initial load).
     *
     * @throws InvalidInputException when it refers to an instrument or asset the venue lacks (nothing written)
     */
    public void createAccount(String venueId, Account account) {
        VenueSnapshot snap = venues.load(venueId);
        SubAccount.of(snap.catalog(), account); // refuses unknown assets/instruments before anything is written
        Set<String> exposure = Exposure.instruments(account, snap.catalog());
        accounts.create(venueId, account, 0);
        holdings.put(venueId, account.accountId(), exposure);
    }

    // ---- account events (SPEC §5.2) ----

    /**
     * Applies a venue's account event and re-evaluates the account at once, so a deposit that
     * cures a call is answered without waiting for a price. Idempotent and out-of-order safe by
     * the per-account sequence: an event not newer than the last applied one changes nothing.
     *
     * An account the venue never reported is created by its first event (SPEC §5.2).
     *
     * @throws InvalidInputException for an asset or instrument the venue lacks (nothing written)
     */
    public Outcome onAccountEvent(String venueId, AccountChange change) {
        // as for a price (SPEC §5.1): the event's time becomes the evaluation's, the opening of a
        // call and its deadlines; one from the future would put the call's clock out of reach
        if (change.timestamp().isAfter(clock.instant().plusSeconds(config.maxFutureSeconds()))) {
            throw new InvalidInputException("detail.timestamp", Timestamps.format(change.timestamp()),
                    "is more than " + config.maxFutureSeconds() + " s in the future");
        }
        VenueSnapshot snap = venues.load(venueId);
        // SPEC §9: what the venue's catalog lacks is refused naming the event's own field
        for (String asset : change.collateral().keySet()) {
            snap.catalog().asset("detail.collateral", asset);
        }
        if (change.position() != null) {
            snap.catalog().slot("detail.instrument", change.position().instrument());
        }
        if (change.pending() != null) {
            snap.catalog().asset("detail.asset", change.pending().asset());
        }
        Optional<StoredAccount> found = accounts.get(venueId, change.accountId());
        if (found.isEmpty()) {
            // SPEC §5.2: a venue's new trader is monitored from the first event on; a bad first
            // event is refused before the account is written
            Account fresh = new Account(change.accountId(), Map.of(), List.of(), null);
            SubAccount.of(snap.catalog(), apply(fresh, change));
            accounts.createIfAbsent(venueId, fresh, 0);
            found = accounts.get(venueId, change.accountId());
        }
        StoredAccount first = found.orElseThrow(() -> new IllegalStateException(
                "account " + change.accountId() + " vanished right after it was created"));
        Trigger trigger = Trigger.account(change.eventId(), change.timestamp());
        AccountTransition.Rule rule = new AccountTransition.Evaluate(change.timestamp());
        Committed c = committer.commit(snap, first, current -> {
            if (change.sequence() <= current.lastEventSequence()) {
                return Optional.empty();
            }
            Account next = apply(current.account(), change);
            SubAccount.of(snap.catalog(), next); // refuses unknown assets/instruments before anything is written
            return Optional.of(new Plan(next, next, change.sequence(), sub -> true, rule, trigger));
        });
        if (c.plan() == null) {
            // SPEC §5.2: not re-applied, but it finishes what its first delivery left undone
            StoredAccount now = accounts.get(venueId, change.accountId()).orElseThrow();
            holdings.put(venueId, change.accountId(), Exposure.instruments(now.account(), snap.catalog()));
            delivery.flush(venueId, List.of(now));
            metrics.count(Metrics.EVENTS_DUPLICATE);
            return Outcome.duplicate("sequence " + change.sequence()
                    + " is not newer than the last applied event of account " + change.accountId());
        }
        metrics.count(Metrics.EVENTS_ACCEPTED);
        metrics.count(Metrics.PENDING_DEPOSITS_EXPIRED, expired(first.account(), change).size());
        Set<String> before = Exposure.instruments(first.account(), snap.catalog());
        Set<String> after = Exposure.instruments(c.plan().changed(), snap.catalog());
        holdings.put(venueId, change.accountId(), after);
        before.removeAll(after);
        holdings.remove(venueId, change.accountId(), before);
        Tally t = new Tally();
        t.add(c);
        return t.accepted();
    }

    /**
     * The account with the venue's new balances, position state and deposits in flight applied;
     * pending deposits whose {@code expectedBy} has passed by the event's time are dropped (counted).
     */
    static Account apply(Account account, AccountChange change) {
        Account next = account.settling(change.settles()).settling(expired(account, change));
        PendingDepositChange pd = change.pending();
        if (pd != null && (pd.amount().signum() == 0 || pd.expectedBy().isAfter(change.timestamp()))) {
            // one whose expectedBy has passed on arrival is ignored (SPEC §3.6)
            next = next.withPendingDeposit(pd.asset(), pd.amount(), pd.reference(), pd.expectedBy());
        }
        for (Map.Entry<String, BigDecimal> c : change.collateral().entrySet()) {
            next = next.withCollateral(c.getKey(), c.getValue());
        }
        PositionChange p = change.position();
        if (p != null) {
            next = next.withPosition(p.instrument(), p.size().signum() == 0 ? null
                    : new Position(p.instrument(), p.size(), p.entryPrice(), p.isolatedMargin()));
        }
        return next;
    }

    /** References of the account's pending deposits that expired unsettled by the event's time. */
    private static List<String> expired(Account account, AccountChange change) {
        List<String> out = new ArrayList<>();
        for (PendingDeposit d : account.pendingDeposits()) {
            if (!d.countsAt(change.timestamp()) && !change.settles().contains(d.reference())) {
                out.add(d.reference());
            }
        }
        return out;
    }

    // ---- escalation re-check (SPEC §3.4) ----

    /**
     * The escalation's clock step for one call at {@code at} (the step's deadline, so scenario
     * time decides, not the wall clock): a fresh evaluation, then the deadline notice unless the
     * call was cured, superseded or already handed off.
     */
    public RecheckOutcome recheck(String venueId, String accountId, String subAccountId, String callId,
                                  EscalationStep step, Instant at) {
        VenueSnapshot snap = venues.load(venueId);
        Optional<StoredAccount> a = accounts.get(venueId, accountId);
        if (a.isEmpty()) {
            return new RecheckOutcome(false, null, 0, null, null);
        }
        Trigger trigger = Trigger.clock(callId, step.name(), at);
        AccountTransition.Rule rule = new AccountTransition.Recheck(callId, step, at);
        Committed c = committer.commit(snap, a.get(), current ->
                Optional.of(Plan.evaluate(current.account(), sub -> sub.id().equals(subAccountId), rule, trigger)));
        AccountTransition.Result r = c.result();
        return new RecheckOutcome(r.continueEscalation(), r.recheckLevel(), c.notifications(), r.waitUntil(), r.nextStepAt());
    }

    // ---- the sweep (SPEC §5.3) ----

    /**
     * Every account against the latest prices at {@code now} (lost events, due reminders), then
     * everything still owed, then one operations alert per stale price.
     */
    public SweepOutcome sweep(String venueId, Instant now) {
        VenueSnapshot snap = venues.load(venueId);
        Trigger trigger = Trigger.sweep(now);
        AccountTransition.Rule rule = new AccountTransition.Evaluate(now);
        Tally t = new Tally();
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
            for (StoredAccount a : SweepScreen.due(snap, page, now)) {
                try {
                    t.add(committer.commit(snap, a, current ->
                            Optional.of(Plan.evaluate(current.account(), sub -> true, rule, trigger))));
                } catch (RuntimeException e) {
                    // one account must not poison the venue's sweep: the next one retries it
                    metrics.count(Metrics.ACCOUNT_FAILURES);
                    LOG.errorf(e, "sweep could not decide account %s; the next sweep retries", a.account().accountId());
                }
            }
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
