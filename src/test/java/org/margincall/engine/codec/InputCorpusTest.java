package org.margincall.engine.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.margincall.engine.domain.InvalidInputException;
import org.margincall.engine.handler.HandlerParsing;
import org.margincall.engine.scenario.AccountSnapshot;
import org.margincall.engine.scenario.Scenario;

/**
 * The published input schemas and the code agree (SPEC §5, §7, §9): every document of
 * {@code src/test/resources/corpus/<input>/} goes through both the schema (networknt, draft
 * 2020-12) and the code that reads it in production or replay (the scenario loader, the handlers'
 * {@code parse}).
 * <ul>
 *   <li>{@code valid/}: both accept;</li>
 *   <li>{@code invalid/}: each document is wrong in exactly one way: the schema reports one
 *       location, and the code refuses it with an {@link InvalidInputException} naming that
 *       same JSON path;</li>
 *   <li>{@code semantic/} (scenarios only): rules no schema states (threshold order, contiguous
 *       tiers, references to instruments, assets, accounts and pending deposits, a REDUCE that
 *       shrinks its position): the schema accepts, the loader refuses naming the field.</li>
 * </ul>
 */
class InputCorpusTest {
    static final Path CORPUS = Path.of("src/test/resources/corpus");
    static final ObjectMapper JSON = new ObjectMapper();

    enum Input {
        SCENARIO("scenario", "scenario-v1", n -> Scenario.parse(n)),
        PRICE_UPDATE("price-update", "price-update-v1", n -> HandlerParsing.price(HandlerParsing.envelope("Price Update", n))),
        COLLATERAL_CHANGED("collateral-changed", "collateral-changed-v1",
                n -> HandlerParsing.account(HandlerParsing.envelope("Collateral Changed", n))),
        POSITION_CHANGED("position-changed", "position-changed-v1",
                n -> HandlerParsing.account(HandlerParsing.envelope("Position Changed", n))),
        DEPOSIT_PENDING("deposit-pending", "deposit-pending-v1",
                n -> HandlerParsing.depositPending(HandlerParsing.envelope("Deposit Pending", n))),
        ACCOUNT_SNAPSHOT("account-snapshot", "account-snapshot-v1", n -> AccountSnapshot.parse(n, snapshotCatalog()));

        final String dir;
        final String schemaName;
        final Consumer<JsonNode> code;

        Input(String dir, String schemaName, Consumer<JsonNode> code) {
            this.dir = dir;
            this.schemaName = schemaName;
            this.code = code;
        }

        JsonSchema schema() {
            return schema(schemaName);
        }

        static JsonSchema schema(String name) {
            try (InputStream in = InputCorpusTest.class.getResourceAsStream("/schema/" + name + ".schema.json")) {
                assertThat(in).as("schema " + name + " on the classpath").isNotNull();
                return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(in);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** The venue an accounts snapshot line is read against: BTC-USD and ETH-USD; USDT and BTC collateral. */
    static org.margincall.engine.domain.Catalog snapshotCatalog() {
        try {
            return CatalogJson.catalog(JSON.readTree("""
                    {"venue":{"id":"corpus"},
                     "instruments":[{"symbol":"BTC-USD","tiers":[{"floor":"0","cap":null,"mmr":"0.005"}]},
                                    {"symbol":"ETH-USD","tiers":[{"floor":"0","cap":null,"mmr":"0.01"}]}],
                     "collateralAssets":[{"asset":"USDT","haircut":"0"},{"asset":"BTC","haircut":"0.1","priceInstrument":"BTC-USD"}]}"""),
                    null);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The loader's field for each semantic document: what the code must name. */
    static final Map<String, String> SEMANTIC_FIELDS = Map.ofEntries(
            Map.entry("thresholds-out-of-order", "thresholds.marginCall"),
            Map.entry("tiers-gap", "instruments[BTC-USD].tiers[1].floor"),
            Map.entry("tiers-decreasing-rate", "instruments[BTC-USD].tiers[1].mmr"),
            Map.entry("instrument-twice", "instruments[ETH-USD]"),
            Map.entry("collateral-asset-unknown-price-instrument", "collateralAssets[BTC].priceInstrument"),
            Map.entry("account-twice", "$.accounts[1].accountId"),
            Map.entry("account-warning-below-margin-call", "warning"),
            Map.entry("account-collateral-unknown-asset", "$.accounts[0].collateral.DOGE"),
            Map.entry("position-unknown-instrument", "$.accounts[0].positions[0].instrument"),
            Map.entry("position-twice", "$.accounts[0].positions[1].instrument"),
            Map.entry("event-unknown-account", "$.events[5].accountId"),
            Map.entry("event-unknown-instrument", "$.events[1].instrument"),
            Map.entry("event-unknown-asset", "$.events[3].asset"),
            Map.entry("reduce-same-sign", "$.events[4].size"),
            Map.entry("reduce-larger-than-position", "$.events[4].size"),
            Map.entry("reduce-no-position", "$.events[4].instrument"),
            Map.entry("reduce-before-any-mark", "$.events[4].instrument"),
            Map.entry("reduce-after-close", "$.events[6].size"),
            Map.entry("deposit-settles-unknown-reference", "$.events[3].settles"),
            Map.entry("deposit-settles-before-pending", "$.events[3].settles"));

    @TestFactory
    Stream<DynamicNode> everyCorpusDocumentGetsTheSameVerdictFromSchemaAndCode() {
        return Stream.of(Input.values()).map(input -> {
            JsonSchema schema = input.schema();
            List<DynamicNode> verdicts = Stream.of("valid", "invalid", "semantic")
                    .filter(v -> Files.isDirectory(CORPUS.resolve(input.dir).resolve(v)))
                    .map(v -> (DynamicNode) DynamicContainer.dynamicContainer(v, files(input, v).map(f ->
                            DynamicTest.dynamicTest(f.getFileName().toString(), f.toUri(), () -> check(input, schema, v, f)))))
                    .toList();
            return DynamicContainer.dynamicContainer(input.dir, verdicts);
        });
    }

    @Test
    void theCorpusCoversEveryInputAndVerdict() {
        for (Input input : Input.values()) {
            assertThat(files(input, "valid")).as(input.dir + "/valid").isNotEmpty();
            assertThat(files(input, "invalid")).as(input.dir + "/invalid").hasSizeGreaterThanOrEqualTo(10);
        }
        assertThat(files(Input.SCENARIO, "semantic").map(f -> name(f)).collect(Collectors.toSet()))
                .containsExactlyInAnyOrderElementsOf(SEMANTIC_FIELDS.keySet());
    }

    static Stream<Path> files(Input input, String verdict) {
        Path dir = CORPUS.resolve(input.dir).resolve(verdict);
        if (!Files.isDirectory(dir)) {
            return Stream.empty();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.toString().endsWith(".json")).sorted().toList().stream();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String name(Path f) {
        return f.getFileName().toString().replaceFirst("\\.json$", "");
    }

    static void check(Input input, JsonSchema schema, String verdict, Path file) throws IOException {
        JsonNode doc = JSON.readTree(file.toFile());
        Set<ValidationMessage> errors = schema.validate(doc);
        InvalidInputException refused = catchThrowableOfType(InvalidInputException.class, () -> input.code.accept(doc));
        switch (verdict) {
            case "valid" -> {
                assertThat(errors).as("schema errors").isEmpty();
                assertThatCode(() -> input.code.accept(doc)).as("code").doesNotThrowAnyException();
            }
            case "invalid" -> {
                Set<String> where = schemaPaths(errors);
                assertThat(where).as("the schema refuses it at exactly one place: %s", errors).hasSize(1);
                assertThat(refused).as("the code refuses it too (schema: %s)", errors).isNotNull();
                assertThat(codePath(refused.field())).as("the code names the path the schema names; code says: %s",
                        refused.getMessage()).isEqualTo(where.iterator().next());
                assertThat(refused.getMessage()).startsWith(refused.field() + " = ");
            }
            case "semantic" -> {
                assertThat(errors).as("schema errors (a semantic document is well-formed)").isEmpty();
                assertThat(refused).as("the loader refuses it").isNotNull();
                assertThat(refused.field()).as(refused.getMessage()).contains(SEMANTIC_FIELDS.get(name(file)));
            }
            default -> throw new IllegalArgumentException(verdict);
        }
    }

    /** Schema error locations as JSON paths; a missing or unknown property is located at the property. */
    static Set<String> schemaPaths(Set<ValidationMessage> errors) {
        Set<String> out = new TreeSet<>();
        for (ValidationMessage m : errors) {
            String at = m.getInstanceLocation().toString().replaceAll("\\['([^']*)'\\]", ".$1");
            if (m.getProperty() != null && Set.of("required", "additionalProperties").contains(m.getType())) {
                at = at + "." + m.getProperty();
            }
            out.add(at);
        }
        return out;
    }

    /** The code names a scenario path from {@code $} and an event's from {@code detail}. */
    static String codePath(String field) {
        if (field.equals("detail")) {
            return "$";
        }
        return field.startsWith("detail.") ? "$" + field.substring("detail".length()) : field;
    }
}
