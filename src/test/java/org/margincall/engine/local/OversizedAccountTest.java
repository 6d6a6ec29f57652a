package org.margincall.engine.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.margincall.engine.domain.Account;
import org.margincall.engine.domain.InvalidInputException;
import org.margincall.engine.domain.Position;
import org.margincall.engine.domain.PriceStamp;
import org.margincall.engine.service.MarginService;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;

/**
 * An account at the documented maximum of {@link Account#MAX_POSITIONS} positions, on DynamoDB
 * (dynalite enforces the 400 KB item limit) and SNS through the real adapters: it is evaluated,
 * notified with a body cut to fit SNS (positions nearest to liquidation, {@code positionsTruncated},
 * SPEC §10) and swept, and another account of the venue is notified as usual; an event that would
 * take it past the maximum is refused naming the limit. (Before the fix: the commit exceeded the
 * item limit, the price event threw, and every sweep after it threw.)
 */
class OversizedAccountTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void anAccountAtTheMaximumIsEvaluatedNotifiedTruncatedAndSweptWithoutHarmingOthers() throws Exception {
        LocalStack stack = LocalStack.shared();
        String venue = "big-" + UUID.randomUUID().toString().substring(0, 8);
        LocalEngine engine = LocalEngine.wire(stack.dynamoDb(), stack.sns(), stack.sfn(), null,
                LocalConfig.of(stack.process, venue), Clock.systemUTC());
        MarginService service = engine.service();
        int n = Account.MAX_POSITIONS;
        ObjectNode v = JSON.createObjectNode().put("id", venue);
        v.putObject("thresholds").put("warning", "1.5").put("marginCall", "1.2").put("critical", "1.05").put("liquidation", "1.0");
        ArrayNode instruments = JSON.createArrayNode();
        for (int i = 0; i <= n; i++) { // one more than an account may hold
            instruments.addObject().put("symbol", sym(i)).putArray("tiers").addObject()
                    .put("floor", "0").putNull("cap").put("mmr", "0.01");
        }
        ArrayNode assets = JSON.createArrayNode();
        assets.addObject().put("asset", "USDT").put("haircut", "0");
        engine.venues().putConfiguration(venue, v, instruments, assets);

        // big: 1000 longs of 1 at 100 from 100 (MM = 1000 · 1 = 1000); small: one long of 10 at 100
        List<Position> positions = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            positions.add(new Position(sym(i), BigDecimal.ONE, new BigDecimal("100"), null));
        }
        service.createAccount(venue, new Account("big", Map.of("USDT", new BigDecimal("1600")), positions, null));
        service.createAccount(venue, new Account("small", Map.of("USDT", new BigDecimal("15")),
                List.of(new Position(sym(0), BigDecimal.TEN, new BigDecimal("100"), null)), null));
        Instant t0 = Instant.now().minusSeconds(60);
        java.util.stream.IntStream.range(1, n).parallel().forEach(i ->
                engine.venues().storeIfNewer(venue, sym(i), new BigDecimal("100"), PriceStamp.of(t0, 1), "test"));
        String queue = stack.subscribedQueue("NotificationsTopic", "{\"venueId\":[\"" + venue + "\"]}");

        // The last mark arrives: big Q = 1600, MM = 1000 · 100 · 0.01 = 1000 → R = 1.6 HEALTHY;
        // small Q = 15, MM = 10 → R = 1.5 HEALTHY. Both are evaluated, nothing is owed.
        MarginService.Outcome tick = service.onPrice(venue, new MarginService.PriceUpdate(sym(0), new BigDecimal("100"),
                t0.plusSeconds(1), 2, "test"));
        assertThat(tick.accountsEvaluated()).isEqualTo(2);
        MarginService.Outcome call = service.onAccountEvent(venue, new MarginService.AccountChange("w-1", "big", 1,
                t0.plusSeconds(2), Map.of("USDT", new BigDecimal("1150")), null));
        assertThat(call.notifications()).as("big: R = 1150 / 1000 = 1.15 → MARGIN_CALL").isEqualTo(1);
        service.onAccountEvent(venue, new MarginService.AccountChange("w-2", "small", 1,
                t0.plusSeconds(3), Map.of("USDT", new BigDecimal("11")), null)); // R = 1.1 → MARGIN_CALL

        List<JsonNode> got = receive(stack.sqs(), queue, 2);
        JsonNode big = got.stream().filter(b -> b.get("accountId").asText().equals("big")).findFirst().orElseThrow();
        assertThat(big.get("type").asText()).isEqualTo("MARGIN_CALL");
        assertThat(big.get("positionsTruncated").asBoolean()).isTrue();
        assertThat(big.get("positions").size()).isBetween(1, n - 1);
        assertThat(big.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length).isLessThanOrEqualTo(256 * 1024);
        JsonNode small = got.stream().filter(b -> b.get("accountId").asText().equals("small")).findFirst().orElseThrow();
        assertThat(small.get("positionsTruncated").asBoolean()).isFalse();

        MarginService.SweepOutcome sweep = service.sweep(venue, t0.plusSeconds(400));
        assertThat(sweep.accountsScanned()).isEqualTo(2);
        assertThat(receive(stack.sqs(), queue, 2)).extracting(b -> b.get("type").asText())
                .as("both calls get their reminder from the sweep").containsOnly("REMINDER");

        // a 1001st position is refused, naming the limit, and the stored account is untouched
        var before = engine.accounts().get(venue, "big").orElseThrow();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> service.onAccountEvent(venue,
                        new MarginService.AccountChange("p-1", "big", 2, t0.plusSeconds(5), Map.of(),
                                new MarginService.PositionChange(sym(n), BigDecimal.ONE, new BigDecimal("100"), null))))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("maximum of " + n + " positions");
        assertThat(engine.accounts().get(venue, "big").orElseThrow()).isEqualTo(before);
    }

    /** Long symbols (100 characters) so that a body at the maximum exceeds what SNS allows. */
    private static String sym(int i) {
        return String.format("PERP-%0" + 91 + "d-USD", i);
    }

    private static List<JsonNode> receive(SqsClient sqs, String queue, int count) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        long until = System.currentTimeMillis() + 20_000;
        while (out.size() < count && System.currentTimeMillis() < until) {
            for (Message m : sqs.receiveMessage(b -> b.queueUrl(queue).maxNumberOfMessages(10).waitTimeSeconds(1)).messages()) {
                out.add(JSON.readTree(m.body()));
                sqs.deleteMessage(b -> b.queueUrl(queue).receiptHandle(m.receiptHandle()));
            }
        }
        assertThat(out).hasSize(count);
        return out;
    }
}
