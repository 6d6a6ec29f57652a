package org.margincall.engine.service;

import jakarta.enterprise.context.ApplicationScoped;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import org.margincall.engine.config.EngineConfig;
import org.margincall.engine.domain.AcceptedMark;
import org.margincall.engine.domain.AccountTransition;
import org.margincall.engine.domain.InvalidInputException;
import org.margincall.engine.domain.PriceArrival;
import org.margincall.engine.domain.PriceStamp;
import org.margincall.engine.domain.Timestamps;
import org.margincall.engine.domain.Trigger;
import org.margincall.engine.domain.VenueSnapshot;
import org.margincall.engine.service.MarginService.Outcome;
import org.margincall.engine.service.MarginService.PriceUpdate;
import org.margincall.engine.service.TransitionCommitter.Plan;
import org.margincall.engine.service.port.AccountItems;
import org.margincall.engine.service.port.BandIndex;
import org.margincall.engine.service.port.ChunkQueue;
import org.margincall.engine.service.port.HoldingsIndex;
import org.margincall.engine.service.port.Metrics;
import org.margincall.engine.service.port.VenueRepository;

/**
 * The price-event use case (SPEC §5.1, §3.5, §10): store the mark if newer (suspect flag and
 * variance with it), re-evaluate the accounts it concerns, fan out beyond one invocation; and the
 * worker's side of that fan-out.
 */
@ApplicationScoped
public class PriceEvents {
    private final VenueRepository venues;
    private final AccountItems accounts;
    private final HoldingsIndex holdings;
    private final BandIndex bands;
    private final ChunkQueue chunks;
    private final TransitionCommitter committer;
    private final Decisions decisions;
    private final Metrics metrics;
    private final EngineConfig config;
    private final Clock clock;

    public PriceEvents(VenueRepository venues, AccountItems accounts, HoldingsIndex holdings, BandIndex bands,
                       ChunkQueue chunks, TransitionCommitter committer, Decisions decisions, Metrics metrics,
                       EngineConfig config, Clock clock) {
        this.venues = venues;
        this.accounts = accounts;
        this.holdings = holdings;
        this.bands = bands;
        this.chunks = chunks;
        this.committer = committer;
        this.decisions = decisions;
        this.metrics = metrics;
        this.config = config;
        this.clock = clock;
    }

    /**
     * Stores the price if it is newer than the stored one, then re-evaluates the (sub-)accounts
     * exposed to the instrument whose level could change (SPEC §10): those whose stored trigger band
     * the stored mark leaves or whose reminder is due ({@link BandIndex#crossed}); with
     * {@code margincall.trigger-bands=false}, every holder, one after another (the baseline). The
     * same event delivered again re-evaluates too (idempotent), so a retry finishes what a failed
     * delivery left undone: the accounts it finished have bands around the new mark by then.
     *
     * @throws InvalidInputException for an unknown instrument or a timestamp too far in the future
     * @throws IncompleteWorkException when some accounts failed after the others were done (retry it)
     */
    public Outcome onPrice(String venueId, PriceUpdate p) {
        VenueSnapshot snap = venues.load(venueId);
        int slot = snap.catalog().slot("detail.instrument", p.instrument());
        if (p.timestamp().isAfter(clock.instant().plusSeconds(config.maxFutureSeconds()))) {
            throw new InvalidInputException("detail.timestamp", Timestamps.format(p.timestamp()),
                    "is more than " + config.maxFutureSeconds() + " s in the future");
        }
        PriceStamp stamp = PriceStamp.of(p.timestamp(), p.sequence());
        boolean redelivered = false;
        // The suspect flag and the variance derive from the previous mark: store only if it is still
        // the stored one, else read again (another price landed meanwhile) and decide again.
        for (int attempt = 1; ; attempt++) {
            AcceptedMark mark = PriceArrival.accept(snap, p.instrument(), p.markPrice(), p.indexPrice(), stamp, p.source());
            if (mark == null && stamp.equals(snap.stamps().get(p.instrument()))) {
                // SPEC §5.1: the same event again (e.g. a retried invocation) finishes the work the
                // first delivery left undone; evaluation is idempotent, so nothing is sent twice
                redelivered = true;
                break;
            }
            if (mark == null) {
                metrics.count(Metrics.EVENTS_DUPLICATE);
                return Outcome.duplicate("older than the stored price of " + p.instrument() + " by (timestamp, sequence)");
            }
            if (venues.storeIfUnchanged(venueId, mark, snap.stamps().get(p.instrument()))) {
                PriceArrival.apply(snap, mark);
                if (mark.suspect()) {
                    metrics.count(Metrics.SUSPECT_MARKS);
                }
                break;
            }
            if (attempt == TransitionCommitter.MAX_ATTEMPTS) {
                throw new IllegalStateException("the price of " + p.instrument() + " kept changing during "
                        + attempt + " attempts");
            }
            snap = venues.load(venueId);
        }
        metrics.count(redelivered ? Metrics.EVENTS_DUPLICATE : Metrics.EVENTS_ACCEPTED);
        Trigger trigger = Trigger.price(p.instrument(), p.markPrice(), p.timestamp(), p.sequence());
        AccountTransition.Rule rule = new AccountTransition.Evaluate(p.timestamp());
        VenueSnapshot stored = snap;
        String what = "price event " + p.instrument() + "@" + Timestamps.format(p.timestamp()) + "#" + p.sequence();
        if (!config.triggerBands()) {
            // the pre-§10 path, the benchmarks' baseline: every holder read, decided and published in turn
            List<String> holders = new ArrayList<>(holdings.holders(venueId, p.instrument()));
            Collections.sort(holders);
            Decisions.Tally t = decisions.decideEach(venueId, accounts.getAll(venueId, holders), stored, current ->
                    Optional.of(Plan.evaluate(current.account(), sub -> sub.exposedTo(slot), rule, trigger)), what);
            Outcome done = t.accepted();
            return redelivered ? new Outcome(Outcome.Status.DUPLICATE, "delivered again: finished what an earlier delivery "
                    + "left undone", done.accountsEvaluated(), done.transitions(), done.notifications()) : done;
        }
        List<String> crossedIds = new ArrayList<>(bands.crossed(venueId, p.instrument(), stored.marks().price(slot), p.timestamp()));
        Collections.sort(crossedIds);
        metrics.count(Metrics.BAND_CROSSINGS, crossedIds.size());
        if (chunks.configured() && crossedIds.size() > config.chunkSize()) {
            // SPEC §10 fan-out: this invocation handles the first chunk, workers the rest
            List<ChunkQueue.Chunk> rest = new ArrayList<>();
            for (int from = config.chunkSize(); from < crossedIds.size(); from += config.chunkSize()) {
                rest.add(new ChunkQueue.Chunk(venueId, p.instrument(), p.markPrice(), p.timestamp(), p.sequence(),
                        List.copyOf(crossedIds.subList(from, Math.min(crossedIds.size(), from + config.chunkSize())))));
            }
            chunks.send(rest);
            metrics.count(Metrics.CHUNKS_ENQUEUED, rest.size());
            crossedIds = crossedIds.subList(0, config.chunkSize());
        }
        Decisions.Tally t = decisions.decideAndDeliver(venueId, accounts.getAll(venueId, crossedIds), a -> committer.commit(stored, a, current ->
                Optional.of(Plan.evaluate(current.account(), sub -> sub.exposedTo(slot), rule, trigger))), what);
        Outcome done = t.accepted();
        return redelivered ? new Outcome(Outcome.Status.DUPLICATE, "delivered again: finished what an earlier delivery "
                + "left undone", done.accountsEvaluated(), done.transitions(), done.notifications()) : done;
    }

    /**
     * A worker's chunk of a price event (SPEC §10): evaluates the chunk's accounts for the
     * instrument against the venue as stored now (its mark is the chunk's, or newer), exactly as
     * the price event would have; a chunk processed twice sends nothing twice.
     *
     * @throws IncompleteWorkException when some accounts failed after the others were done (retry the chunk)
     */
    public Outcome onChunk(ChunkQueue.Chunk c) {
        VenueSnapshot snap = venues.load(c.venueId());
        int slot = snap.catalog().slot("chunk.instrument", c.instrument());
        PriceStamp stamp = snap.stamps().get(c.instrument());
        PriceStamp chunkStamp = PriceStamp.of(c.timestamp(), c.sequence());
        Trigger trigger = stamp == null || !stamp.isNewerThan(chunkStamp)
                ? Trigger.price(c.instrument(), c.price(), c.timestamp(), c.sequence())
                // a newer price has landed: decide on it, as its own event does for whoever it reads
                : Trigger.price(c.instrument(), snap.marks().exact(slot), stamp.timestamp(), stamp.sequence());
        AccountTransition.Rule rule = new AccountTransition.Evaluate(trigger.timestamp());
        Decisions.Tally t = decisions.decideAndDeliver(c.venueId(), accounts.getAll(c.venueId(), c.accountIds()), a -> committer.commit(snap, a,
                current -> Optional.of(Plan.evaluate(current.account(), sub -> sub.exposedTo(slot), rule, trigger))),
                "chunk of " + c.instrument() + "@" + Timestamps.format(c.timestamp()) + "#" + c.sequence());
        return t.accepted();
    }

}
