package org.margincall.engine.service;

import jakarta.enterprise.context.ApplicationScoped;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.margincall.engine.config.EngineConfig;
import org.margincall.engine.domain.Account;
import org.margincall.engine.domain.AccountTransition;
import org.margincall.engine.domain.Exposure;
import org.margincall.engine.domain.InvalidInputException;
import org.margincall.engine.domain.PendingDeposit;
import org.margincall.engine.domain.Position;
import org.margincall.engine.domain.SubAccount;
import org.margincall.engine.domain.Timestamps;
import org.margincall.engine.domain.Trigger;
import org.margincall.engine.domain.VenueSnapshot;
import org.margincall.engine.service.MarginService.AccountChange;
import org.margincall.engine.service.MarginService.Outcome;
import org.margincall.engine.service.MarginService.PendingDepositChange;
import org.margincall.engine.service.MarginService.PositionChange;
import org.margincall.engine.service.TransitionCommitter.Committed;
import org.margincall.engine.service.TransitionCommitter.Plan;
import org.margincall.engine.service.port.AccountItems;
import org.margincall.engine.service.port.BandIndex;
import org.margincall.engine.service.port.HoldingsIndex;
import org.margincall.engine.service.port.Metrics;
import org.margincall.engine.service.port.StoredAccount;
import org.margincall.engine.service.port.VenueRepository;

/**
 * The account use cases (SPEC §5.2, §3.6): a venue's account events, an account's creation, and a
 * whole-account re-evaluation.
 */
@ApplicationScoped
public class AccountEvents {
    private final VenueRepository venues;
    private final AccountItems accounts;
    private final HoldingsIndex holdings;
    private final BandIndex bands;
    private final Decisions decisions;
    private final Delivery delivery;
    private final Metrics metrics;
    private final EngineConfig config;
    private final Clock clock;

    public AccountEvents(VenueRepository venues, AccountItems accounts, HoldingsIndex holdings, BandIndex bands,
                         Decisions decisions, Delivery delivery, Metrics metrics, EngineConfig config, Clock clock) {
        this.bands = bands;
        this.config = config;
        this.clock = clock;
        this.venues = venues;
        this.accounts = accounts;
        this.holdings = holdings;
        this.decisions = decisions;
        this.delivery = delivery;
        this.metrics = metrics;
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
        Decisions.Tally t = new Decisions.Tally();
        t.add(decisions.decideOne(venueId, snap, a, current ->
                Optional.of(Plan.evaluate(current.account(), sub -> true, new AccountTransition.Evaluate(at), trigger))));
        return t.accepted();
    }

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
        if (config.triggerBands()) {
            // SPEC §10: an account never evaluated is read by the first tick of each instrument it
            // depends on; its rows exist before the item does
            bands.put(venueId, account.accountId(), BandRows.unevaluated(account, snap.catalog()));
        }
        accounts.create(venueId, account, 0);
        holdings.put(venueId, account.accountId(), exposure);
    }

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
        Committed c = decisions.decideOne(venueId, snap, first, current -> {
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
        Decisions.Tally t = new Decisions.Tally();
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

}
