package org.margincall.engine.replay;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.margincall.engine.domain.Notification;
import org.margincall.engine.scenario.Scenario;

/** What a risk engineer scans first, and what must hold for the page to be read right. */
class ReportWriterTest {
    static Scenario scenario;
    static ReportWriter.Series series;
    static List<JsonNode> notifications;
    static String html;

    @BeforeAll
    static void render() {
        scenario = Scenario.read(ReplayMainTest.GOLDEN);
        series = new ReportWriter.Series();
        ObjectMapper json = new ObjectMapper();
        notifications = new ArrayList<>();
        for (Notification n : new InMemoryReplay(scenario).observe(series).run(scenario.events())) {
            notifications.add(json.valueToTree(n));
        }
        notifications = ReplayMain.deterministicOrder(notifications);
        html = ReportWriter.html("golden crash", scenario, series, notifications);
    }

    @Test
    void theOverviewComesFirstWorstFirst() {
        int overview = html.indexOf("<h2>Overview</h2>");
        assertThat(overview).isPositive().isLessThan(html.indexOf("<svg"));
        ReportWriter.Overview o = ReportWriter.Overview.of(series, notifications);
        assertThat(o.byFinalLevel().keySet()).containsExactly("LIQUIDATION", "CRITICAL", "MARGIN_CALL", "WARNING", "HEALTHY");
        assertThat(o.byFinalLevel().values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(o.worstFirst().size());
        assertThat(o.noticesByType().values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(notifications.size());
        List<Double> finals = o.worstFirst().stream().map(ReportWriter.Outcome::finalRatio).filter(Double::isFinite).toList();
        assertThat(finals).isSorted();
        // The sections follow the same order: the worst sub-account's chart comes first.
        String worst = o.worstFirst().get(0).subAccount();
        assertThat(html.indexOf("<h3 id=\"sub-" + worst + "\"")).isPositive()
                .isLessThan(html.indexOf("<h3 id=\"sub-" + o.worstFirst().get(o.worstFirst().size() - 1).subAccount()));
    }

    @Test
    void theLegendIsInSeverityOrder() {
        List<Integer> at = new ArrayList<>();
        for (String type : List.of("LIQUIDATION_HANDOFF", "FINAL_NOTICE", "MARGIN_CALL<", "MARGIN_WARNING", "REMINDER",
                "LEVEL_IMPROVED", "MARGIN_CALL_CURED", "WARNING_CLEARED")) {
            at.add(html.indexOf(type, html.indexOf("class=\"legend\"")));
        }
        assertThat(at).doesNotContain(-1).isSorted();
    }

    @Test
    void thresholdLabelsNeverOverlapEvenWhenThresholdsAreClose() {
        // critical 1.05 and liquidation 1.0 are 4 px apart on most charts of the golden scenario.
        Pattern label = Pattern.compile("<text x=\"\\d+\" y=\"([0-9.]+)\" font-size=\"10\" fill=\"#[0-9a-f]+\">"
                + "(warning|margin call|critical|liquidation) [0-9.]+</text>");
        int charts = 0;
        for (String svg : html.split("<svg")) {
            Matcher m = label.matcher(svg);
            List<Double> ys = new ArrayList<>();
            while (m.find()) {
                ys.add(Double.parseDouble(m.group(1)));
            }
            if (ys.isEmpty()) {
                continue;
            }
            charts++;
            assertThat(ys).hasSize(4).isSorted();
            for (int i = 1; i < ys.size(); i++) {
                assertThat(ys.get(i) - ys.get(i - 1)).as("label gap").isGreaterThanOrEqualTo(10.9);
            }
        }
        assertThat(charts).isPositive();
    }

    @Test
    void aCutRatioAxisSaysSoOnTheChart() {
        // h17 falls from above 13 to about -81: neither end fits an axis that shows the thresholds.
        String h17 = html.substring(html.indexOf("<h3 id=\"sub-h17\""));
        h17 = h17.substring(0, h17.indexOf("</svg>"));
        assertThat(h17).contains("axis cut: ratios above 4.50", "below -1.00 (down to -81.10)");
        // c0 stays within the thresholds' region: no cut, no note.
        String c0 = html.substring(html.indexOf("<h3 id=\"sub-c0\""));
        assertThat(c0.substring(0, c0.indexOf("</svg>"))).doesNotContain("axis cut");
    }

    @Test
    void theNoticeTablesShowTheFiguresRightAligned() {
        assertThat(html).contains("<th class=\"n\">minimum deposit</th>", "<th class=\"n\">reduce fraction</th>",
                "<th class=\"n\">equity</th>", "<th class=\"n\">liquidation price</th>");
        assertThat(html).contains(".n{text-align:right");
        assertThat(html).doesNotContain("http://", "https://", "<script");
    }

    @Test
    void theSameInputGivesTheSameBytes() {
        assertThat(ReportWriter.html("golden crash", scenario, series, notifications)).isEqualTo(html);
    }

    @Test
    void withoutProtectionsNothingIsMarked() {
        // the golden crash has no wick guard and no deposit in flight
        assertThat(ReportWriter.suspectTicks(scenario)).isEmpty();
        assertThat(html).doesNotContain("<title>suspect mark ", "<td><span class=\"tag h\">held", "class=\"tag s\"",
                "postponed +", "deposit in flight)</text>", "stroke-dasharray=\"3 2\"");
        // nor does the key speak of a wick guard the venue does not have, nor the overview count protections
        assertThat(html).doesNotContain("priceSuspect", "(wick guard", "<th>protections</th><th class=\"n\">count</th>");
        // but every notice table has the 1-hour probability, one line per position
        assertThat(html).contains("<th class=\"n\">P(touch 1h)</th>");
    }

    /** {@code scenarios/protection.json}: a wick held, an index-deviation tick, two deposits in flight, a warning with its risk. */
    static final class Protection {
        static final Scenario SCENARIO = Scenario.read(Path.of("scenarios/protection.json"));
        static final ReportWriter.Series SERIES = new ReportWriter.Series();
        static final List<JsonNode> NOTICES;
        static final String HTML;

        static {
            ObjectMapper json = new ObjectMapper();
            List<JsonNode> notices = new ArrayList<>();
            for (Notification n : new InMemoryReplay(SCENARIO).observe(SERIES).run(SCENARIO.events())) {
                notices.add(json.valueToTree(n));
            }
            NOTICES = ReplayMain.deterministicOrder(notices);
            HTML = ReportWriter.html("protection", SCENARIO, SERIES, NOTICES);
        }

        /** The section of one (sub-)account: its heading, chart and notice table. */
        static String section(String sub) {
            int from = HTML.indexOf("<h3 id=\"sub-" + sub + "\"");
            assertThat(from).as(sub).isPositive();
            int to = HTML.indexOf("<h3", from + 1);
            return HTML.substring(from, to < 0 ? HTML.length() : to);
        }

        /** The notice table row of the notice evaluated at {@code evaluatedAt}. */
        static String row(String section, String evaluatedAt) {
            Matcher m = Pattern.compile("<tr><td class=\"t\" title=\"" + Pattern.quote(evaluatedAt) + "\">.*?</tr>")
                    .matcher(section);
            assertThat(m.find()).as(evaluatedAt).isTrue();
            return m.group();
        }
    }

    @Test
    void suspectTicksAreMarkedOnThePriceChartsWhereTheEngineFlaggedThem() {
        // README: BTC 60048.0 -> 55244.2 (-8 %) and back to 59970.0 (+8.6 %), each more than maxTickMove 5 %;
        // ETH 2882.02 against index 3002.10 (4 % > 3 %); the ETH mark back at the index is not suspect.
        assertThat(ReportWriter.suspectTicks(Protection.SCENARIO)).extracting(t -> t.instrument() + " " + t.at())
                .containsExactly("BTC-USD 2026-06-15T10:12:00Z", "BTC-USD 2026-06-15T10:12:20Z", "ETH-USD 2026-06-15T10:14:05Z");
        List<String> marked = new ArrayList<>();
        for (String instrument : List.of("BTC-USD", "ETH-USD", "SOL-USD")) {
            int from = Protection.HTML.indexOf("<h3>" + instrument + "</h3>");
            assertThat(from).as(instrument).isPositive();
            String chart = Protection.HTML.substring(from, Protection.HTML.indexOf("</svg>", from));
            Matcher m = Pattern.compile("<title>suspect mark (\\S+) (\\S+) at (\\S+): ([^<]*)</title>").matcher(chart);
            while (m.find()) {
                assertThat(m.group(1)).isEqualTo(instrument);
                marked.add(String.join(" ", m.group(1), m.group(2), m.group(3), m.group(4)));
            }
        }
        assertThat(marked).containsExactly(
                "BTC-USD 55244.2 2026-06-15T10:12:00.000Z −8.0 % from 60048 20 s earlier (maxTickMove 5 %)",
                "BTC-USD 59970 2026-06-15T10:12:20.000Z +8.6 % from 55244.2 20 s earlier (maxTickMove 5 %)",
                "ETH-USD 2882.02 2026-06-15T10:14:05.000Z mark −4.0 % from index 3002.1 (maxMarkIndexDeviation 3 %)");
        // each shaded for the 30 s it holds hand-offs, and the key says what the marks mean
        assertThat(Protection.HTML).contains("<i class=\"ring\"></i>suspect mark (wick guard", "the 30 s it holds hand-offs");
    }

    @Test
    void theWickAccountsHandOffIsLabelledHeld() {
        String wick = Protection.section("wick");
        // 10:12:00 FINAL_NOTICE CRITICAL at a ratio of -16.6: R <= 1 would be LIQUIDATION, the suspect mark held it
        String held = Protection.row(wick, "2026-06-15T10:12:00.000Z");
        assertThat(held).contains("FINAL_NOTICE", "CRITICAL", "<span class=\"tag h\">held</span>",
                "<span class=\"tag s\">suspect price</span>");
        // 10:12:20: the tick back is suspect too, but nothing was held
        String back = Protection.row(wick, "2026-06-15T10:12:20.000Z");
        assertThat(back).contains("MARGIN_CALL_CURED", "<span class=\"tag s\">suspect price</span>").doesNotContain("tag h");
        // on the chart: a ring around each suspect notice, "held" beside the held one
        String chart = wick.substring(wick.indexOf("<svg"), wick.indexOf("</svg>"));
        assertThat(chart.split("stroke-dasharray=\"3 2\"", -1)).hasSize(3);
        assertThat(chart.split(">held</text>", -1)).hasSize(2);
        assertThat(chart).contains("FINAL_NOTICE RATIO, level CRITICAL, ratio -16.6023, suspect price, hand-off held</title>");
        // the index-deviation tick held the index account's hand-off the same way
        assertThat(Protection.row(Protection.section("index"), "2026-06-15T10:14:05.000Z")).contains("tag h\">held");
        // accounts without a suspect mark are neither ringed nor held
        for (String sub : List.of("dep-saved", "dep-lost", "watch")) {
            assertThat(Protection.section(sub)).as(sub).doesNotContain("tag h", "tag s", "stroke-dasharray=\"3 2\"");
        }
    }

    @Test
    void deadlinesPostponedByADepositInFlightAreMarked() {
        // README: the call opens at 10:12:10; the grace step (10:22:10) moves to the wire's expectedBy,
        // 10:32:10 for dep-saved, 10:30:10 for dep-lost, whose hand-off step moves with it (10:27:10 -> 10:35:10).
        String saved = Protection.section("dep-saved");
        assertThat(saved).contains(">grace step 10:22:10 → 10:32:10 (+10 min 00 s, deposit in flight)</text>")
                .doesNotContain("hand-off step");
        assertThat(Protection.row(saved, "2026-06-15T10:20:10.000Z")).contains("10:22:10", "pending 500.00")
                .doesNotContain("postponed");
        assertThat(Protection.row(saved, "2026-06-15T10:28:10.000Z")).contains("10:32:10", ">postponed +10 min 00 s</span>",
                "pending 500.00");
        String lost = Protection.section("dep-lost");
        assertThat(lost).contains(">grace step 10:22:10 → 10:30:10 (+8 min 00 s, deposit in flight)</text>",
                ">hand-off step 10:27:10 → 10:35:10 (+8 min 00 s, deposit in flight)</text>");
        assertThat(Protection.row(lost, "2026-06-15T10:12:10.000Z")).contains("10:22:10").doesNotContain("postponed");
        assertThat(Protection.row(lost, "2026-06-15T10:28:10.000Z")).contains("10:30:10", ">postponed +8 min 00 s</span>");
        assertThat(Protection.row(lost, "2026-06-15T10:30:10.000Z")).contains("FINAL_NOTICE", "10:35:10",
                ">postponed +8 min 00 s</span>");
        // wick's final notice falls due on the undelayed clock (opening 10:12:00 + 600 + 300): not postponed
        assertThat(Protection.row(Protection.section("wick"), "2026-06-15T10:12:00.000Z")).contains("10:27:00")
                .doesNotContain("postponed");
        List<ReportWriter.NoticeMarks> marks = ReportWriter.noticeMarks(
                ReportWriter.bySubAccount(Protection.NOTICES).get("dep-lost"), Protection.SCENARIO.catalog().venue());
        assertThat(marks).extracting(ReportWriter.NoticeMarks::postponed).containsExactly(false, false, false, true, true, false);
        assertThat(marks.get(4).undelayed()).isEqualTo(Instant.parse("2026-06-15T10:27:10Z"));
        assertThat(marks.get(4).handoffStep()).isTrue();
    }

    @Test
    void eachNoticeShowsTheOneHourLiquidationProbability() {
        // README: watch's warning at 10:11:30 carries liquidationProbability1h 0.3132
        String watch = Protection.section("watch");
        assertThat(watch).contains("<th class=\"n\">P(touch 1h)</th>");
        assertThat(Protection.row(watch, "2026-06-15T10:11:30.000Z")).contains("<td class=\"n\">31.3 %</td>");
        assertThat(ReportWriter.percent(new java.math.BigDecimal("0.3132"))).isEqualTo("31.3 %");
        assertThat(ReportWriter.percent(new java.math.BigDecimal("0.0005"))).isEqualTo("0.1 %");
        // the column sits right of the liquidation price, right-aligned like the other figures
        String header = watch.substring(watch.indexOf("<table"), watch.indexOf("</tr>", watch.indexOf("<table")));
        assertThat(header.indexOf("P(touch 1h)")).isGreaterThan(header.indexOf("liquidation price"));
        // and the legend says what it is
        assertThat(Protection.HTML).contains("P(touch 1h): probability that the mark touches the liquidation price within the hour");
    }

    @Test
    void theOverviewCountsWhatTheProtectionsDid() {
        String overview = Protection.HTML.substring(Protection.HTML.indexOf("<h2>Overview</h2>"),
                Protection.HTML.indexOf("<svg"));
        // 3 suspect marks, 3 notices on one (wick's two, index's final notice), 2 hand-offs held (wick, index),
        // 3 clock steps postponed (dep-saved's grace step; dep-lost's grace step and the hand-off step moved with it)
        assertThat(overview).contains("<th>protections</th>",
                "suspect marks</td><td class=\"n\">3</td>", "notices on a suspect mark</td><td class=\"n\">3</td>",
                "hand-offs held</td><td class=\"n\">2</td>", "clock steps postponed</td><td class=\"n\">3</td>");
    }

    @Test
    void theProtectionReportIsTheSameOnEveryRenderAndStillOrdered() {
        assertThat(ReportWriter.html("protection", Protection.SCENARIO, Protection.SERIES, Protection.NOTICES))
                .isEqualTo(Protection.HTML);
        assertThat(Protection.HTML.indexOf("<h2>Overview</h2>")).isPositive().isLessThan(Protection.HTML.indexOf("<svg"));
        assertThat(Protection.HTML).doesNotContain("http://", "https://", "<script");
    }
}
