package org.margincall.engine.bench;

import java.math.BigDecimal;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.margincall.engine.adapter.dynamodb.DynamoDbAccountItems;
import org.margincall.engine.adapter.dynamodb.VenueStore;
import org.margincall.engine.local.LocalEngine;
import org.margincall.engine.config.EngineConfig;
import org.margincall.engine.domain.Account;
import org.margincall.engine.domain.Catalog;
import org.margincall.engine.domain.Position;
import org.margincall.engine.local.LocalConfig;
import org.margincall.engine.local.LocalStack;
import org.margincall.engine.service.MarginService;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * Times the minute sweep over N accounts on the local stand-ins (dynalite), against a baseline
 * in the same process: a bare parallel scan of the same items with no evaluation. Prints ms per
 * 10k accounts for both and their ratio (the engine's share of the sweep). Usage:
 * {@code infra/bench/run-sweep.sh [accounts] [rounds]}.
 */
public final class SweepBenchmark {
    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        LocalStack stack = LocalStack.shared();
        DynamoDbClient ddb = stack.dynamoDb();
        EngineConfig config = LocalConfig.of(stack.process, "bench");
        LocalEngine engine = LocalEngine.wire(ddb, stack.sns(), stack.sfn(), null, config, Clock.systemUTC());
        VenueStore venues = engine.venues();
        DynamoDbAccountItems accounts = engine.accounts();
        MarginService service = engine.service();

        ObjectMapper json = new ObjectMapper();
        ObjectNode venue = json.createObjectNode().put("id", "bench");
        ArrayNode instruments = json.createArrayNode();
        for (String s : new String[]{"BTC-USD", "ETH-USD"}) {
            ObjectNode i = instruments.addObject().put("symbol", s);
            i.putArray("tiers").addObject().put("floor", "0").put("cap", "50000").put("mmr", "0.004");
            ((ArrayNode) i.get("tiers")).addObject().put("floor", "50000").putNull("cap").put("mmr", "0.005");
        }
        ArrayNode assets = json.createArrayNode();
        assets.addObject().put("asset", "USDT").put("haircut", "0");
        venues.putConfiguration("bench", venue, instruments, assets);
        Instant now = Instant.now();
        venues.storeIfNewer("bench", "BTC-USD", new BigDecimal("40000"), org.margincall.engine.domain.PriceStamp.of(now, 1), "bench");
        venues.storeIfNewer("bench", "ETH-USD", new BigDecimal("2500"), org.margincall.engine.domain.PriceStamp.of(now, 1), "bench");
        Catalog catalog = venues.load("bench").catalog();

        long loadStart = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<?>> loads = new ArrayList<>();
        SplittableRandom rnd = new SplittableRandom(7);
        for (int a = 0; a < n; a++) {
            // Healthy accounts: the sweep's common case is "evaluate, nothing to write".
            String usdt = String.valueOf(20_000 + rnd.nextInt(20_000));
            Account acct = new Account("acct-" + a, Map.of("USDT", new BigDecimal(usdt)), List.of(
                    new Position("BTC-USD", new BigDecimal("1.5"), new BigDecimal("40500"), null),
                    new Position("ETH-USD", new BigDecimal("-10"), new BigDecimal("2450"), null)), null);
            loads.add(pool.submit(() -> service.createAccount("bench", acct)));
        }
        for (Future<?> f : loads) {
            f.get();
        }
        pool.shutdown();
        System.out.printf("loaded %d accounts in %.1f s%n", n, (System.nanoTime() - loadStart) / 1e9);

        for (int r = 1; r <= rounds; r++) {
            AtomicInteger scanned = new AtomicInteger();
            long t0 = System.nanoTime();
            accounts.scanAll("bench", config.sweepSegments(), page -> scanned.addAndGet(page.size()));
            double scanMs = (System.nanoTime() - t0) / 1e6;
            long t1 = System.nanoTime();
            MarginService.SweepOutcome o = service.sweep("bench", Instant.now());
            double sweepMs = (System.nanoTime() - t1) / 1e6;
            System.out.printf("round %d: scan only %6.0f ms (%d items) | sweep %6.0f ms (%d accounts, %d transitions)"
                            + " | per 10k: scan %5.0f ms, sweep %5.0f ms, ratio %.2f%n", r, scanMs, scanned.get(), sweepMs,
                    o.accountsScanned(), o.transitions(), scanMs * 10_000 / n, sweepMs * 10_000 / n, sweepMs / scanMs);
        }
        System.exit(0);
    }
}
