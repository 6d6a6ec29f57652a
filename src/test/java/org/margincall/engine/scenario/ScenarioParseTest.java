package org.margincall.engine.scenario;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.margincall.engine.domain.InvalidInputException;

/** SPEC §7 scenario files: accepted as written, refused with the field and value when wrong. */
class ScenarioParseTest {
    static final String GOOD = """
            { "venue": {"id":"demo","thresholds":{"warning":"1.5","marginCall":"1.2","critical":"1.05","liquidation":"1.0"},
                        "hysteresis":"0.02","gracePeriodSeconds":600,"finalNoticeSeconds":300,"reminderSeconds":300},
              "instruments": [{"symbol":"BTC-USD","tiers":[{"floor":"0","cap":"50000","mmr":"0.004"},
                                                           {"floor":"50000","cap":null,"mmr":"0.005"}]}],
              "collateralAssets": [{"asset":"USDT","haircut":"0"},{"asset":"BTC","haircut":"0.05","priceInstrument":"BTC-USD"}],
              "accounts": [{"accountId":"a1","collateral":{"USDT":"10000"},
                            "positions":[{"instrument":"BTC-USD","size":"1.5","entryPrice":"42000"}]},
                           {"accountId":"a2","collateral":{"USDT":"0"},
                            "positions":[{"instrument":"BTC-USD","size":"-2","entryPrice":"41000","isolatedMargin":"4000"}]}],
              "events": [{"at":"2026-01-01T00:04:00Z","type":"REDUCE","accountId":"a1","instrument":"BTC-USD","size":"-0.5"},
                         {"at":"2026-01-01T00:00:00Z","type":"PRICE","instrument":"BTC-USD","markPrice":"42000","sequence":1},
                         {"at":"2026-01-01T00:03:00Z","type":"DEPOSIT","accountId":"a1","asset":"USDT","amount":"5000"}] }
            """;

    final ObjectMapper json = new ObjectMapper();

    ObjectNode good() throws Exception {
        return (ObjectNode) json.readTree(GOOD);
    }

    @Test
    void theSpecExampleParsesAndOrdersEventsByTime() throws Exception {
        Scenario s = Scenario.parse(good());
        assertThat(s.accounts()).hasSize(2);
        assertThat(s.events()).extracting(e -> e.getClass().getSimpleName()).containsExactly("Price", "Deposit", "Reduce");
        assertThat(s.catalog().venue().gracePeriodSeconds()).isEqualTo(600);
    }

    @Test
    void priceAsAJsonNumberIsRefused() throws Exception {
        ObjectNode root = good();
        ((ObjectNode) root.withArray("events").get(1)).put("markPrice", 42000.5);
        assertThatThrownBy(() -> Scenario.parse(root)).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("events[1].markPrice").hasMessageContaining("42000.5").hasMessageContaining("decimal string");
    }

    @Test
    void eventForAnUnknownAccount() throws Exception {
        ObjectNode root = good();
        ((ObjectNode) root.withArray("events").get(2)).put("accountId", "zz");
        assertThatThrownBy(() -> Scenario.parse(root)).hasMessageContaining("events[2].accountId").hasMessageContaining("\"zz\"");
    }

    @Test
    void badTimestampAndType() throws Exception {
        ObjectNode root = good();
        ((ObjectNode) root.withArray("events").get(0)).put("at", "yesterday");
        assertThatThrownBy(() -> Scenario.parse(root)).hasMessageContaining("events[0].at").hasMessageContaining("yesterday");
        ObjectNode other = good();
        ((ObjectNode) other.withArray("events").get(0)).put("type", "LIQUIDATE");
        assertThatThrownBy(() -> Scenario.parse(other)).hasMessageContaining("events[0].type").hasMessageContaining("LIQUIDATE");
    }

    @Test
    void reduceBeforeAnyMark() throws Exception {
        ObjectNode root = good();
        ((ObjectNode) root.withArray("events").get(0)).put("at", "2025-12-31T00:00:00Z");
        assertThatThrownBy(() -> Scenario.parse(root)).hasMessageContaining("events[0].instrument")
                .hasMessageContaining("no mark yet");
    }

    @Test
    void missingVenueAndBrokenTiers() throws Exception {
        ObjectNode root = good();
        root.remove("venue");
        assertThatThrownBy(() -> Scenario.parse(root)).hasMessageContaining("$.venue").hasMessageContaining("required");
        ObjectNode tiers = good();
        ((ObjectNode) tiers.withArray("instruments").get(0).withArray("tiers").get(1)).put("floor", "60000");
        assertThatThrownBy(() -> Scenario.parse(tiers)).hasMessageContaining("instruments[BTC-USD].tiers[1].floor");
    }

    @Test
    void unreadableOrMalformedFile(@TempDir Path dir) throws Exception {
        assertThatThrownBy(() -> Scenario.read(dir.resolve("missing.json"))).hasMessageContaining("missing.json");
        Path bad = dir.resolve("bad.json");
        Files.writeString(bad, "{\"venue\": ");
        assertThatThrownBy(() -> Scenario.read(bad)).hasMessageContaining("bad.json").hasMessageContaining("not valid JSON");
    }
}
