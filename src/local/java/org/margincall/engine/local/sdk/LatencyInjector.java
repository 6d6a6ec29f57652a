package org.margincall.engine.local.sdk;

import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;

/**
 * AWS-like latency on the local stand-ins (BENCHMARKS.md, SPEC §10): each HTTP attempt of the
 * engine's clients to a listed service waits a fixed number of milliseconds before it is sent.
 * The stand-ins answer in well under a millisecond of network time but are throughput-bound on two
 * cores; AWS answers from milliseconds away and scales out. With latency injected, a design that
 * overlaps its calls shows its advantage as it would on AWS. A benchmark tool, never on the
 * engine's deployed path.
 */
public final class LatencyInjector implements ExecutionInterceptor {
    private final Map<String, Long> millisByService;

    /**
     * @param millisByService milliseconds per call, by the SDK's service name in lower case
     *        ({@code dynamodb}, {@code sns}, {@code sqs}, {@code sfn}, {@code eventbridge})
     * @throws IllegalArgumentException for a negative delay
     */
    public LatencyInjector(Map<String, Long> millisByService) {
        Map<String, Long> m = new TreeMap<>();
        millisByService.forEach((k, v) -> {
            if (v < 0) {
                throw new IllegalArgumentException("latency of " + k + " must be ≥ 0 ms, was " + v);
            }
            m.put(k.toLowerCase(Locale.ROOT), v);
        });
        this.millisByService = Map.copyOf(m);
    }

    /**
     * Parses {@code service=ms,...}, e.g. {@code dynamodb=8,sns=20}.
     *
     * @throws IllegalArgumentException naming the part that is not {@code service=ms} with a known service
     */
    public static LatencyInjector parse(String spec) {
        Map<String, Long> m = new TreeMap<>();
        for (String part : spec.split(",")) {
            String[] kv = part.trim().split("=");
            if (kv.length != 2) {
                throw new IllegalArgumentException("latency '" + part + "' is not SERVICE=MS (e.g. dynamodb=8,sns=20)");
            }
            String service = kv[0].trim().toLowerCase(Locale.ROOT);
            if (!java.util.Set.of("dynamodb", "sns", "sqs", "sfn", "eventbridge").contains(service)) {
                throw new IllegalArgumentException("latency '" + part + "': unknown service " + kv[0]
                        + " (dynamodb, sns, sqs, sfn, eventbridge)");
            }
            try {
                m.put(service, Long.parseLong(kv[1].trim()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("latency '" + part + "': " + kv[1] + " is not a whole number of ms");
            }
        }
        return new LatencyInjector(m);
    }

    /** The delays, by service. */
    public Map<String, Long> millis() {
        return millisByService;
    }

    @Override
    public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
        String service = attributes.getAttribute(SdkExecutionAttribute.SERVICE_NAME);
        Long ms = service == null ? null : millisByService.get(service.toLowerCase(Locale.ROOT));
        if (ms != null && ms > 0) {
            try {
                Thread.sleep(ms);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
