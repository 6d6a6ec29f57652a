package org.margincall.engine.adapter.dynamodb;

import java.util.Map;
import org.margincall.engine.domain.RealisedVariance;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/** The SPEC §4 realised variance of an instrument, kept on its price item. */
final class VarianceCodec {
    private VarianceCodec() {
    }

    static Map<String, AttributeValue> encode(RealisedVariance v) {
        java.util.Map<String, AttributeValue> m = new java.util.HashMap<>(Map.of("s", number(v.s()), "t", number(v.t()),
                "n", AttributeValue.fromN(Long.toString(v.n())), "lastTs", AttributeValue.fromN(Long.toString(v.lastTimestampMillis()))));
        if (v.lastMark() != null) {
            m.put("lastMark", AttributeValue.fromS(v.lastMark().toPlainString()));
        }
        return m;
    }

    /** The double's shortest decimal, written plainly (DynamoDB numbers take no exponent); parses back exactly. */
    private static AttributeValue number(double d) {
        return AttributeValue.fromN(new java.math.BigDecimal(Double.toString(d)).toPlainString());
    }

    static RealisedVariance decode(Map<String, AttributeValue> m) {
        AttributeValue last = m.get("lastMark");
        return new RealisedVariance(Double.parseDouble(m.get("s").n()), Double.parseDouble(m.get("t").n()),
                Long.parseLong(m.get("n").n()), last == null ? null : new java.math.BigDecimal(last.s()),
                Long.parseLong(m.get("lastTs").n()));
    }
}
