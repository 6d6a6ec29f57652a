package org.margincall.engine.service;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.jboss.logging.Logger;
import org.jboss.logging.MDC;
import org.margincall.engine.adapter.cloudwatch.EngineMetrics;
import org.margincall.engine.adapter.dynamodb.AccountStore;
import org.margincall.engine.adapter.dynamodb.StoredAccount;
import org.margincall.engine.adapter.dynamodb.StoredAccount.OutboxEntry;
import org.margincall.engine.adapter.dynamodb.StoredAccount.PendingEscalation;
import org.margincall.engine.adapter.dynamodb.VenueStore;
import org.margincall.engine.adapter.sfn.EscalationStarter;
import org.margincall.engine.adapter.sns.NotificationPublisher;
import org.margincall.engine.config.EngineConfig;
import org.margincall.engine.domain.Decision;
import org.margincall.engine.domain.EscalationStart;
import org.margincall.engine.domain.Evaluation;
import org.margincall.engine.domain.InvalidInputException;
import org.margincall.engine.domain.MarginDecider;
import org.margincall.engine.domain.MarginEvaluator;
import org.margincall.engine.domain.MarginKernel;
import org.margincall.engine.domain.MarginState;
import org.margincall.engine.domain.Notice;
import org.margincall.engine.domain.Notification;
import org.margincall.engine.domain.SubAccount;
import org.margincall.engine.domain.Trigger;

/**
 * The engine's one application service: everything a handler does after parsing. Loads what an
 * event touches, asks the pure domain what changes, commits state and owed notifications in one
 * conditional write per account, then publishes and starts escalations (SPEC §3.3, §5).
 */
@ApplicationScoped
public class MarginService {
    private static final Logger LOG = Logger.getLogger(MarginService.class);
    private static final int MAX_ATTEMPTS = 8;

    private final VenueStore venues;
    private final AccountStore accounts;
    private final NotificationPublisher publisher;
    private final EscalationStarter escalations;
    private final EngineMetrics metrics;
    private final EngineConfig config;
    private final Clock clock;
    private final ObjectMapper json = new ObjectMapper();
    /** Claims name this container; the counter keeps concurrent invocations in it apart. */
    private final String instance = UUID.randomUUID().toString().substring(0, 8);
    private final AtomicLong invocations = new AtomicLong();

    public MarginService(VenueStore venues, AccountStore accounts, NotificationPublisher publisher,
                         EscalationStarter escalations, EngineMetrics metrics, EngineConfig config, Clock clock) {
        this.venues = venues;
        this.accounts = accounts;
        this.publisher = publisher;
        this.escalations = escalations;
        this.metrics = metrics;
        this.config = config;
        this.clock = clock;
    }

    /** A validated SPEC §5.1 price event. */
    public record PriceUpdate(String instrument, java.math.BigDecimal markPrice, Instant timestamp, long sequence,
                              String source) {
    }

    /** What one event did; {@code reason} says why it was rejected or ignored. */
    public record Outcome(Status status, String reason, int accountsEvaluated, int transitions, int notifications) {
        public enum Status { ACCEPTED, DUPLICATE, REJECTED }

        static Outcome rejected(String reason) {
            return new Outcome(Status.REJECTED, reason, 0, 0, 0);
        }
    }

    /** Tallies of one evaluation pass. */
    private static final class Tally {
        int evaluated;
        int transitions;
        int notifications;
    }

    public Outcome onPrice(String venueId, PriceUpdate p) {
        Instant now = clock.instant();
        VenueStore.Snapshot snap = venues.load(venueId);
        int slot = snap.catalog().slot("detail.instrument", p.instrument());
        if (p.timestamp().isAfter(now.plusSeconds(config.maxFutureSeconds()))) {
            throw new InvalidInputException("detail.timestamp", p.timestamp().toString(),
                    "is more than " + config.maxFutureSeconds() + " s in the future");
        }
        if (!venues.storeIfNewer(venueId, p.instrument(), p.markPrice(), p.timestamp().toString(),
                p.timestamp().toEpochMilli(), p.sequence(), p.source())) {
            metrics.count(EngineMetrics.EVENTS_DUPLICATE);
            return new Outcome(Outcome.Status.DUPLICATE, "not newer than the stored price of " + p.instrument()
                    + " by (timestamp, sequence)", 0, 0, 0);
        }
        metrics.count(EngineMetrics.EVENTS_ACCEPTED);
        snap.marks().put(p.instrument(), p.markPrice());
        Trigger trigger = Trigger.price(p.instrument(), p.markPrice(), p.timestamp(), p.sequence());
        List<StoredAccount> holders = accounts.getAll(venueId, accounts.holders(venueId, p.instrument()));
        Tally t = new Tally();
        for (StoredAccount a : holders) {
            evaluate(snap, a, trigger, p.timestamp(), sub -> sub.exposedTo(slot), t);
        }
        return new Outcome(Outcome.Status.ACCEPTED, null, t.evaluated, t.transitions, t.notifications);
    }

    /** Re-evaluates one whole account at {@code at} (account events, sweep, concurrency tests). */
    public Outcome evaluateAccount(String venueId, String accountId, Trigger trigger, Instant at) {
        VenueStore.Snapshot snap = venues.load(venueId);
        Optional<StoredAccount> a = accounts.get(venueId, accountId);
        if (a.isEmpty()) {
            throw new InvalidInputException("accountId", accountId, "is not an account of venue " + venueId);
        }
        Tally t = new Tally();
        evaluate(snap, a.get(), trigger, at, sub -> true, t);
        return new Outcome(Outcome.Status.ACCEPTED, null, t.evaluated, t.transitions, t.notifications);
    }

    /**
     * Decides and commits one account, re-reading and re-deciding when another writer committed
     * first, so a lost race never sends twice; then publishes what this writer committed.
     */
    private void evaluate(VenueStore.Snapshot snap, StoredAccount stored, Trigger trigger, Instant at,
                          Predicate<SubAccount> which, Tally tally) {
        String venueId = stored.venueId();
        String accountId = stored.account().accountId();
        MDC.put("venueId", venueId);
        MDC.put("accountId", accountId);
        try {
            MarginDecider decider = new MarginDecider(snap.catalog().venue());
            StoredAccount current = stored;
            for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
                long started = System.nanoTime();
                String claimant = instance + "-" + invocations.incrementAndGet();
                long nowMillis = clock.millis();
                Map<String, MarginState> changed = new LinkedHashMap<>();
                List<OutboxEntry> outbox = new ArrayList<>();
                List<PendingEscalation> starts = new ArrayList<>();
                long seq = (current.version() + 1) * 1000;
                int evaluated = 0;
                for (SubAccount sub : SubAccount.of(snap.catalog(), current.account())) {
                    if (!which.test(sub) || !sub.markable(snap.marks())) {
                        continue;
                    }
                    evaluated++;
                    MarginState state = current.state(sub.id());
                    MarginKernel.Result k = MarginKernel.evaluate(sub, snap.marks(), state.level());
                    if (k.exactFallback()) {
                        metrics.count(EngineMetrics.EXACT_FALLBACKS);
                    }
                    Decision d = decider.onEvaluation(sub.id(), state, k.level(), at, trigger);
                    if (d.isNoop(state)) {
                        continue;
                    }
                    changed.put(sub.id(), d.next());
                    if (!d.notices().isEmpty()) {
                        Evaluation ev = MarginEvaluator.evaluate(sub, snap.marks(), state.level());
                        for (Notice n : d.notices()) {
                            outbox.add(new OutboxEntry(n.notificationId(), seq++, body(venueId, n, ev, trigger),
                                    n.type().name(), n.level().name(), accountId, claimant, nowMillis));
                        }
                    }
                    if (d.escalation() != null) {
                        starts.add(pending(venueId, accountId, d.escalation()));
                    }
                }
                metrics.millis(EngineMetrics.EVALUATION_LATENCY, (System.nanoTime() - started) / 1e6);
                if (changed.isEmpty()) {
                    tally.evaluated += evaluated;
                    return;
                }
                if (accounts.commit(current, changed, outbox, starts)) {
                    tally.evaluated += evaluated;
                    tally.transitions += changed.size();
                    tally.notifications += outbox.size();
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

    /** Publishes committed notifications and starts escalations; what fails stays for the sweep. */
    private int deliver(String venueId, String accountId, List<OutboxEntry> outbox, List<PendingEscalation> starts) {
        int published = 0;
        if (!outbox.isEmpty()) {
            Set<String> accepted = publisher.publish(venueId, outbox);
            List<String> done = new ArrayList<>(accepted);
            List<String> failed = new ArrayList<>();
            for (OutboxEntry e : outbox) {
                if (!accepted.contains(e.notificationId())) {
                    failed.add(e.notificationId());
                }
            }
            accounts.removeOutbox(venueId, accountId, done);
            accounts.release(venueId, accountId, failed);
            metrics.count(EngineMetrics.NOTIFICATIONS_PUBLISHED, done.size());
            metrics.count(EngineMetrics.PUBLISH_FAILURES, failed.size());
            published = done.size();
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
     * Publishes every outbox entry nobody is publishing (a failed publish released its claim; a
     * crashed one times out) and starts every pending escalation: the sweep's safety net
     * (SPEC §9: nothing is lost silently). Returns how many notifications went out.
     */
    public int flushPending(String venueId) {
        int published = 0;
        for (StoredAccount a : accounts.withPendingWork(venueId)) {
            String accountId = a.account().accountId();
            String claimant = instance + "-" + invocations.incrementAndGet();
            long now = clock.millis();
            long staleBefore = now - config.outboxClaimSeconds() * 1000;
            List<OutboxEntry> mine = new ArrayList<>();
            for (OutboxEntry e : a.outbox()) {
                if (accounts.claim(venueId, accountId, e.notificationId(), claimant, now, staleBefore)) {
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
        input.put("openedAt", e.openedAt().toString());
        input.put("graceDeadline", e.graceDeadline().toString());
        input.put("finalDeadline", e.finalDeadline().toString());
        return new PendingEscalation(e.callId(), e.executionName(), input.toString());
    }
}
