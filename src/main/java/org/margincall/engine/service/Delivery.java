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
    private final OutboxClaims claims;
    private final NotificationSink notifications;
    private final LiquidationSink liquidations;
    private final EscalationScheduler escalations;
    private final Metrics metrics;
    private final EngineConfig config;
    private final Clock clock;
    /** Claims name this container; the counter keeps concurrent invocations in it apart. */
    private final String instance = UUID.randomUUID().toString().substring(0, 8);
    private final AtomicLong claimants = new AtomicLong();

    public Delivery(OutboxClaims claims, NotificationSink notifications, LiquidationSink liquidations,
                    EscalationScheduler escalations, Metrics metrics, EngineConfig config, Clock clock) {
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
     * Delivers entries this writer holds claims on, and escalation starts.
     *
     * @return how many notifications SNS accepted
     */
    int deliver(String venueId, String accountId, List<OutboxEntry> outbox, List<PendingEscalation> starts) {
        int published = 0;
        if (!outbox.isEmpty()) {
            List<OutboxEntry> sns = outbox.stream().filter(o -> o.channel() == Channel.SNS).toList();
            List<OutboxEntry> events = outbox.stream().filter(o -> o.channel() == Channel.EVENTS).toList();
            Set<String> accepted = new HashSet<>(notifications.publish(venueId, sns));
            published = accepted.size();
            accepted.addAll(liquidations.put(events));
            List<String> failed = new ArrayList<>();
            for (OutboxEntry e : outbox) {
                if (!accepted.contains(e.id())) {
                    failed.add(e.id());
                }
            }
            claims.removeOutbox(venueId, accountId, new ArrayList<>(accepted));
            claims.release(venueId, accountId, failed);
            metrics.count(Metrics.NOTIFICATIONS_PUBLISHED, published);
            metrics.count(Metrics.PUBLISH_FAILURES, failed.size());
        }
        List<String> started = new ArrayList<>();
        for (PendingEscalation p : starts) {
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
        claims.removeEscalations(venueId, accountId, started);
        return published;
    }

    /**
     * Delivers every outbox entry of {@code owing} that nobody is delivering (a failed publish
     * released its claim; a crashed one timed out) and starts every pending escalation.
     *
     * @return how many notifications SNS accepted
     */
    int flush(String venueId, List<StoredAccount> owing) {
        int published = 0;
        for (StoredAccount a : owing) {
            String accountId = a.account().accountId();
            try {
                String claimant = claimant();
                long now = clock.millis();
                long staleBefore = now - config.outboxClaimSeconds() * 1000;
                List<OutboxEntry> mine = new ArrayList<>();
                for (OutboxEntry e : a.outbox()) {
                    if (claims.claim(venueId, accountId, e.id(), claimant, now, staleBefore)) {
                        mine.add(e);
                    }
                }
                published += deliver(venueId, accountId, mine, a.escalations());
            } catch (RuntimeException e) {
                // what one account owes stays in its outbox; the others are still delivered
                metrics.count(Metrics.ACCOUNT_FAILURES);
                LOG.errorf(e, "delivering what account %s owes failed; the next sweep retries", accountId);
            }
        }
        return published;
    }
}
