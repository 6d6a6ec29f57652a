package org.margincall.engine.bench;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.margincall.engine.domain.Account;
import org.margincall.engine.domain.Catalog;
import org.margincall.engine.domain.CollateralAsset;
import org.margincall.engine.domain.Instrument;
import org.margincall.engine.domain.Level;
import org.margincall.engine.domain.MarginBook;
import org.margincall.engine.domain.MarginKernel;
import org.margincall.engine.domain.Marks;
import org.margincall.engine.domain.Position;
import org.margincall.engine.domain.SubAccount;
import org.margincall.engine.domain.TierTable;
import org.margincall.engine.domain.Venue;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The per-tick job, level with hysteresis for every account after a price move, done by the
 * double kernel (with its exact fallback) over a {@link MarginBook} and over one object per
 * account, and by a straightforward BigDecimal implementation on the same accounts and marks. One operation evaluates every account once; divide by
 * {@code accounts * POSITIONS} for ns/position (the run script prints that and the ratio).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms6g", "-Xmx6g"})
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
public class KernelBenchmark {
    static final int POSITIONS = 3;
    static final String[] SYMBOLS = {"BTC-USD", "ETH-USD", "SOL-USD"};
    static final double[] PRICES = {40000, 2500, 120};

    @Param({"100000", "1000000"})
    public int accounts;

    Catalog catalog;
    Marks marks;
    Map<String, BigDecimal> decimalMarks;
    SubAccount[] subs;
    Account[] raw;
    Level[] stored;
    Level[] out;
    MarginBook book;

    @Setup(org.openjdk.jmh.annotations.Level.Trial)
    public void setUp() {
        catalog = catalog();
        marks = new Marks(catalog);
        decimalMarks = new HashMap<>();
        for (int i = 0; i < SYMBOLS.length; i++) {
            BigDecimal p = BigDecimal.valueOf(PRICES[i]).setScale(2);
            marks.put(SYMBOLS[i], p);
            decimalMarks.put(SYMBOLS[i], p);
        }
        SplittableRandom rnd = new SplittableRandom(42);
        subs = new SubAccount[accounts];
        raw = new Account[accounts];
        stored = new Level[accounts];
        Level[] levels = Level.values();
        for (int a = 0; a < accounts; a++) {
            List<Position> ps = new ArrayList<>(POSITIONS);
            double notional = 0;
            for (int i = 0; i < POSITIONS; i++) {
                double n = 2_000 + rnd.nextDouble() * 120_000;
                notional += n;
                BigDecimal size = BigDecimal.valueOf(n / PRICES[i] * (rnd.nextBoolean() ? 1 : -1)).setScale(3, java.math.RoundingMode.HALF_UP);
                BigDecimal entry = BigDecimal.valueOf(PRICES[i] * (0.97 + rnd.nextDouble() * 0.06)).setScale(2, java.math.RoundingMode.HALF_UP);
                ps.add(new Position(SYMBOLS[i], size, entry, null));
            }
            Map<String, BigDecimal> coll = new LinkedHashMap<>();
            coll.put("USDT", BigDecimal.valueOf(notional * (0.02 + rnd.nextDouble() * 0.2)).setScale(2, java.math.RoundingMode.HALF_UP));
            if (rnd.nextInt(4) == 0) {
                coll.put("BTC", BigDecimal.valueOf(rnd.nextDouble()).setScale(4, java.math.RoundingMode.HALF_UP));
            }
            raw[a] = new Account("acct-" + a, coll, ps, null);
            subs[a] = SubAccount.of(catalog, raw[a]).get(0);
            stored[a] = levels[rnd.nextInt(levels.length)];
        }
        book = new MarginBook(List.of(subs));
        out = new Level[accounts];
    }

    static Catalog catalog() {
        List<Instrument> instruments = new ArrayList<>();
        for (String s : SYMBOLS) {
            instruments.add(new Instrument(s, new TierTable(s, List.of(
                    new TierTable.Tier(BigDecimal.ZERO, new BigDecimal("50000"), new BigDecimal("0.004")),
                    new TierTable.Tier(new BigDecimal("50000"), new BigDecimal("250000"), new BigDecimal("0.005")),
                    new TierTable.Tier(new BigDecimal("250000"), null, new BigDecimal("0.01"))))));
        }
        return new Catalog(Venue.withDefaults("bench"), instruments, List.of(
                new CollateralAsset("USDT", BigDecimal.ZERO, null),
                new CollateralAsset("BTC", new BigDecimal("0.1"), "BTC-USD")));
    }

    /** The kernel over a book: the sweep's and a hot instrument's layout. */
    @Benchmark
    public void kernel(Blackhole bh) {
        book.levels(marks, stored, out);
        bh.consume(out);
    }

    /** The kernel one sub-account object at a time, as a single account event evaluates. */
    @Benchmark
    public void kernelPerObject(Blackhole bh) {
        for (int a = 0; a < accounts; a++) {
            bh.consume(MarginKernel.evaluate(subs[a], marks, stored[a]).level());
        }
    }

    @Benchmark
    public void bigDecimalBaseline(Blackhole bh) {
        for (int a = 0; a < accounts; a++) {
            bh.consume(BigDecimalBaseline.evaluate(catalog, raw[a], decimalMarks, stored[a]));
        }
    }
}
