package org.margincall.engine.service;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** The price-to-publish latency read from hand-written SPEC §6 bodies; expected milliseconds by hand. */
class NoticeLatencyTest {

    /** A body shaped as SPEC §6, with {@code trigger} last, after nested positions. */
    private static String body(String trigger) {
        return """
                {"schemaVersion":"1","notificationId":"n-1","type":"MARGIN_CALL","reason":"RATIO","venueId":"demo",
                 "accountId":"a-17","isolatedInstrument":null,"episodeId":"e","callId":"e-1","step":0,
                 "level":"MARGIN_CALL","previousLevel":"WARNING","collateralRatio":1.13,"equity":"1130.00",
                 "maintenanceMargin":"1000.00","requiredDeposit":"400.00","minimumDeposit":"94.00","reduceFraction":0.2464,
                 "positions":[{"instrument":"BTC-USD","size":"1.5","markPrice":"40000","liquidationPrice":"39123.45",
                               "warningPrice":"41000.12","trigger":{"kind":"PRICE","timestamp":"2020-01-01T00:00:00.000Z"}}],
                 "evaluatedAt":"2026-01-01T00:00:09.000Z","deadline":"2026-01-01T00:10:00.250Z",
                 "trigger":%s}""".formatted(trigger);
    }

    private static long at(String instant) {
        return Instant.parse(instant).toEpochMilli();
    }

    @Test
    void aPriceNoticeIsTimedFromThePricesOwnTimestampToAcceptance() {
        String b = body("""
                {"kind":"PRICE","instrument":"BTC-USD","price":"40000","timestamp":"2026-01-01T00:00:00.250Z","sequence":18231,"eventId":null}""");
        // 00:00:00.250 → 00:00:01.975 is 1 s + 725 ms
        assertThat(NoticeLatency.millis(b, at("2026-01-01T00:00:01.975Z"))).isEqualTo(OptionalLong.of(1725));
        // across midnight: 23:59:59.900 → 00:00:00.150 next day is 100 + 150 ms
        String late = body("""
                {"kind":"PRICE","instrument":"BTC-USD","price":"40000","timestamp":"2026-01-01T23:59:59.900Z","sequence":2,"eventId":null}""");
        assertThat(NoticeLatency.millis(late, at("2026-01-02T00:00:00.150Z"))).isEqualTo(OptionalLong.of(250));
        // delivered by the sweep two minutes later: 120 000 ms more
        assertThat(NoticeLatency.millis(late, at("2026-01-02T00:02:00.150Z"))).isEqualTo(OptionalLong.of(120_250));
        // a price clock 40 ms ahead of ours (SPEC §5.1 allows up to 5 s): reported as it is, negative
        assertThat(NoticeLatency.millis(late, at("2026-01-01T23:59:59.860Z"))).isEqualTo(OptionalLong.of(-40));
    }

    @Test
    void theOrderOfTheTriggersFieldsDoesNotMatter() {
        String b = body("""
                {"timestamp":"2026-03-01T12:00:00.000Z","sequence":7,"instrument":"ETH-USD","price":"3000","kind":"PRICE"}""");
        assertThat(NoticeLatency.millis(b, at("2026-03-01T12:00:00.042Z"))).isEqualTo(OptionalLong.of(42));
    }

    @Test
    void noticesNotTriggeredByAPriceHaveNoPriceLatency() {
        String account = body("""
                {"kind":"ACCOUNT","instrument":null,"price":null,"timestamp":"2026-01-01T00:00:00.250Z","sequence":null,"eventId":"dep-1"}""");
        String clock = body("""
                {"kind":"CLOCK","instrument":null,"price":null,"timestamp":"2026-01-01T00:10:00.000Z","sequence":null,"eventId":"e-1/GRACE_EXPIRED"}""");
        String sweep = body("""
                {"kind":"SWEEP","instrument":null,"price":null,"timestamp":"2026-01-01T00:01:00.000Z","sequence":null,"eventId":null}""");
        long now = at("2026-01-01T00:20:00.000Z");
        assertThat(NoticeLatency.millis(account, now)).isEmpty();
        assertThat(NoticeLatency.millis(clock, now)).isEmpty();
        assertThat(NoticeLatency.millis(sweep, now)).isEmpty();
    }

    @Test
    void aBodyThatCannotBeReadGivesNoValueRatherThanFailingTheDelivery() {
        long now = at("2026-01-01T00:00:01.000Z");
        assertThat(NoticeLatency.millis(null, now)).isEmpty();
        assertThat(NoticeLatency.millis("", now)).isEmpty();
        assertThat(NoticeLatency.millis("[1,2]", now)).isEmpty();
        assertThat(NoticeLatency.millis("{\"trigger\":{\"kind\":\"PRICE\",\"timestamp\":\"yesterday\"}}", now)).isEmpty();
        assertThat(NoticeLatency.millis("{\"trigger\":{\"kind\":\"PRICE\"}}", now)).isEmpty();
        assertThat(NoticeLatency.millis("{\"trigger\":null}", now)).isEmpty();
        assertThat(NoticeLatency.millis("{\"type\":\"MARGIN_CALL\",\"trigger\":{\"kind\":\"PRI", now)).isEmpty();
        assertThat(NoticeLatency.millis("{\"type\":\"MARGIN_CALL\"}", now)).isEmpty();
    }
}
