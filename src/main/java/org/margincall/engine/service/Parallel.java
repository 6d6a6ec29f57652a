package org.margincall.engine.service;

import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.margincall.engine.config.EngineConfig;

/**
 * A bounded pool for the per-account work of one invocation (SPEC §10: a crash's notices go out in
 * seconds, not one account after another). The work is I/O-bound (DynamoDB, SNS, Step Functions
 * round trips), so more threads than cores pay off; each account's failure is its own.
 */
@ApplicationScoped
public class Parallel {
    private final ExecutorService pool;

    @jakarta.inject.Inject
    public Parallel(EngineConfig config) {
        this(config.evaluationThreads());
    }

    /** A pool of {@code threads} daemon threads. */
    public Parallel(int threads) {
        AtomicInteger n = new AtomicInteger();
        this.pool = Executors.newFixedThreadPool(Math.max(1, threads), r -> {
            Thread t = new Thread(r, "margin-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** One item's outcome: its value, or the failure that stopped it. */
    public record Attempt<I, O>(I item, O value, RuntimeException error) {
    }

    /**
     * Runs {@code work} on every item concurrently (at most the pool's size at once) and waits.
     *
     * @return one attempt per item, in input order
     */
    public <I, O> List<Attempt<I, O>> each(List<I> items, Function<I, O> work) {
        if (items.size() <= 1) {
            List<Attempt<I, O>> out = new ArrayList<>(items.size());
            for (I item : items) {
                out.add(attempt(item, work));
            }
            return out;
        }
        List<CompletableFuture<Attempt<I, O>>> futures = new ArrayList<>(items.size());
        for (I item : items) {
            futures.add(CompletableFuture.supplyAsync(() -> attempt(item, work), pool));
        }
        List<Attempt<I, O>> out = new ArrayList<>(items.size());
        for (CompletableFuture<Attempt<I, O>> f : futures) {
            out.add(f.join());
        }
        return out;
    }

    private static <I, O> Attempt<I, O> attempt(I item, Function<I, O> work) {
        try {
            return new Attempt<>(item, work.apply(item), null);
        } catch (RuntimeException e) {
            return new Attempt<>(item, null, e);
        }
    }
}
