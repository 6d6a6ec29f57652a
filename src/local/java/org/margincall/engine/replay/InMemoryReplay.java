package org.margincall.engine.replay;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.function.Predicate;
import org.margincall.engine.domain.AcceptedMark;
import org.margincall.engine.domain.Account;
import org.margincall.engine.domain.AccountTransition;
import org.margincall.engine.domain.BandBook;
import org.margincall.engine.domain.Catalog;
import org.margincall.engine.domain.EscalationStart;
import org.margincall.engine.domain.EscalationStep;
import org.margincall.engine.domain.MarginState;
import org.margincall.engine.domain.Marks;
import org.margincall.engine.domain.Notification;
import org.margincall.engine.domain.PriceArrival;
import org.margincall.engine.domain.PriceStamp;
import org.margincall.engine.domain.SubAccount;
import org.margincall.engine.domain.Trigger;
import org.margincall.engine.domain.VenueSnapshot;
import org.margincall.engine.scenario.Scenario;
import org.margincall.engine.scenario.ScenarioEvent;

/**
 * Replays a SPEC §7 scenario through the engine's one transition ({@link AccountTransition}) with
 * an in-memory store: the reference behaviour the deployed stack must reproduce. Escalation clock
 * steps are timers in scenario time; a step due at the same instant as an event runs after it, and
 * steps due after the last event are not run (SPEC §7).
 */
public final class InMemoryReplay {
    private final Catalog catalog;
    private final VenueSnapshot snapshot;
    private final Map<String, Account> accounts = new LinkedHashMap<>();
    private final Map<String, MarginState> states = new HashMap<>();
    private final PriorityQueue<Timer> timers = new PriorityQueue<>();
    private final List<Notification> out = new ArrayList<>();
    private final List<Scenario.Observer> observers = new ArrayList<>();
    private final Map<String, Integer> order = new HashMap<>();
    /** Each account compiled, for the band rows and the exposure count; dropped when the account changes. */
    private final Map<String, List<SubAccount>> compiled = new HashMap<>();
    private long timerOrder;
    /** Null: every exposed account is evaluated on every tick (the reference); else the band selection. */
    private BandBook book;
    private long evaluations;
    private long priceEvaluations;
    private long priceAccountsSelected;

    private record Timer(Instant due, long order, String accountId, String subAccountId, EscalationStart call,
                         EscalationStep step) implements Comparable<Timer> {
        @Override
        public int compareTo(Timer o) {
            int c = due.compareTo(o.due);
            return c != 0 ? c : Long.compare(order, o.order);
        }
    }

    public InMemoryReplay(Scenario scenario) {
        this.catalog = scenario.catalog();
        this.snapshot = new VenueSnapshot(catalog, new Marks(catalog), new HashMap<>());
        for (Account a : scenario.accounts()) {
            order.put(a.accountId(), order.size());
            accounts.put(a.accountId(), a);
        }
    }

    /**
     * Selects the accounts a price tick evaluates by their trigger bands and reminder clocks
     * ({@link BandBook}, SPEC §10) instead of evaluating every exposed one: each account starts with
     * {@code EMPTY} bands on every instrument it depends on, and after every transition of an
     * account (price, account event, clock step) its bands are rewritten from the states it left at
     * the current marks. The notices must be exactly those of the default mode. Call before {@link #run}.
     */
    public InMemoryReplay withBands() {
        book = new BandBook();
        for (Account a : accounts.values()) {
            book.put(a.accountId(), BandBook.unevaluated(subs(a)));
        }
        return this;
    }

    /** The band rows as they stand (null without {@link #withBands()}), for tests that aim ticks at them. */
    BandBook bandBook() {
        return book;
    }

    /** (Sub-)account evaluations made so far, by every input (price ticks, account events, clock steps). */
    public long evaluations() {
        return evaluations;
    }

    /** (Sub-)account evaluations made so far by price ticks. */
    public long priceEvaluations() {
        return priceEvaluations;
    }

    /**
     * Accounts selected by price ticks so far (what a store would read): with bands, those
     * {@link BandBook#crossed}; without, every account with a (sub-)account exposed to the instrument.
     */
    public long priceAccountsSelected() {
        return priceAccountsSelected;
    }

    /** Receives every evaluation, for reports (ratio over time); optional. */
    public InMemoryReplay observe(Scenario.Observer observer) {
        observers.add(observer);
        return this;
    }

    /** Runs every event and every clock step due by the last event; returns notices in send order. */
    public List<Notification> run(List<ScenarioEvent> events) {
        Instant end = null;
        for (ScenarioEvent e : events) {
            runTimers(e.at(), false);
            apply(e);
            end = e.at();
        }
        if (end != null) {
            runTimers(end, true);
        }
        return List.copyOf(out);
    }

    private void apply(ScenarioEvent e) {
        if (e instanceof ScenarioEvent.Price p) {
            AcceptedMark mark = PriceArrival.accept(snapshot, p.instrument(), p.markPrice(), p.indexPrice(),
                    PriceStamp.of(p.at(), p.sequence()), "scenario");
            if (mark == null) {
                return; // duplicate or out of order (SPEC §5.1)
            }
            PriceArrival.apply(snapshot, mark);
            int slot = catalog.slot("instrument", p.instrument());
            Trigger t = Trigger.price(p.instrument(), p.markPrice(), p.at(), p.sequence());
            Predicate<SubAccount> exposed = sub -> sub.exposedTo(slot);
            List<Account> selected = new ArrayList<>();
            if (book == null) {
                // every account holding the instrument (one without an exposed sub-account would evaluate nothing)
                for (Account a : accounts.values()) {
                    if (exposedAnywhere(a, slot)) {
                        selected.add(a);
                    }
                }
            } else {
                for (String id : book.crossed(slot, snapshot.marks().price(slot), p.at())) {
                    selected.add(accounts.get(id));
                }
                selected.sort(java.util.Comparator.comparingInt(a -> order.get(a.accountId())));
            }
            for (Account a : selected) {
                AccountTransition.Result r = transition(a, exposed, new AccountTransition.Evaluate(p.at()), t);
                priceEvaluations += r.evaluated();
                priceAccountsSelected++;
            }
        } else if (e instanceof ScenarioEvent.Deposit d) {
            Account next = accounts.get(d.accountId()).deposit(d.asset(), d.amount())
                    .settling(d.settles() == null ? List.of() : List.of(d.settles()));
            store(next);
            transition(next, sub -> true, new AccountTransition.Evaluate(d.at()),
                    Trigger.account("scenario-event-" + d.index(), d.at()));
        } else if (e instanceof ScenarioEvent.Reduce r) {
            Account next = accounts.get(r.accountId()).reduce(r.instrument(), r.size(), snapshot.marks().exact(r.instrument()));
            store(next);
            transition(next, sub -> true, new AccountTransition.Evaluate(r.at()),
                    Trigger.account("scenario-event-" + r.index(), r.at()));
        } else if (e instanceof ScenarioEvent.PendingDeposit pd) {
            Account current = accounts.get(pd.accountId());
            // SPEC §3.6: one whose expectedBy has passed on arrival is ignored; "0" cancels
            Account next = pd.amount().signum() != 0 && !pd.expectedBy().isAfter(pd.at()) ? current
                    : current.withPendingDeposit(pd.asset(), pd.amount(), pd.reference(), pd.expectedBy());
            store(next);
            transition(next, sub -> true, new AccountTransition.Evaluate(pd.at()),
                    Trigger.account("scenario-event-" + pd.index(), pd.at()));
        }
    }

    private AccountTransition.Result transition(Account a, Predicate<SubAccount> which, AccountTransition.Rule rule,
                                                Trigger t) {
        AccountTransition.Result r = AccountTransition.apply(new AccountTransition.Input(snapshot, a, states::get, which,
                rule, t, !observers.isEmpty()));
        for (AccountTransition.Evaluated ev : r.evaluations()) {
            for (Scenario.Observer o : observers) {
                o.evaluated(ev.at(), ev.evaluation());
            }
        }
        states.putAll(r.changed());
        out.addAll(r.notifications());
        evaluations += r.evaluated();
        if (book != null) {
            book.put(a.accountId(), BandBook.entry(subs(a), snapshot, states::get, rule.at()));
        }
        for (EscalationStart call : r.escalations()) {
            schedule(a.accountId(), call.subAccountId(), call, EscalationStep.GRACE_EXPIRED, call.graceDeadline());
        }
        return r;
    }

    private void store(Account next) {
        accounts.put(next.accountId(), next);
        compiled.remove(next.accountId());
    }

    private List<SubAccount> subs(Account a) {
        return compiled.computeIfAbsent(a.accountId(), id -> SubAccount.of(catalog, a));
    }

    private boolean exposedAnywhere(Account a, int slot) {
        for (SubAccount sub : subs(a)) {
            if (sub.exposedTo(slot)) {
                return true;
            }
        }
        return false;
    }

    private void schedule(String accountId, String subAccountId, EscalationStart call, EscalationStep step, Instant due) {
        timers.add(new Timer(due, timerOrder++, accountId, subAccountId, call, step));
    }

    private void runTimers(Instant until, boolean inclusive) {
        while (!timers.isEmpty()) {
            Timer t = timers.peek();
            if (inclusive ? t.due().isAfter(until) : !t.due().isBefore(until)) {
                return;
            }
            timers.poll();
            fire(t);
        }
    }

    private void fire(Timer timer) {
        String callId = timer.call().callId();
        AccountTransition.Result r = transition(accounts.get(timer.accountId()),
                sub -> sub.id().equals(timer.subAccountId()),
                new AccountTransition.Recheck(callId, timer.step(), timer.due()),
                Trigger.clock(callId, timer.step().name(), timer.due()));
        // An isolated position closed meanwhile is not evaluated: nothing is left to escalate.
        if (r.waitUntil() != null) {
            // postponed by a deposit in flight (SPEC §3.6): the same step, later
            schedule(timer.accountId(), timer.subAccountId(), timer.call(), timer.step(), r.waitUntil());
        } else if (timer.step() == EscalationStep.GRACE_EXPIRED && r.continueEscalation()) {
            schedule(timer.accountId(), timer.subAccountId(), timer.call(), EscalationStep.FINAL_NOTICE_EXPIRED,
                    r.nextStepAt() != null ? r.nextStepAt() : timer.call().finalDeadline());
        }
    }
}
