package org.margincall.engine.adapter.dynamodb;

import org.margincall.engine.domain.Timestamps;
import java.time.Instant;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import org.margincall.engine.domain.Level;
import org.margincall.engine.domain.MarginState;
import org.margincall.engine.domain.NotificationType;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/** MarginState as a DynamoDB map; instants as ISO strings, absent values left out. */
final class StateCodec {
    private StateCodec() {
    }

    static AttributeValue encode(MarginState s) {
        Map<String, AttributeValue> m = new HashMap<>();
        m.put("level", AttributeValue.fromS(s.level().name()));
        if (s.episodeId() != null) {
            m.put("episodeId", AttributeValue.fromS(s.episodeId()));
        }
        m.put("callNumber", AttributeValue.fromN(Integer.toString(s.callNumber())));
        m.put("callOpen", AttributeValue.fromBool(s.callOpen()));
        if (s.callOpenedAt() != null) {
            m.put("callOpenedAt", AttributeValue.fromS(Timestamps.format(s.callOpenedAt())));
        }
        m.put("finalNoticeSent", AttributeValue.fromBool(s.finalNoticeSent()));
        m.put("handoffSent", AttributeValue.fromBool(s.handoffSent()));
        if (s.lastNoticeAt() != null) {
            m.put("lastNoticeAt", AttributeValue.fromS(Timestamps.format(s.lastNoticeAt())));
        }
        m.put("callSteps", steps(s.callSteps()));
        m.put("episodeSteps", steps(s.episodeSteps()));
        if (s.heldSince() != null) {
            m.put("heldSince", AttributeValue.fromS(Timestamps.format(s.heldSince())));
        }
        if (s.graceShiftMillis() != 0 || s.finalShiftMillis() != 0) {
            m.put("graceShiftMillis", AttributeValue.fromN(Long.toString(s.graceShiftMillis())));
            m.put("finalShiftMillis", AttributeValue.fromN(Long.toString(s.finalShiftMillis())));
        }
        return AttributeValue.fromM(m);
    }

    static MarginState decode(AttributeValue v) {
        Map<String, AttributeValue> m = v.m();
        return new MarginState(Level.valueOf(m.get("level").s()), str(m, "episodeId"),
                Integer.parseInt(m.get("callNumber").n()), m.get("callOpen").bool(), instant(m, "callOpenedAt"),
                m.get("finalNoticeSent").bool(), m.get("handoffSent").bool(), instant(m, "lastNoticeAt"),
                steps(m.get("callSteps")), steps(m.get("episodeSteps")), millis(m, "graceShiftMillis"),
                millis(m, "finalShiftMillis"), instant(m, "heldSince"));
    }

    private static long millis(Map<String, AttributeValue> m, String k) {
        AttributeValue v = m.get(k);
        return v == null ? 0 : Long.parseLong(v.n());
    }

    private static AttributeValue steps(Map<NotificationType, Integer> steps) {
        Map<String, AttributeValue> m = new HashMap<>();
        steps.forEach((k, n) -> m.put(k.name(), AttributeValue.fromN(Integer.toString(n))));
        return AttributeValue.fromM(m);
    }

    private static Map<NotificationType, Integer> steps(AttributeValue v) {
        Map<NotificationType, Integer> out = new EnumMap<>(NotificationType.class);
        if (v != null && v.hasM()) {
            v.m().forEach((k, n) -> out.put(NotificationType.valueOf(k), Integer.parseInt(n.n())));
        }
        return out;
    }

    private static String str(Map<String, AttributeValue> m, String k) {
        AttributeValue v = m.get(k);
        return v == null ? null : v.s();
    }

    private static Instant instant(Map<String, AttributeValue> m, String k) {
        AttributeValue v = m.get(k);
        return v == null ? null : Timestamps.parse("stored instant", v.s());
    }
}
