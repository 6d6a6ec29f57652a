package org.margincall.engine.replay;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
}
