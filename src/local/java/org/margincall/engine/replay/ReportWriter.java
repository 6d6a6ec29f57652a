package org.margincall.engine.replay;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.margincall.engine.domain.AcceptedMark;
import org.margincall.engine.domain.Catalog;
import org.margincall.engine.domain.Evaluation;
import org.margincall.engine.domain.Marks;
import org.margincall.engine.domain.PriceArrival;
import org.margincall.engine.domain.PriceStamp;
import org.margincall.engine.domain.Thresholds;
import org.margincall.engine.domain.Timestamps;
import org.margincall.engine.domain.Venue;
import org.margincall.engine.domain.VenueSnapshot;
import org.margincall.engine.domain.WickGuard;
import org.margincall.engine.scenario.Scenario;
import org.margincall.engine.scenario.ScenarioEvent;

/**
 * A self-contained report page (inline SVG, no script, no external resource), for a risk
 * engineer to scan: first an overview (sub-accounts by final level, notices by type, the
 * sub-accounts worst first by final collateral ratio), then the price path of each instrument,
 * then, worst first, each sub-account that received a notice: its collateral ratio over scenario
 * time against the four thresholds, a marker per notice, and the notices' figures.
 *
 * <p>The trader protections are marked where they acted: suspect marks (SPEC §3.5) on the price
 * charts, recomputed from the scenario's price events with the engine's own {@link PriceArrival},
 * with the time each holds hand-offs; notices whose evaluation used a suspect mark, and among them
 * the hand-offs held (ratio at or below liquidation, level kept at CRITICAL); deadlines postponed
 * by a deposit in flight (SPEC §3.6), against the call's undelayed clock; and each notice's
 * probability of touching the liquidation price within the hour (SPEC §4).
 *
 * <p>The page is a function of the scenario and the notifications only: no wall-clock value, no
 * hash order, no randomness, numbers formatted in {@link Locale#ROOT}. The same replay gives the
 * same bytes, whether it ran through the stack or in process.
 */
public final class ReportWriter {
    private static final int W = 920;
    private static final int H = 220;
    private static final int PAD_L = 56;
    /** Right gutter: the threshold labels, offset so that close thresholds never overlap. */
    private static final int PAD_R = 150;
    private static final int PAD_T = 22;
    private static final int PAD_B = 24;
    private static final int LABEL_GAP = 11;
    /** Height of one postponed-deadline row above a ratio chart. */
    private static final int BAND_ROW = 16;
    /** Suspect marks and the notices that used one (SPEC §3.5). */
    static final String SUSPECT = "#c0392b";
    /** Deadlines postponed by a deposit in flight (SPEC §3.6). */
    static final String POSTPONED = "#8e44ad";
    /** Colour per notice type, in severity order (the legend's order: fixed, so the page is byte-identical). */
    static final Map<String, String> COLORS = ordered(
            "LIQUIDATION_HANDOFF", "#6c0a0a", "FINAL_NOTICE", "#c0392b", "MARGIN_CALL", "#e67e22",
            "MARGIN_WARNING", "#d4a017", "REMINDER", "#7f8c8d", "LEVEL_IMPROVED", "#16a085",
            "MARGIN_CALL_CURED", "#27ae60", "WARNING_CLEARED", "#2ecc71");
    /** Colour per level, most severe first. */
    static final Map<String, String> LEVELS = ordered(
            "LIQUIDATION", "#6c0a0a", "CRITICAL", "#c0392b", "MARGIN_CALL", "#e67e22", "WARNING", "#d4a017",
            "HEALTHY", "#27ae60");
    private static final DateTimeFormatter HMS = DateTimeFormatter.ofPattern("HH:mm:ss", Locale.ROOT).withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter HMS_MS = DateTimeFormatter.ofPattern("HH:mm:ss.SSS", Locale.ROOT).withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("yyyy-MM-dd", Locale.ROOT).withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter HM = DateTimeFormatter.ofPattern("HH:mm", Locale.ROOT).withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter DAY_HM = DateTimeFormatter.ofPattern("MM-dd HH:mm", Locale.ROOT).withZone(ZoneOffset.UTC);
    private static final long[] TIME_STEPS_S = {1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800,
        21600, 43200, 86400, 172800, 604800};

    private static Map<String, String> ordered(String... keyValue) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < keyValue.length; i += 2) {
            m.put(keyValue[i], keyValue[i + 1]);
        }
        return Collections.unmodifiableMap(m);
    }

    private ReportWriter() {
    }

    /** Ratios per sub-account over time, gathered from a replay's evaluations. */
    public static final class Series implements Scenario.Observer {
        final Map<String, TreeMap<Instant, Double>> ratios = new LinkedHashMap<>();
        private int evaluations;

        /** (Sub-)account evaluations observed. */
        public int evaluations() {
            return evaluations;
        }

        @Override
        public void evaluated(Instant at, Evaluation e) {
            evaluations++;
            ratios.computeIfAbsent(e.subAccountId(), k -> new TreeMap<>())
                    .put(at, e.collateralRatio() == null ? Double.NaN : e.collateralRatio());
        }
    }

    /**
     * How one (sub-)account ended.
     *
     * @param finalLevel the level of its last notice, HEALTHY when it received none
     * @param finalRatio its last known collateral ratio, NaN when never known (no requirement)
     * @param lowestRatio its lowest collateral ratio, NaN when never known
     * @param notices its notices in order
     */
    public record Outcome(String subAccount, String finalLevel, double finalRatio, double lowestRatio, Instant lowestAt,
                          List<JsonNode> notices) {
        public JsonNode lastNotice() {
            return notices.isEmpty() ? null : notices.get(notices.size() - 1);
        }
    }

    /**
     * What the report and the summary open with.
     *
     * @param worstFirst every (sub-)account, lowest final collateral ratio first (unknown last, ties by id)
     * @param noticesByType count per notice type, in severity order, zeros included
     * @param byFinalLevel (sub-)accounts per final level, most severe first, zeros included
     */
    public record Overview(List<Outcome> worstFirst, Map<String, Integer> noticesByType, Map<String, Integer> byFinalLevel) {

        public static Overview of(Series series, List<JsonNode> notifications) {
            Map<String, List<JsonNode>> bySub = bySubAccount(notifications);
            Set<String> subs = new LinkedHashSet<>(series.ratios.keySet());
            subs.addAll(bySub.keySet());
            List<Outcome> outcomes = new ArrayList<>();
            for (String sub : subs) {
                List<JsonNode> notices = bySub.getOrDefault(sub, List.of());
                TreeMap<Instant, Double> path = new TreeMap<>(series.ratios.getOrDefault(sub, new TreeMap<>()));
                for (JsonNode n : notices) {
                    path.putIfAbsent(Timestamps.parse("evaluatedAt", n.get("evaluatedAt").asText()), ratio(n));
                }
                double last = Double.NaN;
                double lowest = Double.NaN;
                Instant lowestAt = null;
                for (Map.Entry<Instant, Double> p : path.entrySet()) {
                    double v = p.getValue();
                    if (Double.isFinite(v)) {
                        last = v;
                        if (Double.isNaN(lowest) || v < lowest) {
                            lowest = v;
                            lowestAt = p.getKey();
                        }
                    }
                }
                String level = notices.isEmpty() ? "HEALTHY" : notices.get(notices.size() - 1).get("level").asText();
                outcomes.add(new Outcome(sub, level, last, lowest, lowestAt, List.copyOf(notices)));
            }
            outcomes.sort(Comparator.comparing((Outcome o) -> Double.isNaN(o.finalRatio()))
                    .thenComparingDouble(o -> Double.isNaN(o.finalRatio()) ? 0 : o.finalRatio())
                    .thenComparing(Outcome::subAccount));
            Map<String, Integer> types = new LinkedHashMap<>();
            COLORS.keySet().forEach(t -> types.put(t, 0));
            Map<String, Integer> other = new TreeMap<>();
            for (JsonNode n : notifications) {
                String type = n.get("type").asText();
                (types.containsKey(type) ? types : other).merge(type, 1, Integer::sum);
            }
            types.putAll(other);
            Map<String, Integer> levels = new LinkedHashMap<>();
            LEVELS.keySet().forEach(l -> levels.put(l, 0));
            Map<String, Integer> otherLevels = new TreeMap<>();
            for (Outcome o : outcomes) {
                (levels.containsKey(o.finalLevel()) ? levels : otherLevels).merge(o.finalLevel(), 1, Integer::sum);
            }
            levels.putAll(otherLevels);
            return new Overview(List.copyOf(outcomes), Collections.unmodifiableMap(types), Collections.unmodifiableMap(levels));
        }
    }

    /**
     * A mark the engine flagged as suspect on arrival (SPEC §3.5).
     *
     * @param why the rule that flagged it, with the figures
     */
    public record SuspectTick(String instrument, Instant at, BigDecimal price, String why) {
    }

    /**
     * The scenario's suspect marks in event order, decided as the engine decides them: each PRICE
     * event through {@link PriceArrival} on a snapshot of its own (duplicates and out-of-order
     * events are not marks). Empty when the venue has no wick guard.
     */
    public static List<SuspectTick> suspectTicks(Scenario scenario) {
        Catalog catalog = scenario.catalog();
        WickGuard guard = catalog.venue().wickGuard();
        if (guard == null) {
            return List.of();
        }
        VenueSnapshot snap = new VenueSnapshot(catalog, new Marks(catalog), new HashMap<>());
        Map<String, ScenarioEvent.Price> previous = new HashMap<>();
        List<SuspectTick> out = new ArrayList<>();
        for (ScenarioEvent e : scenario.events()) {
            if (!(e instanceof ScenarioEvent.Price p)) {
                continue;
            }
            AcceptedMark m = PriceArrival.accept(snap, p.instrument(), p.markPrice(), p.indexPrice(),
                    PriceStamp.of(p.at(), p.sequence()), "scenario");
            if (m == null) {
                continue;
            }
            PriceArrival.apply(snap, m);
            ScenarioEvent.Price before = previous.put(p.instrument(), p);
            if (!m.suspect()) {
                continue;
            }
            String why;
            if (p.indexPrice() != null) {
                why = "mark " + pct(p.markPrice(), p.indexPrice()) + " from index " + trimZeros(p.indexPrice().toPlainString())
                        + " (maxMarkIndexDeviation " + share(guard.maxMarkIndexDeviation()) + ")";
            } else {
                why = pct(p.markPrice(), before.markPrice()) + " from " + trimZeros(before.markPrice().toPlainString())
                        + " " + Duration.between(before.at(), p.at()).toSeconds() + " s earlier (maxTickMove "
                        + share(guard.maxTickMove()) + ")";
            }
            out.add(new SuspectTick(p.instrument(), p.at(), p.markPrice(), why));
        }
        return List.copyOf(out);
    }

    /**
     * What one notice shows of the protections.
     *
     * @param suspect its evaluation used a suspect mark ({@code priceSuspect})
     * @param held a hand-off held: the ratio was at or below liquidation, yet the level is not LIQUIDATION
     * @param deadline the notice's {@code deadline}, or null
     * @param undelayed when that clock step would fall due had no deposit in flight postponed it
     *        (the call's opening + grace, + final once the call had its final notice), or null
     * @param handoffStep whether the deadline is the hand-off step's (the call had its final notice)
     */
    public record NoticeMarks(boolean suspect, boolean held, Instant deadline, Instant undelayed, boolean handoffStep) {
        public boolean postponed() {
            return deadline != null && undelayed != null && deadline.isAfter(undelayed);
        }
    }

    /**
     * The marks of a (sub-)account's notices, in order. A call opens with a notice (SPEC §3.3), so
     * its first notice's time is the opening; {@code deadline} is the grace step's until the call's
     * final notice, the hand-off step's after it (SPEC §3.4, §6).
     */
    public static List<NoticeMarks> noticeMarks(List<JsonNode> notices, Venue venue) {
        double liquidation = venue.thresholds().liquidation().doubleValue();
        Map<String, Instant> opened = new HashMap<>();
        Set<String> finalSent = new HashSet<>();
        List<NoticeMarks> out = new ArrayList<>();
        for (JsonNode n : notices) {
            Instant at = Timestamps.parse("evaluatedAt", n.get("evaluatedAt").asText());
            JsonNode call = n.get("callId");
            Instant undelayed = null;
            boolean handoffStep = false;
            if (call != null && !call.isNull()) {
                Instant opening = opened.computeIfAbsent(call.asText(), k -> at);
                if ("FINAL_NOTICE".equals(n.get("type").asText())) {
                    finalSent.add(call.asText());
                }
                handoffStep = finalSent.contains(call.asText());
                undelayed = opening.plusSeconds(venue.gracePeriodSeconds() + (handoffStep ? venue.finalNoticeSeconds() : 0));
            }
            JsonNode d = n.get("deadline");
            Instant deadline = d == null || d.isNull() ? null : Timestamps.parse("deadline", d.asText());
            JsonNode s = n.get("priceSuspect");
            boolean suspect = s != null && s.asBoolean();
            double r = ratio(n);
            boolean held = suspect && Double.isFinite(r) && r <= liquidation && !"LIQUIDATION".equals(n.get("level").asText());
            out.add(new NoticeMarks(suspect, held, deadline, undelayed, handoffStep));
        }
        return List.copyOf(out);
    }

    public static String html(String title, Scenario scenario, Series series, List<JsonNode> notifications) {
        List<ScenarioEvent> events = scenario.events();
        Instant start = events.isEmpty() ? Instant.EPOCH : events.get(0).at();
        Instant end = events.isEmpty() ? Instant.EPOCH.plusSeconds(1) : events.get(events.size() - 1).at();
        if (!end.isAfter(start)) {
            end = start.plusSeconds(1);
        }
        Thresholds t = scenario.catalog().venue().thresholds();
        Overview overview = Overview.of(series, notifications);
        StringBuilder b = new StringBuilder();
        b.append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>").append(esc(title))
                .append("</title><style>body{font:14px system-ui,sans-serif;margin:24px;color:#222}"
                        + "h1{font-size:20px;margin:0 0 6px}h2{font-size:17px;margin:28px 0 6px;border-bottom:1px solid #ddd}"
                        + "h3{font-size:14px;margin:20px 0 4px}p{margin:4px 0}.meta{color:#555}"
                        + "svg{background:#fafafa;border:1px solid #ddd;display:block}"
                        + ".legend span{display:inline-block;margin-right:14px}"
                        + "i.sw{display:inline-block;width:10px;height:10px;margin-right:5px;border-radius:5px}"
                        + "table{border-collapse:collapse;margin:4px 0 8px}td,th{padding:2px 8px;text-align:left;"
                        + "border-bottom:1px solid #eee;vertical-align:top}th{background:#f3f3f3;font-weight:600}"
                        + ".n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}.t{white-space:nowrap}"
                        + "th.n{white-space:normal}"
                        + ".cards{display:flex;gap:32px;flex-wrap:wrap;align-items:flex-start}.note{color:#777;font-size:12px}"
                        + "i.ring{display:inline-block;width:9px;height:9px;margin:0 5px -1px 0;border-radius:50%;"
                        + "border:1.6px solid " + SUSPECT + "}i.ring.d{border-style:dashed}"
                        + "i.band{display:inline-block;width:14px;height:10px;margin:0 5px -1px 0;background:" + SUSPECT
                        + ";opacity:.15}i.arrow{display:inline-block;width:16px;height:0;margin:0 5px 3px 0;"
                        + "border-top:1.6px solid " + POSTPONED + "}"
                        + ".tag{display:inline-block;font-size:11px;padding:0 4px;margin:0 3px 1px 0;border-radius:3px;"
                        + "white-space:nowrap;border:1px solid}.tag.s{color:" + SUSPECT + "}.tag.h{color:#fff;background:#6c0a0a;"
                        + "border-color:#6c0a0a}.tag.p{color:" + POSTPONED + "}.tag.w{color:#555}"
                        + "</style></head><body>");
        b.append("<h1>").append(esc(title)).append("</h1><p class=\"meta\">Venue <b>")
                .append(esc(scenario.catalog().venue().id())).append("</b>: ").append(scenario.accounts().size())
                .append(" accounts, ").append(events.size()).append(" events from ").append(Timestamps.format(start))
                .append(" to ").append(Timestamps.format(end)).append(" (scenario time, UTC; a time below without a date is on ")
                .append(DAY.format(start)).append("), ")
                .append(notifications.size()).append(" notifications.</p>");
        b.append("<p class=\"meta\">Collateral ratio = equity / maintenance margin. Thresholds: ");
        String[] names = thresholdNames();
        double[] values = thresholdValues(t);
        String[] colors = thresholdColors();
        for (int i = 0; i < names.length; i++) {
            b.append(i == 0 ? "" : " · ").append("<b style=\"color:").append(colors[i]).append("\">").append(names[i])
                    .append(' ').append(plain(values[i])).append("</b>");
        }
        b.append(", hysteresis ").append(esc(scenario.catalog().venue().hysteresis().stripTrailingZeros().toPlainString()))
                .append(".</p>");

        WickGuard guard = scenario.catalog().venue().wickGuard();
        List<SuspectTick> suspects = suspectTicks(scenario);
        Map<String, List<NoticeMarks>> marksBySub = new LinkedHashMap<>();
        for (Outcome o : overview.worstFirst()) {
            marksBySub.put(o.subAccount(), noticeMarks(o.notices(), scenario.catalog().venue()));
        }
        overview(b, overview, start, protections(guard != null, suspects, marksBySub));

        // Price paths.
        Map<String, TreeMap<Instant, Double>> prices = new LinkedHashMap<>();
        for (ScenarioEvent e : events) {
            if (e instanceof ScenarioEvent.Price p) {
                prices.computeIfAbsent(p.instrument(), k -> new TreeMap<>()).put(p.at(), p.markPrice().doubleValue());
            }
        }
        if (!prices.isEmpty()) {
            b.append("<h2>Mark prices</h2>");
            if (guard != null) {
                b.append("<p class=\"note\"><i class=\"ring\"></i>suspect mark (wick guard, SPEC §3.5: more than ")
                        .append(share(guard.maxMarkIndexDeviation())).append(" from the event's index, or without an index more than ")
                        .append(share(guard.maxTickMove())).append(" from the previous mark at most ").append(guard.windowSeconds())
                        .append(" s earlier) <i class=\"band\"></i>the ").append(guard.holdSeconds())
                        .append(" s it holds hand-offs of the accounts that use it. ").append(suspects.size())
                        .append(suspects.size() == 1 ? " suspect mark." : " suspect marks.").append("</p>");
            }
        }
        for (Map.Entry<String, TreeMap<Instant, Double>> p : prices.entrySet()) {
            double lo = p.getValue().values().stream().mapToDouble(Double::doubleValue).min().orElse(0);
            double hi = p.getValue().values().stream().mapToDouble(Double::doubleValue).max().orElse(1);
            double pad = Math.max((hi - lo) * 0.05, Math.abs(hi) * 0.001);
            List<SuspectTick> mine = suspects.stream().filter(s -> s.instrument().equals(p.getKey())).toList();
            b.append("<h3>").append(esc(p.getKey())).append("</h3>");
            chart(b, start, end, new Axis(lo - pad, hi + pad, null), null, p.getValue(), "#2c3e50", List.of(),
                    new Overlay(mine, guard == null ? 0 : guard.holdSeconds(), List.of()));
        }

        // Ratios per sub-account that received a notice, worst first, with their notices.
        b.append("<h2>Collateral ratio per (sub-)account, worst first</h2><div class=\"legend\">Markers: ");
        COLORS.forEach((type, color) -> b.append("<span><i class=\"sw\" style=\"background:").append(color)
                .append("\"></i>").append(type).append("</span>"));
        b.append("</div><p class=\"note\">");
        if (guard != null) {
            b.append("<i class=\"ring d\"></i>the notice's evaluation used a suspect mark (priceSuspect, SPEC §3.5) · "
                    + "<span class=\"tag h\">held</span>hand-off held: the ratio was at or below liquidation, the suspect "
                    + "mark kept the level at CRITICAL · ");
        }
        b.append("<i class=\"arrow\"></i>deadline postponed by a deposit in flight (SPEC §3.6), from the call's "
                + "undelayed clock step to the deadline the notices carry · <span class=\"tag w\">pending</span>deposits in "
                + "flight, their value · P(touch 1h): probability that the mark touches the liquidation price within the "
                + "hour (liquidationProbability1h, SPEC §4)</p>");
        int quiet = 0;
        for (Outcome o : overview.worstFirst()) {
            if (o.notices().isEmpty()) {
                quiet++;
                continue;
            }
            TreeMap<Instant, Double> path = series.ratios.getOrDefault(o.subAccount(), new TreeMap<>());
            b.append("<h3 id=\"").append(anchor(o.subAccount())).append("\">").append(esc(o.subAccount()))
                    .append(" — final <span style=\"color:").append(LEVELS.getOrDefault(o.finalLevel(), "#000")).append("\">")
                    .append(esc(o.finalLevel())).append("</span>, ratio ").append(ratio4(o.finalRatio())).append(" (")
                    .append(o.notices().size()).append(o.notices().size() == 1 ? " notice" : " notices").append(")</h3>");
            List<NoticeMarks> marks = marksBySub.get(o.subAccount());
            chart(b, start, end, ratioAxis(t, path, o.notices()), t, path, "#2980b9", o.notices(),
                    new Overlay(List.of(), 0, marks));
            noticeTable(b, o.notices(), marks, start);
        }
        if (quiet > 0) {
            b.append("<p class=\"note\">").append(quiet).append(quiet == 1 ? " (sub-)account" : " (sub-)accounts")
                    .append(" received no notice; their final and lowest ratios are in the overview.</p>");
        }
        return b.append("</body></html>\n").toString();
    }

    /**
     * The overview's card of the trader protections (SPEC §3.5, §3.6): how often they acted. Empty
     * when the venue has no wick guard and no deadline was postponed.
     */
    private static String protections(boolean guarded, List<SuspectTick> suspects, Map<String, List<NoticeMarks>> marks) {
        int suspectNotices = 0;
        int held = 0;
        int postponed = 0;
        for (List<NoticeMarks> ms : marks.values()) {
            for (NoticeMarks m : ms) {
                suspectNotices += m.suspect() ? 1 : 0;
                held += m.held() ? 1 : 0;
            }
            postponed += postponedSteps(ms).size();
        }
        if (!guarded && postponed == 0) {
            return "";
        }
        StringBuilder b = new StringBuilder("<table><tr><th>protections</th><th class=\"n\">count</th></tr>");
        if (guarded) {
            b.append("<tr><td><i class=\"ring\"></i>suspect marks</td><td class=\"n\">").append(suspects.size())
                    .append("</td></tr><tr><td><i class=\"ring d\"></i>notices on a suspect mark</td><td class=\"n\">")
                    .append(suspectNotices).append("</td></tr><tr><td><span class=\"tag h\">held</span>hand-offs held</td>"
                            + "<td class=\"n\">").append(held).append("</td></tr>");
        }
        return b.append("<tr><td><i class=\"arrow\"></i>clock steps postponed</td><td class=\"n\">").append(postponed)
                .append("</td></tr></table>").toString();
    }

    private static void overview(StringBuilder b, Overview o, Instant start, String protections) {
        b.append("<h2>Overview</h2><div class=\"cards\"><table><tr><th>final level</th><th class=\"n\">(sub-)accounts</th></tr>");
        o.byFinalLevel().forEach((level, count) -> b.append("<tr><td><i class=\"sw\" style=\"background:")
                .append(LEVELS.getOrDefault(level, "#000")).append("\"></i>").append(esc(level)).append("</td><td class=\"n\">")
                .append(count).append("</td></tr>"));
        b.append("<tr><td><b>total</b></td><td class=\"n\"><b>").append(o.worstFirst().size()).append("</b></td></tr></table>");
        b.append("<table><tr><th>notice type</th><th class=\"n\">notices</th></tr>");
        int total = 0;
        for (Map.Entry<String, Integer> e : o.noticesByType().entrySet()) {
            total += e.getValue();
            b.append("<tr><td><i class=\"sw\" style=\"background:").append(COLORS.getOrDefault(e.getKey(), "#000"))
                    .append("\"></i>").append(esc(e.getKey())).append("</td><td class=\"n\">").append(e.getValue())
                    .append("</td></tr>");
        }
        b.append("<tr><td><b>total</b></td><td class=\"n\"><b>").append(total).append("</b></td></tr></table>").append(protections)
                .append("</div>");
        b.append("<h3>(Sub-)accounts, worst first (lowest final collateral ratio)</h3>")
                .append("<p class=\"note\">Deposits and the reduce fraction are those of the last notice; a (sub-)account "
                        + "without notice stayed HEALTHY. Isolated positions are sub-accounts of their own "
                        + "(account:instrument).</p>");
        b.append("<table><tr><th class=\"n\">#</th><th>(sub-)account</th><th>final level</th><th class=\"n\">final ratio</th>"
                + "<th class=\"n\">lowest ratio</th><th>lowest at</th><th class=\"n\">notices</th><th>last notice</th>"
                + "<th class=\"n\">required deposit</th><th class=\"n\">minimum deposit</th><th class=\"n\">reduce fraction</th></tr>");
        int rank = 0;
        for (Outcome out : o.worstFirst()) {
            JsonNode last = out.lastNotice();
            b.append("<tr><td class=\"n\">").append(++rank).append("</td><td class=\"t\">");
            if (last == null) {
                b.append(esc(out.subAccount()));
            } else {
                b.append("<a href=\"#").append(anchor(out.subAccount())).append("\">").append(esc(out.subAccount())).append("</a>");
            }
            b.append("</td><td style=\"color:").append(LEVELS.getOrDefault(out.finalLevel(), "#000")).append("\">")
                    .append(esc(out.finalLevel())).append("</td><td class=\"n\">").append(ratio4(out.finalRatio()))
                    .append("</td><td class=\"n\">").append(ratio4(out.lowestRatio())).append("</td><td class=\"t\">")
                    .append(out.lowestAt() == null ? "—" : clock(out.lowestAt(), start)).append("</td><td class=\"n\">")
                    .append(out.notices().size()).append("</td>");
            if (last == null) {
                b.append("<td>—</td><td class=\"n\">—</td><td class=\"n\">—</td><td class=\"n\">—</td>");
            } else {
                b.append("<td style=\"color:").append(COLORS.getOrDefault(last.get("type").asText(), "#000")).append("\">")
                        .append(esc(last.get("type").asText())).append("</td><td class=\"n\">").append(text(last, "requiredDeposit"))
                        .append("</td><td class=\"n\">").append(text(last, "minimumDeposit")).append("</td><td class=\"n\">")
                        .append(number(last, "reduceFraction")).append("</td>");
            }
            b.append("</tr>");
        }
        b.append("</table>");
    }

    private static void noticeTable(StringBuilder b, List<JsonNode> notices, List<NoticeMarks> marks, Instant start) {
        b.append("<table><tr><th>time (UTC)</th><th>type</th><th>reason</th><th>level</th><th class=\"n\">ratio</th>"
                + "<th class=\"n\">equity</th><th class=\"n\">required deposit</th><th class=\"n\">minimum deposit</th>"
                + "<th class=\"n\">reduce fraction</th><th class=\"n\">liquidation price</th><th class=\"n\">P(touch 1h)</th>"
                + "<th>deadline</th><th>protections</th></tr>");
        for (int i = 0; i < notices.size(); i++) {
            JsonNode n = notices.get(i);
            NoticeMarks m = marks.get(i);
            Instant at = Timestamps.parse("evaluatedAt", n.get("evaluatedAt").asText());
            b.append("<tr><td class=\"t\" title=\"").append(esc(n.get("evaluatedAt").asText())).append("\">")
                    .append(clock(at, start)).append("</td><td style=\"color:")
                    .append(COLORS.getOrDefault(n.get("type").asText(), "#000")).append("\">")
                    .append(esc(n.get("type").asText())).append("</td><td>").append(esc(n.get("reason").asText()))
                    .append("</td><td>").append(esc(n.get("level").asText())).append("</td><td class=\"n\">")
                    .append(ratio4(ratio(n))).append("</td><td class=\"n\">").append(text(n, "equity"))
                    .append("</td><td class=\"n\">").append(text(n, "requiredDeposit")).append("</td><td class=\"n\">")
                    .append(text(n, "minimumDeposit")).append("</td><td class=\"n\">").append(number(n, "reduceFraction"))
                    .append("</td><td class=\"n\">").append(liquidationPrices(n)).append("</td><td class=\"n\">")
                    .append(touchProbabilities(n)).append("</td><td>");
            if (m.deadline() == null) {
                b.append("—");
            } else {
                b.append("<span class=\"t\">").append(clock(m.deadline(), start)).append("</span>");
                if (m.postponed()) {
                    b.append(" <span class=\"tag p\" title=\"").append(m.handoffStep() ? "hand-off" : "grace")
                            .append(" step due at ").append(clock(m.undelayed(), start)).append(" without the deposit in flight\">")
                            .append("postponed ").append(shift(Duration.between(m.undelayed(), m.deadline()))).append("</span>");
                }
            }
            b.append("</td><td>");
            if (m.held()) {
                b.append("<span class=\"tag h\">held</span>");
            }
            if (m.suspect()) {
                b.append("<span class=\"tag s\">suspect price</span>");
            }
            JsonNode pending = n.get("pendingDeposit");
            if (pending != null && !pending.isNull() && new BigDecimal(pending.asText()).signum() != 0) {
                b.append("<span class=\"tag w\" title=\"deposits in flight (pendingDeposit, SPEC §3.6)\">pending ")
                        .append(esc(pending.asText())).append("</span>");
            }
            b.append("</td></tr>");
        }
        b.append("</table>");
    }

    /**
     * Each position's liquidationProbability1h as a percentage, one decimal (half-up), "—" when null:
     * one line per position, level with its line in the liquidation price column.
     */
    private static String touchProbabilities(JsonNode n) {
        JsonNode positions = n.get("positions");
        if (positions == null || !positions.isArray() || positions.isEmpty()) {
            return "—";
        }
        List<String> lines = new ArrayList<>();
        for (JsonNode p : positions) {
            JsonNode v = p.get("liquidationProbability1h");
            String pr = v == null || v.isNull() || !v.isNumber() ? "—" : percent(v.decimalValue());
            lines.add(pr);
        }
        return String.join("<br>", lines);
    }

    /** A fraction as a percentage with one decimal, half-up: 0.3132 → "31.3 %". */
    static String percent(BigDecimal fraction) {
        return fraction.movePointRight(2).setScale(1, RoundingMode.HALF_UP).toPlainString() + " %";
    }

    /** A venue setting given as a fraction, as a percentage without trailing zeros: 0.05 → "5 %". */
    private static String share(BigDecimal fraction) {
        return fraction.movePointRight(2).stripTrailingZeros().toPlainString() + " %";
    }

    /** The signed relative move from {@code from} to {@code to}, as a percentage: "−8.0 %". */
    private static String pct(BigDecimal to, BigDecimal from) {
        String p = percent(to.subtract(from).divide(from, MathContext.DECIMAL64));
        return p.startsWith("-") ? "−" + p.substring(1) : "+" + p;
    }

    /** An instant as a clock time, with the date only when it is not {@code ref}'s (UTC), milliseconds only when set. */
    private static String clock(Instant t, Instant ref) {
        String c = t.getNano() == 0 ? HMS.format(t) : HMS_MS.format(t);
        boolean sameDay = t.atZone(ZoneOffset.UTC).toLocalDate().equals(ref.atZone(ZoneOffset.UTC).toLocalDate());
        return sameDay ? c : DAY.format(t) + " " + c;
    }

    /** A positive duration, short: "+45 s", "+8 min 00 s", "+2 h 05 min". */
    static String shift(Duration d) {
        long ms = d.toMillis();
        long s = ms / 1000;
        if (s < 60) {
            return ms % 1000 == 0 ? "+" + s + " s" : String.format(Locale.ROOT, "+%.3f s", ms / 1000.0);
        }
        if (s < 3600) {
            return String.format(Locale.ROOT, "+%d min %02d s", s / 60, s % 60);
        }
        return String.format(Locale.ROOT, "+%d h %02d min", s / 3600, (s % 3600) / 60);
    }

    /** One line per position: the price alone for a single position, prefixed by the instrument otherwise. */
    private static String liquidationPrices(JsonNode n) {
        JsonNode positions = n.get("positions");
        if (positions == null || !positions.isArray() || positions.isEmpty()) {
            return "—";
        }
        List<String> lines = new ArrayList<>();
        for (JsonNode p : positions) {
            JsonNode l = p.get("liquidationPrice");
            String price = l == null || l.isNull() ? "none" : esc(trimZeros(l.asText()));
            lines.add(positions.size() == 1 ? price : esc(p.get("instrument").asText()) + " " + price);
        }
        return String.join("<br>", lines);
    }

    /** The value axis of a chart, and what was left out of it (to say so on the chart). */
    private record Axis(double lo, double hi, String clipNote) {
    }

    /**
     * Scaled to the data and the four thresholds (all four always visible). Ratios far off the
     * thresholds' region (above three times the warning level, or further below the liquidation
     * level than the thresholds' span twice over) would flatten the interesting part: the axis is
     * cut there, the line drawn at the edge, and the chart says so with the extreme value.
     */
    private static Axis ratioAxis(Thresholds t, TreeMap<Instant, Double> path, List<JsonNode> notices) {
        double warning = t.warning().doubleValue();
        double liquidation = t.liquidation().doubleValue();
        double dmin = Double.POSITIVE_INFINITY;
        double dmax = Double.NEGATIVE_INFINITY;
        List<Double> all = new ArrayList<>(path.values());
        notices.forEach(n -> all.add(ratio(n)));
        for (double v : all) {
            if (Double.isFinite(v)) {
                dmin = Math.min(dmin, v);
                dmax = Math.max(dmax, v);
            }
        }
        double capHi = warning * 3;
        double capLo = Math.min(0, liquidation) - 2 * (warning - liquidation);
        double hi = Math.max(warning, Math.min(capHi, dmax));
        double lo = Math.min(liquidation, Math.max(capLo, dmin));
        List<String> notes = new ArrayList<>();
        if (dmax > capHi) {
            notes.add("above " + fmt(capHi) + " (up to " + fmt(dmax) + ") drawn at the top");
        }
        if (dmin < capLo) {
            notes.add("below " + fmt(capLo) + " (down to " + fmt(dmin) + ") drawn at the bottom");
        }
        double pad = (hi - lo) * 0.06;
        return new Axis(lo - pad, hi + pad, notes.isEmpty() ? null : "axis cut: ratios " + String.join(", ", notes));
    }

    /**
     * What a chart marks beyond its line and notices.
     *
     * @param suspects suspect marks of a price chart, each shaded for {@code holdSeconds}
     * @param notices the marks of a ratio chart's notices, aligned with them
     */
    private record Overlay(List<SuspectTick> suspects, long holdSeconds, List<NoticeMarks> notices) {
    }

    private static void chart(StringBuilder b, Instant start, Instant end, Axis axis, Thresholds thresholds,
                              TreeMap<Instant, Double> series, String color, List<JsonNode> marks, Overlay overlay) {
        double lo = axis.lo();
        double hi = axis.hi();
        double span = end.toEpochMilli() - start.toEpochMilli();
        List<NoticeMarks> postponed = postponedSteps(overlay.notices());
        int band = postponed.isEmpty() ? 0 : BAND_ROW * postponed.size() + 6;
        b.append("<svg width=\"").append(W).append("\" height=\"").append(H + band).append("\" viewBox=\"0 0 ").append(W).append(' ')
                .append(H + band).append("\" role=\"img\">");
        if (band > 0) {
            b.append("<g transform=\"translate(0,").append(band).append(")\">");
        }
        // Value grid and labels.
        double step = niceStep((hi - lo) / 5);
        for (long k = (long) Math.ceil(lo / step - 1e-9); k <= (long) Math.floor(hi / step + 1e-9); k++) {
            double v = k * step;
            double yy = y(v, lo, hi);
            b.append(f("<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#e6e6e6\"/>", PAD_L, W - PAD_R, yy, yy));
            b.append(f("<text x=\"%d\" y=\"%.1f\" font-size=\"10\" fill=\"#666\" text-anchor=\"end\">%s</text>", PAD_L - 6,
                    yy + 3, tick(v, step)));
        }
        // Time grid and labels (scenario time, UTC).
        long spanS = Math.max(1, Duration.between(start, end).toSeconds());
        long stepS = TIME_STEPS_S[TIME_STEPS_S.length - 1];
        for (long s : TIME_STEPS_S) {
            if (spanS / s <= 8) {
                stepS = s;
                break;
            }
        }
        DateTimeFormatter tf = stepS < 60 ? HMS : spanS >= 86400 ? DAY_HM : HM;
        long first = Math.floorDiv(start.getEpochSecond() + stepS - 1, stepS) * stepS;
        for (long s = first; s <= end.getEpochSecond(); s += stepS) {
            double xx = x(Instant.ofEpochSecond(s), start, span);
            b.append(f("<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"#eee\"/>", xx, xx, PAD_T, H - PAD_B));
            b.append(f("<text x=\"%.1f\" y=\"%d\" font-size=\"10\" fill=\"#666\" text-anchor=\"middle\">%s</text>", xx, H - 8,
                    tf.format(Instant.ofEpochSecond(s))));
        }
        b.append(f("<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#ccc\"/>", PAD_L, PAD_T,
                W - PAD_L - PAD_R, H - PAD_T - PAD_B));
        if (thresholds != null) {
            thresholdLines(b, thresholds, lo, hi);
        }
        double right = W - PAD_R;
        for (SuspectTick s : overlay.suspects()) {
            // the time it holds hand-offs (SPEC §3.5)
            double x0 = x(s.at(), start, span);
            double x1 = Math.min(right, x(s.at().plusSeconds(overlay.holdSeconds()), start, span));
            if (x1 > x0) {
                b.append(f("<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\" fill-opacity=\"0.15\"/>", x0,
                        PAD_T, x1 - x0, H - PAD_T - PAD_B, SUSPECT));
            }
        }
        StringBuilder path = new StringBuilder();
        Double last = null;
        for (Map.Entry<Instant, Double> p : series.entrySet()) {
            double v = p.getValue();
            if (!Double.isFinite(v)) {
                continue;
            }
            double xx = x(p.getKey(), start, span);
            double yy = y(clamp(v, lo, hi), lo, hi);
            if (last != null) {
                path.append(f(" L%.1f %.1f", xx, y(clamp(last, lo, hi), lo, hi))); // step: hold until the change
            }
            path.append(path.length() == 0 ? f("M%.1f %.1f", xx, yy) : f(" L%.1f %.1f", xx, yy));
            last = v;
        }
        if (last != null) {
            path.append(f(" L%d %.1f", W - PAD_R, y(clamp(last, lo, hi), lo, hi)));
            b.append("<path d=\"").append(path).append("\" fill=\"none\" stroke=\"").append(color)
                    .append("\" stroke-width=\"1.6\"/>");
        }
        for (SuspectTick s : overlay.suspects()) {
            b.append(f("<circle cx=\"%.1f\" cy=\"%.1f\" r=\"6\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.6\">"
                            + "<title>suspect mark %s %s at %s: %s</title></circle>", x(s.at(), start, span),
                    y(clamp(s.price().doubleValue(), lo, hi), lo, hi), SUSPECT, esc(s.instrument()),
                    esc(trimZeros(s.price().toPlainString())), Timestamps.format(s.at()), esc(s.why())));
        }
        for (int i = 0; i < marks.size(); i++) {
            JsonNode n = marks.get(i);
            NoticeMarks m = i < overlay.notices().size() ? overlay.notices().get(i) : null;
            Instant at = Timestamps.parse("evaluatedAt", n.get("evaluatedAt").asText());
            double r = ratio(n);
            double xx = x(at, start, span);
            double yy = y(Double.isFinite(r) ? clamp(r, lo, hi) : hi, lo, hi);
            if (m != null && m.suspect()) {
                b.append(f("<circle cx=\"%.1f\" cy=\"%.1f\" r=\"8.5\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.4\" "
                        + "stroke-dasharray=\"3 2\"/>", xx, yy, SUSPECT));
            }
            b.append(f("<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"%s\" stroke=\"#fff\"><title>%s %s %s, level %s, ratio %s%s</title></circle>",
                    xx, yy, COLORS.getOrDefault(n.get("type").asText(), "#000"),
                    esc(n.get("evaluatedAt").asText()), esc(n.get("type").asText()), esc(n.get("reason").asText()),
                    esc(n.get("level").asText()), ratio4(r), m == null ? "" : (m.suspect() ? ", suspect price" : "")
                            + (m.held() ? ", hand-off held" : "")));
            if (m != null && m.held()) {
                // above the marker, or below it when the marker is at the top of the plot
                double ly = yy - 12 < PAD_T + 8 ? yy + 20 : yy - 12;
                b.append(f("<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" font-weight=\"600\" fill=\"#6c0a0a\" "
                        + "text-anchor=\"middle\" stroke=\"#fafafa\" stroke-width=\"3\" paint-order=\"stroke\">held</text>", xx, ly));
            }
        }
        if (axis.clipNote() != null) {
            b.append(f("<text x=\"%d\" y=\"%d\" font-size=\"10\" fill=\"#a00\">%s</text>", PAD_L, PAD_T - 8,
                    esc(axis.clipNote())));
        }
        if (band > 0) {
            b.append("</g>");
            postponements(b, postponed, start, span, band);
        }
        b.append("</svg>");
    }

    /** The distinct postponed clock steps among a (sub-)account's notices, in order. */
    private static List<NoticeMarks> postponedSteps(List<NoticeMarks> marks) {
        Map<String, NoticeMarks> steps = new LinkedHashMap<>();
        for (NoticeMarks m : marks) {
            if (m.postponed()) {
                steps.putIfAbsent(m.undelayed() + " " + m.deadline(), m);
            }
        }
        return List.copyOf(steps.values());
    }

    /**
     * One row per postponed clock step in a band above the plot (which is moved down by
     * {@code band}): an arrow from the call's undelayed step to the deadline its notices carry, a
     * dotted line down the plot at the undelayed step, and a label beside the arrow.
     */
    private static void postponements(StringBuilder b, List<NoticeMarks> steps, Instant start, double span, int band) {
        double left = PAD_L;
        double right = W - PAD_R;
        int row = 0;
        for (NoticeMarks m : steps) {
            double x0 = Math.max(left, Math.min(right, x(m.undelayed(), start, span)));
            double x1 = Math.max(left, Math.min(right, x(m.deadline(), start, span)));
            double cy = 9 + BAND_ROW * row++;
            b.append(f("<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%d\" stroke=\"%s\" stroke-dasharray=\"2 3\"/>", x0, x0,
                    cy, band + H - PAD_B, POSTPONED));
            b.append(f("<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"1.6\"/>", x0,
                    Math.max(x0, x1 - 4), cy, cy, POSTPONED));
            b.append(f("<polygon points=\"%.1f,%.1f %.1f,%.1f %.1f,%.1f\" fill=\"%s\"/>", x1, cy, x1 - 7, cy - 4, x1 - 7, cy + 4,
                    POSTPONED));
            String label = (m.handoffStep() ? "hand-off step " : "grace step ") + clock(m.undelayed(), start) + " → "
                    + clock(m.deadline(), start) + " (" + shift(Duration.between(m.undelayed(), m.deadline()))
                    + ", deposit in flight)";
            // right of the arrow when it fits in the chart (the band has no threshold labels), else left of it
            boolean after = x1 + 6 + label.length() * 5.4 <= W - 4;
            b.append(f("<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" fill=\"%s\" text-anchor=\"%s\" stroke=\"#fafafa\" "
                    + "stroke-width=\"3\" paint-order=\"stroke\">%s</text>", after ? x1 + 6 : x0 - 6, cy + 3.5, POSTPONED, after ? "start" : "end", esc(label)));
        }
    }

    /**
     * Dashed lines across the plot, labels in the right gutter: each at its line unless that
     * would overlap its neighbour, then pushed apart and tied to its line by a short leader.
     */
    private static void thresholdLines(StringBuilder b, Thresholds t, double lo, double hi) {
        String[] names = thresholdNames();
        double[] values = thresholdValues(t);
        String[] colors = thresholdColors();
        double[] lineY = new double[values.length];
        double[] labelY = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            lineY[i] = y(values[i], lo, hi);
        }
        // Thresholds are ordered warning > marginCall > critical > liquidation, so y grows with i.
        double floor = PAD_T + 4;
        for (int i = 0; i < values.length; i++) {
            labelY[i] = Math.max(lineY[i], floor);
            floor = labelY[i] + LABEL_GAP;
        }
        double ceiling = H - PAD_B;
        for (int i = values.length - 1; i >= 0; i--) {
            labelY[i] = Math.min(labelY[i], ceiling);
            ceiling = labelY[i] - LABEL_GAP;
        }
        for (int i = 0; i < values.length; i++) {
            b.append(f("<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-dasharray=\"5 3\"/>", PAD_L,
                    W - PAD_R, lineY[i], lineY[i], colors[i]));
            b.append(f("<polyline points=\"%d,%.1f %d,%.1f %d,%.1f\" fill=\"none\" stroke=\"%s\"/>", W - PAD_R, lineY[i],
                    W - PAD_R + 6, labelY[i], W - PAD_R + 10, labelY[i], colors[i]));
            b.append(f("<text x=\"%d\" y=\"%.1f\" font-size=\"10\" fill=\"%s\">%s %s</text>", W - PAD_R + 13, labelY[i] + 3.5,
                    colors[i], names[i], plain(values[i])));
        }
    }

    private static String[] thresholdNames() {
        return new String[]{"warning", "margin call", "critical", "liquidation"};
    }

    private static double[] thresholdValues(Thresholds t) {
        return new double[]{t.warning().doubleValue(), t.marginCall().doubleValue(), t.critical().doubleValue(),
            t.liquidation().doubleValue()};
    }

    private static String[] thresholdColors() {
        return new String[]{"#d4a017", "#e67e22", "#c0392b", "#6c0a0a"};
    }

    static Map<String, List<JsonNode>> bySubAccount(List<JsonNode> notifications) {
        Map<String, List<JsonNode>> bySub = new LinkedHashMap<>();
        for (JsonNode n : notifications) {
            bySub.computeIfAbsent(subAccount(n), k -> new ArrayList<>()).add(n);
        }
        return bySub;
    }

    static String subAccount(JsonNode n) {
        JsonNode iso = n.get("isolatedInstrument");
        return n.get("accountId").asText() + (iso == null || iso.isNull() ? "" : ":" + iso.asText());
    }

    static double ratio(JsonNode n) {
        JsonNode r = n.get("collateralRatio");
        return r == null || r.isNull() ? Double.NaN : r.asDouble();
    }

    static String ratio4(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.4f", v) : "—";
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? "—" : esc(v.asText());
    }

    private static String number(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? "—" : String.format(Locale.ROOT, "%.4f", v.asDouble());
    }

    private static String trimZeros(String decimal) {
        try {
            return new BigDecimal(decimal).stripTrailingZeros().toPlainString();
        } catch (NumberFormatException e) {
            return decimal;
        }
    }

    private static String plain(double v) {
        return BigDecimal.valueOf(v).stripTrailingZeros().toPlainString();
    }

    private static String anchor(String subAccount) {
        return "sub-" + esc(subAccount);
    }

    private static double niceStep(double rough) {
        if (!(rough > 0) || !Double.isFinite(rough)) {
            return 1;
        }
        double mag = Math.pow(10, Math.floor(Math.log10(rough)));
        double r = rough / mag;
        return (r <= 1 ? 1 : r <= 2 ? 2 : r <= 2.5 ? 2.5 : r <= 5 ? 5 : 10) * mag;
    }

    private static String tick(double v, double step) {
        int decimals = 6;
        for (int d = 0; d <= 6; d++) {
            double scaled = step * Math.pow(10, d);
            if (Math.abs(scaled - Math.rint(scaled)) < 1e-6 * Math.max(1, scaled)) {
                decimals = d;
                break;
            }
        }
        return String.format(Locale.ROOT, "%." + decimals + "f", v == 0 ? 0.0 : v); // no "-0"
    }

    private static double clamp(double v, double lo, double hi) {
        return Math.max(lo, Math.min(hi, v));
    }

    private static double x(Instant t, Instant start, double span) {
        return PAD_L + (W - PAD_L - PAD_R) * ((t.toEpochMilli() - start.toEpochMilli()) / span);
    }

    private static double y(double v, double lo, double hi) {
        return PAD_T + (H - PAD_T - PAD_B) * (1 - (v - lo) / (hi - lo));
    }

    private static String fmt(double v) {
        return Math.abs(v) >= 1000 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.2f", v);
    }

    private static String f(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
