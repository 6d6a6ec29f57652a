package org.margincall.engine.replay;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.margincall.engine.domain.Notification;
import org.margincall.engine.domain.Timestamps;
import org.margincall.engine.scenario.Scenario;

/**
 * SPEC §1 and §7: times are written with exactly three fractional digits and ordered as instants.
 * One account long BTC and ETH; BTC ticks at whole seconds, ETH 137 ms later; the fall sends a
 * notice on both kinds of tick, so text order and instant order would disagree.
 */
class SubSecondOrderTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void noticesCarryMillisecondsAndFollowInstantOrder(@TempDir Path dir) throws Exception {
        StringBuilder events = new StringBuilder();
        // By hand: Q = 20000 + (B − 40000) + 10·(E − 2000), MM = 0.2·(B + 10·E), R = Q / MM.
        // 12:12:00.137 R = 20000/12000 = 1.667 HEALTHY;  12:12:01.000 R = 16000/11200 = 1.429 WARNING;
        // 12:12:01.137 R = 12500/10500 = 1.190 MARGIN_CALL; 12:12:02.000 R = 10500/10100 = 1.040 CRITICAL;
        // 12:12:02.137 R = 10000/10000 = 1.000 LIQUIDATION.
        String[][] ticks = {{"40000", "2000"}, {"36000", "1650"}, {"34000", "1600"}};
        for (int i = 0; i < ticks.length; i++) {
            String sec = String.format("%02d", i);
            events.append(i == 0 ? "" : ",")
                    .append("{\"at\":\"2026-05-19T12:12:").append(sec).append("Z\",\"type\":\"PRICE\",\"instrument\":\"BTC-USD\",\"markPrice\":\"")
                    .append(ticks[i][0]).append("\",\"sequence\":").append(i + 1).append("},")
                    .append("{\"at\":\"2026-05-19T12:12:").append(sec).append(".137Z\",\"type\":\"PRICE\",\"instrument\":\"ETH-USD\",\"markPrice\":\"")
                    .append(ticks[i][1]).append("\",\"sequence\":").append(i + 1).append("}");
        }
        String tiers = "[{\"floor\":\"0\",\"cap\":null,\"mmr\":\"0.2\"}]";
        String scenario = "{\"venue\":{\"id\":\"demo\",\"thresholds\":{\"warning\":\"1.5\",\"marginCall\":\"1.2\",\"critical\":\"1.05\",\"liquidation\":\"1.0\"},"
                + "\"hysteresis\":\"0.02\",\"gracePeriodSeconds\":600,\"finalNoticeSeconds\":300,\"reminderSeconds\":300},"
                + "\"instruments\":[{\"symbol\":\"BTC-USD\",\"tiers\":" + tiers + "},{\"symbol\":\"ETH-USD\",\"tiers\":" + tiers + "}],"
                + "\"collateralAssets\":[{\"asset\":\"USDT\",\"haircut\":\"0\"}],"
                + "\"accounts\":[{\"accountId\":\"a1\",\"collateral\":{\"USDT\":\"20000\"},\"positions\":["
                + "{\"instrument\":\"BTC-USD\",\"size\":\"1\",\"entryPrice\":\"40000\"},{\"instrument\":\"ETH-USD\",\"size\":\"10\",\"entryPrice\":\"2000\"}]}],"
                + "\"events\":[" + events + "]}";
        Path file = dir.resolve("subsecond.json");
        Files.writeString(file, scenario);
        Scenario s = Scenario.read(file);
        List<Notification> got = new InMemoryReplay(s).run(s.events());

        List<JsonNode> lines = new ArrayList<>();
        for (Notification n : got) {
            lines.add(JSON.valueToTree(n));
        }
        List<JsonNode> ordered = ReplayMain.deterministicOrder(lines);
        assertThat(ordered.stream().map(n -> n.get("evaluatedAt").asText() + " " + n.get("type").asText()))
                .containsExactly("2026-05-19T12:12:01.000Z MARGIN_WARNING", "2026-05-19T12:12:01.137Z MARGIN_CALL",
                        "2026-05-19T12:12:02.000Z FINAL_NOTICE", "2026-05-19T12:12:02.137Z LIQUIDATION_HANDOFF");
        boolean subSecond = false;
        Instant previous = Instant.MIN;
        for (JsonNode n : ordered) {
            String at = n.get("evaluatedAt").asText();
            assertThat(at).matches("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z");
            assertThat(n.get("trigger").get("timestamp").asText()).matches(".*T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z");
            Instant i = Instant.parse(at);
            assertThat(i).as("instant order of " + at).isAfterOrEqualTo(previous);
            previous = i;
            subSecond |= at.endsWith(".137Z");
        }
        assertThat(subSecond).as("a notice on an ETH tick at .137").isTrue();
        assertThat(ordered.stream().map(n -> n.get("evaluatedAt").asText()))
                .as("whole-second notices exist too").anyMatch(a -> a.endsWith(".000Z"));
    }

    @Test
    void wireFormatIsThreeDigitsAndTruncatesOnArrival() {
        assertThat(Timestamps.format(Instant.parse("2026-05-19T12:12:20Z"))).isEqualTo("2026-05-19T12:12:20.000Z");
        assertThat(Timestamps.format(Instant.parse("2026-05-19T12:12:20.1Z"))).isEqualTo("2026-05-19T12:12:20.100Z");
        assertThat(Timestamps.parse("t", "2026-05-19T12:12:20.137999Z")).isEqualTo(Instant.parse("2026-05-19T12:12:20.137Z"));
        assertThat(Timestamps.BY_INSTANT.compare("2026-05-19T12:12:20.137Z", "2026-05-19T12:12:20Z")).isPositive();
    }
}
