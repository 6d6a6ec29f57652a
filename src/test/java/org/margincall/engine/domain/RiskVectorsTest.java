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
import java.util.OptionalDouble;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * SPEC §8 risk vectors (§4 liquidation risk), computed independently: per case a half-life and a
 * sequence of timestamped marks folded through {@link RealisedVariance}, the expected {@code σ} per
 * √second ({@code null} under 20 returns) and, per position, the three rounded figures of
 * {@link LiquidationRisk}. The file comes from the system property {@code risk.vectors} (default: the
 * shared contract), so any file of the same format runs with
 * {@code mvn test -Dtest=RiskVectorsTest -Drisk.vectors=PATH}.
 *
 * <p>Tolerances are read from the file: {@code σ} within a relative tolerance; the rounded figures
 * exactly, except where the unrounded value lies within the boundary tolerance of a rounding
 * boundary, where either neighbour is accepted.
 */
class RiskVectorsTest {
    static final String DEFAULT = "../shared/golden/risk-vectors.json";
    private static final double STEP = 1e-4;

    /** Worst figures over the run, printed once at the end (what the tolerances had to absorb). */
    private static double maxSigmaRelative;
    private static double nearestBoundary = Double.POSITIVE_INFINITY;
    private static int figuresChecked;
    private static int casesChecked;

    @TestFactory
    Stream<DynamicTest> everyCaseMatches() throws IOException {
        Path file = Path.of(System.getProperty("risk.vectors", DEFAULT));
        if (!Files.isRegularFile(file)) {
            throw new IllegalStateException("risk vectors file not found: " + file.toAbsolutePath()
                    + " (set -Drisk.vectors=PATH)");
        }
        JsonNode root = new ObjectMapper().readTree(file.toFile());
        JsonNode cases = root == null ? null : root.get("cases");
        if (cases == null || !cases.isArray() || cases.isEmpty()) {
            throw new IllegalStateException("risk vectors file has no cases: " + file.toAbsolutePath());
        }
        double sigmaRelative = tolerance(root, "sigmaPerSqrtSecond", 1e-9);
        double boundary = tolerance(root, "rounded figures", 1e-9);
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode c : cases) {
            String id = c.path("id").asText("<no id>");
            tests.add(DynamicTest.dynamicTest(id, () -> {
                List<String> mismatches = check(c, sigmaRelative, boundary);
                assertThat(mismatches).as("mismatches of " + id).isEmpty();
            }));
        }
        return tests.stream();
    }

    @AfterAll
    static void summary() {
        System.out.printf("risk vectors: %d cases, %d rounded figures; max relative error of sigma %.3g;"
                + " nearest unrounded figure to a rounding boundary %.3g%n",
                casesChecked, figuresChecked, maxSigmaRelative, nearestBoundary);
    }

    /** The first number in the file's tolerance text for {@code field} ("relative 1e-9", "... within 1e-9 of ..."). */
    private static double tolerance(JsonNode root, String field, double fallback) {
        JsonNode t = root.path("tolerance").path(field);
        if (t.isNumber()) {
            return t.asDouble();
        }
        Matcher m = Pattern.compile("\\d+(\\.\\d+)?[eE][-+]?\\d+|\\d+\\.\\d+").matcher(t.asText(""));
        return m.find() ? Double.parseDouble(m.group()) : fallback;
    }

    static List<String> check(JsonNode c, double sigmaRelative, double boundary) {
        String id = c.path("id").asText();
        List<String> out = new ArrayList<>();
        double halfLife = c.get("volatilityHalfLifeSeconds").asDouble();
        RealisedVariance v = RealisedVariance.EMPTY;
        JsonNode marks = c.get("marks");
        for (int i = 0; i < marks.size(); i++) {
            JsonNode m = marks.get(i);
            long at = Timestamps.parse(id + ".marks[" + i + "].timestamp", m.get("timestamp").asText()).toEpochMilli();
            v = v.next(Decimals.parse(id + ".marks[" + i + "].markPrice", m.get("markPrice").asText()), at, halfLife);
        }
        if (c.has("returns") && v.n() != c.get("returns").asLong()) {
            out.add(id + ".returns: got " + v.n() + ", expected " + c.get("returns").asLong());
        }
        OptionalDouble sigma = v.sigma();
        JsonNode es = c.get("sigmaPerSqrtSecond");
        if (es.isNull() || sigma.isEmpty()) {
            if (es.isNull() != sigma.isEmpty()) {
                out.add(id + ".sigmaPerSqrtSecond: got " + (sigma.isEmpty() ? "null" : sigma.getAsDouble())
                        + ", expected " + (es.isNull() ? "null" : es.asDouble()));
            }
        } else {
            double rel = Math.abs(sigma.getAsDouble() / es.asDouble() - 1);
            maxSigmaRelative = Math.max(maxSigmaRelative, rel);
            if (!(rel <= sigmaRelative)) {
                out.add(id + ".sigmaPerSqrtSecond: got " + sigma.getAsDouble() + ", expected " + es.asDouble()
                        + " (relative error " + rel + " > " + sigmaRelative + ")");
            }
        }
        JsonNode positions = c.get("positions");
        for (int p = 0; p < positions.size(); p++) {
            JsonNode e = positions.get(p);
            String where = id + ".positions[" + p + "].";
            BigDecimal mark = new BigDecimal(e.get("mark").asText());
            BigDecimal liquidation = e.get("liquidationPrice").isNull() ? null : new BigDecimal(e.get("liquidationPrice").asText());
            LiquidationRisk.Figures got = LiquidationRisk.of(liquidation, mark, sigma);
            boolean known = liquidation != null && sigma.isPresent();
            double s = known ? sigma.getAsDouble() : Double.NaN;
            figure(out, where + "sigmasToLiquidation", got.sigmasToLiquidation(), e.get("sigmasToLiquidation"),
                    known ? LiquidationRisk.sigmasRaw(liquidation, mark, s) : Double.NaN, boundary);
            figure(out, where + "liquidationProbability1h", got.liquidationProbability1h(), e.get("liquidationProbability1h"),
                    known ? LiquidationRisk.probabilityRaw(liquidation, mark, s, LiquidationRisk.ONE_HOUR_SECONDS) : Double.NaN,
                    boundary);
            figure(out, where + "liquidationProbability24h", got.liquidationProbability24h(), e.get("liquidationProbability24h"),
                    known ? LiquidationRisk.probabilityRaw(liquidation, mark, s, LiquidationRisk.ONE_DAY_SECONDS) : Double.NaN,
                    boundary);
        }
        casesChecked++;
        return out;
    }

    /**
     * A rounded figure: exact, or, when the unrounded value {@code raw} lies within {@code boundary} of a
     * rounding boundary {@code (k + ½)·1e-4}, either of the two neighbouring 4-decimal values.
     */
    private static void figure(List<String> out, String field, Double got, JsonNode expected, double raw, double boundary) {
        if (expected.isNull() || got == null) {
            if (expected.isNull() != (got == null)) {
                out.add(field + ": got " + got + ", expected " + (expected.isNull() ? "null" : expected.asText()));
            }
            return;
        }
        figuresChecked++;
        BigDecimal g = BigDecimal.valueOf(got);
        BigDecimal x = expected.decimalValue();
        double distance = Math.abs(raw / STEP - Math.floor(raw / STEP) - 0.5) * STEP;
        nearestBoundary = Math.min(nearestBoundary, distance);
        if (g.compareTo(x) == 0) {
            return;
        }
        boolean neighbour = g.subtract(x).abs().compareTo(BigDecimal.valueOf(STEP)) == 0;
        if (distance <= boundary && neighbour) {
            return;
        }
        out.add(field + ": got " + got + ", expected " + x.toPlainString() + " (unrounded " + raw
                + ", " + distance + " from a rounding boundary)");
    }
}
