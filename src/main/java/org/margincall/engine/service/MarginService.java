package org.margincall.engine.service;

import jakarta.enterprise.context.ApplicationScoped;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.margincall.engine.config.EngineConfig;
import org.margincall.engine.domain.Account;
import org.margincall.engine.domain.EscalationStep;
import org.margincall.engine.domain.Level;
import org.margincall.engine.domain.Trigger;
import org.margincall.engine.service.port.AccountItems;
import org.margincall.engine.service.port.BandIndex;
import org.margincall.engine.service.port.ChunkQueue;
import org.margincall.engine.service.port.HoldingsIndex;
import org.margincall.engine.service.port.Metrics;
import org.margincall.engine.service.port.VenueRepository;

/**
 * The engine's use cases, one a page: a price event (SPEC §5.1), a venue's account event (§5.2),
 * an escalation's clock step (§3.4) and the minute sweep (§5.3). Each loads what its input
 * touches, lets {@link TransitionCommitter} decide and commit per account, and reports what it did.
 */
@ApplicationScoped
public class MarginService {
    private final PriceEvents prices;
    private final AccountEvents accountEvents;
    private final Escalations escalations;
    private final Sweep sweep;

    public MarginService(PriceEvents prices, AccountEvents accountEvents, Escalations escalations, Sweep sweep) {
        this.prices = prices;
        this.accountEvents = accountEvents;
        this.escalations = escalations;
        this.sweep = sweep;
    }

    /** The engine wired by hand (the local replay, tests): the same objects Quarkus injects in Lambda. */
    public static MarginService wire(VenueRepository venues, AccountItems accounts, HoldingsIndex holdings, BandIndex bands,
                                     ChunkQueue chunks, TransitionCommitter committer, Delivery delivery,
                                     StaleFeedWatch staleFeeds, Parallel parallel, Metrics metrics, EngineConfig config,
                                     Clock clock) {
        Decisions decisions = new Decisions(committer, delivery, parallel, metrics, venues, accounts, bands);
        return new MarginService(new PriceEvents(venues, accounts, holdings, bands, chunks, committer, decisions, metrics,
                config, clock),
                new AccountEvents(venues, accounts, holdings, bands, decisions, delivery, metrics, config, clock),
                new Escalations(venues, accounts, decisions),
                new Sweep(venues, accounts, holdings, bands, committer, delivery, staleFeeds, metrics, config));
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

    // ---- the use cases, each a class of its own ----

    /** See {@link PriceEvents#onPrice}. */
    public Outcome onPrice(String venueId, PriceUpdate p) {
        return prices.onPrice(venueId, p);
    }

    /** See {@link PriceEvents#onChunk}. */
    public Outcome onChunk(ChunkQueue.Chunk c) {
        return prices.onChunk(c);
    }

    /** See {@link AccountEvents#evaluateAccount}. */
    public Outcome evaluateAccount(String venueId, String accountId, Trigger trigger, Instant at) {
        return accountEvents.evaluateAccount(venueId, accountId, trigger, at);
    }

    /** See {@link AccountEvents#createAccount}. */
    public void createAccount(String venueId, Account account) {
        accountEvents.createAccount(venueId, account);
    }

    /** See {@link AccountEvents#onAccountEvent}. */
    public Outcome onAccountEvent(String venueId, AccountChange change) {
        return accountEvents.onAccountEvent(venueId, change);
    }

    /** See {@link Escalations#recheck}. */
    public RecheckOutcome recheck(String venueId, String accountId, String subAccountId, String callId,
                                  EscalationStep step, Instant at) {
        return escalations.recheck(venueId, accountId, subAccountId, callId, step, at);
    }

    /** See {@link Sweep#sweep}. */
    public SweepOutcome sweep(String venueId, Instant now) {
        return sweep.sweep(venueId, now);
    }

    /** See {@link Sweep#flushPending}. */
    public int flushPending(String venueId) {
        return sweep.flushPending(venueId);
    }
}
