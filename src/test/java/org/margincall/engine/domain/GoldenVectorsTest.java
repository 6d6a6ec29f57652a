package org.margincall.engine.domain;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.margincall.engine.codec.CatalogJson;

/**
 * SPEC §8 golden vectors, computed independently with exact arithmetic. The file comes from the
 * system property {@code golden.vectors} (default: the shared contract), so any file of the same
 * format runs with {@code mvn test -Dtest=GoldenVectorsTest -Dgolden.vectors=PATH}.
 */
class GoldenVectorsTest {
    static final String DEFAULT = "../shared/golden/evaluation-vectors.json";

    @TestFactory
    Stream<DynamicTest> everyCaseMatches() throws IOException {
        Path file = Path.of(System.getProperty("golden.vectors", DEFAULT));
        if (!Files.isRegularFile(file)) {
            throw new IllegalStateException("golden vectors file not found: " + file.toAbsolutePath()
                    + " (set -Dgolden.vectors=PATH)");
        }
        JsonNode root = new ObjectMapper().readTree(file.toFile());
        JsonNode cases = root == null ? null : root.get("cases");
        if (cases == null || !cases.isArray() || cases.isEmpty()) {
            throw new IllegalStateException("golden vectors file has no cases: " + file.toAbsolutePath());
        }
        double relative = root.path("tolerance").path("relative").asDouble(1e-9);
        double pricesRelative = root.path("tolerance").path("pricesRelative").asDouble(1e-8);
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode c : cases) {
            String id = c.path("id").asText("<no id>");
            tests.add(DynamicTest.dynamicTest(id, () -> {
                List<String> mismatches = check(c, relative, pricesRelative);
                assertThat(mismatches).as("mismatches of " + id).isEmpty();
            }));
        }
        return tests.stream();
    }

    static List<String> check(JsonNode c, double rel, double priceRel) {
        String id = c.path("id").asText();
        List<String> out = new ArrayList<>();
        Catalog catalog = CatalogJson.catalog(c, "golden");
        Marks marks = new Marks(catalog);
        c.get("marks").fields().forEachRemaining(e -> marks.put(e.getKey(), e.getValue().asText()));
        Account account = CatalogJson.account(c.get("account"), "account", catalog);
        Level stored = Level.valueOf(c.get("storedLevel").asText());
        List<SubAccount> subs = SubAccount.of(catalog, account);
        JsonNode expected = c.get("expected");
        if (subs.size() != expected.size()) {
            out.add(id + ": sub-account count " + subs.size() + " != expected " + expected.size());
            return out;
        }
        for (int i = 0; i < subs.size(); i++) {
            JsonNode e = expected.get(i);
            SubAccount sub = subs.get(i);
            String where = id + "/" + e.get("subAccount").asText() + ".";
            Level subStored = Level.valueOf(e.get("storedLevel").asText());
            Evaluation got = MarginEvaluator.evaluate(sub, marks, sub.isolatedInstrument() == null ? stored : subStored);
            eq(out, where + "subAccount", got.subAccountId(), e.get("subAccount").asText());
            eq(out, where + "isolatedInstrument", got.isolatedInstrument(),
                    e.get("isolatedInstrument").isNull() ? null : e.get("isolatedInstrument").asText());
            near(out, where + "equity", got.equity(), new BigDecimal(e.get("equity").asText()), rel);
            near(out, where + "maintenanceMargin", got.maintenanceMargin(),
                    new BigDecimal(e.get("maintenanceMargin").asText()), rel);
            JsonNode r = e.get("collateralRatio");
            if (r.isNull() || got.collateralRatio() == null) {
                eq(out, where + "collateralRatio", got.collateralRatio(), r.isNull() ? null : r.asDouble());
            } else {
                near(out, where + "collateralRatio", BigDecimal.valueOf(got.collateralRatio()), r.decimalValue(), rel);
            }
            eq(out, where + "rawLevel", got.rawLevel().name(), e.get("rawLevel").asText());
            eq(out, where + "level", got.level().name(), e.get("level").asText());
            exact(out, where + "requiredDeposit", got.requiredDeposit(), new BigDecimal(e.get("requiredDeposit").asText()));
            exact(out, where + "minimumDeposit", got.minimumDeposit(), new BigDecimal(e.get("minimumDeposit").asText()));
            exact(out, where + "reduceFraction", got.reduceFraction(), e.get("reduceFraction").decimalValue());
            JsonNode ps = e.get("positions");
            if (ps.size() != got.positions().size()) {
                out.add(where + "positions: " + got.positions().size() + " != expected " + ps.size());
                continue;
            }
            for (int p = 0; p < ps.size(); p++) {
                JsonNode ep = ps.get(p);
                PositionFigures gp = got.positions().get(p);
                String pw = where + "positions[" + ep.get("instrument").asText() + "].";
                eq(out, pw + "instrument", gp.instrument(), ep.get("instrument").asText());
                price(out, pw + "liquidationPrice", gp.liquidationPrice(), ep.get("liquidationPrice"), priceRel);
                price(out, pw + "warningPrice", gp.warningPrice(), ep.get("warningPrice"), priceRel);
            }
        }
        return out;
    }

    private static void price(List<String> out, String field, BigDecimal got, JsonNode expected, double rel) {
        if (expected.isNull() || got == null) {
            eq(out, field, got == null ? null : got.toPlainString(), expected.isNull() ? null : expected.asText());
        } else {
            near(out, field, got, new BigDecimal(expected.asText()), rel);
        }
    }

    private static void eq(List<String> out, String field, Object got, Object expected) {
        if (got == null ? expected != null : !got.equals(expected)) {
            out.add(field + ": got " + got + ", expected " + expected);
        }
    }

    private static void exact(List<String> out, String field, BigDecimal got, BigDecimal expected) {
        if (got.compareTo(expected) != 0) {
            out.add(field + ": got " + got.toPlainString() + ", expected " + expected.toPlainString());
        }
    }

    private static void near(List<String> out, String field, BigDecimal got, BigDecimal expected, double rel) {
        double diff = got.subtract(expected).abs().doubleValue();
        double scale = Math.max(expected.abs().doubleValue(), 1e-9);
        if (diff > rel * scale) {
            out.add(field + ": got " + got.toPlainString() + ", expected " + expected.toPlainString()
                    + " (relative error " + diff / scale + ")");
        }
    }
}
