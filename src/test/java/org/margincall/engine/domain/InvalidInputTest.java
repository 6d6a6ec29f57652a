package org.margincall.engine.domain;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** SPEC §9: each bad input is refused with a message naming the field and the value. */
class InvalidInputTest {
    static BigDecimal d(String s) {
        return new BigDecimal(s);
    }

    static TierTable.Tier tier(String floor, String cap, String mmr) {
        return new TierTable.Tier(d(floor), cap == null ? null : d(cap), d(mmr));
    }

    @Test
    void tierTableWithAGap() {
        assertThatThrownBy(() -> new TierTable("BTC-USD", List.of(tier("0", "50000", "0.004"), tier("60000", null, "0.005"))))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("instruments[BTC-USD].tiers[1].floor").hasMessageContaining("60000")
                .hasMessageContaining("gap");
    }

    @Test
    void tierTableWithAnOverlap() {
        assertThatThrownBy(() -> new TierTable("BTC-USD", List.of(tier("0", "50000", "0.004"), tier("40000", null, "0.005"))))
                .hasMessageContaining("tiers[1].floor").hasMessageContaining("40000").hasMessageContaining("overlaps");
    }

    @Test
    void tierTableWithADecreasingRate() {
        assertThatThrownBy(() -> new TierTable("BTC-USD", List.of(tier("0", "50000", "0.004"), tier("50000", null, "0.003"))))
                .hasMessageContaining("tiers[1].mmr").hasMessageContaining("0.003").hasMessageContaining("decreases");
    }

    @Test
    void tierRateOutsideUnitInterval() {
        assertThatThrownBy(() -> new TierTable("BTC-USD", List.of(tier("0", null, "1.5"))))
                .hasMessageContaining("tiers[0].mmr").hasMessageContaining("1.5");
        assertThatThrownBy(() -> new TierTable("BTC-USD", List.of(tier("0", null, "-0.1"))))
                .hasMessageContaining("tiers[0].mmr").hasMessageContaining("-0.1");
    }

    @Test
    void tierTableNotStartingAtZeroOrUnboundedInTheMiddle() {
        assertThatThrownBy(() -> new TierTable("BTC-USD", List.of(tier("10", null, "0.01"))))
                .hasMessageContaining("tiers[0].floor").hasMessageContaining("10");
        assertThatThrownBy(() -> new TierTable("BTC-USD", List.of(tier("0", null, "0.01"), tier("50000", null, "0.02"))))
                .hasMessageContaining("tiers[0].cap");
    }

    @Test
    void notionalReachingABoundedLastCap() {
        Catalog c = new Catalog(Venue.withDefaults("v"),
                List.of(new Instrument("BTC-USD", new TierTable("BTC-USD", List.of(tier("0", "100000", "0.01"))))),
                List.of(new CollateralAsset("USDT", BigDecimal.ZERO, null)));
        Account a = new Account("a", Map.of("USDT", d("1000")), List.of(new Position("BTC-USD", d("2.5"), d("40000"), null)), null);
        Marks m = new Marks(c).put("BTC-USD", "40000");
        SubAccount s = SubAccount.of(c, a).get(0);
        assertThatThrownBy(() -> MarginKernel.evaluate(s, m, Level.HEALTHY))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("notional[BTC-USD]").hasMessageContaining("100000");
    }

    @Test
    void thresholdsOutOfOrder() {
        assertThatThrownBy(() -> new Thresholds(d("1.1"), d("1.2"), d("1.05"), d("1.0")))
                .hasMessageContaining("thresholds.warning").hasMessageContaining("1.1");
        assertThatThrownBy(() -> new Thresholds(d("1.5"), d("1.2"), d("1.0"), d("1.0")))
                .hasMessageContaining("thresholds.critical");
        assertThatThrownBy(() -> new Thresholds(d("1.5"), d("1.2"), d("1.05"), d("0")))
                .hasMessageContaining("thresholds.liquidation").hasMessageContaining("0");
    }

    @Test
    void accountWarningAtOrBelowMarginCall() {
        Catalog c = new Catalog(Venue.withDefaults("v"), List.of(), List.of(new CollateralAsset("USDT", BigDecimal.ZERO, null)));
        Account a = new Account("a7", Map.of(), List.of(), d("1.2"));
        assertThatThrownBy(() -> SubAccount.of(c, a))
                .hasMessageContaining("accounts[a7].warning").hasMessageContaining("1.2");
    }

    @Test
    void haircutOfOneOrMore() {
        assertThatThrownBy(() -> new CollateralAsset("BTC", d("1"), "BTC-USD"))
                .hasMessageContaining("collateralAssets[BTC].haircut").hasMessageContaining("1");
    }

    @Test
    void nonQuoteAssetWithoutPriceInstrument() {
        assertThatThrownBy(() -> new CollateralAsset("ETH", d("0.1"), null))
                .hasMessageContaining("collateralAssets[ETH].priceInstrument");
    }

    @Test
    void unknownInstrumentOrAsset() {
        Catalog c = new Catalog(Venue.withDefaults("v"), List.of(), List.of(new CollateralAsset("USDT", BigDecimal.ZERO, null)));
        Account pos = new Account("a1", Map.of(), List.of(new Position("DOGE-USD", d("1"), d("1"), null)), null);
        assertThatThrownBy(() -> SubAccount.of(c, pos)).hasMessageContaining("DOGE-USD").hasMessageContaining("accounts[a1]");
        Account coll = new Account("a1", Map.of("XRP", d("5")), List.of(), null);
        assertThatThrownBy(() -> SubAccount.of(c, coll)).hasMessageContaining("accounts[a1].collateral.XRP")
                .hasMessageContaining("not an accepted collateral asset");
        assertThatThrownBy(() -> new Marks(c).put("ETH-USD", "10")).hasMessageContaining("ETH-USD");
    }

    @Test
    void nonPositiveOrNonFinitePrices() {
        Catalog c = new Catalog(Venue.withDefaults("v"),
                List.of(new Instrument("BTC-USD", new TierTable("BTC-USD", List.of(tier("0", null, "0.01"))))), List.of());
        assertThatThrownBy(() -> new Marks(c).put("BTC-USD", "0")).hasMessageContaining("markPrice[BTC-USD]")
                .hasMessageContaining("positive");
        assertThatThrownBy(() -> new Marks(c).put("BTC-USD", "-5")).hasMessageContaining("-5");
        assertThatThrownBy(() -> new Marks(c).put("BTC-USD", "NaN")).hasMessageContaining("\"NaN\"");
        assertThatThrownBy(() -> new Marks(c).put("BTC-USD", "Infinity")).hasMessageContaining("\"Infinity\"");
        assertThatThrownBy(() -> new Position("BTC-USD", d("1"), d("0"), null))
                .hasMessageContaining("positions[BTC-USD].entryPrice");
    }

    @Test
    void nanSizes() {
        assertThatThrownBy(() -> Decimals.parse("positions[BTC-USD].size", "NaN"))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("positions[BTC-USD].size").hasMessageContaining("\"NaN\"");
        assertThatThrownBy(() -> Decimals.parse("positions[BTC-USD].size", "1e999999"))
                .hasMessageContaining("1e999999");
    }

    @Test
    void reduceInTheWrongDirection() {
        Account a = new Account("a", Map.of("USDT", d("10")), List.of(new Position("BTC-USD", d("1"), d("100"), null)), null);
        assertThatThrownBy(() -> a.reduce("BTC-USD", d("0.5"), d("100")))
                .hasMessageContaining("accounts[a].positions[BTC-USD].reduce").hasMessageContaining("0.5");
        assertThatThrownBy(() -> a.reduce("BTC-USD", d("-2"), d("100"))).hasMessageContaining("-2");
    }
}
