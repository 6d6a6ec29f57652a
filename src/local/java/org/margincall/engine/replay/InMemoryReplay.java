package org.margincall.engine.replay;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import org.margincall.engine.domain.Account;
import org.margincall.engine.domain.Catalog;
import org.margincall.engine.domain.Decision;
import org.margincall.engine.domain.EscalationStart;
import org.margincall.engine.domain.EscalationStep;
import org.margincall.engine.domain.Evaluation;
import org.margincall.engine.domain.MarginDecider;
import org.margincall.engine.domain.MarginEvaluator;
import org.margincall.engine.domain.MarginState;
import org.margincall.engine.domain.Marks;
import org.margincall.engine.domain.Notice;
import org.margincall.engine.domain.Notification;
import org.margincall.engine.domain.SubAccount;
import org.margincall.engine.domain.Trigger;
import org.margincall.engine.scenario.Scenario;
import org.margincall.engine.scenario.ScenarioEvent;

/**
 * Replays a SPEC §7 scenario through the pure domain in one process: the reference behaviour
 * the deployed stack must reproduce. Escalation clock steps are timers in scenario time; a step
 * due at the same instant as an event runs after it, and steps due after the last event are not
 * run (SPEC §7).
 */
public final class InMemoryReplay {
    private final Catalog catalog;
    private final MarginDecider decider;
    private final Marks marks;
    private final Map<String, Account> accounts = new LinkedHashMap<>();
    private final Map<String, List<SubAccount>> subs = new LinkedHashMap<>();
    private final Map<String, MarginState> states = new HashMap<>();
    private final Map<String, Instant> lastPriceAt = new HashMap<>();
    private final Map<String, Long> lastSequence = new HashMap<>();
    private final PriorityQueue<Timer> timers = new PriorityQueue<>();
    private final List<Notification> out = new ArrayList<>();
    private final List<Scenario.Observer> observers = new ArrayList<>();
    private long timerOrder;

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
        this.decider = new MarginDecider(catalog.venue());
        this.marks = new Marks(catalog);
        for (Account a : scenario.accounts()) {
            put(a);
        }
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

    private void put(Account a) {
        accounts.put(a.accountId(), a);
        subs.put(a.accountId(), SubAccount.of(catalog, a));
    }

    private void apply(ScenarioEvent e) {
        if (e instanceof ScenarioEvent.Price p) {
            Instant last = lastPriceAt.get(p.instrument());
            if (last != null && (p.at().isBefore(last)
                    || (p.at().equals(last) && p.sequence() <= lastSequence.get(p.instrument())))) {
                return; // duplicate or out of order (SPEC §5.1)
            }
            lastPriceAt.put(p.instrument(), p.at());
            lastSequence.put(p.instrument(), p.sequence());
            marks.put(p.instrument(), p.markPrice());
            int slot = catalog.slot("instrument", p.instrument());
            Trigger t = Trigger.price(p.instrument(), p.markPrice(), p.at(), p.sequence());
            for (List<SubAccount> list : subs.values()) {
                for (SubAccount s : list) {
                    if (s.exposedTo(slot)) {
                        evaluate(s, p.at(), t);
                    }
                }
            }
        } else if (e instanceof ScenarioEvent.Deposit d) {
            put(accounts.get(d.accountId()).deposit(d.asset(), d.amount()));
            evaluateAccount(d.accountId(), d.at(), Trigger.account("scenario-event-" + d.index(), d.at()));
        } else if (e instanceof ScenarioEvent.Reduce r) {
            put(accounts.get(r.accountId()).reduce(r.instrument(), r.size(), marks.exact(r.instrument())));
            evaluateAccount(r.accountId(), r.at(), Trigger.account("scenario-event-" + r.index(), r.at()));
        }
        // ScenarioEvent.PendingDeposit and Deposit.settles: §3.6 not implemented yet (parsed, not applied).
    }

    private void evaluateAccount(String accountId, Instant at, Trigger t) {
        for (SubAccount s : subs.get(accountId)) {
            evaluate(s, at, t);
        }
    }

    private void evaluate(SubAccount s, Instant at, Trigger t) {
        if (!s.markable(marks)) {
            return; // not evaluated until every mark it needs has arrived (SPEC §3.3)
        }
        MarginState state = states.getOrDefault(s.id(), MarginState.INITIAL);
        Evaluation ev = MarginEvaluator.evaluate(s, marks, state.level());
        for (Scenario.Observer o : observers) {
            o.evaluated(at, ev);
        }
        Decision d = decider.onEvaluation(s.id(), state, ev.level(), at, t);
        commit(s, d, ev, t);
    }

    private void commit(SubAccount s, Decision d, Evaluation ev, Trigger t) {
        states.put(s.id(), d.next());
        for (Notice n : d.notices()) {
            out.add(Notification.of(catalog.venue().id(), n, ev, t));
        }
        if (d.escalation() != null) {
            schedule(s, d.escalation(), EscalationStep.GRACE_EXPIRED, d.escalation().graceDeadline());
        }
    }

    private void schedule(SubAccount s, EscalationStart call, EscalationStep step, Instant due) {
        timers.add(new Timer(due, timerOrder++, s.accountId(), s.id(), call, step));
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
        SubAccount s = null;
        for (SubAccount c : subs.get(timer.accountId())) {
            if (c.id().equals(timer.subAccountId())) {
                s = c;
            }
        }
        if (s == null) {
            return; // the isolated position was closed; nothing left to escalate
        }
        Trigger t = Trigger.clock(timer.call().callId(), timer.step().name(), timer.due());
        MarginState state = states.getOrDefault(s.id(), MarginState.INITIAL);
        Evaluation ev = MarginEvaluator.evaluate(s, marks, state.level());
        for (Scenario.Observer o : observers) {
            o.evaluated(timer.due(), ev);
        }
        Decision d = decider.onRecheck(s.id(), state, ev.level(), timer.call().callId(), timer.step(), timer.due());
        commit(s, d, ev, t);
        if (timer.step() == EscalationStep.GRACE_EXPIRED && d.continueEscalation()) {
            schedule(s, timer.call(), EscalationStep.FINAL_NOTICE_EXPIRED, timer.call().finalDeadline());
        }
    }
}
