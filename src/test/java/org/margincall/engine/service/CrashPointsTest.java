package org.margincall.engine.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.margincall.engine.codec.CatalogJson;
import org.margincall.engine.domain.Account;
import org.margincall.engine.domain.EscalationStep;
import org.margincall.engine.domain.MarginState;
import org.margincall.engine.domain.Position;
import org.margincall.engine.service.port.AccountItems;
import org.margincall.engine.service.port.EscalationScheduler;
import org.margincall.engine.service.port.HoldingsIndex;
import org.margincall.engine.service.port.LiquidationSink;
import org.margincall.engine.service.port.NotificationSink;
import org.margincall.engine.service.port.OutboxClaims;
import org.margincall.engine.service.port.StoredAccount;
import org.margincall.engine.service.port.StoredAccount.OutboxEntry;
import org.margincall.engine.service.port.StoredAccount.PendingEscalation;

/**
 * Crash points (SPEC §3.3, §3.4, §5.1, §5.2, §9): an invocation dies at one step of a transition
 * — right after its commit, after SNS or EventBridge accepted what it owed, before the outbox
 * entries are removed, before claims are released, right after StartExecution, before the
 * escalation start is removed — and nothing after that step runs in it (the "process" stays dead:
 * every later port call of that invocation throws too). Then the event is delivered again (an
 * EventBridge/Lambda retry, a Step Functions task retry, the next sweep) and the sweep runs once
 * the dead writer's outbox claims have expired ({@code outboxClaimSeconds}). The result is
 * compared with the same flow run without a crash:
 *
 * <ul>
 *   <li>every owed notification and liquidation request is published, each id exactly once —
 *       except those SNS or EventBridge had already accepted when the invocation died before
 *       removing them from the outbox: the engine cannot know they went out, so they go out a
 *       second time with the same id and the same body (SNS is at-least-once; subscribers
 *       deduplicate by {@code notificationId}, SPEC §3.3). Exactly those, exactly twice;</li>
 *   <li>every escalation execution is created once (names derived from the call id; a later start
 *       of an existing name is the documented no-op);</li>
 *   <li>nothing is left in any outbox or escalation list, and the stored margin states are those
 *       of the run that did not crash.</li>
 * </ul>
 * In-memory ports, no Quarkus: the whole matrix runs in well under a second.
 *
 * <p><b>The design under test (SPEC §10).</b> A price event decides its holders concurrently on a
 * bounded pool ({@link Parallel}) and delivers what they all owe together afterwards: one
 * PublishBatch across accounts, then claims removed/released per account in parallel, then
 * escalation starts in parallel. That shapes how a crash surfaces and who finishes what:
 * <ul>
 *   <li><i>How the invocation fails.</i> A crash while deciding makes the invocation end with an
 *       {@link IncompleteWorkException} whose cause is the first failure — unless the shared
 *       delivery of the accounts that did commit runs into the dead process first, in which case
 *       that failure propagates directly. Either way {@link Crashed} is the exception or in its
 *       cause chain ({@link #assertDiedOfTheCrash}). A crash in the delivery's tail (removing,
 *       releasing, starting, removing starts) happens inside {@link Parallel#each}, whose per-account
 *       failures {@link Delivery} keeps to itself (starts are logged and left for the sweep): the
 *       invocation then returns normally, so no retry comes (Lambda, EventBridge and Step
 *       Functions only retry failures) and the sweep alone must finish the work. The sweep itself
 *       catches per-account failures and may return normally too.</li>
 *   <li><i>What is in doubt.</i> Claims are settled for all accounts in parallel, so a crash at
 *       {@code BEFORE_RELEASE} of one account can cut off another account's {@code removeOutbox}:
 *       in a flow delivering several accounts at once (PRICE, SWEEP) entries may be in doubt there
 *       too; elsewhere the step alone says whether anything is. The in-doubt set is measured, and
 *       those ids (only those) must go out exactly twice.</li>
 *   <li><i>Who finishes what</i> ({@link #afterRetry}). PRICE: the retry re-decides every holder;
 *       the ones the dead invocation committed (all of them once it reached delivery) have nothing
 *       left to decide, so it delivers nothing for them — their outbox is under the dead writer's
 *       live claim, and their escalation starts are owed to whoever delivers next. It decides and
 *       fully delivers exactly the holders the dead invocation had not committed. So what is owed
 *       after the retry is exactly what was owed at the crash, and the sweep after the claims
 *       expired finishes it. ACCOUNT_EVENT: one account; the retry starts the escalation and
 *       writes the holdings row, outbox entries under a live claim wait for the sweep. CLOCK_STEP:
 *       one account, no escalation; the outbox is left as the crash left it. SWEEP: the next
 *       sweep cannot touch the dead sweep's live claims, so the outbox is left exactly as the crash
 *       left it, but it starts every pending escalation (they carry no claim; a start of an
 *       existing execution is a no-op).</li>
 * </ul>
 */
class CrashPointsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String VENUE = "demo";
    private static final String BTC = "BTC-USD";
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    // ---- the crash points ----

    /** Where the invocation dies. "After" steps did their work; "before" steps did not. */
    enum Step {
        /** {@code AccountItems.commit} wrote the transition and its outbox, the caller never learnt it. */
        AFTER_COMMIT(false),
        /** SNS accepted the notifications (the response was lost). */
        AFTER_PUBLISH(true),
        /** EventBridge accepted the {@code Liquidation Requested} events, after SNS took the hand-off. */
        AFTER_LIQUIDATION_PUT(true),
        /** Everything was accepted; the accepted entries were not removed from the outbox. */
        BEFORE_REMOVE_OUTBOX(true),
        /** Accepted entries removed; claims of failed ones (none here) not released, escalations not started. */
        BEFORE_RELEASE(false),
        /** StartExecution created the execution; the start was not removed from the item. */
        AFTER_START_EXECUTION(false),
        /** Every start accepted; {@code removeEscalations} never ran. */
        BEFORE_REMOVE_ESCALATIONS(false);

        /** The world accepted something the engine had not yet recorded as delivered. */
        final boolean engineCannotKnow;

        Step(boolean engineCannotKnow) {
            this.engineCannotKnow = engineCannotKnow;
        }
    }

    /** The "process" died here. */
    static final class Crashed extends RuntimeException {
        Crashed(String message) {
            super(message);
        }
    }

    /**
     * The in-memory ports of {@code ports}, wrapped so that an armed step does (or does not do) its
     * work and then kills the invocation; once dead, every port call throws until {@link #restart()}.
     */
    static final class Crashing {
        final InMemoryPorts ports;
        final MarginService service;
        volatile Step armed;
        volatile Step fired;
        volatile boolean dead;
        /** An outage: SNS and EventBridge accept nothing and StartExecution fails (no crash). */
        volatile boolean outage;
        /** Executions StartExecution actually created, by name (a start of an existing name creates none). */
        final Map<String, Integer> created = new ConcurrentHashMap<>();

        Crashing(InMemoryPorts ports) {
            this.ports = ports;
            this.service = ports.serviceOver(new Accounts(), new Holdings(), new Claims(), new Sns(), new Liquidations(),
                    new Scheduler());
        }

        void arm(Step s) {
            armed = s;
        }

        /** A new invocation in a new container: the dead one's claims stay as they were. */
        void restart() {
            dead = false;
            armed = null;
        }

        private void alive() {
            if (dead) {
                throw new Crashed("the invocation is already dead");
            }
        }

        private void reached(Step s, boolean applies) {
            if (armed == s && applies) {
                armed = null;
                fired = s;
                dead = true;
                throw new Crashed("crashed at " + s);
            }
        }

        final class Accounts implements AccountItems {
            @Override
            public void create(String venueId, Account account, long lastEventSequence) {
                alive();
                ports.accounts.create(venueId, account, lastEventSequence);
            }

            @Override
            public ImportResult importAccount(String venueId, Account account, long sequence) {
                alive();
                return ports.accounts.importAccount(venueId, account, sequence);
            }

            @Override
            public boolean forgetBands(String venueId, String accountId) {
                alive();
                return ports.accounts.forgetBands(venueId, accountId);
            }

            @Override
            public boolean createIfAbsent(String venueId, Account account, long lastEventSequence) {
                alive();
                return ports.accounts.createIfAbsent(venueId, account, lastEventSequence);
            }

            @Override
            public Optional<StoredAccount> get(String venueId, String accountId) {
                alive();
                return ports.accounts.get(venueId, accountId);
            }

            @Override
            public List<StoredAccount> getAll(String venueId, List<String> accountIds) {
                alive();
                return ports.accounts.getAll(venueId, accountIds);
            }

            @Override
            public boolean commit(Commit commit) {
                alive();
                boolean ok = ports.accounts.commit(commit);
                // a commit that only moves trigger-band rows (SPEC §10) owes nothing: the crash point
                // is the first commit that owes the world something
                reached(Step.AFTER_COMMIT, ok && !(commit.outbox().isEmpty() && commit.escalations().isEmpty()));
                return ok;
            }

            @Override
            public void scanAll(String venueId, int segments, Consumer<List<StoredAccount>> page) {
                alive();
                ports.accounts.scanAll(venueId, segments, page);
            }

            @Override
            public List<StoredAccount> withPendingWork(String venueId) {
                alive();
                return ports.accounts.withPendingWork(venueId);
            }
        }

        final class Holdings implements HoldingsIndex {
            @Override
            public List<String> holders(String venueId, String instrument) {
                alive();
                return ports.holdings.holders(venueId, instrument);
            }

            @Override
            public void put(String venueId, String accountId, Set<String> instruments) {
                alive();
                ports.holdings.put(venueId, accountId, instruments);
            }

            @Override
            public void remove(String venueId, String accountId, Set<String> instruments) {
                alive();
                ports.holdings.remove(venueId, accountId, instruments);
            }
        }

        final class Claims implements OutboxClaims {
            @Override
            public boolean claim(String venueId, String accountId, String entryId, String claimant, long nowMillis,
                                 long staleBeforeMillis) {
                alive();
                return ports.claims.claim(venueId, accountId, entryId, claimant, nowMillis, staleBeforeMillis);
            }

            @Override
            public void release(String venueId, String accountId, List<String> entryIds) {
                alive();
                reached(Step.BEFORE_RELEASE, true);
                ports.claims.release(venueId, accountId, entryIds);
            }

            @Override
            public void removeOutbox(String venueId, String accountId, List<String> entryIds) {
                alive();
                reached(Step.BEFORE_REMOVE_OUTBOX, !entryIds.isEmpty());
                ports.claims.removeOutbox(venueId, accountId, entryIds);
            }

            @Override
            public void removeEscalations(String venueId, String accountId, List<String> callIds) {
                alive();
                reached(Step.BEFORE_REMOVE_ESCALATIONS, !callIds.isEmpty());
                ports.claims.removeEscalations(venueId, accountId, callIds);
            }
        }

        final class Sns implements NotificationSink {
            @Override
            public Set<String> publish(String venueId, List<OutboxEntry> entries) {
                alive();
                Set<String> ok = outage ? Set.of() : ports.sns.publish(venueId, entries);
                reached(Step.AFTER_PUBLISH, !ok.isEmpty());
                return ok;
            }
        }

        final class Liquidations implements LiquidationSink {
            @Override
            public Set<String> put(List<OutboxEntry> entries) {
                alive();
                Set<String> ok = outage ? Set.of() : ports.liquidations.put(entries);
                reached(Step.AFTER_LIQUIDATION_PUT, !ok.isEmpty());
                return ok;
            }
        }

        final class Scheduler implements EscalationScheduler {
            @Override
            public boolean start(PendingEscalation escalation) {
                alive();
                boolean fresh = !ports.scheduler.executions.contains(escalation.executionName());
                boolean ok = !outage && ports.scheduler.start(escalation);
                if (ok && fresh) {
                    created.merge(escalation.executionName(), 1, Integer::sum);
                }
                reached(Step.AFTER_START_EXECUTION, ok);
                return ok;
            }
        }
    }

    // ---- the flows a crash can interrupt ----

    /** One use case: what is stored before it, the invocation (delivered again as is), the steps it reaches. */
    enum Flow {
        /**
         * A price event (SPEC §5.1) moving four holders at once: a call (MARGIN_CALL + escalation),
         * a hand-off (LIQUIDATION_HANDOFF + Liquidation Requested + escalation), a warning and a
         * healthy account. Retried as the same event.
         */
        PRICE(EnumSet.allOf(Step.class)),
        /**
         * A venue's "Position Changed" (SPEC §5.2) opening a position that hands the account off at
         * once: a new holdings row, LIQUIDATION_HANDOFF, Liquidation Requested, an escalation.
         * Retried as the same event (a duplicate by sequence that finishes what is undone).
         */
        ACCOUNT_EVENT(EnumSet.allOf(Step.class)),
        /**
         * The escalation's FINAL_NOTICE_EXPIRED clock step (SPEC §3.4) on an open call that had its
         * DEADLINE final notice: LIQUIDATION_HANDOFF (DEADLINE) + Liquidation Requested. Retried
         * as Step Functions retries a failed task, with the same input. No escalation starts here.
         */
        CLOCK_STEP(EnumSet.of(Step.AFTER_COMMIT, Step.AFTER_PUBLISH, Step.AFTER_LIQUIDATION_PUT,
                Step.BEFORE_REMOVE_OUTBOX, Step.BEFORE_RELEASE)),
        /**
         * The sweep (SPEC §5.3, §9) delivering what an SNS and Step Functions outage left owed by a
         * price event (a call and a hand-off, released claims, unstarted escalations). "Retried"
         * by the next sweep a second later; the sweep catches per-account failures, so it may
         * return normally after the crash. No commit happens in it.
         */
        SWEEP(EnumSet.complementOf(EnumSet.of(Step.AFTER_COMMIT)));

        final Set<Step> reachable;

        Flow(Set<Step> reachable) {
            this.reachable = reachable;
        }
    }

    static Stream<Arguments> crashPoints() {
        List<Arguments> out = new ArrayList<>();
        for (Flow f : Flow.values()) {
            for (Step s : f.reachable) {
                out.add(Arguments.of(f, s));
            }
        }
        return out.stream();
    }

    /** A venue with one instrument; at a mark of 40000 an account long 1.25 from 41000 has R = (USDT − 1250) / 200. */
    static InMemoryPorts venue() throws Exception {
        InMemoryPorts p = new InMemoryPorts();
        JsonNode root = JSON.readTree("""
                {"venue":{"id":"demo","thresholds":{"warning":"1.5","marginCall":"1.2","critical":"1.05","liquidation":"1.0"},
                          "hysteresis":"0.02","gracePeriodSeconds":600,"finalNoticeSeconds":300,"reminderSeconds":300},
                 "instruments":[{"symbol":"BTC-USD","tiers":[{"floor":"0","cap":"50000","mmr":"0.004"},
                                                             {"floor":"50000","cap":null,"mmr":"0.005"}]}],
                 "collateralAssets":[{"asset":"USDT","haircut":"0"}]}""");
        p.venues.catalogs.put(VENUE, CatalogJson.catalog(root, VENUE));
        return p;
    }

    static Account holder(String id, String usdt) {
        return new Account(id, Map.of("USDT", new BigDecimal(usdt)),
                List.of(new Position(BTC, new BigDecimal("1.25"), new BigDecimal("41000"), null)), null);
    }

    static MarginService.PriceUpdate tick() {
        return new MarginService.PriceUpdate(BTC, new BigDecimal("40000"), T0, 1, "oracle");
    }

    static final MarginService.AccountChange OPEN = new MarginService.AccountChange("pos-1", "opener", 1,
            T0.plusSeconds(5), Map.of(), new MarginService.PositionChange(BTC, new BigDecimal("1.25"),
            new BigDecimal("41000"), null));

    /** Stores what the flow starts from, through the engine that does not crash. */
    static void setUp(Flow flow, InMemoryPorts p, Crashing c) {
        MarginService s = p.service;
        switch (flow) {
            case PRICE -> {
                p.clock.set(T0.plusSeconds(1));
                s.createAccount(VENUE, holder("a-call", "1470"));   // R = 1.10 → MARGIN_CALL
                s.createAccount(VENUE, holder("b-liq", "1430"));    // R = 0.90 → LIQUIDATION
                s.createAccount(VENUE, holder("c-warn", "1510"));   // R = 1.30 → WARNING
                s.createAccount(VENUE, holder("d-fine", "1700"));   // R = 2.25 → HEALTHY
            }
            case ACCOUNT_EVENT -> {
                p.clock.set(T0.plusSeconds(1));
                s.createAccount(VENUE, new Account("opener", Map.of("USDT", new BigDecimal("1430")), List.of(), null));
                s.onPrice(VENUE, tick());
                p.clock.set(T0.plusSeconds(6));
            }
            case CLOCK_STEP -> {
                p.clock.set(T0.plusSeconds(1));
                s.createAccount(VENUE, holder("clocked", "1470"));  // R = 1.10 → MARGIN_CALL
                s.onPrice(VENUE, tick());
                p.clock.set(T0.plusSeconds(600));
                s.recheck(VENUE, "clocked", "clocked", callId(p, "clocked"), EscalationStep.GRACE_EXPIRED, T0.plusSeconds(600));
                p.clock.set(T0.plusSeconds(900));
            }
            case SWEEP -> {
                p.clock.set(T0.plusSeconds(1));
                s.createAccount(VENUE, holder("a-call", "1470"));
                s.createAccount(VENUE, holder("b-liq", "1430"));
                c.outage = true;
                c.service.onPrice(VENUE, tick());
                c.outage = false;
                assertThat(p.accounts.withPendingWork(VENUE)).hasSize(2);
                p.clock.set(T0.plusSeconds(2));
            }
        }
    }

    static String callId(InMemoryPorts p, String account) {
        return p.accounts.get(VENUE, account).orElseThrow().state(account).callId();
    }

    /** The invocation, run once (and again as the retry). */
    static void invoke(Flow flow, InMemoryPorts p, MarginService s) {
        switch (flow) {
            case PRICE -> s.onPrice(VENUE, tick());
            case ACCOUNT_EVENT -> s.onAccountEvent(VENUE, OPEN);
            case CLOCK_STEP -> s.recheck(VENUE, "clocked", "clocked", callId(p, "clocked"), EscalationStep.FINAL_NOTICE_EXPIRED,
                    T0.plusSeconds(900));
            case SWEEP -> s.sweep(VENUE, p.clock.instant());
        }
    }

    /** The sweep once every claim of the dead invocation has expired, and one more that must find nothing. */
    static void sweepAfterClaimsExpire(InMemoryPorts p, MarginService s) {
        p.clock.set(p.clock.instant().plusSeconds(p.config.outboxClaimSeconds() + 1));
        s.sweep(VENUE, p.clock.instant());
        p.clock.set(p.clock.instant().plusSeconds(1));
        s.sweep(VENUE, p.clock.instant());
    }

    /** What the world received and what is stored, to compare a crashed run with one that did not crash. */
    record World(Map<String, Long> sns, Map<String, Long> events, Set<String> executions,
                 Map<String, Map<String, MarginState>> states, Map<String, String> bodies) {
        static World of(InMemoryPorts p) {
            Map<String, Long> sns = count(p.sns.acceptedIds);
            Map<String, Long> events = count(p.liquidations.acceptedIds);
            Map<String, Map<String, MarginState>> states = new TreeMap<>();
            p.accounts.items.values().forEach(a -> states.put(a.account().accountId(), Map.copyOf(a.states())));
            Map<String, String> bodies = new HashMap<>();
            for (int i = 0; i < p.sns.acceptedIds.size(); i++) {
                bodies.putIfAbsent(p.sns.acceptedIds.get(i), p.sns.bodies.get(i));
            }
            return new World(sns, events, Set.copyOf(p.scheduler.executions), states, bodies);
        }

        static Map<String, Long> count(List<String> ids) {
            Map<String, Long> out = new TreeMap<>();
            ids.forEach(id -> out.merge(id, 1L, Long::sum));
            return out;
        }
    }

    /** The flow without any crash: setup, the invocation once, the same sweeps. */
    static World reference(Flow flow) throws Exception {
        InMemoryPorts p = venue();
        Crashing c = new Crashing(p);
        setUp(flow, p, c);
        invoke(flow, p, c.service);
        sweepAfterClaimsExpire(p, c.service);
        assertThat(p.accounts.withPendingWork(VENUE)).isEmpty();
        assertThat(c.created.values()).allMatch(n -> n == 1);
        return World.of(p);
    }

    @ParameterizedTest(name = "{0} dies {1}; the retry and the sweep finish it once")
    @MethodSource("crashPoints")
    void anInvocationThatDiesAtAStepIsFinishedExactlyOnceByTheRetryOrTheSweep(Flow flow, Step step) throws Exception {
        World expected = reference(flow);
        assertThat(expected.sns()).as("the flow owes notifications").isNotEmpty();

        InMemoryPorts p = venue();
        Crashing c = new Crashing(p);
        setUp(flow, p, c);
        Set<String> executionsBefore = Set.copyOf(p.scheduler.executions);
        c.arm(step);
        boolean failed = false;
        try {
            invoke(flow, p, c.service);
        } catch (RuntimeException dead) {
            assertDiedOfTheCrash(dead);
            failed = true;
        }
        assertThat(c.fired).as("the crash point was reached").isEqualTo(step);
        if (!failed) {
            // only the sweep, or a crash inside the delivery's parallel tail, ends normally
            assertThat(flow == Flow.SWEEP || TAIL.contains(step)).as("%s at %s returned normally", flow, step).isTrue();
        } else if (flow != Flow.SWEEP && flow != Flow.ACCOUNT_EVENT) {
            assertThat(TAIL).as("a crash before the delivery's tail fails the invocation").doesNotContain(step);
        }
        Map<String, Owing> owedAtCrash = owing(p);
        if (flow == Flow.SWEEP) {
            assertThat(owedAtCrash).as("the crashed sweep left work owed").isNotEmpty();
        }

        // What the world has but the items still owe: the engine cannot tell it went out.
        Set<String> accepted = new HashSet<>(p.sns.acceptedIds);
        accepted.addAll(p.liquidations.acceptedIds);
        Set<String> inDoubt = new HashSet<>();
        for (StoredAccount a : p.accounts.items.values()) {
            a.outbox().stream().map(OutboxEntry::id).filter(accepted::contains).forEach(inDoubt::add);
        }
        if (step.engineCannotKnow) {
            assertThat(inDoubt).as("accepted by the world, still in the outbox").isNotEmpty();
        } else if (!(step == Step.BEFORE_RELEASE && (flow == Flow.PRICE || flow == Flow.SWEEP))) {
            assertThat(inDoubt).as("nothing accepted is still owed").isEmpty();
        }

        c.restart();
        if (failed || flow == Flow.SWEEP) {
            // the same event again (SPEC §5.1, §5.2), the task retried, the next sweep; an
            // invocation that returned normally is not retried
            invoke(flow, p, c.service);
        }
        afterRetry(flow, step, p, owedAtCrash, inDoubt);
        sweepAfterClaimsExpire(p, c.service);

        World got = World.of(p);
        assertThat(p.accounts.withPendingWork(VENUE)).as("nothing left owed").isEmpty();
        assertThat(got.sns().keySet()).as("every owed notification, no other").isEqualTo(expected.sns().keySet());
        assertThat(got.events().keySet()).as("every liquidation request, no other").isEqualTo(expected.events().keySet());
        for (Map.Entry<String, Long> e : got.sns().entrySet()) {
            assertThat(e.getValue()).as("times %s was published", e.getKey()).isEqualTo(inDoubt.contains(e.getKey()) ? 2 : 1);
        }
        for (Map.Entry<String, Long> e : got.events().entrySet()) {
            assertThat(e.getValue()).as("times %s was put", e.getKey()).isEqualTo(inDoubt.contains(e.getKey()) ? 2 : 1);
        }
        for (int i = 0; i < p.sns.acceptedIds.size(); i++) {
            assertThat(p.sns.bodies.get(i)).as("a re-sent notice is the same message")
                    .isEqualTo(got.bodies().get(p.sns.acceptedIds.get(i)));
        }
        assertThat(got.bodies()).as("the bodies of the run that did not crash").isEqualTo(expected.bodies());
        assertThat(got.executions()).as("one execution per call").isEqualTo(expected.executions());
        Set<String> createdHere = new HashSet<>(got.executions());
        createdHere.removeAll(executionsBefore);
        assertThat(c.created.keySet()).isEqualTo(createdHere);
        assertThat(c.created.values()).as("each execution created once").allMatch(n -> n == 1);
        assertThat(got.states()).as("the stored states of the run that did not crash").isEqualTo(expected.states());
        if (flow == Flow.ACCOUNT_EVENT) {
            assertThat(p.holdings.holders(VENUE, BTC)).as("the holdings row the crash kept from being written").contains("opener");
        }
    }

    /** The steps in the delivery's parallel tail, whose failures {@link Delivery} keeps to itself. */
    static final Set<Step> TAIL = EnumSet.of(Step.BEFORE_REMOVE_OUTBOX, Step.BEFORE_RELEASE, Step.AFTER_START_EXECUTION,
            Step.BEFORE_REMOVE_ESCALATIONS);

    /** {@link Crashed} is the failure itself or in its cause chain (e.g. an {@link IncompleteWorkException}'s first failure). */
    static void assertDiedOfTheCrash(Throwable e) {
        List<Throwable> chain = new ArrayList<>();
        for (Throwable t = e; t != null && !chain.contains(t); t = t.getCause()) {
            chain.add(t);
        }
        assertThat(chain).as("the crash is the failure or in its cause chain: %s", e)
                .anyMatch(t -> t instanceof Crashed);
        if (!(e instanceof Crashed)) {
            assertThat(e).as("only an incomplete invocation wraps the crash").isInstanceOf(IncompleteWorkException.class);
        }
    }

    /** What one account still owes: outbox ids and escalation call ids. */
    record Owing(Set<String> outbox, Set<String> escalations) {
    }

    static Map<String, Owing> owing(InMemoryPorts p) {
        Map<String, Owing> out = new TreeMap<>();
        for (StoredAccount a : p.accounts.withPendingWork(VENUE)) {
            out.put(a.account().accountId(), new Owing(
                    a.outbox().stream().map(OutboxEntry::id).collect(java.util.stream.Collectors.toSet()),
                    a.escalations().stream().map(PendingEscalation::callId).collect(java.util.stream.Collectors.toSet())));
        }
        return out;
    }

    /**
     * Who finishes what after the retry (see the class comment): the retry finishes everything no
     * live claim protects and that it has left to decide; an outbox entry the dead writer still
     * claims waits for the claim to expire, and the sweep delivers it.
     */
    private static void afterRetry(Flow flow, Step step, InMemoryPorts p, Map<String, Owing> atCrash, Set<String> inDoubt) {
        List<StoredAccount> owing = p.accounts.withPendingWork(VENUE);
        Map<String, Owing> now = owing(p);
        boolean outboxLeft = owing.stream().anyMatch(a -> !a.outbox().isEmpty());
        switch (flow) {
            case PRICE -> {
                assertThat(now.keySet()).as("only holders of the tick owe").isSubsetOf("a-call", "b-liq", "c-warn");
                // the retry finishes exactly the holders the dead invocation had not committed; what
                // it committed is left as the crash left it, for the sweep
                assertThat(now).as("owed after the retry is what the crash left owed").isEqualTo(atCrash);
                if (!TAIL.contains(step) && step != Step.AFTER_COMMIT) {
                    // delivery begins once every holder is decided: all three owe, under the dead claim
                    assertThat(now.keySet()).containsExactlyInAnyOrder("a-call", "b-liq", "c-warn");
                    assertThat(now.get("a-call").escalations()).hasSize(1);
                    assertThat(now.get("b-liq").escalations()).hasSize(1);
                }
                if (step == Step.BEFORE_REMOVE_OUTBOX || step == Step.BEFORE_RELEASE) {
                    // the process died while settling claims: no escalation started
                    assertThat(now.get("a-call").escalations()).hasSize(1);
                    assertThat(now.get("b-liq").escalations()).hasSize(1);
                }
                if (step == Step.AFTER_START_EXECUTION || step == Step.BEFORE_REMOVE_ESCALATIONS) {
                    assertThat(outboxLeft).as("every claim was settled before the starts").isFalse();
                    assertThat(now.values().stream().flatMap(o -> o.escalations().stream()))
                            .as("the start the crash cut off is still owed").isNotEmpty();
                }
            }
            case ACCOUNT_EVENT -> {
                assertThat(owing.stream().flatMap(a -> a.escalations().stream()).toList())
                        .as("the duplicate delivery started the escalation").isEmpty();
                assertThat(p.holdings.holders(VENUE, BTC)).contains("opener");
                // entries a live claim protects wait for the sweep; removed ones are gone
                assertThat(outboxLeft).isEqualTo(step != Step.BEFORE_RELEASE && step != Step.AFTER_START_EXECUTION
                        && step != Step.BEFORE_REMOVE_ESCALATIONS);
            }
            case CLOCK_STEP -> {
                assertThat(outboxLeft).as("a live claim keeps the retry off the outbox").isEqualTo(step != Step.BEFORE_RELEASE);
                assertThat(now).as("the outbox as the crash left it").isEqualTo(atCrash);
            }
            case SWEEP -> {
                Map<String, Set<String>> outboxNow = new TreeMap<>();
                now.forEach((id, o) -> { if (!o.outbox().isEmpty()) outboxNow.put(id, o.outbox()); });
                Map<String, Set<String>> outboxAtCrash = new TreeMap<>();
                atCrash.forEach((id, o) -> { if (!o.outbox().isEmpty()) outboxAtCrash.put(id, o.outbox()); });
                assertThat(outboxNow).as("a live claim keeps the next sweep off the outbox").isEqualTo(outboxAtCrash);
                assertThat(outboxLeft).as("what is left is what was accepted or never sent").isEqualTo(
                        step == Step.AFTER_PUBLISH || step == Step.AFTER_LIQUIDATION_PUT || !inDoubt.isEmpty());
                assertThat(now.values().stream().flatMap(o -> o.escalations().stream()))
                        .as("the next sweep starts every pending escalation").isEmpty();
            }
        }
    }

    /** Ids of the notices published for an account so far. */
    private static List<String> ids(InMemoryPorts p, String accountId) throws IllegalStateException {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < p.sns.bodies.size(); i++) {
            if (p.sns.bodies.get(i).contains("\"accountId\":\"" + accountId + "\"")) {
                out.add(p.sns.acceptedIds.get(i));
            }
        }
        assertThat(out).as("notices of %s", accountId).isNotEmpty();
        return out;
    }

    // ---- the redelivery arrives after the claim expired (Lambda's async retries wait a minute or more) ----

    @Test
    void anAccountEventRedeliveredAfterTheDeadWritersClaimExpiredFinishesEverythingItself() throws Exception {
        World expected = reference(Flow.ACCOUNT_EVENT);
        InMemoryPorts p = venue();
        Crashing c = new Crashing(p);
        setUp(Flow.ACCOUNT_EVENT, p, c);
        c.arm(Step.AFTER_COMMIT);
        assertThatThrownBy(() -> c.service.onAccountEvent(VENUE, OPEN)).isInstanceOf(Crashed.class);
        c.restart();
        p.clock.set(p.clock.instant().plusSeconds(p.config.outboxClaimSeconds() + 1));
        MarginService.Outcome retry = c.service.onAccountEvent(VENUE, OPEN);
        assertThat(retry.status()).isEqualTo(MarginService.Outcome.Status.DUPLICATE);
        assertThat(p.accounts.withPendingWork(VENUE)).as("no sweep needed").isEmpty();
        assertThat(World.of(p).sns()).isEqualTo(expected.sns());
        assertThat(World.of(p).events()).isEqualTo(expected.events());
        assertThat(c.created).hasSize(1).allSatisfy((name, n) -> assertThat(n).isEqualTo(1));
    }

    @Test
    void aPriceEventRedeliveredAfterTheClaimExpiredLeavesTheCommittedOutboxToTheSweep() throws Exception {
        World expected = reference(Flow.PRICE);
        InMemoryPorts p = venue();
        Crashing c = new Crashing(p);
        setUp(Flow.PRICE, p, c);
        c.arm(Step.AFTER_COMMIT);
        assertThatThrownBy(() -> c.service.onPrice(VENUE, tick())).satisfies(CrashPointsTest::assertDiedOfTheCrash);
        c.restart();
        p.clock.set(p.clock.instant().plusSeconds(p.config.outboxClaimSeconds() + 1));
        assertThat(c.service.onPrice(VENUE, tick()).status()).isEqualTo(MarginService.Outcome.Status.DUPLICATE);
        // The retry re-decides a-call, finds its transition committed and sends nothing (SPEC §5.1:
        // nothing the first delivery committed is sent by it); the sweep owns the committed outbox.
        assertThat(p.accounts.withPendingWork(VENUE)).as("the committed outbox waits for the sweep").isNotEmpty();
        c.service.sweep(VENUE, p.clock.instant());
        assertThat(p.accounts.withPendingWork(VENUE)).isEmpty();
        assertThat(World.of(p).sns()).isEqualTo(expected.sns());
        assertThat(World.of(p).executions()).isEqualTo(expected.executions());
    }

    @Test
    void twoCrashesInARowAtDifferentStepsStillEndWithEachNoticeOnceOrTwiceWhenInDoubt() throws Exception {
        World expected = reference(Flow.PRICE);
        InMemoryPorts p = venue();
        Crashing c = new Crashing(p);
        setUp(Flow.PRICE, p, c);
        List<Set<String>> inDoubt = new ArrayList<>();
        c.arm(Step.AFTER_COMMIT);
        assertThatThrownBy(() -> c.service.onPrice(VENUE, tick())).satisfies(CrashPointsTest::assertDiedOfTheCrash);
        inDoubt.add(inDoubt(p));
        c.restart();
        // the retry dies too, once SNS accepted what it publishes for the holders the first one left
        // undecided; if the first one committed every holder before it died (decisions run on a pool),
        // the retry has nothing to publish and returns normally
        c.arm(Step.AFTER_PUBLISH);
        int publishedBefore = p.sns.acceptedIds.size();
        try {
            c.service.onPrice(VENUE, tick());
            assertThat(c.fired).as("no crash: nothing was published").isEqualTo(Step.AFTER_COMMIT);
            assertThat(p.sns.acceptedIds).hasSize(publishedBefore);
        } catch (RuntimeException dead) {
            assertDiedOfTheCrash(dead);
            assertThat(c.fired).isEqualTo(Step.AFTER_PUBLISH);
        }
        inDoubt.add(inDoubt(p));
        c.restart();
        c.arm(Step.BEFORE_REMOVE_OUTBOX); // and the first sweep after the claims expired dies before removing
        p.clock.set(p.clock.instant().plusSeconds(p.config.outboxClaimSeconds() + 1));
        try {
            c.service.sweep(VENUE, p.clock.instant());
        } catch (RuntimeException dead) {
            // it died in the middle of its own work: what it left is the next one's
            assertDiedOfTheCrash(dead);
        }
        assertThat(c.fired).isEqualTo(Step.BEFORE_REMOVE_OUTBOX);
        inDoubt.add(inDoubt(p));
        assertThat(inDoubt.get(2)).as("the sweep's crash left what it published in doubt").isNotEmpty();
        c.restart();
        c.service.onPrice(VENUE, tick());
        sweepAfterClaimsExpire(p, c.service);
        World got = World.of(p);
        assertThat(p.accounts.withPendingWork(VENUE)).isEmpty();
        // The sweep may decide a holder the crashed retry left undecided before the next retry does:
        // then its episode is opened by the sweep and ids differ from the reference, but each
        // transition still has exactly one notice id (SPEC §3.3).
        assertThat(transitions(got)).isEqualTo(transitions(expected));
        // each id once, plus once more for every crash that left it accepted but still owed
        for (Map.Entry<String, Long> e : got.sns().entrySet()) {
            long times = 1 + inDoubt.stream().filter(d -> d.contains(e.getKey())).count();
            assertThat(e.getValue()).as("times %s was published", e.getKey()).isEqualTo(times);
        }
        for (Map.Entry<String, Long> e : got.events().entrySet()) {
            long times = 1 + inDoubt.stream().filter(d -> d.contains(e.getKey())).count();
            assertThat(e.getValue()).as("times %s was put", e.getKey()).isEqualTo(times);
        }
        assertThat(got.events().keySet()).hasSameSizeAs(expected.events().keySet());
        assertThat(got.executions()).hasSameSizeAs(expected.executions());
        assertThat(c.created.values()).allMatch(n -> n == 1);
        assertThat(got.states().keySet()).isEqualTo(expected.states().keySet());
        got.states().forEach((account, states) -> states.forEach((sub, st) ->
                assertThat(st.level()).isEqualTo(expected.states().get(account).get(sub).level())));
    }

    /** Ids the world accepted that the items still owe: the engine cannot know they went out. */
    private static Set<String> inDoubt(InMemoryPorts p) {
        Set<String> accepted = new HashSet<>(p.sns.acceptedIds);
        accepted.addAll(p.liquidations.acceptedIds);
        Set<String> out = new HashSet<>();
        for (StoredAccount a : p.accounts.items.values()) {
            a.outbox().stream().map(OutboxEntry::id).filter(accepted::contains).forEach(out::add);
        }
        return out;
    }

    /** Notice ids by (account, type): one id per transition. */
    private static Map<String, Integer> transitions(World w) throws Exception {
        Map<String, Set<String>> ids = new TreeMap<>();
        for (Map.Entry<String, String> e : w.bodies().entrySet()) {
            JsonNode b = JSON.readTree(e.getValue());
            ids.computeIfAbsent(b.get("accountId").asText() + " " + b.get("type").asText(), k -> new HashSet<>()).add(e.getKey());
        }
        Map<String, Integer> out = new TreeMap<>();
        ids.forEach((k, v) -> out.put(k, v.size()));
        return out;
    }
}
