package org.margincall.engine.domain;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.margincall.engine.domain.TriggerBands.Band;

/** {@link BandBook}: which stored bands and reminder clocks a tick crosses. */
class BandBookTest {
    private static final Instant T = Instant.parse("2026-01-01T00:00:00Z");

    @Test
    void aTickCrossesABandOnOrOutsideItsEdgesOnly() {
        BandBook book = new BandBook();
        book.put("a", Map.of(0, new Band(90, 110)), Map.of());
        assertThat(book.crossed(0, 100, T)).isEmpty();
        assertThat(book.crossed(0, Math.nextUp(90.0), T)).isEmpty();
        assertThat(book.crossed(0, Math.nextDown(110.0), T)).isEmpty();
        assertThat(book.crossed(0, 90, T)).containsExactly("a");
        assertThat(book.crossed(0, 110, T)).containsExactly("a");
        assertThat(book.crossed(0, 1, T)).containsExactly("a");
        assertThat(book.crossed(0, 1e9, T)).containsExactly("a");
        assertThat(book.crossed(1, 1e9, T)).as("another instrument").isEmpty();
    }

    @Test
    void emptyIsAlwaysCrossedAllNeverAndOpenSidesHaveNoRow() {
        BandBook book = new BandBook();
        book.put("empty", Map.of(0, Band.EMPTY), Map.of());
        book.put("all", Map.of(0, Band.ALL), Map.of());
        book.put("below", Map.of(0, new Band(0, 50)), Map.of());
        book.put("above", Map.of(0, new Band(50, Double.POSITIVE_INFINITY)), Map.of());
        assertThat(book.crossed(0, 1e-9, T)).containsExactlyInAnyOrder("empty", "above");
        assertThat(book.crossed(0, 50, T)).containsExactlyInAnyOrder("empty", "above", "below");
        assertThat(book.crossed(0, 1e12, T)).containsExactlyInAnyOrder("empty", "below");
    }

    @Test
    void aReminderIsCrossedFromTheInstantItFallsDueOnItsOwnInstrument() {
        BandBook book = new BandBook();
        book.put("a", Map.of(0, Band.ALL, 1, Band.ALL), Map.of(0, T.plusSeconds(60)));
        assertThat(book.crossed(0, 100, T.plusMillis(59_999))).isEmpty();
        assertThat(book.crossed(0, 100, T.plusSeconds(60))).containsExactly("a");
        assertThat(book.crossed(0, 100, T.plusSeconds(3600))).containsExactly("a");
        assertThat(book.crossed(1, 100, T.plusSeconds(3600))).isEmpty();
    }

    @Test
    void putReplacesAnAccountsRowsAndRemoveDropsThem() {
        BandBook book = new BandBook();
        book.put("a", Map.of(0, new Band(90, 110), 1, Band.EMPTY), Map.of(1, T));
        book.put("b", Map.of(0, new Band(95, 105)), Map.of());
        assertThat(book.crossed(0, 92, T)).containsExactly("b");
        book.put("a", Map.of(0, new Band(95, 120)), Map.of());
        assertThat(book.crossed(0, 92, T)).containsExactlyInAnyOrder("a", "b");
        assertThat(book.crossed(0, 110, T)).containsExactly("b");
        assertThat(book.crossed(1, 1, T)).as("the old EMPTY band and reminder are gone").isEmpty();
        book.remove("a");
        assertThat(book.crossed(0, 92, T)).containsExactly("b");
        assertThat(book.size()).isEqualTo(1);
    }

    @Test
    void anAccountNeverEvaluatedIsReadOnTheFirstTickOfEveryInstrumentItDependsOn() {
        Catalog c = MarginProperties.CATALOG;
        Account a = new Account("a1", Map.of("USDT", new BigDecimal("1000"), "BTC", new BigDecimal("0.1")),
                List.of(new Position("ETH-USD", new BigDecimal("2"), new BigDecimal("3000"), null)), null);
        BandBook.Entry e = BandBook.unevaluated(SubAccount.of(c, a));
        assertThat(e.bands()).containsOnlyKeys(c.slot("t", "BTC-USD"), c.slot("t", "ETH-USD"));
        assertThat(e.bands().values()).containsOnly(Band.EMPTY);
        assertThat(e.reminders()).isEmpty();
    }

    @Test
    void anEntryHoldsTheAccountsBandsAndTheReminderClockOfEachInstrumentItsCallsDependOn() {
        Catalog c = MarginProperties.CATALOG;
        int btc = c.slot("t", "BTC-USD");
        int eth = c.slot("t", "ETH-USD");
        // cross: ETH position with BTC collateral; isolated BTC position
        Account a = new Account("a1", Map.of("USDT", new BigDecimal("500"), "BTC", new BigDecimal("0.1")),
                List.of(new Position("ETH-USD", new BigDecimal("10"), new BigDecimal("3000"), null),
                        new Position("BTC-USD", new BigDecimal("1"), new BigDecimal("60000"), new BigDecimal("6000"))),
                null);
        List<SubAccount> subs = SubAccount.of(c, a);
        VenueSnapshot snap = new VenueSnapshot(c, TriggerBandsTest.marks(c, "60000", "3000"), new java.util.HashMap<>());
        Instant noticed = T.plusSeconds(10);
        MarginState inCall = new MarginState(Level.MARGIN_CALL, "e", 1, true, noticed, false, false, noticed,
                Map.of(NotificationType.MARGIN_CALL, 1), Map.of());
        Level crossLevel = MarginKernel.evaluate(subs.get(0), snap.marks(), Level.HEALTHY).level();
        Level isolatedLevel = MarginKernel.evaluate(subs.get(1), snap.marks(), Level.HEALTHY).level();
        assertThat(isolatedLevel).as("the isolated position is healthy").isEqualTo(Level.HEALTHY);
        Map<String, MarginState> states = Map.of("a1", crossLevel == Level.MARGIN_CALL ? inCall
                : new MarginState(crossLevel, "e", 1, true, noticed, false, false, noticed, Map.of(), Map.of()));
        BandBook.Entry e = BandBook.entry(subs, snap, states::get, T.plusSeconds(20));
        assertThat(e.bands()).isEqualTo(TriggerBands.forAccount(subs, snap.marks(),
                id -> states.containsKey(id) ? states.get(id).level() : Level.HEALTHY));
        // the cross call depends on ETH (its position) and BTC (its collateral)
        Instant due = noticed.plusSeconds(c.venue().reminderSeconds());
        assertThat(e.reminders()).isEqualTo(Map.of(btc, due, eth, due));
    }

    @Test
    void aSubAccountWhoseHandOffMayBeHeldIsReadOnEveryTick() {
        Catalog base = MarginProperties.CATALOG;
        Catalog c = new Catalog(base.venue().withHandoffsHeld(true), List.copyOf(base.instruments()),
                List.copyOf(base.collateralAssets()));
        // 1 BTC long on 3 240: at 57 000 R = 240 / 235 = 1.02 (CRITICAL), at 62 000 R = 2 240 / 260 (HEALTHY)
        Account a = new Account("a1", Map.of("USDT", new BigDecimal("3240")),
                List.of(new Position("BTC-USD", new BigDecimal("1"), new BigDecimal("60000"), null)), null);
        List<SubAccount> subs = SubAccount.of(c, a);
        int btc = c.slot("t", "BTC-USD");
        VenueSnapshot snap = new VenueSnapshot(c, TriggerBandsTest.marks(c, "57000", null), new java.util.HashMap<>());
        Level level = MarginKernel.evaluate(subs.get(0), snap.marks(), Level.HEALTHY).level();
        assertThat(level).as("marks in the critical band").isEqualTo(Level.CRITICAL);
        MarginState critical = new MarginState(Level.CRITICAL, "e", 1, true, T, true, false, T, Map.of(), Map.of());
        Map<String, MarginState> states = Map.of("a1", critical);
        assertThat(BandBook.entry(subs, snap, states::get, T).bands()).isEqualTo(Map.of(btc, Band.EMPTY));
        // the same state on a venue that holds nothing: the ordinary band of a consistent CRITICAL
        VenueSnapshot free = new VenueSnapshot(base, TriggerBandsTest.marks(base, "57000", null), new java.util.HashMap<>());
        assertThat(BandBook.entry(SubAccount.of(base, a), free, states::get, T).bands().get(btc).isEmpty()).isFalse();
        // a level the hold cannot have touched keeps its band under handoffsHeld
        VenueSnapshot calm = new VenueSnapshot(c, TriggerBandsTest.marks(c, "62000", null), new java.util.HashMap<>());
        assertThat(MarginKernel.evaluate(subs.get(0), calm.marks(), Level.HEALTHY).level()).isEqualTo(Level.HEALTHY);
        assertThat(BandBook.entry(subs, calm, id -> null, T).bands().get(btc).isEmpty()).isFalse();
    }
}
