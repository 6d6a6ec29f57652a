package org.margincall.engine.domain;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Stream;
import org.opentest4j.TestAbortedException;

/**
 * Seeded, reproducible property runs on plain JUnit 5 (see docs/properties.md).
 *
 * <p>A property is a {@code @ParameterizedTest} over {@link #runs}: one invocation runs its fixed
 * edge cases, the next its random tries. Try {@code i} draws from a {@link SplittableRandom} seeded
 * with {@link #seedOf(long, int) seedOf(base, i)}, where the base seed is the system property
 * {@value #SEED} (default {@value #DEFAULT_SEED}), so any one try replays alone with
 * {@code -Dproperties.seed=BASE -Dproperties.try=i}; {@code -Dproperties.try=edge-K} replays edge
 * case {@code K}. A failure names the property, the seed, the try and the command that reruns it.
 *
 * <p>A sample outside a property's regime is rejected with JUnit's {@code assumeTrue}: the try
 * counts but checks nothing. The former library failed a property as exhausted when more than
 * {@value #MAX_DISCARD_RATIO} tries were rejected per try checked, so a passing run of
 * {@code tries} had checked more than {@code tries / 7}; here a random run draws past
 * {@code tries} until {@code tries / 6} are checked (failing as exhausted after {@value #MAX_DRAWS_FACTOR} ×
 * {@code tries} draws), and an edge run fails when none of its cases is checked, so no property
 * passes vacuously.
 */
final class Seeded {
    static final String SEED = "properties.seed";
    static final String TRY = "properties.try";
    static final String TRIES = "properties.tries";
    static final String VERBOSE = "properties.verbose";
    static final long DEFAULT_SEED = 20260101L;
    static final int MAX_DISCARD_RATIO = 5;
    static final int MAX_DRAWS_FACTOR = 20;

    private Seeded() {
    }

    static long baseSeed() {
        String s = System.getProperty(SEED);
        return s == null || s.isBlank() ? DEFAULT_SEED : Long.decode(s.trim());
    }

    /** The seed of try {@code i}: SplitMix64 of the base seed stepped {@code i + 1} times. */
    static long seedOf(long base, int tryIndex) {
        long z = base + (tryIndex + 1L) * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * The invocations of one property: its edge cases, then at least {@code tries} random tries
     * ({@code -Dproperties.tries=N} may ask for more). With {@code -Dproperties.try} set, only that
     * one try or edge case.
     */
    static <T> Stream<Run<T>> runs(List<T> edgeCases, int tries, Function<SplittableRandom, T> generator) {
        long seed = baseSeed();
        String only = System.getProperty(TRY);
        if (only != null && !only.isBlank()) {
            only = only.trim();
            if (only.startsWith("edge-")) {
                int k = Integer.parseInt(only.substring(5));
                return k < edgeCases.size() ? Stream.of(new Run<>(edgeCases, k, k + 1, 0, 0, 0, seed, generator)) : Stream.empty();
            }
            int i = Integer.parseInt(only);
            return Stream.of(new Run<>(edgeCases, 0, 0, i, 1, 0, seed, generator));
        }
        String more = System.getProperty(TRIES);
        int n = more == null || more.isBlank() ? tries : Math.max(tries, Integer.parseInt(more.trim()));
        int minChecked = (n + MAX_DISCARD_RATIO) / (MAX_DISCARD_RATIO + 1);
        return Stream.of(new Run<>(edgeCases, 0, edgeCases.size(), 0, 0, 0, seed, generator),
                new Run<>(edgeCases, 0, 0, 0, n, minChecked, seed, generator));
    }

    /**
     * A slice of one property's cases: edge cases {@code [edgeFrom, edgeTo)}, or random tries from
     * {@code tryFrom}: at least {@code tries} of them, and more until {@code minChecked} have passed
     * the property's assumptions, up to {@value #MAX_DRAWS_FACTOR} × {@code tries}.
     */
    record Run<T>(List<T> edgeCases, int edgeFrom, int edgeTo, int tryFrom, int tries, int minChecked, long seed,
                  Function<SplittableRandom, T> generator) {

        @Override
        public String toString() {
            if (edgeTo > edgeFrom) {
                return edgeTo - edgeFrom == edgeCases.size() ? "edge cases (" + edgeCases.size() + ")" : "edge-" + edgeFrom;
            }
            return tries == 1 ? "try " + tryFrom + " of seed " + seed : tries + " random tries, seed " + seed;
        }

        /** Checks the property on every case of this run; the caller is the test method, named in a failure. */
        void check(Consumer<T> property) {
            StackWalker.StackFrame caller = StackWalker.getInstance().walk(s -> s.skip(1).findFirst()).orElseThrow();
            String test = caller.getClassName().substring(caller.getClassName().lastIndexOf('.') + 1) + "#" + caller.getMethodName();
            int checked = 0;
            int rejected = 0;
            for (int k = edgeFrom; k < edgeTo; k++) {
                if (one(test, edgeCases.get(k), k, true, property)) {
                    checked++;
                } else {
                    rejected++;
                }
            }
            int drawn = 0;
            while (drawn < tries || (checked < minChecked && drawn < MAX_DRAWS_FACTOR * tries)) {
                int i = tryFrom + drawn++;
                T sample = generator.apply(new SplittableRandom(seedOf(seed, i)));
                if (one(test, sample, i, false, property)) {
                    checked++;
                } else {
                    rejected++;
                }
            }
            if (Boolean.getBoolean(VERBOSE)) {
                System.out.printf("%s [%s]: %d checked, %d rejected by assumptions%n", test, this, checked, rejected);
            }
            if (checked < minChecked || (edgeTo - edgeFrom > 1 && checked == 0)) {
                throw new AssertionError(String.format("%s [%s]: exhausted: only %d of %d samples passed the property's"
                        + " assumptions (%d needed)", test, this, checked, checked + rejected, Math.max(1, minChecked)));
            }
        }

        private boolean one(String test, T sample, int index, boolean edge, Consumer<T> property) {
            try {
                property.accept(sample);
                return true;
            } catch (TestAbortedException assumption) {
                return false;
            } catch (AssertionError | RuntimeException e) {
                String where = edge ? String.format("edge case %d of %d", index, edgeCases.size())
                        : String.format("try %d (seed %d, try seed %d)", index, seed, seedOf(seed, index));
                String rerun = edge ? "-Dproperties.try=edge-" + index
                        : "-Dproperties.seed=" + seed + " -Dproperties.try=" + index;
                throw new AssertionError(String.format("%s failed at %s%n  sample: %s%n  rerun alone: mvn test -Dtest='%s' %s%n%s",
                        test, where, sample, test, rerun, e instanceof AssertionError ? e.getMessage() : e.toString()), e);
            }
        }
    }

    // ---- generators -------------------------------------------------------------------------

    static int integer(SplittableRandom r, int min, int max) {
        return r.nextInt(min, max + 1);
    }

    @SafeVarargs
    static <T> T oneOf(SplittableRandom r, T... values) {
        return values[r.nextInt(values.length)];
    }

    /**
     * A decimal of the given scale in {@code [min, max]}, log-scaled by decades towards 0 (or the
     * bound nearest 0): the distance from there, in units of the scale, is uniform below
     * {@code 10^d} for a decade {@code d} drawn uniformly from 0 to the range's number of digits, the
     * last decade covering the whole range uniformly. Small magnitudes come up as often as large
     * ones, as under the former library's default biased distribution.
     */
    static BigDecimal decimal(SplittableRandom r, String min, String max, int scale) {
        long lo = new BigDecimal(min).setScale(scale).unscaledValue().longValueExact();
        long hi = new BigDecimal(max).setScale(scale).unscaledValue().longValueExact();
        long target = Math.max(lo, Math.min(hi, 0));
        boolean down = target == hi || (target > lo && r.nextBoolean());
        long span = down ? target - lo : hi - target;
        int digits = Long.toString(span).length();
        int d = r.nextInt(digits + 1);
        long bound = d >= 18 ? span : Math.min(span, POWERS_OF_TEN[d]);
        long offset = r.nextLong(bound + 1);
        return BigDecimal.valueOf(down ? target - offset : target + offset, scale);
    }

    private static final long[] POWERS_OF_TEN = {1L, 10L, 100L, 1_000L, 10_000L, 100_000L, 1_000_000L, 10_000_000L,
            100_000_000L, 1_000_000_000L, 10_000_000_000L, 100_000_000_000L, 1_000_000_000_000L, 10_000_000_000_000L,
            100_000_000_000_000L, 1_000_000_000_000_000L, 10_000_000_000_000_000L, 100_000_000_000_000_000L};

    /** The edge values of a decimal range (as the former library injected them): {0, ±1, ±one unit of the scale, min, max} within the range. */
    static List<BigDecimal> decimalEdges(String min, String max, int scale) {
        BigDecimal lo = new BigDecimal(min).setScale(scale);
        BigDecimal hi = new BigDecimal(max).setScale(scale);
        BigDecimal unit = BigDecimal.ONE.movePointLeft(scale);
        TreeSet<BigDecimal> out = new TreeSet<>();
        for (BigDecimal v : List.of(lo, hi, BigDecimal.ZERO, BigDecimal.ONE, BigDecimal.ONE.negate(), unit, unit.negate())) {
            if (v.compareTo(lo) >= 0 && v.compareTo(hi) <= 0) {
                out.add(v.setScale(scale));
            }
        }
        return new ArrayList<>(out);
    }

    /** The edge values of an integer range (as the former library injected them): {min, max, 0, ±1, ±2} within the range. */
    static List<Integer> integerEdges(int min, int max) {
        TreeSet<Integer> out = new TreeSet<>();
        for (int v : new int[] {min, max, 0, 1, -1, 2, -2}) {
            if (v >= min && v <= max) {
                out.add(v);
            }
        }
        return new ArrayList<>(out);
    }
}
