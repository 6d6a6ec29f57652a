package org.margincall.engine.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.margincall.engine.codec.CatalogJson;
import org.margincall.engine.domain.Account;
import org.margincall.engine.domain.InvalidInputException;
import org.margincall.engine.domain.Level;
import org.margincall.engine.domain.Position;
import org.margincall.engine.domain.PriceStamp;
import org.margincall.engine.service.port.AccountItems.ImportOutcome;
import org.margincall.engine.service.port.StoredAccount;

/**
 * {@link AccountImport} over in-memory ports: the snapshot's sequence decides against the venue's
 * events, and an import never resets margin state. Figures as in {@link MarginServiceTest}: long
 * 1.25 BTC from 41000 with USDT {@code C} has at 40000 {@code R = (C − 1250) / 200}.
 */
class AccountImportTest {
    private static final String VENUE = "demo";
    private static final String BTC = "BTC-USD";
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    private InMemoryPorts ports;
    private AccountImport imports;

    @BeforeEach
    void venue() throws Exception {
        ports = new InMemoryPorts();
        ports.clock.set(T0.plusSeconds(1));
        ports.venues.catalogs.put(VENUE, CatalogJson.catalog(new ObjectMapper().readTree("""
                {"venue":{"id":"demo","thresholds":{"warning":"1.5","marginCall":"1.2","critical":"1.05","liquidation":"1.0"}},
                 "instruments":[{"symbol":"BTC-USD","tiers":[{"floor":"0","cap":"50000","mmr":"0.004"},
                                                             {"floor":"50000","cap":null,"mmr":"0.005"}]},
                                {"symbol":"ETH-USD","tiers":[{"floor":"0","cap":null,"mmr":"0.01"}]}],
                 "collateralAssets":[{"asset":"USDT","haircut":"0"},{"asset":"BTC","haircut":"0.1","priceInstrument":"BTC-USD"}]}"""),
                VENUE));
        imports = new AccountImport(ports.venues, ports.accounts, ports.holdings, ports.bands);
    }

    private static Account btc(String id, String usdt) {
        return new Account(id, Map.of("USDT", new BigDecimal(usdt)),
                List.of(new Position(BTC, new BigDecimal("1.25"), new BigDecimal("41000"), null)), null);
    }

    private StoredAccount stored(String id) {
        return ports.accounts.get(VENUE, id).orElseThrow();
    }

    @Test
    void createsThenLeavesTheSameSnapshotAlone() {
        assertThat(imports.importAccount(VENUE, btc("a", "1470"), 7).outcome()).isEqualTo(ImportOutcome.CREATED);
        assertThat(stored("a").lastEventSequence()).isEqualTo(7);
        assertThat(stored("a").version()).isZero();
        assertThat(ports.holdings.holders(VENUE, BTC)).containsExactly("a");
        StoredAccount before = stored("a");
        assertThat(imports.importAccount(VENUE, btc("a", "1470"), 7).outcome()).isEqualTo(ImportOutcome.UNCHANGED);
        assertThat(stored("a")).isEqualTo(before);
    }

    @Test
    void aNewerSnapshotReplacesBalancesAndPositionsButKeepsTheOpenCall() {
        imports.importAccount(VENUE, btc("a", "1470"), 1);
        ports.service.onPrice(VENUE, new MarginService.PriceUpdate(BTC, new BigDecimal("40000"), T0, 1, "t"));
        StoredAccount called = stored("a");
        assertThat(called.state("a").level()).isEqualTo(Level.MARGIN_CALL); // R = 220 / 200 = 1.1

        // The venue's snapshot at sequence 4: more USDT, and an ETH position instead of half the BTC.
        Account next = new Account("a", Map.of("USDT", new BigDecimal("1600"), "BTC", new BigDecimal("0.5")),
                List.of(new Position("ETH-USD", new BigDecimal("-3"), new BigDecimal("2000"), null)), null);
        var r = imports.importAccount(VENUE, next, 4);
        assertThat(r.outcome()).isEqualTo(ImportOutcome.UPDATED);
        assertThat(r.previous()).isEqualTo(called.account());
        StoredAccount after = stored("a");
        assertThat(after.account()).isEqualTo(next);
        assertThat(after.lastEventSequence()).isEqualTo(4);
        assertThat(after.version()).isEqualTo(called.version() + 1);
        assertThat(after.states()).isEqualTo(called.states());
        assertThat(after.outbox()).isEqualTo(called.outbox());
        assertThat(after.escalations()).isEqualTo(called.escalations());
        // BTC stays (priced collateral), ETH is new.
        assertThat(ports.holdings.holders(VENUE, BTC)).containsExactly("a");
        assertThat(ports.holdings.holders(VENUE, "ETH-USD")).containsExactly("a");

        // An older snapshot, or an account event not newer than the import, changes nothing.
        assertThat(imports.importAccount(VENUE, btc("a", "1"), 3).outcome()).isEqualTo(ImportOutcome.SKIPPED_NEWER);
        assertThat(ports.service.onAccountEvent(VENUE, new MarginService.AccountChange("e4", "a", 4, T0.plusSeconds(2),
                Map.of("USDT", new BigDecimal("5")), null)).status()).isEqualTo(MarginService.Outcome.Status.DUPLICATE);
        assertThat(stored("a")).isEqualTo(after);
    }

    @Test
    void anImportOlderThanTheAccountsEventsLeavesItUntouched() {
        // The first event of an unknown account creates it (SPEC §5.2), then a price opens a call.
        ports.service.onAccountEvent(VENUE, new MarginService.AccountChange("e1", "b", 1, T0,
                Map.of("USDT", new BigDecimal("1470")), null));
        ports.service.onAccountEvent(VENUE, new MarginService.AccountChange("e2", "b", 2, T0, Map.of(),
                new MarginService.PositionChange(BTC, new BigDecimal("1.25"), new BigDecimal("41000"), null)));
        ports.venues.storeIfNewer(VENUE, BTC, new BigDecimal("40000"), PriceStamp.of(T0, 1), "t");
        ports.service.evaluateAccount(VENUE, "b", org.margincall.engine.domain.Trigger.account("x", T0), T0);
        StoredAccount before = stored("b");
        assertThat(before.state("b").level()).isEqualTo(Level.MARGIN_CALL);
        assertThat(imports.importAccount(VENUE, btc("b", "99999"), 1).outcome()).isEqualTo(ImportOutcome.SKIPPED_NEWER);
        assertThat(imports.importAccount(VENUE, btc("b", "99999"), 2).outcome()).isEqualTo(ImportOutcome.UNCHANGED);
        assertThat(stored("b")).isEqualTo(before);
    }

    @Test
    void refusesWhatTheVenueDoesNotKnowBeforeWritingAnything() {
        Account doge = new Account("c", Map.of("DOGE", BigDecimal.ONE), List.of(), null);
        assertThatThrownBy(() -> imports.importAccount(VENUE, doge, 1)).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("DOGE");
        Account lowWarning = new Account("c", Map.of("USDT", BigDecimal.ONE), List.of(), new BigDecimal("1.1"));
        assertThatThrownBy(() -> imports.importAccount(VENUE, lowWarning, 1)).isInstanceOf(InvalidInputException.class);
        assertThatThrownBy(() -> imports.importAccount(VENUE, btc("c", "1"), -1)).isInstanceOf(InvalidInputException.class);
        assertThat(ports.accounts.get(VENUE, "c")).isEmpty();
    }
}
