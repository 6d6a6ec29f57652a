package org.margincall.engine.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.margincall.engine.domain.Desk.ms;
import static org.margincall.engine.domain.Desk.only;
import static org.margincall.engine.domain.Desk.summary;
import static org.margincall.engine.domain.Desk.t;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * SPEC §3.5, the wick guard: one rule per test, expected values by hand.
 *
 * <p>The venue: default thresholds (warning 1.5, marginCall 1.2, critical 1.05, liquidation 1.0),
 * band h = 0.02, grace 600 s, final notice 300 s, reminders off (1 day), and the guard with its
 * defaults written out: maxTickMove 0.05, maxMarkIndexDeviation 0.03, windowSeconds 60, holdSeconds 30.
 * Both instruments have one bracket, mmr 0.1, so for a long of size q at entry E with quote
 * collateral C: Q = C + q·(M − E), MM = 0.1·q·M, R = Q / MM.
 */
class WickGuardTest {
    static final String VENUE = """
            {"venue":{"id":"wick","thresholds":{"warning":"1.5","marginCall":"1.2","critical":"1.05","liquidation":"1.0"},
                      "hysteresis":"0.02","gracePeriodSeconds":600,"finalNoticeSeconds":300,"reminderSeconds":86400,
                      "wickGuard":{"maxTickMove":"0.05","maxMarkIndexDeviation":"0.03","windowSeconds":60,"holdSeconds":30}},
             "instruments":[{"symbol":"BTC-USD","tiers":[{"floor":"0","cap":null,"mmr":"0.1"}]},
                            {"symbol":"ETH-USD","tiers":[{"floor":"0","cap":null,"mmr":"0.1"}]}],
             "collateralAssets":[{"asset":"USDT","haircut":"0"},{"asset":"BTC","haircut":"0.1","priceInstrument":"BTC-USD"}]}
            """;
    static final Catalog CATALOG = Desk.catalog(VENUE);

    /** 10 BTC long at 100 with 150 USDT: at M = 100, Q = 150, MM = 0.1·10·100 = 100, R = 1.5 (HEALTHY). */
    static Account longBtc(String usdt) {
        return new Account("w", Map.of("USDT", new BigDecimal(usdt)),
                List.of(new Position("BTC-USD", new BigDecimal("10"), new BigDecimal("100"), null)), null);
    }

    static Desk desk() {
        return new Desk(CATALOG, longBtc("150"));
    }

    // ---- the suspect decision, on arrival (PriceArrival) ----

    @Test
    void indexDeviationJustAboveTheBoundIsSuspect() {
        Desk d = desk();
        // |103.01/100 − 1| = 0.0301 > 0.03
        assertThat(d.accept("BTC-USD", "103.01", "100", t(0)).suspect()).isTrue();
        // |96.99/100 − 1| = 0.0301 > 0.03 (below the index as well)
        assertThat(d.accept("BTC-USD", "96.99", "100", t(0)).suspect()).isTrue();
    }

    @Test
    void indexDeviationExactlyOnTheBoundIsNotSuspect() {
        Desk d = desk();
        // |103/100 − 1| = 0.03, not > 0.03
        assertThat(d.accept("BTC-USD", "103", "100", t(0)).suspect()).isFalse();
        // |97/100 − 1| = 0.03
        assertThat(d.accept("BTC-USD", "97", "100", t(0)).suspect()).isFalse();
    }

    @Test
    void theIndexDecisionIsExactAtTheLargestDecimalsTheInputAllows() {
        // 18 + 18 digits (the input limit): mark − index = 29100000000000000.000000000000000001,
        // |mark/index − 1| = 0.03 + 1e-18/9.7e17 = 0.03 + 1.03…e-36 > 0.03 → suspect. A quotient rounded
        // to 34 significant digits would be exactly 0.03 and miss it.
        assertThat(desk().accept("BTC-USD", "999100000000000000.000000000000000001", "970000000000000000", t(0))
                .suspect()).isTrue();
        // and exactly on the bound: 999100000000000000 / 970000000000000000 − 1 = 0.03 → not suspect
        assertThat(desk().accept("BTC-USD", "999100000000000000", "970000000000000000", t(0)).suspect()).isFalse();
    }

    @Test
    void moveJustAboveMaxTickMoveIsSuspect() {
        Desk d = desk();
        d.store("BTC-USD", "100", null, t(0));
        // |105.01/100 − 1| = 0.0501 > 0.05, previous mark 10 s earlier (within 60 s)
        assertThat(d.accept("BTC-USD", "105.01", null, t(10)).suspect()).isTrue();
        // |94.99/100 − 1| = 0.0501
        assertThat(d.accept("BTC-USD", "94.99", null, t(10)).suspect()).isTrue();
    }

    @Test
    void moveExactlyMaxTickMoveIsNotSuspect() {
        Desk d = desk();
        d.store("BTC-USD", "100", null, t(0));
        // |105/100 − 1| = 0.05, not > 0.05
        assertThat(d.accept("BTC-USD", "105", null, t(10)).suspect()).isFalse();
        // |95/100 − 1| = 0.05
        assertThat(d.accept("BTC-USD", "95", null, t(10)).suspect()).isFalse();
    }

    @Test
    void thePreviousMarkCountsExactlyWindowSecondsEarlierButNotOneMillisecondMore() {
        Desk d = desk();
        d.store("BTC-USD", "100", null, t(0));
        // |106/100 − 1| = 0.06 > 0.05; previous at t − 60 s: "at most windowSeconds earlier" holds
        assertThat(d.accept("BTC-USD", "106", null, t(60)).suspect()).isTrue();
        // previous at t − 60.001 s: outside the window, the move rule does not apply
        assertThat(d.accept("BTC-USD", "106", null, ms(60_001)).suspect()).isFalse();
    }

    @Test
    void theFirstMarkOfAnInstrumentIsNeverSuspectByMove() {
        // no previous mark: nothing to compare a 1000 % "move" with
        assertThat(desk().accept("BTC-USD", "1000", null, t(0)).suspect()).isFalse();
    }

    @Test
    void withAnIndexTheMoveRuleIsIgnored() {
        Desk d = desk();
        d.store("BTC-USD", "100", null, t(0));
        // a 10 % move (|90/100 − 1| = 0.10 > 0.05) that the index confirms: |90/91 − 1| = 1/91 = 0.010989… ≤ 0.03
        assertThat(d.accept("BTC-USD", "90", "91", t(10)).suspect()).isFalse();
        // a 0.5 % move (|100.5/100 − 1| = 0.005 ≤ 0.05) that the index refutes: |100.5/97 − 1| = 3.5/97 = 0.036082… > 0.03
        assertThat(d.accept("BTC-USD", "100.5", "97", t(10)).suspect()).isTrue();
    }

    @Test
    void thePreviousMarkCountsEvenWhenItWasSuspect() {
        Desk d = desk();
        d.store("BTC-USD", "100", null, t(0));
        assertThat(d.store("BTC-USD", "94", null, t(10)).suspect()).as("|94/100 − 1| = 0.06").isTrue();
        // compared with the suspect 94, not with the last unsuspect 100:
        // 94 again: |94/94 − 1| = 0 → not suspect (the price held)
        assertThat(d.accept("BTC-USD", "94", null, t(20)).suspect()).isFalse();
        // back to 100: |100/94 − 1| = 6/94 = 0.0638… > 0.05 → the tick back is suspect too
        assertThat(d.accept("BTC-USD", "100", null, t(20)).suspect()).isTrue();
    }

    // ---- the hold, in evaluations (AccountTransition) ----

    /**
     * Mark 100 at T0 (R = 1.5, HEALTHY, no notice), then a suspect 94 at T0+10 s (|94/100 − 1| = 0.06):
     * Q = 150 + 10·(94 − 100) = 90, MM = 0.1·10·94 = 94, R = 90/94 = 0.957446… ≤ 1 → LIQUIDATION by §3.2.
     */
    static Desk wickedDesk() {
        Desk d = desk();
        assertThat(d.price("BTC-USD", "100", t(0)).notifications()).isEmpty();
        return d;
    }

    @Test
    void aHeldEvaluationGivesCriticalAndAFinalNoticeAndTheNextUnheldOneHandsOff() {
        Desk d = wickedDesk();
        AccountTransition.Result wick = d.price("BTC-USD", "94", t(10));
        Notification fin = only(wick);
        assertThat(fin.type()).isEqualTo("FINAL_NOTICE");
        assertThat(fin.reason()).isEqualTo("RATIO");
        assertThat(fin.level()).isEqualTo("CRITICAL");
        assertThat(fin.previousLevel()).isEqualTo("HEALTHY");
        assertThat(fin.priceSuspect()).isTrue();
        assertThat(fin.equity()).isEqualTo("90.00");
        assertThat(fin.maintenanceMargin()).isEqualTo("94.00");
        assertThat(fin.requiredDeposit()).as("1.5·1.02·94 − 90 = 143.82 − 90").isEqualTo("53.82");
        assertThat(fin.minimumDeposit()).as("1.2·1.02·94 − 90 = 25.056, ceiling").isEqualTo("25.06");
        assertThat(wick.heldHandoffs()).isEqualTo(1);
        assertThat(d.state("w").level()).isEqualTo(Level.CRITICAL);

        // The price holds: 94 again 10 s later is no move (not suspect) and replaces the suspect mark;
        // unheld, the same R = 0.957… hands off, reason RATIO, triggered by that tick.
        AccountTransition.Result held = d.price("BTC-USD", "94", t(20));
        Notification handoff = only(held);
        assertThat(handoff.type()).isEqualTo("LIQUIDATION_HANDOFF");
        assertThat(handoff.reason()).isEqualTo("RATIO");
        assertThat(handoff.level()).isEqualTo("LIQUIDATION");
        assertThat(handoff.previousLevel()).isEqualTo("CRITICAL");
        assertThat(handoff.priceSuspect()).isFalse();
        assertThat(handoff.trigger().kind()).isEqualTo("PRICE");
        assertThat(handoff.trigger().timestamp()).isEqualTo("2026-01-01T00:00:20.000Z");
        assertThat(handoff.callId()).isEqualTo(fin.callId());
        assertThat(held.heldHandoffs()).isZero();
    }

    @Test
    void aWickThatComesBackSendsTheUsualImprovement() {
        Desk d = wickedDesk();
        d.price("BTC-USD", "94", t(10));
        // back to 98.5: |98.5/94 − 1| = 4.5/94 = 0.04787… ≤ 0.05, not suspect.
        // Q = 150 − 15 = 135, MM = 98.5, R = 1.370558…: raw WARNING; improving from CRITICAL,
        // level(R/1.02 = 1.343684…) = WARNING, so WARNING: the call is cured.
        Notification cured = only(d.price("BTC-USD", "98.5", t(20)));
        assertThat(cured.type()).isEqualTo("MARGIN_CALL_CURED");
        assertThat(cured.reason()).isEqualTo("RATIO");
        assertThat(cured.level()).isEqualTo("WARNING");
        assertThat(cured.previousLevel()).isEqualTo("CRITICAL");
        assertThat(cured.priceSuspect()).isFalse();
    }

    @Test
    void aSuspectMarkStampedExactlyHoldSecondsBeforeNoLongerHoldsOneMillisecondLaterItDoes() {
        Desk d = wickedDesk();
        d.price("BTC-USD", "94", t(10)); // suspect, stamped T0+10 s: held, CRITICAL
        // At T0+39.999 s the mark is stamped t − 29.999 s, after t − 30 s: it holds; nothing changes.
        AccountTransition.Result stillHeld = d.event(d.account, ms(39_999));
        assertThat(stillHeld.notifications()).isEmpty();
        assertThat(stillHeld.heldHandoffs()).isEqualTo(1);
        assertThat(d.state("w").level()).isEqualTo(Level.CRITICAL);
        // At T0+40 s the mark is stamped exactly t − 30 s, not after it: no longer holds, hand-off.
        Notification handoff = only(d.event(d.account, t(40)));
        assertThat(handoff.type()).isEqualTo("LIQUIDATION_HANDOFF");
        assertThat(handoff.reason()).isEqualTo("RATIO");
        assertThat(handoff.priceSuspect()).isFalse();
        assertThat(handoff.trigger().kind()).isEqualTo("ACCOUNT");
        assertThat(handoff.evaluatedAt()).isEqualTo("2026-01-01T00:00:40.000Z");
    }

    @Test
    void aStoredLiquidationStaysLiquidationUnderASuspectMark() {
        Desk d = wickedDesk();
        d.price("BTC-USD", "94", t(10));
        assertThat(summary(d.price("BTC-USD", "94", t(20)))).containsExactly("LIQUIDATION_HANDOFF RATIO LIQUIDATION");
        // 88: |88/94 − 1| = 6/94 = 0.0638… > 0.05, suspect. Q = 150 − 120 = 30, MM = 88, R = 0.3409…: LIQUIDATION.
        // The guard only stops a move *to* LIQUIDATION from a less severe level: the stored LIQUIDATION
        // stays (a cap at CRITICAL would have sent a LEVEL_IMPROVED).
        AccountTransition.Result r = d.price("BTC-USD", "88", t(30));
        assertThat(r.notifications()).isEmpty();
        assertThat(r.heldHandoffs()).isZero();
        assertThat(d.state("w").level()).isEqualTo(Level.LIQUIDATION);
    }

    @Test
    void aSuspectMarkOfCollateralAloneHoldsTheAccount() {
        // Exposed to BTC only through 0.01 BTC of collateral (haircut 0.1); long 10 ETH at 100.
        Desk d = new Desk(CATALOG, new Account("c", Map.of("BTC", new BigDecimal("0.01")),
                List.of(new Position("ETH-USD", new BigDecimal("10"), new BigDecimal("100"), null)), null));
        d.price("ETH-USD", "100", t(0)); // not evaluated yet: the BTC mark is missing
        // C = 0.01·20000·0.9 = 180, Q = 180 + 0, MM = 0.1·10·100 = 100, R = 1.8: HEALTHY
        assertThat(d.price("BTC-USD", "20000", t(1)).notifications()).isEmpty();
        // BTC 10000: |10000/20000 − 1| = 0.5 > 0.05, suspect. C = 0.01·10000·0.9 = 90, R = 0.9: LIQUIDATION, held.
        AccountTransition.Result r = d.price("BTC-USD", "10000", t(10));
        Notification fin = only(r);
        assertThat(fin.type()).isEqualTo("FINAL_NOTICE");
        assertThat(fin.level()).isEqualTo("CRITICAL");
        assertThat(fin.priceSuspect()).isTrue();
        assertThat(fin.equity()).isEqualTo("90.00");
        assertThat(r.heldHandoffs()).isEqualTo(1);
    }

    @Test
    void aSuspectMarkOfAnInstrumentTheAccountDoesNotUseDoesNotHold() {
        // long 10 ETH at 100 with 115 USDT: R = 115/100 = 1.15 at 100 (MARGIN_CALL)
        Desk d = new Desk(CATALOG, new Account("u", Map.of("USDT", new BigDecimal("115")),
                List.of(new Position("ETH-USD", new BigDecimal("10"), new BigDecimal("100"), null)), null));
        assertThat(summary(d.price("ETH-USD", "100", t(0)))).containsExactly("MARGIN_CALL RATIO MARGIN_CALL");
        d.store("BTC-USD", "20000", null, t(1));
        assertThat(d.store("BTC-USD", "10000", null, t(5)).suspect()).isTrue();
        // ETH 96: |96/100 − 1| = 0.04, not suspect. Q = 115 − 40 = 75, MM = 96, R = 0.78125: LIQUIDATION.
        Notification handoff = only(d.price("ETH-USD", "96", t(10)));
        assertThat(handoff.type()).isEqualTo("LIQUIDATION_HANDOFF");
        assertThat(handoff.priceSuspect()).isFalse();
    }

    @Test
    void aDeadlineNoticeIsNotDelayedByTheGuard() {
        // 110 USDT: R = 110/100 = 1.1 at 100: MARGIN_CALL at T0, grace step due T0+600 s, final T0+900 s.
        Desk d = new Desk(CATALOG, longBtc("110"));
        assertThat(summary(d.price("BTC-USD", "100", t(0)))).containsExactly("MARGIN_CALL RATIO MARGIN_CALL");
        AccountTransition.Result grace = d.clock("w", EscalationStep.GRACE_EXPIRED, t(600));
        assertThat(summary(grace)).containsExactly("FINAL_NOTICE DEADLINE MARGIN_CALL");
        assertThat(grace.nextStepAt()).isEqualTo(t(900));
        // An unchanged 100 at T0+880 s, then a suspect 94 at T0+890 s (|94/100 − 1| = 0.06, previous
        // mark 10 s earlier): Q = 110 − 60 = 50, MM = 94, R = 0.5319…: LIQUIDATION, held at CRITICAL;
        // its FINAL_NOTICE was already sent, so nothing goes out.
        assertThat(d.price("BTC-USD", "100", t(880)).notifications()).isEmpty();
        assertThat(d.price("BTC-USD", "94", t(890)).notifications()).isEmpty();
        assertThat(d.state("w").level()).isEqualTo(Level.CRITICAL);
        // The final step at T0+900 s: the mark (stamped 890 > 900 − 30) still holds the ratio path at
        // CRITICAL, but the clock hands off on time, reason DEADLINE, level CRITICAL, priceSuspect.
        AccountTransition.Result fin = d.clock("w", EscalationStep.FINAL_NOTICE_EXPIRED, t(900));
        Notification handoff = only(fin);
        assertThat(handoff.type()).isEqualTo("LIQUIDATION_HANDOFF");
        assertThat(handoff.reason()).isEqualTo("DEADLINE");
        assertThat(handoff.level()).isEqualTo("CRITICAL");
        assertThat(handoff.priceSuspect()).isTrue();
        assertThat(handoff.evaluatedAt()).isEqualTo("2026-01-01T00:15:00.000Z");
        assertThat(fin.waitUntil()).isNull();
        assertThat(fin.heldHandoffs()).isEqualTo(1);
    }
}
