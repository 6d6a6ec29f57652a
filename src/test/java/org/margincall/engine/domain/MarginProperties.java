package org.margincall.engine.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.margincall.engine.domain.Seeded.decimal;
import static org.margincall.engine.domain.Seeded.decimalEdges;
import static org.margincall.engine.domain.Seeded.integer;
import static org.margincall.engine.domain.Seeded.integerEdges;
import static org.margincall.engine.domain.Seeded.oneOf;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Properties of the margin math (SPEC §2–§4) over generated tier tables and accounts: each runs
 * its fixed edge cases, then seeded random tries (see {@link Seeded} and docs/properties.md).
 */
class MarginProperties {
    static final BigDecimal CENT = new BigDecimal("0.01");
    static final int TRIES = 1000;
    static final int BOOK_LIST_TRIES = 200;

    // ---- tier tables ------------------------------------------------------------------------

    /** A generated tier table and two fractions of its range. */
    record TableCase(TierTable table, BigDecimal a, BigDecimal b) {
        @Override
        public String toString() {
            StringBuilder s = new StringBuilder("tiers [");
            for (int k = 0; k < table.size(); k++) {
                s.append(k == 0 ? "" : ", ").append(table.floor(k).toPlainString()).append("..")
                        .append(table.cap(k) == null ? "" : table.cap(k).toPlainString()).append(" @ ")
                        .append(table.rate(k).toPlainString());
            }
            return s.append("], a=").append(a.toPlainString()).append(", b=").append(b.toPlainString()).toString();
        }
    }

    /**
     * A valid tier table: floors from 0, bracket {@code k} {@code widths[k] * 100} wide, rate rising
     * by {@code rateSteps[k]} × 0.001 % per bracket (steps of up to 0.3 %), the last bracket
     * unbounded or not.
     */
    static TierTable tierTable(int[] widths, int[] rateSteps, boolean unbounded) {
        int n = widths.length;
        List<TierTable.Tier> tiers = new ArrayList<>();
        BigDecimal floor = BigDecimal.ZERO;
        BigDecimal rate = BigDecimal.ZERO;
        for (int k = 0; k < n; k++) {
            rate = rate.add(BigDecimal.valueOf(rateSteps[k], 5));
            BigDecimal cap = k == n - 1 && unbounded ? null : floor.add(BigDecimal.valueOf(widths[k] * 100L));
            tiers.add(new TierTable.Tier(floor, cap, rate));
            floor = cap;
        }
        return new TierTable("GEN-USD", tiers);
    }

    /** 1–5 brackets, widths in [1 000, 400 000] (× 100), rate steps in [1, 300] (× 0.001 %). */
    static TierTable tierTable(SplittableRandom r) {
        int n = integer(r, 1, 5);
        int[] widths = new int[n];
        int[] steps = new int[n];
        for (int k = 0; k < n; k++) {
            widths[k] = integer(r, 1_000, 400_000);
        }
        for (int k = 0; k < n; k++) {
            steps[k] = integer(r, 1, 300);
        }
        return tierTable(widths, steps, r.nextBoolean());
    }

    /** A fraction in [0, 1] of scale 6. */
    static BigDecimal fraction(SplittableRandom r) {
        return decimal(r, "0", "1", 6);
    }

    static final List<BigDecimal> FRACTION_EDGES = decimalEdges("0", "1", 6); // 0, 0.000001, 1

    /**
     * Every combination of: 1, 2 or 5 brackets (the count range's min, 2, max); widths all 1 000,
     * all 400 000 or alternating; rate steps all 1, all 2, all 300 or alternating 1/300; last
     * bracket bounded or not; and both fractions from {0, 0.000001, 1}.
     */
    static final List<TableCase> TABLE_EDGES = tableEdges();

    static List<TableCase> tableEdges() {
        List<int[]> widthPatterns = List.of(new int[] {1_000}, new int[] {400_000}, new int[] {1_000, 400_000});
        List<int[]> stepPatterns = List.of(new int[] {1}, new int[] {2}, new int[] {300}, new int[] {1, 300});
        List<TableCase> out = new ArrayList<>();
        for (int n : integerEdges(1, 5)) {
            for (int[] w : widthPatterns) {
                for (int[] st : stepPatterns) {
                    for (boolean unbounded : new boolean[] {false, true}) {
                        TierTable t = tierTable(cycle(w, n), cycle(st, n), unbounded);
                        for (BigDecimal a : FRACTION_EDGES) {
                            for (BigDecimal b : FRACTION_EDGES) {
                                out.add(new TableCase(t, a, b));
                            }
                        }
                    }
                }
            }
        }
        return out;
    }

    static int[] cycle(int[] pattern, int n) {
        int[] out = new int[n];
        for (int k = 0; k < n; k++) {
            out[k] = pattern[k % pattern.length];
        }
        return out;
    }

    static Stream<Seeded.Run<TableCase>> tableCases() {
        return Seeded.runs(TABLE_EDGES, TRIES, r -> new TableCase(tierTable(r), fraction(r), fraction(r)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("tableCases")
    void maintenanceIsContinuousAndNonDecreasingInNotional(Seeded.Run<TableCase> run) {
        run.check(c -> {
            TierTable table = c.table();
            BigDecimal a = c.a();
            BigDecimal b = c.b();
            BigDecimal limit = table.cap(table.size() - 1) == null ? table.floor(table.size() - 1).add(BigDecimal.valueOf(1_000_000))
                    : table.cap(table.size() - 1);
            for (int k = 1; k < table.size(); k++) {
                BigDecimal floor = table.floor(k);
                BigDecimal fromBelow = floor.multiply(table.rate(k - 1)).subtract(table.cum(k - 1));
                assertThat(table.maintenance("GEN-USD", floor)).as("MM at floor %s", floor).isEqualByComparingTo(fromBelow);
            }
            BigDecimal n1 = limit.multiply(a.min(b)).multiply(new BigDecimal("0.999999"));
            BigDecimal n2 = limit.multiply(a.max(b)).multiply(new BigDecimal("0.999999"));
            assertThat(table.maintenance("GEN-USD", n1)).isLessThanOrEqualTo(table.maintenance("GEN-USD", n2));
            assertThat(table.maintenance("GEN-USD", n1).signum()).isGreaterThanOrEqualTo(0);
        });
    }

    // ---- books ------------------------------------------------------------------------------

    /** One cross position in BTC-USD with quote collateral, on the published default brackets. */
    record Book(Catalog catalog, Account account, Marks marks) {
        SubAccount cross() {
            return SubAccount.of(catalog, account).get(0);
        }

        @Override
        public String toString() {
            StringBuilder s = new StringBuilder("Book[collateral ").append(account.collateral()).append(", positions [");
            for (Position p : account.positions()) {
                s.append(p == account.positions().get(0) ? "" : ", ").append(p.instrument()).append(' ')
                        .append(p.size().toPlainString()).append(" @ ").append(p.entryPrice().toPlainString());
            }
            s.append("], marks BTC-USD ").append(marks.exact("BTC-USD"));
            BigDecimal eth = marks.exact("ETH-USD");
            return (eth == null ? s : s.append(", ETH-USD ").append(eth)).append(']').toString();
        }
    }

    static Catalog catalog() {
        TierTable btc = new TierTable("BTC-USD", List.of(
                new TierTable.Tier(BigDecimal.ZERO, new BigDecimal("50000"), new BigDecimal("0.004")),
                new TierTable.Tier(new BigDecimal("50000"), new BigDecimal("250000"), new BigDecimal("0.005")),
                new TierTable.Tier(new BigDecimal("250000"), null, new BigDecimal("0.01"))));
        TierTable eth = new TierTable("ETH-USD", List.of(
                new TierTable.Tier(BigDecimal.ZERO, new BigDecimal("50000"), new BigDecimal("0.0065")),
                new TierTable.Tier(new BigDecimal("50000"), null, new BigDecimal("0.008125"))));
        return new Catalog(Venue.withDefaults("prop"), List.of(new Instrument("BTC-USD", btc), new Instrument("ETH-USD", eth)),
                List.of(new CollateralAsset("USDT", BigDecimal.ZERO, null),
                        new CollateralAsset("BTC", new BigDecimal("0.1"), "BTC-USD")));
    }

    /** Every generated book shares this catalog, so a list of books can be evaluated as one book. */
    static final Catalog CATALOG = catalog();

    /**
     * BTC size {@code q} (entry {@code entry}), ETH size {@code qe} entered 1 % above its mark
     * (no ETH position when 0), USDT and BTC collateral, marks for both instruments.
     */
    static Book book(BigDecimal q, BigDecimal qe, BigDecimal entry, BigDecimal mark, BigDecimal ethMark,
                     BigDecimal cash, BigDecimal coll) {
        List<Position> ps = new ArrayList<>();
        ps.add(new Position("BTC-USD", q, entry, null));
        if (qe.signum() != 0) {
            ps.add(new Position("ETH-USD", qe, ethMark.multiply(new BigDecimal("1.01")).setScale(2, RoundingMode.HALF_UP), null));
        }
        Account a = new Account("p1", Map.of("USDT", cash, "BTC", coll), ps, null);
        Marks m = new Marks(CATALOG).put("BTC-USD", mark).put("ETH-USD", ethMark);
        return new Book(CATALOG, a, m);
    }

    /** A BTC size in [-30, 30] of scale 3, never 0. */
    static BigDecimal btcSize(SplittableRandom r) {
        BigDecimal q;
        do {
            q = decimal(r, "-30", "30", 3);
        } while (q.signum() == 0);
        return q;
    }

    static BigDecimal btcPrice(SplittableRandom r) {
        return decimal(r, "20000", "60000", 2);
    }

    /**
     * BTC size in [-30, 30] (scale 3, non-zero), ETH size in [-400, 400] (scale 2), BTC entry and
     * mark in [20 000, 60 000], ETH mark in [1 500, 3 500] (scale 2), USDT in [0, 400 000] (scale
     * 2), BTC collateral in [0, 3] (scale 4).
     */
    static Book book(SplittableRandom r) {
        BigDecimal q = btcSize(r);
        BigDecimal qe = decimal(r, "-400", "400", 2);
        BigDecimal entry = btcPrice(r);
        BigDecimal mark = btcPrice(r);
        BigDecimal ethMark = decimal(r, "1500", "3500", 2);
        BigDecimal cash = decimal(r, "0", "400000", 2);
        BigDecimal coll = decimal(r, "0", "3", 4);
        return book(q, qe, entry, mark, ethMark, cash, coll);
    }

    static final List<BigDecimal> BTC_SIZE_EDGES = nonZero(decimalEdges("-30", "30", 3)); // ±30, ±1, ±0.001
    static final List<BigDecimal> ETH_SIZE_EDGES = decimalEdges("-400", "400", 2);        // ±400, ±1, ±0.01, 0
    static final List<BigDecimal> BTC_PRICE_EDGES = decimalEdges("20000", "60000", 2);    // 20 000, 60 000
    static final List<BigDecimal> ETH_PRICE_EDGES = decimalEdges("1500", "3500", 2);      // 1 500, 3 500
    static final List<BigDecimal> USDT_EDGES = decimalEdges("0", "400000", 2);            // 0, 0.01, 1, 400 000
    static final List<BigDecimal> BTC_COLLATERAL_EDGES = decimalEdges("0", "3", 4);       // 0, 0.0001, 1, 3

    static List<BigDecimal> nonZero(List<BigDecimal> values) {
        return values.stream().filter(v -> v.signum() != 0).toList();
    }

    /**
     * The (entry, mark, ETH mark) price corners: all at the minimum, all at the maximum, and the
     * two extremes of BTC profit and loss.
     */
    static final List<BigDecimal[]> PRICE_CORNERS = List.of(
            new BigDecimal[] {BTC_PRICE_EDGES.get(0), BTC_PRICE_EDGES.get(0), ETH_PRICE_EDGES.get(0)},
            new BigDecimal[] {BTC_PRICE_EDGES.get(1), BTC_PRICE_EDGES.get(1), ETH_PRICE_EDGES.get(1)},
            new BigDecimal[] {BTC_PRICE_EDGES.get(0), BTC_PRICE_EDGES.get(1), ETH_PRICE_EDGES.get(1)},
            new BigDecimal[] {BTC_PRICE_EDGES.get(1), BTC_PRICE_EDGES.get(0), ETH_PRICE_EDGES.get(0)});

    /**
     * Every combination of the edge values of the four amounts (BTC size, ETH size, USDT, BTC
     * collateral: 6 × 7 × 4 × 4 = 672 books), each at one of the four {@link #PRICE_CORNERS},
     * picked by the sum of the amounts' edge indices so that every price corner meets every edge
     * value of every amount (and every combination of any three amounts meets all four corners).
     */
    static final List<Book> BOOK_EDGES = bookEdges();

    static List<Book> bookEdges() {
        List<Book> out = new ArrayList<>();
        for (int iq = 0; iq < BTC_SIZE_EDGES.size(); iq++) {
            for (int ie = 0; ie < ETH_SIZE_EDGES.size(); ie++) {
                for (int ic = 0; ic < USDT_EDGES.size(); ic++) {
                    for (int ib = 0; ib < BTC_COLLATERAL_EDGES.size(); ib++) {
                        BigDecimal[] p = PRICE_CORNERS.get((iq + ie + ic + ib) % PRICE_CORNERS.size());
                        out.add(book(BTC_SIZE_EDGES.get(iq), ETH_SIZE_EDGES.get(ie), p[0], p[1], p[2],
                                USDT_EDGES.get(ic), BTC_COLLATERAL_EDGES.get(ib)));
                    }
                }
            }
        }
        return out;
    }

    static Stream<Seeded.Run<Book>> books() {
        return Seeded.runs(BOOK_EDGES, TRIES, MarginProperties::book);
    }

    /** A book with its one BTC-USD position only: no ETH, no BTC collateral, USDT in [0, 200 000]. */
    static Book singlePositionBook(BigDecimal q, BigDecimal entry, BigDecimal mark, BigDecimal cash) {
        return new Book(CATALOG,
                new Account("p1", Map.of("USDT", cash), List.of(new Position("BTC-USD", q, entry, null)), null),
                new Marks(CATALOG).put("BTC-USD", mark));
    }

    /** A single-position book and a move in [0, 1] (scale 6) against it. */
    record MoveCase(Book book, BigDecimal move) {
    }

    /** Every combination of BTC size ±30/±1/±0.001, entry and mark 20 000/60 000, USDT 0/0.01/1/200 000, move 0/0.000001/1. */
    static final List<MoveCase> MOVE_EDGES = moveEdges();

    static List<MoveCase> moveEdges() {
        List<MoveCase> out = new ArrayList<>();
        for (BigDecimal q : BTC_SIZE_EDGES) {
            for (BigDecimal entry : BTC_PRICE_EDGES) {
                for (BigDecimal mark : BTC_PRICE_EDGES) {
                    for (BigDecimal cash : decimalEdges("0", "200000", 2)) {
                        for (BigDecimal move : FRACTION_EDGES) {
                            out.add(new MoveCase(singlePositionBook(q, entry, mark, cash), move));
                        }
                    }
                }
            }
        }
        return out;
    }

    static Stream<Seeded.Run<MoveCase>> moves() {
        return Seeded.runs(MOVE_EDGES, TRIES, r -> {
            BigDecimal q = btcSize(r);
            BigDecimal entry = btcPrice(r);
            BigDecimal mark = btcPrice(r);
            BigDecimal cash = decimal(r, "0", "200000", 2);
            return new MoveCase(singlePositionBook(q, entry, mark, cash), fraction(r));
        });
    }

    /**
     * A move against a position never improves its ratio, in the regime where margin calls live.
     * (Within a bracket, {@code dR/dM} is {@code -q (R mmr - 1) / MM} for a long and
     * {@code -|q| (1 + R mmr) / MM} for a short: beyond {@code |R| = 1/mmr} the shrinking
     * requirement outruns the equity change, which is correct math far from any threshold, so the
     * property is stated for {@code |R| < 1/mmr_max}.)
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("moves")
    void aMoveAgainstAPositionNeverImprovesItsRatio(Seeded.Run<MoveCase> run) {
        run.check(c -> {
            Book book = c.book();
            BigDecimal move = c.move();
            SubAccount s = book.cross();
            BigDecimal q0 = s.equity(book.marks());
            BigDecimal mm0 = s.maintenance(book.marks());
            assumeTrue(q0.abs().compareTo(mm0.multiply(BigDecimal.valueOf(100))) < 0);
            Position p = book.account().positions().get(0);
            BigDecimal mark = book.marks().exact("BTC-USD");
            BigDecimal factor = BigDecimal.ONE.subtract(move.multiply(new BigDecimal("0.3")));
            BigDecimal moved = p.size().signum() > 0 ? mark.multiply(factor) : mark.divide(factor, MathContext.DECIMAL64);
            Marks after = book.marks().copy().put("BTC-USD", moved.setScale(8, RoundingMode.HALF_UP));
            BigDecimal q1 = s.equity(after);
            BigDecimal mm1 = s.maintenance(after);
            // R1 <= R0  <=>  q1 * mm0 <= q0 * mm1 (both requirements positive)
            assertThat(q1.multiply(mm0)).isLessThanOrEqualTo(q0.multiply(mm1));
        });
    }

    /** A book and a stored level. */
    record LevelCase(Book book, Level stored) {
    }

    static final List<Level> WORSE_THAN_HEALTHY = List.of(Level.WARNING, Level.MARGIN_CALL, Level.CRITICAL, Level.LIQUIDATION);

    /** Every edge book with every level of {@code levels} (the former library's edge cases were only the first and the last). */
    static List<LevelCase> levelEdges(List<Level> levels) {
        List<LevelCase> out = new ArrayList<>();
        for (Book b : BOOK_EDGES) {
            for (Level l : levels) {
                out.add(new LevelCase(b, l));
            }
        }
        return out;
    }

    static Stream<Seeded.Run<LevelCase>> booksWorseThanHealthy() {
        return Seeded.runs(levelEdges(WORSE_THAN_HEALTHY), TRIES,
                r -> new LevelCase(book(r), oneOf(r, WORSE_THAN_HEALTHY.toArray(Level[]::new))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("booksWorseThanHealthy")
    void depositingExactlyTheRequiredDepositEndsTheEpisodeAndOneCentLessDoesNot(Seeded.Run<LevelCase> run) {
        run.check(c -> {
            Book book = c.book();
            Level stored = c.stored();
            Evaluation before = MarginEvaluator.evaluate(book.cross(), book.marks(), stored);
            BigDecimal d = before.requiredDeposit();
            assumeTrue(d.signum() > 0);
            Account paid = book.account().deposit("USDT", d);
            Account short1 = book.account().deposit("USDT", d.subtract(CENT));
            Evaluation cured = MarginEvaluator.evaluate(SubAccount.of(book.catalog(), paid).get(0), book.marks(), stored);
            Evaluation notYet = MarginEvaluator.evaluate(SubAccount.of(book.catalog(), short1).get(0), book.marks(), stored);
            assertThat(cured.level()).isEqualTo(Level.HEALTHY);
            assertThat(notYet.level()).isNotEqualTo(Level.HEALTHY);
        });
    }

    /**
     * At the solved liquidation price the ratio is the liquidation threshold. Checked at the
     * solution itself: the notification shows it to 8 decimals, and where a tiny position sits
     * on large collateral priced by the same instrument the ratio moves by hundreds per dollar,
     * so no 8-decimal price could meet 1e-8 there.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("books")
    void atTheLiquidationPriceTheRatioIsTheLiquidationThreshold(Seeded.Run<Book> run) {
        run.check(book -> {
            SubAccount s = book.cross();
            Evaluation e = MarginEvaluator.evaluate(s, book.marks(), Level.HEALTHY);
            for (int i = 0; i < s.positionCount(); i++) {
                PositionFigures p = e.positions().get(i);
                BigDecimal root = MarginEvaluator.solveRoot(s, book.marks(), i, BigDecimal.ONE);
                if (root == null) {
                    assertThat(p.liquidationPrice()).isNull();
                    continue;
                }
                assertThat(p.liquidationPrice()).isEqualByComparingTo(root.setScale(8, RoundingMode.HALF_UP));
                Marks at = book.marks().copy().put(p.instrument(), root);
                BigDecimal r = s.equity(at).divide(s.maintenance(at), MathContext.DECIMAL64);
                assertThat(r.subtract(BigDecimal.ONE).abs().doubleValue()).as("ratio at %s", root).isLessThan(1e-8);
            }
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("books")
    void scalingByReduceFractionCuresAndOneStepLessDoesNot(Seeded.Run<Book> run) {
        run.check(book -> {
            SubAccount s = book.cross();
            Evaluation e = MarginEvaluator.evaluate(s, book.marks(), Level.HEALTHY);
            BigDecimal f = e.reduceFraction();
            assumeTrue(f.signum() > 0 && e.equity().signum() > 0);
            BigDecimal target = s.bands().episodeCureTarget();
            BigDecimal q = e.equity();
            BigDecimal atF = s.maintenance(book.marks(), BigDecimal.ONE.subtract(f));
            assertThat(q).isGreaterThanOrEqualTo(target.multiply(atF));
            BigDecimal less = s.maintenance(book.marks(), BigDecimal.ONE.subtract(f.subtract(new BigDecimal("0.0001"))));
            assertThat(q).isLessThan(target.multiply(less));
        });
    }

    static Stream<Seeded.Run<LevelCase>> booksAnyLevel() {
        return Seeded.runs(levelEdges(List.of(Level.values())), TRIES,
                r -> new LevelCase(book(r), oneOf(r, Level.values())));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("booksAnyLevel")
    void theKernelAgreesWithExactArithmetic(Seeded.Run<LevelCase> run) {
        run.check(c -> {
            Book book = c.book();
            Level stored = c.stored();
            SubAccount s = book.cross();
            MarginKernel.Result k = MarginKernel.evaluate(s, book.marks(), stored);
            BigDecimal q = s.equity(book.marks());
            BigDecimal mm = s.maintenance(book.marks());
            assertThat(Math.abs(k.equity() - q.doubleValue())).isLessThanOrEqualTo(1e-9 * Math.max(1, Math.abs(q.doubleValue())) + 1e-6);
            assertThat(Math.abs(k.maintenance() - mm.doubleValue())).isLessThanOrEqualTo(1e-9 * mm.doubleValue() + 1e-9);
            assertThat(k.rawLevel()).isEqualTo(ExactLevels.raw(q, mm, s.bands().thresholds()));
        });
    }

    /** 1–20 books and one stored level for all of them. */
    record BookListCase(List<Book> books, Level stored) {
    }

    /**
     * Every edge book, in lists of 20 (the maximum size) with each level, and a list of one
     * (the minimum size) of the first and of the last edge book with each level.
     */
    static List<BookListCase> bookListEdges() {
        List<BookListCase> out = new ArrayList<>();
        for (Level l : Level.values()) {
            out.add(new BookListCase(List.of(BOOK_EDGES.get(0)), l));
            out.add(new BookListCase(List.of(BOOK_EDGES.get(BOOK_EDGES.size() - 1)), l));
            for (int from = 0; from < BOOK_EDGES.size(); from += 20) {
                out.add(new BookListCase(BOOK_EDGES.subList(from, Math.min(from + 20, BOOK_EDGES.size())), l));
            }
        }
        return out;
    }

    static Stream<Seeded.Run<BookListCase>> bookLists() {
        return Seeded.runs(bookListEdges(), BOOK_LIST_TRIES, r -> {
            int n = integer(r, 1, 20);
            List<Book> books = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                books.add(book(r));
            }
            return new BookListCase(books, oneOf(r, Level.values()));
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("bookLists")
    void aBookGivesTheSameLevelsAsOneAccountAtATime(Seeded.Run<BookListCase> run) {
        run.check(c -> {
            List<Book> books = c.books();
            Level stored = c.stored();
            // Every generated book has an identical catalog; evaluate all against the first one's marks.
            Catalog catalog = books.get(0).catalog();
            Marks marks = books.get(0).marks();
            List<SubAccount> subs = new ArrayList<>();
            for (Book b : books) {
                subs.add(SubAccount.of(catalog, b.account()).get(0));
            }
            Level[] in = new Level[subs.size()];
            Arrays.fill(in, stored);
            Level[] out = new Level[subs.size()];
            new MarginBook(subs).levels(marks, in, out);
            for (int i = 0; i < subs.size(); i++) {
                assertThat(out[i]).isEqualTo(MarginKernel.evaluate(subs.get(i), marks, stored).level());
            }
        });
    }
}
