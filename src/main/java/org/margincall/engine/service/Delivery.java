package org.margincall.engine.service;

import jakarta.enterprise.context.ApplicationScoped;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.MDC;
import org.margincall.engine.config.EngineConfig;
import org.margincall.engine.service.port.EscalationScheduler;
import org.margincall.engine.service.port.LiquidationSink;
import org.margincall.engine.service.port.Metrics;
import org.margincall.engine.service.port.NotificationSink;
import org.margincall.engine.service.port.OutboxClaims;
import org.margincall.engine.service.port.StoredAccount;
import org.margincall.engine.service.port.StoredAccount.Channel;
import org.margincall.engine.service.port.StoredAccount.OutboxEntry;
import org.margincall.engine.service.port.StoredAccount.PendingEscalation;

/**
 * Delivers what committed transitions owe (SPEC §9: nothing owed is lost): publishes outbox
 * entries, removes what was accepted, releases the claims of what failed so the sweep retries at
 * once, and starts pending escalations. Claims keep two publishers of one entry apart; a claim
 * older than {@code outboxClaimSeconds} belongs to a publisher that died and may be taken over.
 */
@ApplicationScoped
public class Delivery {
    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(Delivery.class);
    /** Publish attempts of one delivery for the entries SNS or EventBridge refused, the first included. */
    static final int PUBLISH_ROUNDS = 3;
    private final OutboxClaims claims;
    private final NotificationSink notifications;
    private final LiquidationSink liquidations;
    private final EscalationScheduler escalations;
    private final Parallel parallel;
    private final Metrics metrics;
    private final EngineConfig config;
    private final Clock clock;
    /** Claims name this container; the counter keeps concurrent invocations in it apart. */
    private final String instance = UUID.randomUUID().toString().substring(0, 8);
    private final AtomicLong claimants = new AtomicLong();

    public Delivery(OutboxClaims claims, NotificationSink notifications, LiquidationSink liquidations,
                    EscalationScheduler escalations, Parallel parallel, Metrics metrics, EngineConfig config, Clock clock) {
        this.parallel = parallel;
        this.claims = claims;
        this.notifications = notifications;
        this.liquidations = liquidations;
        this.escalations = escalations;
        this.metrics = metrics;
        this.config = config;
        this.clock = clock;
    }

    /** A fresh claimant name: outbox entries committed under it are this writer's to publish. */
    String claimant() {
        return instance + "-" + claimants.incrementAndGet();
    }

    /**
     * What one account's commit owes, claimed by the writer that committed it.
     *
     * @param outbox notifications and liquidation requests, in send order
     * @param starts escalations to start
     */
    record Owed(String accountId, List<OutboxEntry> outbox, List<PendingEscalation> starts) {
        boolean isEmpty() {
            return outbox.isEmpty() && starts.isEmpty();
        }
    }

    /** Delivers what one account owes; see {@link #deliver(String, List)}. */
    int deliver(String venueId, String accountId, List<OutboxEntry> outbox, List<PendingEscalation> starts) {
        return deliver(venueId, List.of(new Owed(accountId, outbox, starts)));
    }

    /**
     * Delivers what many accounts owe together (SPEC §10): their notifications share PublishBatch
     * calls (each account's in order), their liquidation requests share PutEvents calls, their
     * escalations start concurrently. Each entry's outcome is its own: an accepted one leaves its
     * account's outbox, a refused one is published again (up to {@value #PUBLISH_ROUNDS} attempts
     * in all) and, still refused, has its claim released for the sweep; a start that failed
     * (throttled, say) stays pending for the sweep — deadlines are absolute, so a late start still
     * fires on time.
     *
     * @return how many notifications SNS accepted
     */
    int deliver(String venueId, List<Owed> owed) {
        List<Owed> work = owed.stream().filter(o -> o != null && !o.isEmpty()).toList();
        if (work.isEmpty()) {
            return 0;
        }
        List<OutboxEntry> sns = new ArrayList<>();
        List<OutboxEntry> events = new ArrayList<>();
        for (Owed o : work) {
            for (OutboxEntry e : o.outbox()) {
                (e.channel() == Channel.SNS ? sns : events).add(e);
            }
        }
        Set<String> accepted = new HashSet<>(published(sns, notifications.publish(venueId, sns)));
        accepted.addAll(liquidations.put(events));
        // SPEC §9: what SNS or EventBridge refused (a partial batch failure, which the SDK never
        // retries, or a call that failed through its retries) is retried at once; failing that,
        // it stays owed for the sweep
        for (int round = 2; round <= PUBLISH_ROUNDS; round++) {
            List<OutboxEntry> snsLeft = sns.stream().filter(e -> !accepted.contains(e.id())).toList();
            List<OutboxEntry> eventsLeft = events.stream().filter(e -> !accepted.contains(e.id())).toList();
            if (snsLeft.isEmpty() && eventsLeft.isEmpty()) {
                break;
            }
            if (!snsLeft.isEmpty()) {
                accepted.addAll(published(snsLeft, notifications.publish(venueId, snsLeft)));
            }
            if (!eventsLeft.isEmpty()) {
                accepted.addAll(liquidations.put(eventsLeft));
            }
        }
        int published = (int) sns.stream().filter(e -> accepted.contains(e.id())).count();
        metrics.count(Metrics.NOTIFICATIONS_PUBLISHED, published);
        metrics.count(Metrics.PUBLISH_FAILURES, sns.size() + events.size() - accepted.size());
        List<Owed> claimsToSettle = work.stream().filter(o -> !o.outbox().isEmpty()).toList();
        for (Parallel.Attempt<Owed, Object> a : parallel.each(claimsToSettle, o -> {
            List<String> done = new ArrayList<>();
            List<String> failed = new ArrayList<>();
            for (OutboxEntry e : o.outbox()) {
                (accepted.contains(e.id()) ? done : failed).add(e.id());
            }
            claims.removeOutbox(venueId, o.accountId(), done);
            claims.release(venueId, o.accountId(), failed);
            return null;
        })) {
            if (a.error() != null) {
                // accepted entries not removed go out again when the claim expires (same ids): counted, not lost
                metrics.count(Metrics.ACCOUNT_FAILURES);
                LOG.errorf(a.error(), "settling the outbox claims of account %s failed; the sweep re-delivers after "
                        + "the claim expires", a.item().accountId());
            }
        }
        List<Owed> withStarts = work.stream().filter(o -> !o.starts().isEmpty()).toList();
        for (Parallel.Attempt<Owed, List<String>> a : parallel.each(withStarts, o -> start(venueId, o))) {
            if (a.error() != null) {
                LOG.errorf(a.error(), "escalation starts of account %s left for the sweep", a.item().accountId());
            }
        }
        return published;
    }

    /**
     * Records the price-to-publish latency of every notice of {@code sent} that SNS just accepted
     * ({@link NoticeLatency}; issue #11), at the service clock's now.
     *
     * @return {@code accepted}
     */
    private Set<String> published(List<OutboxEntry> sent, Set<String> accepted) {
        if (!accepted.isEmpty()) {
            long now = clock.millis();
            for (OutboxEntry e : sent) {
                if (accepted.contains(e.id())) {
                    NoticeLatency.millis(e.body(), now).ifPresent(ms -> metrics.millis(Metrics.PRICE_TO_PUBLISH_LATENCY, ms));
                }
            }
        }
        return accepted;
    }

    private List<String> start(String venueId, Owed o) {
        List<String> started = new ArrayList<>();
        for (PendingEscalation p : o.starts()) {
            MDC.put("callId", p.callId());
            try {
                if (escalations.start(p)) {
                    started.add(p.callId());
                } else {
                    metrics.count(Metrics.ESCALATION_START_FAILURES);
                }
            } finally {
                MDC.remove("callId");
            }
        }
        metrics.count(Metrics.ESCALATIONS_STARTED, started.size());
        claims.removeEscalations(venueId, o.accountId(), started);
        return started;
    }

    /**
     * Delivers every outbox entry of {@code owing} that nobody is delivering (a failed publish
     * released its claim; a crashed one timed out) and starts every pending escalation.
     *
     * @return how many notifications SNS accepted
     */
    int flush(String venueId, List<StoredAccount> owing) {
        List<Owed> mine = new ArrayList<>();
        for (StoredAccount a : owing) {
            String accountId = a.account().accountId();
            try {
                String claimant = claimant();
                long now = clock.millis();
                long staleBefore = now - config.outboxClaimSeconds() * 1000;
                List<OutboxEntry> claimed = new ArrayList<>();
                for (OutboxEntry e : a.outbox()) {
                    if (claims.claim(venueId, accountId, e.id(), claimant, now, staleBefore)) {
                        claimed.add(e);
                    }
                }
                mine.add(new Owed(accountId, claimed, a.escalations()));
            } catch (RuntimeException e) {
                // what one account owes stays in its outbox; the others are still delivered
                metrics.count(Metrics.ACCOUNT_FAILURES);
                LOG.errorf(e, "claiming what account %s owes failed; the next sweep retries", accountId);
            }
        }
        return deliver(venueId, mine);
    }
}
