package org.margincall.engine.domain;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The engine's one transition (SPEC §3): given a venue snapshot, an account and the stored margin
 * state of its sub-accounts, which sub-accounts an input touches and by which rule, it returns as a
 * value what changes — the new states, the notifications owed (SPEC §6 bodies), the escalations to
 * start and, on request, every evaluation made. Nothing here reads or writes a store: the deployed
 * service calls it once per commit attempt, the in-process replay once per input, so both run one
 * engine over two stores.
 */
public final class AccountTransition {
    private AccountTransition() {
    }

    /** How the touched sub-accounts are decided. */
    public sealed interface Rule permits Evaluate, Recheck {
        /** The instant the evaluation is made at (scenario time in a replay, never the wall clock in a body). */
        Instant at();
    }

    /** A plain evaluation at {@code at} (price tick, account event, sweep): SPEC §3.2–§3.3. */
    public record Evaluate(Instant at) implements Rule {
    }

    /** The escalation's clock step {@code step} of call {@code callId} at {@code at}: SPEC §3.4. */
    public record Recheck(String callId, EscalationStep step, Instant at) implements Rule {
    }

    /**
     * One transition's input.
     *
     * @param snapshot catalog and latest marks
     * @param account the account as it is to be evaluated (after applying a venue's event, if any)
     * @param states stored margin state per sub-account id ({@link MarginState#INITIAL} when absent)
     * @param which the sub-accounts this input touches (e.g. those exposed to the priced instrument)
     * @param trigger what caused it (enters episode ids and the body's {@code trigger})
     * @param recordEvaluations whether to return the full SPEC §4 evaluation of every touched
     *        sub-account (reports); otherwise figures are computed only where a notice needs them
     */
    public record Input(VenueSnapshot snapshot, Account account, Function<String, MarginState> states,
                        Predicate<SubAccount> which, Rule rule, Trigger trigger, boolean recordEvaluations) {
    }

    /** One evaluated sub-account with its SPEC §4 figures, as made at {@code at}. */
    public record Evaluated(Instant at, Evaluation evaluation) {
    }

    /**
     * What one transition changes.
     *
     * @param changed new margin state per sub-account id, only those that differ (or owe something)
     * @param notifications bodies owed, in send order
     * @param escalations escalations to start (SPEC §3.4), one per opened call
     * @param evaluated how many sub-accounts were evaluated (those touched and fully marked)
     * @param exactFallbacks how many of them needed the exact-decimal fallback of the kernel
     * @param evaluations every evaluation, only when requested
     * @param continueEscalation for a {@link Recheck}: whether the call's escalation goes on
     * @param recheckLevel for a {@link Recheck}: the level the re-check left, null when not evaluated
     * @param waitUntil for a {@link Recheck}: the step was postponed (SPEC §3.6) or is not due yet and
     *        runs at this instant; null when it ran
     * @param nextStepAt for a {@link Recheck} that continues: when the call's next step falls due
     * @param heldHandoffs sub-accounts a suspect mark kept from {@code LIQUIDATION} (SPEC §3.5)
     * @param postponements clock steps postponed by deposits in flight (SPEC §3.6)
     * @param heldHandoffDelays for each hand-off sent after a hold kept it back (SPEC §3.5), how long
     *        it was held (from the first held evaluation to this one)
     */
    public record Result(Map<String, MarginState> changed, List<Notification> notifications,
                         List<EscalationStart> escalations, int evaluated, int exactFallbacks,
                         List<Evaluated> evaluations, boolean continueEscalation, Level recheckLevel,
                         Instant waitUntil, Instant nextStepAt, int heldHandoffs, int postponements,
                         List<java.time.Duration> heldHandoffDelays) {
        /** True when nothing needs writing. */
        public boolean isEmpty() {
            return changed.isEmpty();
        }
    }

    /**
     * Decides every touched sub-account of {@code in.account()}.
     *
     * @throws InvalidInputException when the account refers to an instrument or asset the catalog lacks
     */
    public static Result apply(Input in) {
        VenueSnapshot snap = in.snapshot();
        Marks marks = snap.marks();
        MarginDecider decider = new MarginDecider(snap.catalog().venue());
        Map<String, MarginState> changed = new LinkedHashMap<>();
        List<Notification> notifications = new ArrayList<>();
        List<EscalationStart> escalations = new ArrayList<>();
        List<Evaluated> evaluations = in.recordEvaluations() ? new ArrayList<>() : List.of();
        int evaluated = 0;
        int fallbacks = 0;
        int heldHandoffs = 0;
        int postponements = 0;
        List<java.time.Duration> heldDelays = new ArrayList<>();
        boolean cont = false;
        Level recheckLevel = null;
        Instant waitUntil = null;
        Instant nextStepAt = null;
        Instant at = in.rule().at();
        String venueId = snap.catalog().venue().id();
        // Deposits in flight belong to the cross account (SPEC §3.6); computed once per account.
        PendingCredit credit = PendingCredit.of(in.account(), snap.catalog(), marks, at);
        for (SubAccount sub : SubAccount.of(snap.catalog(), in.account())) {
            if (!in.which().test(sub) || !sub.markable(marks)) {
                continue; // not touched, or not every mark it needs has arrived yet (SPEC §3.3)
            }
            evaluated++;
            MarginState state = in.states().apply(sub.id());
            if (state == null) {
                state = MarginState.INITIAL;
            }
            MarginKernel.Result k = MarginKernel.evaluate(sub, marks, state.level());
            if (k.exactFallback()) {
                fallbacks++;
            }
            // SPEC §3.5: a suspect mark younger than holdSeconds cannot move a level to LIQUIDATION.
            boolean held = snap.suspectHolds(sub, at);
            Level level = k.level();
            boolean capped = false;
            // SPEC §3.5 operations switch: while the venue holds hand-offs, no level moves to LIQUIDATION.
            if ((held || snap.catalog().venue().handoffsHeld()) && level == Level.LIQUIDATION
                    && state.level() != Level.LIQUIDATION) {
                level = Level.CRITICAL;
                heldHandoffs++;
                capped = true;
            }
            boolean cross = sub.isolatedInstrument() == null;
            Evaluation ev = in.recordEvaluations() ? MarginEvaluator.evaluate(sub, marks, state.level()) : null;
            if (ev != null) {
                evaluations.add(new Evaluated(in.rule().at(), ev));
            }
            Decision d;
            if (in.rule() instanceof Recheck r) {
                Instant creditUntil = null;
                if (cross && credit.earliestExpectedBy() != null) {
                    // the call's minimumDeposit recomputed at this instant from the current marks
                    Evaluation now = ev != null ? ev : MarginEvaluator.evaluate(sub, marks, state.level());
                    creditUntil = credit.postponeTo(now.minimumDeposit());
                }
                d = decider.onRecheck(sub.id(), state, level, r.callId(), r.step(), r.at(), creditUntil);
                cont = d.continueEscalation();
                recheckLevel = d.next().level();
                waitUntil = d.waitUntil();
                nextStepAt = d.nextStepAt();
                if (d.next().graceShiftMillis() != state.graceShiftMillis()
                        || d.next().finalShiftMillis() != state.finalShiftMillis()) {
                    postponements++;
                }
            } else {
                d = decider.onEvaluation(sub.id(), state, level, at, in.trigger());
            }
            // the held-hand-off clock: started by the first capped evaluation, read by the hand-off
            Instant heldSince = capped ? (state.heldSince() != null ? state.heldSince() : at) : null;
            if (!capped && state.heldSince() != null && d.next().level() == Level.LIQUIDATION) {
                heldDelays.add(java.time.Duration.between(state.heldSince(), at));
            }
            d = new Decision(d.next().withHeldSince(heldSince), d.notices(), d.escalation(), d.continueEscalation(),
                    d.waitUntil(), d.nextStepAt());
            if (d.isNoop(state)) {
                continue;
            }
            changed.put(sub.id(), d.next());
            if (!d.notices().isEmpty()) {
                Evaluation figures = ev != null ? ev : MarginEvaluator.evaluate(sub, marks, state.level());
                Notification.Context context = new Notification.Context(held,
                        cross ? credit.wire() : PendingCredit.NONE.wire(), LiquidationRiskFigures.of(snap));
                for (Notice n : d.notices()) {
                    notifications.add(Notification.of(venueId, n, figures, in.trigger(), context));
                }
            }
            if (d.escalation() != null) {
                escalations.add(d.escalation());
            }
        }
        return new Result(java.util.Collections.unmodifiableMap(changed),
                List.copyOf(notifications), List.copyOf(escalations), evaluated, fallbacks, List.copyOf(evaluations),
                cont, recheckLevel, waitUntil, nextStepAt, heldHandoffs, postponements, List.copyOf(heldDelays));
    }
}
