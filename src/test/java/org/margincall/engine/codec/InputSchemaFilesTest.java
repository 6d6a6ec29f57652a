package org.margincall.engine.codec;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaId;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SpecVersion;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * The published input schemas are valid draft 2020-12 documents, share one definition of each
 * common type, and state the same limits as {@link JsonFields}.
 */
class InputSchemaFilesTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final List<String> INPUTS = List.of("scenario-v1", "price-update-v1", "collateral-changed-v1",
            "position-changed-v1", "deposit-pending-v1", "account-snapshot-v1");
    static final List<String> COMMON = List.of("id", "accountId", "decimal", "nonZeroDecimal", "nonNegativeDecimal",
            "positiveDecimal", "instant");

    static JsonNode load(String name) throws IOException {
        try (InputStream in = InputSchemaFilesTest.class.getResourceAsStream("/schema/" + name + ".schema.json")) {
            assertThat(in).as(name).isNotNull();
            return JSON.readTree(in);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"scenario-v1", "price-update-v1", "collateral-changed-v1", "position-changed-v1",
            "deposit-pending-v1", "account-snapshot-v1", "notification-v1"})
    void isAValidDraft202012Schema(String name) throws IOException {
        JsonSchema meta = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012)
                .getSchema(SchemaLocation.of(SchemaId.V202012));
        JsonNode schema = load(name);
        assertThat(meta.validate(schema)).as(name).isEmpty();
        assertThat(schema.get("$schema").asText()).isEqualTo("https://json-schema.org/draft/2020-12/schema");
        assertThat(schema.get("$id").asText()).isEqualTo("https://margincall.org/schema/" + name + ".json");
    }

    @Test
    void commonTypesAreDefinedOnceTheSameWayInEveryInputSchema() throws IOException {
        JsonNode reference = load("scenario-v1").get("$defs");
        for (String name : INPUTS) {
            JsonNode defs = load(name).get("$defs");
            for (String type : COMMON) {
                assertThat(defs.get(type)).as(name + " $defs." + type).isEqualTo(reference.get(type));
            }
        }
    }

    @Test
    void schemasStateTheLimitsTheCodeEnforces() throws IOException {
        JsonNode defs = load("scenario-v1").get("$defs");
        assertThat(defs.at("/id/maxLength").asInt()).isEqualTo(JsonFields.ID_MAX_LENGTH);
        assertThat(defs.at("/accountId/maxLength").asInt()).isEqualTo(JsonFields.ID_MAX_LENGTH);
        assertThat(defs.at("/seconds/maximum").asLong()).isEqualTo(JsonFields.SECONDS_MAX);
        assertThat(defs.at("/decimal/pattern").asText())
                .contains("{0," + (JsonFields.INTEGER_DIGITS - 1) + "}").contains("{1," + JsonFields.FRACTION_DIGITS + "}");
        assertThat(defs.at("/priceEvent/properties/sequence/maximum").asLong()).isEqualTo(JsonFields.SEQUENCE_MAX);
        assertThat(load("price-update-v1").at("/properties/sequence/maximum").asLong()).isEqualTo(JsonFields.SEQUENCE_MAX);
        assertThat(load("collateral-changed-v1").at("/$defs/accountSequence/maximum").asLong()).isEqualTo(JsonFields.SEQUENCE_MAX);
        assertThat(load("account-snapshot-v1").at("/properties/sequence/maximum").asLong()).isEqualTo(JsonFields.SEQUENCE_MAX);
        assertThat(JsonFields.SEQUENCE_MAX).isEqualTo((1L << 53) - 1);
    }

    @Test
    void everyObjectRefusesFieldsItDoesNotDefineExceptMeta() throws IOException {
        for (String name : INPUTS) {
            List<String> open = new ArrayList<>();
            walk(load(name), "#", open);
            // The scenario's event dispatches on type to closed per-type definitions (one error for an unknown type).
            assertThat(open).as(name + ": objects open to unknown fields")
                    .allMatch(p -> p.endsWith("/meta") || p.equals("#/$defs/event"));
        }
    }

    /** Collects schema objects of type object that neither set additionalProperties nor refer to a definition that does. */
    private static void walk(JsonNode node, String at, List<String> open) {
        if (node.isObject()) {
            if ("object".equals(node.path("type").asText()) && !node.has("additionalProperties") && !node.has("$ref")) {
                open.add(at);
            }
            for (Map.Entry<String, JsonNode> e : node.properties()) {
                walk(e.getValue(), at + "/" + e.getKey(), open);
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                walk(node.get(i), at + "/" + i, open);
            }
        }
    }
}
