package org.margincall.engine.adapter.cloudwatch;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The EMF line as CloudWatch's embedded metric format specification describes it. */
class EngineMetricsTest {

    @Test
    void oneLinePerInvocationWithTheDirectiveCountsSummedAndDurationsAsValues() throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        EngineMetrics m = new EngineMetrics("price-fn", new PrintStream(buf, true, StandardCharsets.UTF_8));
        m.count("EventsAccepted");
        m.count("EventsAccepted", 2);
        m.count("Transitions", 0); // nothing to report
        m.millis("EvaluationLatency", 1.5);
        m.millis("EvaluationLatency", 2.25);
        m.flush();
        m.flush(); // nothing new: no second line
        String[] lines = buf.toString(StandardCharsets.UTF_8).split("\n");
        assertThat(lines).hasSize(1);
        JsonNode doc = new ObjectMapper().readTree(lines[0]);
        JsonNode directive = doc.get("_aws").get("CloudWatchMetrics").get(0);
        assertThat(doc.get("_aws").get("Timestamp").isIntegralNumber()).isTrue();
        assertThat(directive.get("Namespace").asText()).isEqualTo("MarginCallEngine");
        assertThat(directive.get("Dimensions").get(0).get(0).asText()).isEqualTo("FunctionName");
        assertThat(directive.get("Metrics").toString())
                .isEqualTo("[{\"Name\":\"EventsAccepted\",\"Unit\":\"Count\"},{\"Name\":\"EvaluationLatency\",\"Unit\":\"Milliseconds\"}]");
        assertThat(doc.get("FunctionName").asText()).isEqualTo("price-fn");
        assertThat(doc.get("EventsAccepted").asDouble()).isEqualTo(3.0);
        assertThat(doc.get("EvaluationLatency").toString()).isEqualTo("[1.5,2.25]");
        assertThat(doc.has("Transitions")).isFalse();
        assertThat(m.total("EventsAccepted")).isEqualTo(3);
    }

    @Test
    void moreThanAHundredValuesGoOnFurtherLinesSoAPercentileSeesThemAll() throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        EngineMetrics m = new EngineMetrics("worker-fn", new PrintStream(buf, true, StandardCharsets.UTF_8));
        m.count("NotificationsPublished", 250);
        for (int i = 1; i <= 250; i++) {
            m.millis("PriceToPublishLatency", i);
        }
        m.millis("EvaluationLatency", 0.5);
        m.flush();
        String[] lines = buf.toString(StandardCharsets.UTF_8).split("\n");
        assertThat(lines).hasSize(3); // 100 + 100 + 50 values: EMF takes at most 100 a metric a line
        ObjectMapper json = new ObjectMapper();
        JsonNode first = json.readTree(lines[0]);
        JsonNode second = json.readTree(lines[1]);
        JsonNode third = json.readTree(lines[2]);
        assertThat(first.get("NotificationsPublished").asDouble()).isEqualTo(250.0);
        assertThat(first.get("PriceToPublishLatency").size()).isEqualTo(100);
        assertThat(first.get("PriceToPublishLatency").get(0).asDouble()).isEqualTo(1.0);
        assertThat(first.get("EvaluationLatency").toString()).isEqualTo("[0.5]");
        assertThat(second.has("NotificationsPublished")).as("a count is written once").isFalse();
        assertThat(second.get("PriceToPublishLatency").get(0).asDouble()).isEqualTo(101.0);
        assertThat(second.get("PriceToPublishLatency").size()).isEqualTo(100);
        assertThat(third.get("PriceToPublishLatency").size()).isEqualTo(50);
        assertThat(third.get("PriceToPublishLatency").get(49).asDouble()).isEqualTo(250.0);
        assertThat(third.get("_aws").get("CloudWatchMetrics").get(0).get("Metrics").toString())
                .as("the directive names only what the line carries")
                .isEqualTo("[{\"Name\":\"PriceToPublishLatency\",\"Unit\":\"Milliseconds\"}]");
        assertThat(third.get("FunctionName").asText()).isEqualTo("worker-fn");
    }

    @Test
    void outsideLambdaNothingIsWrittenButTotalsAreKept() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        EngineMetrics m = new EngineMetrics(null, new PrintStream(buf, true, StandardCharsets.UTF_8));
        m.count("EventsAccepted");
        m.flush();
        assertThat(buf.size()).isZero();
        assertThat(m.total("EventsAccepted")).isEqualTo(1);
    }
}
