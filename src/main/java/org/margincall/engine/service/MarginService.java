package org.margincall.engine.service;

import org.margincall.engine.domain.Timestamps;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.enterprise.context.ApplicationScoped;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.jboss.logging.Logger;
import org.jboss.logging.MDC;
import org.margincall.engine.adapter.cloudwatch.EngineMetrics;
import org.margincall.engine.adapter.dynamodb.AccountStore;
import org.margincall.engine.adapter.dynamodb.StoredAccount;
import org.margincall.engine.adapter.dynamodb.StoredAccount.Channel;
import org.margincall.engine.adapter.dynamodb.StoredAccount.OutboxEntry;
import org.margincall.engine.adapter.dynamodb.StoredAccount.PendingEscalation;
import org.margincall.engine.adapter.dynamodb.VenueStore;
import org.margincall.engine.adapter.eventbridge.LiquidationRequests;
import org.margincall.engine.adapter.sfn.EscalationStarter;
import org.margincall.engine.adapter.sns.NotificationPublisher;
import org.margincall.engine.adapter.sns.OperationsAlerts;
import org.margincall.engine.config.EngineConfig;
import org.margincall.engine.domain.Account;
import org.margincall.engine.domain.Decision;
import org.margincall.engine.domain.EscalationStart;
import org.margincall.engine.domain.EscalationStep;
import org.margincall.engine.domain.Evaluation;
import org.margincall.engine.domain.InvalidInputException;
import org.margincall.engine.domain.Level;
import org.margincall.engine.domain.MarginBook;
import org.margincall.engine.domain.MarginDecider;
import org.margincall.engine.domain.MarginEvaluator;
import org.margincall.engine.domain.MarginKernel;
import org.margincall.engine.domain.MarginState;
import org.margincall.engine.domain.Notice;
import org.margincall.engine.domain.Notification;
import org.margincall.engine.domain.NotificationType;
import org.margincall.engine.domain.SubAccount;
import org.margincall.engine.domain.Trigger;

/**
 * The engine's one application service: everything a handler does after parsing. Loads what an
 * event touches, asks the pure domain what changes, commits state and what it owes (notifications,
 * liquidation requests, escalation starts) in one conditional write per account, then delivers.
 */
@ApplicationScoped
public class MarginService {
    private static final Logger LOG = Logger.getLogger(MarginService.class);
    private static final int MAX_ATTEMPTS = 8;

    private final VenueStore venues;
    private final AccountStore accounts;
    private final NotificationPublisher publisher;
    private final LiquidationRequests liquidations;
    private final OperationsAlerts operations;
    private final EscalationStarter escalations;
    private final EngineMetrics metrics;
    private final EngineConfig config;
    private final Clock clock;
    private final ObjectMapper json = new ObjectMapper();
    /** Claims name this container; the counter keeps concurrent invocations in it apart. */
    private final String instance = UUID.randomUUID().toString().substring(0, 8);
    private final AtomicLong invocations = new AtomicLong();

    public MarginService(VenueStore venues, AccountStore accounts, NotificationPublisher publisher,
                         LiquidationRequests liquidations, OperationsAlerts operations, EscalationStarter escalations,
                         EngineMetrics metrics, EngineConfig config, Clock clock) {
        this.venues = venues;
        this.accounts = accounts;
        this.publisher = publisher;
        this.liquidations = liquidations;
        this.operations = operations;
        this.escalations = escalations;
        this.metrics = metrics;
        this.config = config;
        this.clock = clock;
    }

    /** A validated SPEC §5.1 price event. */
    public record PriceUpdate(String instrument, BigDecimal markPrice, Instant timestamp, long sequence, String source) {
    }

    /**
     * A validated SPEC §5.2 account event: the venue's new state of the account's collateral
     * balances and/or one position, numbered by a per-account {@code sequence}.
     *
     * @param collateral new balances by asset (absolute, not deltas), possibly empty
     * @param position the new state of one position (size 0 closes it), or null
     */
    public record AccountChange(String eventId, String accountId, long sequence, Instant timestamp,
                                Map<String, BigDecimal> collateral, PositionChange position) {
    }

    public record PositionChange(String instrument, BigDecimal size, BigDecimal entryPrice, BigDecimal isolatedMargin) {
    }

    /** What one event did; {@code reason} says why it was rejected or ignored. */
    public record Outcome(Status status, String reason, int accountsEvaluated, int transitions, int notifications) {
        public enum Status { ACCEPTED, DUPLICATE, REJECTED }
    }

    /** What a re-check decided for the escalation that asked (SPEC §3.4). */
    public record RecheckOutcome(boolean continueEscalation, Level level, int notifications) {
    }

    /** The sweep's tallies (SPEC §5.3). */
    public record SweepOutcome(int accountsScanned, int transitions, int notifications, int pendingPublished,
                               List<String> stalePricesReported) {
    }

    /** How one account is to be re-evaluated: which account state, which sub-accounts, which rule. */
    private record Plan(Account account, Account changed, long eventSeq, Predicate<SubAccount> which, Rule rule,
                        Trigger trigger) {
    }

    @FunctionalInterface
    private interface Rule {
        Decision apply(MarginDecider decider, SubAccount sub, MarginState state, Level level);
    }

    @FunctionalInterface
    private interface Planner {
        /** The plan against the account as currently stored, or empty when there is nothing to do. */
        Optional<Plan> plan(StoredAccount current);
    }

    /** Tallies of one pass; atomic because the sweep evaluates segments in parallel. */
    private static final class Tally {
        final AtomicInteger evaluated = new AtomicInteger();
        final AtomicInteger transitions = new AtomicInteger();
        final AtomicInteger notifications = new AtomicInteger();

        Outcome outcome() {
            return new Outcome(Outcome.Status.ACCEPTED, null, evaluated.get(), transitions.get(), notifications.get());
        }
    }

    // ---- price events (SPEC §5.1) ----

    public Outcome onPrice(String venueId, PriceUpdate p) {
        VenueStore.Snapshot snap = venues.load(venueId);
        int slot = snap.catalog().slot("detail.instrument", p.instrument());
        if (p.timestamp().isAfter(clock.instant().plusSeconds(config.maxFutureSeconds()))) {
            throw new InvalidInputException("detail.timestamp", Timestamps.format(p.timestamp()),
                    "is more than " + config.maxFutureSeconds() + " s in the future");
        }
        if (!venues.storeIfNewer(venueId, p.instrument(), p.markPrice(), Timestamps.format(p.timestamp()),
                p.timestamp().toEpochMilli(), p.sequence(), p.source())) {
            metrics.count(EngineMetrics.EVENTS_DUPLICATE);
            return new Outcome(Outcome.Status.DUPLICATE, "not newer than the stored price of " + p.instrument()
                    + " by (timestamp, sequence)", 0, 0, 0);
        }
        metrics.count(EngineMetrics.EVENTS_ACCEPTED);
        snap.marks().put(p.instrument(), p.markPrice());
        Trigger trigger = Trigger.price(p.instrument(), p.markPrice(), p.timestamp(), p.sequence());
        Tally t = new Tally();
        for (StoredAccount a : accounts.getAll(venueId, accounts.holders(venueId, p.instrument()))) {
            transact(snap, a, current -> Optional.of(new Plan(current.account(), null, 0, sub -> sub.exposedTo(slot),
                    evaluation(p.timestamp(), trigger), trigger)), t);
        }
        return t.outcome();
    }

    /** Re-evaluates one whole account at {@code at}. */
    public Outcome evaluateAccount(String venueId, String accountId, Trigger trigger, Instant at) {
        VenueStore.Snapshot snap = venues.load(venueId);
        StoredAccount a = accounts.get(venueId, accountId).orElseThrow(() ->
                new InvalidInputException("accountId", accountId, "is not an account of venue " + venueId));
        Tally t = new Tally();
        transact(snap, a, current -> Optional.of(new Plan(current.account(), null, 0, sub -> true,
                evaluation(at, trigger), trigger)), t);
        return t.outcome();
    }

    // ---- account events (SPEC §5.2) ----

    /**
     * Applies a venue's account event and re-evaluates the account at once, so a deposit that
     * cures a call is answered without waiting for a price. Idempotent and out-of-order safe by
     * the per-account sequence: an event not newer than the last applied one changes nothing.
     */
    public Outcome onAccountEvent(String venueId, AccountChange change) {
        VenueStore.Snapshot snap = venues.load(venueId);
        StoredAccount first = accounts.get(venueId, change.accountId()).orElseThrow(() ->
                new InvalidInputException("detail.accountId", change.accountId(), "is not an account of venue " + venueId));
        Trigger trigger = Trigger.account(change.eventId(), change.timestamp());
        Tally t = new Tally();
        boolean[] duplicate = {false};
        Account[] applied = {null};
        transact(snap, first, current -> {
            if (change.sequence() <= current.lastEventSequence()) {
                duplicate[0] = true;
                return Optional.empty();
            }
            Account next = apply(current.account(), change);
            SubAccount.of(snap.catalog(), next); // refuses unknown assets/instruments before anything is written
            applied[0] = next;
            return Optional.of(new Plan(next, next, change.sequence(), sub -> true,
                    evaluation(change.timestamp(), trigger), trigger));
        }, t);
        if (duplicate[0]) {
            metrics.count(EngineMetrics.EVENTS_DUPLICATE);
            return new Outcome(Outcome.Status.DUPLICATE, "sequence " + change.sequence()
                    + " is not newer than the last applied event of account " + change.accountId(), 0, 0, 0);
        }
        metrics.count(EngineMetrics.EVENTS_ACCEPTED);
        Set<String> before = AccountStore.exposure(first.account(), snap.catalog());
        Set<String> after = AccountStore.exposure(applied[0], snap.catalog());
        accounts.putHoldings(venueId, applied[0], snap.catalog());
        before.removeAll(after);
        accounts.removeHoldings(venueId, change.accountId(), before);
        return t.outcome();
    }

    static Account apply(Account account, AccountChange change) {
        Account next = account;
        for (Map.Entry<String, BigDecimal> c : change.collateral().entrySet()) {
            next = next.withCollateral(c.getKey(), c.getValue());
        }
        PositionChange p = change.position();
        if (p != null) {
            next = next.withPosition(p.instrument(), p.size().signum() == 0 ? null
                    : new org.margincall.engine.domain.Position(p.instrument(), p.size(), p.entryPrice(), p.isolatedMargin()));
        }
        return next;
    }

    // ---- escalation re-check (SPEC §3.4) ----

    /**
     * The escalation's clock step for one call at {@code at} (the step's deadline, so scenario
     * time decides, not the wall clock): a fresh evaluation, then the deadline notice unless the
     * call was cured, superseded or already handed off.
     */
    public RecheckOutcome recheck(String venueId, String accountId, String subAccountId, String callId,
                                  EscalationStep step, Instant at) {
        VenueStore.Snapshot snap = venues.load(venueId);
        Optional<StoredAccount> a = accounts.get(venueId, accountId);
        if (a.isEmpty()) {
            return new RecheckOutcome(false, null, 0);
        }
        boolean[] cont = {false};
        Level[] level = {null};
        Tally t = new Tally();
        MDC.put("callId", callId);
        try {
            Trigger trigger = Trigger.clock(callId, step.name(), at);
            transact(snap, a.get(), current -> Optional.of(new Plan(current.account(), null, 0,
                    sub -> sub.id().equals(subAccountId),
                    (decider, sub, state, lvl) -> {
                        Decision d = decider.onRecheck(sub.id(), state, lvl, callId, step, at);
                        cont[0] = d.continueEscalation();
                        level[0] = d.next().level();
                        return d;
                    }, trigger)), t);
        } finally {
            MDC.remove("callId");
        }
        return new RecheckOutcome(cont[0], level[0], t.notifications.get());
    }

    // ---- the sweep (SPEC §5.3) ----

    /**
     * Every account against the latest prices at {@code now} (lost events, due reminders), then
     * everything still owed, then one operations alert per stale price.
     */
    public SweepOutcome sweep(String venueId, Instant now) {
        VenueStore.Snapshot snap = venues.load(venueId);
        Trigger trigger = Trigger.sweep(now);
        Tally t = new Tally();
        AtomicInteger scanned = new AtomicInteger();
        MarginDecider decider = new MarginDecider(snap.catalog().venue());
        List<String> owing = java.util.Collections.synchronizedList(new ArrayList<>());
        accounts.scanAll(venueId, config.sweepSegments(), page -> {
            scanned.addAndGet(page.size());
            for (StoredAccount a : page) {
                if (!a.outbox().isEmpty() || !a.escalations().isEmpty()) {
                    owing.add(a.account().accountId());
                }
            }
            for (StoredAccount a : dueForDecision(snap, decider, page, now)) {
                transact(snap, a, current -> Optional.of(new Plan(current.account(), null, 0, sub -> true,
                        evaluation(now, trigger), trigger)), t);
            }
        });
        // What the scan saw still owed (decisions above deliver their own at once); re-read for claims.
        int pending = flush(venueId, accounts.getAll(venueId, owing));
        List<String> stale = new ArrayList<>();
        long limit = snap.catalog().venue().stalePriceSeconds() * 1000;
        snap.stamps().forEach((instrument, stamp) -> {
            if (now.toEpochMilli() - stamp.timestampMillis() > limit
                    && venues.markStaleReported(venueId, instrument, stamp.timestampMillis())) {
                ObjectNode body = json.createObjectNode();
                body.put("type", "PRICE_FEED_STALE");
                body.put("venueId", venueId);
                body.put("instrument", instrument);
                body.put("lastPriceAt", Timestamps.format(Instant.ofEpochMilli(stamp.timestampMillis())));
                body.put("detectedAt", Timestamps.format(now));
                body.put("stalePriceSeconds", snap.catalog().venue().stalePriceSeconds());
                try {
                    operations.alert(venueId, "PRICE_FEED_STALE", body.toString());
                } catch (software.amazon.awssdk.core.exception.SdkException | java.io.UncheckedIOException e) {
                    venues.unmarkStaleReported(venueId, instrument, stamp.timestampMillis());
                    LOG.warnf("stale-feed alert for %s not sent, retried next sweep: %s", instrument, e.getMessage());
                    return;
                }
                metrics.count(EngineMetrics.STALE_PRICE_FEEDS);
                LOG.warnf("price feed of %s stale since %s", instrument, body.get("lastPriceAt").asText());
                stale.add(instrument);
            }
        });
        return new SweepOutcome(scanned.get(), t.transitions.get(), t.notifications.get(), pending, stale);
    }

    /**
     * The accounts of a scanned page that the sweep must decide on: a sub-account whose level
     * (with hysteresis) differs from the stored one, or whose open call owes a reminder. The
     * page is screened in one pass of the kernel over a {@link MarginBook}; the rest, almost all
     * of them on a quiet minute, need nothing.
     */
    private static List<StoredAccount> dueForDecision(VenueStore.Snapshot snap, MarginDecider decider,
                                                      List<StoredAccount> page, Instant now) {
        List<SubAccount> subs = new ArrayList<>();
        List<StoredAccount> owners = new ArrayList<>();
        for (StoredAccount a : page) {
            for (SubAccount sub : SubAccount.of(snap.catalog(), a.account())) {
                if (sub.markable(snap.marks())) {
                    subs.add(sub);
                    owners.add(a);
                }
            }
        }
        Level[] stored = new Level[subs.size()];
        for (int i = 0; i < stored.length; i++) {
            stored[i] = owners.get(i).state(subs.get(i).id()).level();
        }
        Level[] current = new Level[subs.size()];
        new MarginBook(subs).levels(snap.marks(), stored, current);
        List<StoredAccount> due = new ArrayList<>();
        for (int i = 0; i < stored.length; i++) {
            StoredAccount owner = owners.get(i);
            boolean listed = !due.isEmpty() && due.get(due.size() - 1) == owner; // an account's subs are adjacent
            if (!listed && (current[i] != stored[i] || decider.reminderDue(owner.state(subs.get(i).id()), now))) {
                due.add(owner);
            }
        }
        return due;
    }

    // ---- the one transaction shape every path shares ----

    private static Rule evaluation(Instant at, Trigger trigger) {
        return (decider, sub, state, level) -> decider.onEvaluation(sub.id(), state, level, at, trigger);
    }

    /**
     * Decides and commits one account, re-reading and re-deciding when another writer committed
     * first, so a lost race never sends twice; then delivers what this writer committed.
     */
    private void transact(VenueStore.Snapshot snap, StoredAccount stored, Planner planner, Tally tally) {
        String venueId = stored.venueId();
        String accountId = stored.account().accountId();
        MDC.put("venueId", venueId);
        MDC.put("accountId", accountId);
        try {
            MarginDecider decider = new MarginDecider(snap.catalog().venue());
            StoredAccount current = stored;
            for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
                Optional<Plan> maybe = planner.plan(current);
                if (maybe.isEmpty()) {
                    return;
                }
                Plan plan = maybe.get();
                long started = System.nanoTime();
                String claimant = instance + "-" + invocations.incrementAndGet();
                long nowMillis = clock.millis();
                Map<String, MarginState> changed = new LinkedHashMap<>();
                List<OutboxEntry> outbox = new ArrayList<>();
                List<PendingEscalation> starts = new ArrayList<>();
                long seq = (current.version() + 1) * 1000;
                int evaluated = 0;
                for (SubAccount sub : SubAccount.of(snap.catalog(), plan.account())) {
                    if (!plan.which().test(sub) || !sub.markable(snap.marks())) {
                        continue;
                    }
                    evaluated++;
                    MarginState state = current.state(sub.id());
                    MarginKernel.Result k = MarginKernel.evaluate(sub, snap.marks(), state.level());
                    if (k.exactFallback()) {
                        metrics.count(EngineMetrics.EXACT_FALLBACKS);
                    }
                    Decision d = plan.rule().apply(decider, sub, state, k.level());
                    if (d.isNoop(state)) {
                        continue;
                    }
                    changed.put(sub.id(), d.next());
                    if (!d.notices().isEmpty()) {
                        Evaluation ev = MarginEvaluator.evaluate(sub, snap.marks(), state.level());
                        for (Notice n : d.notices()) {
                            String body = body(venueId, n, ev, plan.trigger());
                            outbox.add(new OutboxEntry(n.notificationId(), Channel.SNS, seq++, body, n.type().name(),
                                    n.level().name(), accountId, claimant, nowMillis));
                            if (n.type() == NotificationType.LIQUIDATION_HANDOFF) {
                                outbox.add(new OutboxEntry(n.notificationId() + "-liquidation", Channel.EVENTS, seq++, body,
                                        LiquidationRequests.DETAIL_TYPE, n.level().name(), accountId, claimant, nowMillis));
                            }
                        }
                    }
                    if (d.escalation() != null) {
                        starts.add(pending(venueId, accountId, d.escalation()));
                    }
                }
                metrics.millis(EngineMetrics.EVALUATION_LATENCY, (System.nanoTime() - started) / 1e6);
                if (changed.isEmpty() && plan.changed() == null) {
                    tally.evaluated.addAndGet(evaluated);
                    return;
                }
                if (accounts.commit(current, plan.changed(), plan.eventSeq(), changed, outbox, starts)) {
                    tally.evaluated.addAndGet(evaluated);
                    tally.transitions.addAndGet(changed.size());
                    tally.notifications.addAndGet((int) outbox.stream().filter(o -> o.channel() == Channel.SNS).count());
                    metrics.count(EngineMetrics.ACCOUNTS_EVALUATED, evaluated);
                    metrics.count(EngineMetrics.TRANSITIONS, changed.size());
                    for (Map.Entry<String, MarginState> e : changed.entrySet()) {
                        LOG.infof("level of %s now %s (call %s)", e.getKey(), e.getValue().level(), e.getValue().callId());
                    }
                    deliver(venueId, accountId, outbox, starts);
                    return;
                }
                metrics.count(EngineMetrics.VERSION_CONFLICTS);
                current = accounts.get(venueId, accountId).orElseThrow(
                        () -> new IllegalStateException("account " + accountId + " vanished during evaluation"));
            }
            throw new IllegalStateException("account " + accountId + " kept changing during " + MAX_ATTEMPTS + " attempts");
        } finally {
            MDC.remove("venueId");
            MDC.remove("accountId");
        }
    }

    /** Delivers committed outbox entries and escalation starts; what fails stays for the sweep. */
    private int deliver(String venueId, String accountId, List<OutboxEntry> outbox, List<PendingEscalation> starts) {
        int published = 0;
        if (!outbox.isEmpty()) {
            List<OutboxEntry> sns = outbox.stream().filter(o -> o.channel() == Channel.SNS).toList();
            List<OutboxEntry> events = outbox.stream().filter(o -> o.channel() == Channel.EVENTS).toList();
            Set<String> accepted = new HashSet<>(publisher.publish(venueId, sns));
            published = accepted.size();
            accepted.addAll(liquidations.put(events));
            List<String> failed = new ArrayList<>();
            for (OutboxEntry e : outbox) {
                if (!accepted.contains(e.id())) {
                    failed.add(e.id());
                }
            }
            accounts.removeOutbox(venueId, accountId, new ArrayList<>(accepted));
            accounts.release(venueId, accountId, failed);
            metrics.count(EngineMetrics.NOTIFICATIONS_PUBLISHED, published);
            metrics.count(EngineMetrics.PUBLISH_FAILURES, failed.size());
        }
        List<String> started = new ArrayList<>();
        for (PendingEscalation p : starts) {
            MDC.put("callId", p.callId());
            if (escalations.start(p)) {
                started.add(p.callId());
            } else {
                metrics.count(EngineMetrics.ESCALATION_START_FAILURES);
            }
            MDC.remove("callId");
        }
        metrics.count(EngineMetrics.ESCALATIONS_STARTED, started.size());
        accounts.removeEscalations(venueId, accountId, started);
        return published;
    }

    /**
     * Delivers every outbox entry nobody is delivering (a failed publish released its claim; a
     * crashed one times out) and starts every pending escalation: the safety net of SPEC §9.
     * Returns how many notifications went out.
     */
    public int flushPending(String venueId) {
        return flush(venueId, accounts.withPendingWork(venueId));
    }

    private int flush(String venueId, List<StoredAccount> owing) {
        int published = 0;
        for (StoredAccount a : owing) {
            String accountId = a.account().accountId();
            String claimant = instance + "-" + invocations.incrementAndGet();
            long now = clock.millis();
            long staleBefore = now - config.outboxClaimSeconds() * 1000;
            List<OutboxEntry> mine = new ArrayList<>();
            for (OutboxEntry e : a.outbox()) {
                if (accounts.claim(venueId, accountId, e.id(), claimant, now, staleBefore)) {
                    mine.add(e);
                }
            }
            published += deliver(venueId, accountId, mine, a.escalations());
        }
        return published;
    }

    private String body(String venueId, Notice n, Evaluation ev, Trigger trigger) {
        try {
            return json.writeValueAsString(Notification.of(venueId, n, ev, trigger));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("notification " + n.notificationId() + " cannot be serialised", e);
        }
    }

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
