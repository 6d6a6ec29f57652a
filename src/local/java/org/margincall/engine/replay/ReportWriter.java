package org.margincall.engine.replay;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.margincall.engine.domain.Evaluation;
import org.margincall.engine.domain.Thresholds;
import org.margincall.engine.scenario.Scenario;
import org.margincall.engine.scenario.ScenarioEvent;

/**
 * A self-contained report page (inline SVG, no script, no external resource): the price path of
 * each instrument, then per (sub-)account its collateral ratio over scenario time against the
 * four thresholds, with a marker for every notification it received.
 */
public final class ReportWriter {
    private static final int W = 860;
    private static final int H = 200;
    private static final int PAD_L = 56;
    private static final int PAD_R = 16;
    private static final int PAD_T = 14;
    private static final int PAD_B = 26;
    private static final double RATIO_CAP = 3.0;
    /** Colour per notice type, in severity order (the legend's order: fixed, so the page is byte-identical). */
    private static final Map<String, String> COLORS = orderedColors(
            "LIQUIDATION_HANDOFF", "#6c0a0a", "FINAL_NOTICE", "#c0392b", "MARGIN_CALL", "#e67e22",
            "MARGIN_WARNING", "#d4a017", "REMINDER", "#7f8c8d", "LEVEL_IMPROVED", "#16a085",
            "MARGIN_CALL_CURED", "#27ae60", "WARNING_CLEARED", "#2ecc71");

    private static Map<String, String> orderedColors(String... typeColor) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < typeColor.length; i += 2) {
            m.put(typeColor[i], typeColor[i + 1]);
        }
        return java.util.Collections.unmodifiableMap(m);
    }

    private ReportWriter() {
    }

    /** Ratios per sub-account over time, gathered from a replay's evaluations. */
    public static final class Series implements Scenario.Observer {
        final Map<String, TreeMap<Instant, Double>> ratios = new LinkedHashMap<>();

        @Override
        public void evaluated(Instant at, Evaluation e) {
            ratios.computeIfAbsent(e.subAccountId(), k -> new TreeMap<>())
                    .put(at, e.collateralRatio() == null ? Double.NaN : e.collateralRatio());
        }
    }

    public static String html(String title, Scenario scenario, Series series, List<JsonNode> notifications) {
        List<ScenarioEvent> events = scenario.events();
        Instant start = events.isEmpty() ? Instant.EPOCH : events.get(0).at();
        Instant end = events.isEmpty() ? Instant.EPOCH.plusSeconds(1) : events.get(events.size() - 1).at();
        if (!end.isAfter(start)) {
            end = start.plusSeconds(1);
        }
        Thresholds t = scenario.catalog().venue().thresholds();
        StringBuilder b = new StringBuilder();
        b.append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>").append(esc(title))
                .append("</title><style>body{font:14px system-ui,sans-serif;margin:24px;color:#222}h1{font-size:20px}"
                        + "h2{font-size:15px;margin:18px 0 4px}svg{background:#fafafa;border:1px solid #ddd}"
                        + ".legend span{display:inline-block;margin-right:14px}.legend i{display:inline-block;width:10px;height:10px;"
                        + "margin-right:4px;border-radius:5px}table{border-collapse:collapse}td,th{padding:2px 8px;text-align:left}"
                        + "</style></head><body>");
        b.append("<h1>").append(esc(title)).append("</h1><p>Venue <b>").append(esc(scenario.catalog().venue().id()))
                .append("</b>, ").append(scenario.accounts().size()).append(" accounts, ").append(events.size())
                .append(" events from ").append(start).append(" to ").append(end).append(", ")
                .append(notifications.size()).append(" notifications.</p><div class=\"legend\">");
        COLORS.forEach((type, color) -> b.append("<span><i style=\"background:").append(color).append("\"></i>")
                .append(type).append("</span>"));
        b.append("</div>");
        // Price paths.
        Map<String, TreeMap<Instant, Double>> prices = new LinkedHashMap<>();
        for (ScenarioEvent e : events) {
            if (e instanceof ScenarioEvent.Price p) {
                prices.computeIfAbsent(p.instrument(), k -> new TreeMap<>()).put(p.at(), p.markPrice().doubleValue());
            }
        }
        for (Map.Entry<String, TreeMap<Instant, Double>> p : prices.entrySet()) {
            double lo = p.getValue().values().stream().mapToDouble(Double::doubleValue).min().orElse(0);
            double hi = p.getValue().values().stream().mapToDouble(Double::doubleValue).max().orElse(1);
            double pad = Math.max((hi - lo) * 0.05, hi * 0.001);
            b.append("<h2>").append(esc(p.getKey())).append(" mark price</h2>");
            chart(b, start, end, lo - pad, hi + pad, List.of(), p.getValue(), "#2c3e50", List.of());
        }
        // Ratios per sub-account, with notification markers.
        Map<String, List<JsonNode>> bySub = new LinkedHashMap<>();
        for (JsonNode n : notifications) {
            String sub = n.get("accountId").asText()
                    + (n.get("isolatedInstrument").isNull() ? "" : ":" + n.get("isolatedInstrument").asText());
            bySub.computeIfAbsent(sub, k -> new ArrayList<>()).add(n);
        }
        List<double[]> lines = List.of(
                new double[]{t.warning().doubleValue()}, new double[]{t.marginCall().doubleValue()},
                new double[]{t.critical().doubleValue()}, new double[]{t.liquidation().doubleValue()});
        for (Map.Entry<String, TreeMap<Instant, Double>> s : series.ratios.entrySet()) {
            List<JsonNode> marks = bySub.getOrDefault(s.getKey(), List.of());
            b.append("<h2>").append(esc(s.getKey())).append(" — collateral ratio (").append(marks.size())
                    .append(" notifications)</h2>");
            double top = Math.max(t.warning().doubleValue() * 1.3, Math.min(RATIO_CAP,
                    s.getValue().values().stream().filter(Double::isFinite).mapToDouble(Double::doubleValue).max().orElse(2)));
            double bottom = Math.min(t.liquidation().doubleValue() * 0.8, Math.max(-1,
                    s.getValue().values().stream().filter(Double::isFinite).mapToDouble(Double::doubleValue).min().orElse(1)));
            chart(b, start, end, bottom, top, lines, s.getValue(), "#2980b9", marks);
            if (!marks.isEmpty()) {
                b.append("<table><tr><th>time</th><th>type</th><th>reason</th><th>level</th><th>ratio</th>"
                        + "<th>required deposit</th></tr>");
                for (JsonNode n : marks) {
                    b.append("<tr><td>").append(esc(n.get("evaluatedAt").asText())).append("</td><td style=\"color:")
                            .append(COLORS.getOrDefault(n.get("type").asText(), "#000")).append("\">")
                            .append(esc(n.get("type").asText())).append("</td><td>").append(esc(n.get("reason").asText()))
                            .append("</td><td>").append(esc(n.get("level").asText())).append("</td><td>")
                            .append(n.get("collateralRatio").isNull() ? "-" : String.format("%.4f", n.get("collateralRatio").asDouble()))
                            .append("</td><td>").append(esc(n.get("requiredDeposit").asText())).append("</td></tr>");
                }
                b.append("</table>");
            }
        }
        return b.append("</body></html>\n").toString();
    }

    private static void chart(StringBuilder b, Instant start, Instant end, double lo, double hi, List<double[]> hLines,
                              TreeMap<Instant, Double> series, String color, List<JsonNode> marks) {
        double span = end.toEpochMilli() - start.toEpochMilli();
        b.append("<svg width=\"").append(W).append("\" height=\"").append(H)
                .append("\" viewBox=\"0 0 ").append(W).append(' ').append(H).append("\">");
        String[] names = {"warning", "margin call", "critical", "liquidation"};
        String[] dash = {"#d4a017", "#e67e22", "#c0392b", "#6c0a0a"};
        for (int i = 0; i < hLines.size(); i++) {
            double y = y(hLines.get(i)[0], lo, hi);
            b.append(String.format("<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-dasharray=\"4 3\"/>",
                    PAD_L, W - PAD_R, y, y, dash[i]));
            b.append(String.format("<text x=\"%d\" y=\"%.1f\" font-size=\"10\" fill=\"%s\">%s %s</text>", W - PAD_R - 110,
                    y - 2, dash[i], names[i], BigDecimal.valueOf(hLines.get(i)[0]).stripTrailingZeros().toPlainString()));
        }
        for (int k = 0; k <= 4; k++) {
            double v = lo + (hi - lo) * k / 4;
            b.append(String.format("<text x=\"4\" y=\"%.1f\" font-size=\"10\" fill=\"#666\">%s</text>", y(v, lo, hi) + 3,
                    fmt(v)));
        }
        b.append(String.format("<text x=\"%d\" y=\"%d\" font-size=\"10\" fill=\"#666\">%s</text>", PAD_L, H - 6, start));
        b.append(String.format("<text x=\"%d\" y=\"%d\" font-size=\"10\" fill=\"#666\" text-anchor=\"end\">%s</text>",
                W - PAD_R, H - 6, end));
        StringBuilder path = new StringBuilder();
        Double last = null;
        for (Map.Entry<Instant, Double> p : series.entrySet()) {
            double v = p.getValue();
            if (!Double.isFinite(v)) {
                continue;
            }
            double x = x(p.getKey(), start, span);
            double yy = y(Math.max(lo, Math.min(hi, v)), lo, hi);
            if (last != null) {
                path.append(String.format(" L%.1f %.1f", x, y(Math.max(lo, Math.min(hi, last)), lo, hi))); // step: hold until the change
            }
            path.append(path.length() == 0 ? String.format("M%.1f %.1f", x, yy) : String.format(" L%.1f %.1f", x, yy));
            last = v;
        }
        if (last != null) {
            path.append(String.format(" L%d %.1f", W - PAD_R, y(Math.max(lo, Math.min(hi, last)), lo, hi)));
            b.append("<path d=\"").append(path).append("\" fill=\"none\" stroke=\"").append(color)
                    .append("\" stroke-width=\"1.6\"/>");
        }
        for (JsonNode n : marks) {
            Instant at = Instant.parse(n.get("evaluatedAt").asText());
            double x = x(at, start, span);
            double r = n.get("collateralRatio").isNull() ? hi : n.get("collateralRatio").asDouble();
            double yy = y(Math.max(lo, Math.min(hi, r)), lo, hi);
            b.append(String.format("<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"%s\" stroke=\"#fff\"><title>%s %s %s</title></circle>",
                    x, yy, COLORS.getOrDefault(n.get("type").asText(), "#000"), esc(n.get("evaluatedAt").asText()),
                    esc(n.get("type").asText()), esc(n.get("reason").asText())));
        }
        b.append("</svg>");
    }

    private static double x(Instant t, Instant start, double span) {
        return PAD_L + (W - PAD_L - PAD_R) * ((t.toEpochMilli() - start.toEpochMilli()) / span);
    }

    private static double y(double v, double lo, double hi) {
        return PAD_T + (H - PAD_T - PAD_B) * (1 - (v - lo) / (hi - lo));
    }

    private static String fmt(double v) {
        return Math.abs(v) >= 1000 ? String.format("%.0f", v) : String.format("%.2f", v);
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
