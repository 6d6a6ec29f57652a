package org.margincall.engine.replay;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.margincall.engine.domain.Notification;
import org.margincall.engine.scenario.Scenario;
import org.margincall.engine.scenario.ScenarioEvent;

/**
 * {@code scenarios/protection.json} replayed in-process yields exactly the notices the README's
 * "Trader protection" section states (SPEC §3.5 wick guard, §3.6 deposits in flight, §4 risk).
 */
class ProtectionSampleTest {
    static final Path FILE = Path.of("scenarios/protection.json");
    static final ObjectMapper JSON = new ObjectMapper();

    static Map<String, List<String>> byAccount(List<Notification> notices) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (Notification n : notices) {
            out.computeIfAbsent(n.accountId(), k -> new ArrayList<>()).add(String.join(" ",
                    n.evaluatedAt().substring(11, 19), n.type(), n.reason(), n.level(), n.trigger().kind(),
                    "suspect=" + n.priceSuspect(), "pending=" + n.pendingDeposit(),
                    "deadline=" + (n.deadline() == null ? "-" : n.deadline().substring(11, 19))));
        }
        return out;
    }

    @Test
    void theSampleSendsExactlyTheNoticesTheReadmeStates() {
        Scenario scenario = Scenario.read(FILE);
        List<Notification> got = new InMemoryReplay(scenario).run(scenario.events());
        Map<String, List<String>> actual = byAccount(got);

        assertThat(actual.keySet()).containsExactlyInAnyOrder("wick", "index", "watch", "dep-saved", "dep-lost");
        // §3.5 move rule: one tick 8 % down (60048.0 -> 55244.2) is suspect; held at CRITICAL, then back.
        // The tick back (+8.6 %) is itself a suspect move, harmless: the guard only stops a move to LIQUIDATION.
        assertThat(actual.get("wick")).containsExactly(
                "10:12:00 FINAL_NOTICE RATIO CRITICAL PRICE suspect=true pending=0.00 deadline=10:27:00",
                "10:12:20 MARGIN_CALL_CURED RATIO HEALTHY PRICE suspect=true pending=0.00 deadline=-");
        // §3.5 index rule: mark 2882.02 against index 3002.10 (4 % under; the 3.9 % move alone is below maxTickMove)
        assertThat(actual.get("index")).containsExactly(
                "10:14:05 FINAL_NOTICE RATIO CRITICAL PRICE suspect=true pending=0.00 deadline=10:29:05",
                "10:14:25 MARGIN_CALL_CURED RATIO HEALTHY PRICE suspect=false pending=0.00 deadline=-");
        // §4: the warning that carries the README's worked example
        assertThat(actual.get("watch")).containsExactly(
                "10:11:30 MARGIN_WARNING RATIO WARNING PRICE suspect=false pending=0.00 deadline=-");
        // §3.6: the call opens at 10:12:10, wires of 500 USDT reported at 10:14:10; the grace step (10:22:10)
        // is postponed to the wire's expectedBy (10:32:10 saved, 10:30:10 lost), as the 10:28:10 reminder shows.
        assertThat(actual.get("dep-saved")).containsExactly(
                "10:09:10 MARGIN_WARNING RATIO WARNING PRICE suspect=false pending=0.00 deadline=-",
                "10:12:10 MARGIN_CALL RATIO MARGIN_CALL PRICE suspect=false pending=0.00 deadline=10:22:10",
                "10:20:10 REMINDER DEADLINE MARGIN_CALL PRICE suspect=false pending=500.00 deadline=10:22:10",
                "10:28:10 REMINDER DEADLINE MARGIN_CALL PRICE suspect=false pending=500.00 deadline=10:32:10",
                "10:29:10 MARGIN_CALL_CURED RATIO HEALTHY ACCOUNT suspect=false pending=0.00 deadline=-");
        assertThat(actual.get("dep-lost")).containsExactly(
                "10:09:10 MARGIN_WARNING RATIO WARNING PRICE suspect=false pending=0.00 deadline=-",
                "10:12:10 MARGIN_CALL RATIO MARGIN_CALL PRICE suspect=false pending=0.00 deadline=10:22:10",
                "10:20:10 REMINDER DEADLINE MARGIN_CALL PRICE suspect=false pending=500.00 deadline=10:22:10",
                "10:28:10 REMINDER DEADLINE MARGIN_CALL PRICE suspect=false pending=500.00 deadline=10:30:10",
                "10:30:10 FINAL_NOTICE DEADLINE MARGIN_CALL CLOCK suspect=false pending=0.00 deadline=10:35:10",
                "10:35:10 LIQUIDATION_HANDOFF DEADLINE MARGIN_CALL CLOCK suspect=false pending=0.00 deadline=-");
    }

    @Test
    void everyNoticeCarriesTheLiquidationRiskOnceTheVolatilityIsKnown() {
        Scenario scenario = Scenario.read(FILE);
        List<Notification> got = new InMemoryReplay(scenario).run(scenario.events());
        Instant first = got.stream().map(n -> Instant.parse(n.evaluatedAt())).min(Instant::compareTo).orElseThrow();
        // SPEC §4: σ is known after 20 returns; every instrument has had at least 21 marks before the first notice
        for (String instrument : List.of("BTC-USD", "ETH-USD", "SOL-USD")) {
            long marks = scenario.events().stream().filter(e -> e instanceof ScenarioEvent.Price p
                    && p.instrument().equals(instrument) && !p.at().isAfter(first)).count();
            assertThat(marks).as(instrument + " marks up to " + first).isGreaterThanOrEqualTo(21);
        }
        assertThat(got).allSatisfy(n -> assertThat(n.positions()).allSatisfy(p -> {
            assertThat(p.liquidationProbability1h()).as(n.accountId() + " " + n.type()).isNotNull();
            assertThat(p.liquidationProbability24h()).isNotNull();
            assertThat(p.sigmasToLiquidation()).isNotNull();
        }));
        // The README's worked example: watch's warning at 10:11:30. M = 148.289, L = (200·150 − 1638)/(200·0.97)
        // = 146.19587629, σ = 2.3494e-4 per √s: |ln(L/M)| = 0.014216, σ·√3600 = 0.014097, z = 1.0085,
        // 2·Φ(−1.0085) = 0.3132; 24 h: z = 0.014216 / (σ·√86400 = 0.069059) = 0.2059, 2·Φ(−0.2059) = 0.8369.
        Notification warning = got.stream().filter(n -> n.accountId().equals("watch")).findFirst().orElseThrow();
        Notification.PositionLine sol = warning.positions().get(0);
        assertThat(sol.markPrice()).isEqualTo("148.289");
        assertThat(sol.liquidationPrice()).isEqualTo("146.19587629");
        assertThat(sol.sigmasToLiquidation()).isEqualTo(1.0085);
        assertThat(sol.liquidationProbability1h()).isEqualTo(0.3132);
        assertThat(sol.liquidationProbability24h()).isEqualTo(0.8369);
    }

    @Test
    void withoutTheProtectionsTheSameMarketHandsOff() throws IOException {
        // The counterfactual the README describes: no wickGuard, no deposits in flight.
        ObjectNode root = (ObjectNode) JSON.readTree(FILE.toFile());
        ((ObjectNode) root.get("venue")).remove("wickGuard");
        ArrayNode events = JSON.createArrayNode();
        for (JsonNode e : root.get("events")) {
            if (!e.get("type").asText().equals("PENDING_DEPOSIT")) {
                events.add(e.has("settles") ? ((ObjectNode) e.deepCopy()).without("settles") : e);
            }
        }
        root.set("events", events);
        Scenario bare = Scenario.parse(root);
        Map<String, List<String>> actual = byAccount(new InMemoryReplay(bare).run(bare.events()));
        assertThat(actual.get("wick").get(0)).startsWith("10:12:00 LIQUIDATION_HANDOFF RATIO LIQUIDATION PRICE suspect=false");
        assertThat(actual.get("index").get(0)).startsWith("10:14:05 LIQUIDATION_HANDOFF RATIO LIQUIDATION PRICE suspect=false");
        assertThat(actual.get("dep-saved")).contains(
                "10:22:10 FINAL_NOTICE DEADLINE MARGIN_CALL CLOCK suspect=false pending=0.00 deadline=10:27:10",
                "10:27:10 LIQUIDATION_HANDOFF DEADLINE MARGIN_CALL CLOCK suspect=false pending=0.00 deadline=-");
    }
}
