package org.margincall.engine.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.margincall.engine.domain.Desk.ms;
import static org.margincall.engine.domain.Desk.only;
import static org.margincall.engine.domain.Desk.summary;
import static org.margincall.engine.domain.Desk.t;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * SPEC §3.6, deposits in flight: one rule per test, expected values by hand.
 *
 * <p>The venue: default thresholds and band (h = 0.02), grace 600 s, final notice 300 s,
 * maxPendingCreditSeconds 1200, reminders off (1 day) unless a test says otherwise, no wick guard.
 * ETH-USD and BTC-USD have one bracket, mmr 0.1; BTC is accepted as collateral with haircut 0.1.
 *
 * <p>The account {@code p}: 110 USDT, long 10 ETH at 100. At ETH 100: Q = 110, MM = 0.1·10·100 = 100,
 * R = 1.1 → MARGIN_CALL at T0, so grace step due T0+600 s, final step T0+900 s;
 * minimumDeposit = 1.2·1.02·100 − 110 = 122.4 − 110 = 12.40; requiredDeposit = 1.5·1.02·100 − 110 = 43.00.
 */
class DepositsInFlightTest {
    static final String VENUE = """
            {"venue":{"id":"dep","thresholds":{"warning":"1.5","marginCall":"1.2","critical":"1.05","liquidation":"1.0"},
                      "hysteresis":"0.02","gracePeriodSeconds":600,"finalNoticeSeconds":300,"reminderSeconds":REMIND,
                      "maxPendingCreditSeconds":1200},
             "instruments":[{"symbol":"ETH-USD","tiers":[{"floor":"0","cap":null,"mmr":"0.1"}]},
                            {"symbol":"BTC-USD","tiers":[{"floor":"0","cap":null,"mmr":"0.1"}]}],
             "collateralAssets":[{"asset":"USDT","haircut":"0"},{"asset":"BTC","haircut":"0.1","priceInstrument":"BTC-USD"}]}
            """;
    static final Catalog CATALOG = Desk.catalog(VENUE.replace("REMIND", "86400"));
    static final String GRACE_DUE = "2026-01-01T00:10:00.000Z";

    static Account account() {
        return new Account("p", Map.of("USDT", new BigDecimal("110")),
                List.of(new Position("ETH-USD", new BigDecimal("10"), new BigDecimal("100"), null)), null);
    }

    /** The account in MARGIN_CALL since T0 (its notice says the grace step falls due at T0+600 s); BTC at 20000. */
    static Desk called(Catalog catalog) {
        Desk d = new Desk(catalog, account());
        d.store("BTC-USD", "20000", null, t(0));
        Notification call = only(d.price("ETH-USD", "100", t(0)));
        assertThat(call.type()).isEqualTo("MARGIN_CALL");
        assertThat(call.minimumDeposit()).isEqualTo("12.40");
        assertThat(call.requiredDeposit()).isEqualTo("43.00");
        assertThat(call.deadline()).isEqualTo(GRACE_DUE);
        assertThat(call.pendingDeposit()).isEqualTo("0.00");
        return d;
    }

    static Desk called() {
        return called(CATALOG);
    }

    /** A {@code Deposit Pending} event; a deposit in flight changes no level, so nothing is sent. */
    static void pending(Desk d, String asset, String amount, String reference, Instant expectedBy, Instant at) {
        AccountTransition.Result r = d.event(d.account.withPendingDeposit(asset, new BigDecimal(amount), reference,
                expectedBy), at);
        assertThat(r.notifications()).as("a deposit in flight sends nothing by itself").isEmpty();
    }

    @Test
    void aDueStepIsPostponedToTheEarliestExpectedBy() {
        Desk d = called();
        pending(d, "USDT", "30", "a", t(800), t(100));
        pending(d, "USDT", "30", "b", t(1000), t(100));
        // at T0+600 s: value 30 + 30 = 60.00 ≥ minimumDeposit 12.40 → postponed to min(800, 1000) = T0+800 s
        AccountTransition.Result grace = d.clock("p", EscalationStep.GRACE_EXPIRED, t(600));
        assertThat(grace.notifications()).isEmpty();
        assertThat(grace.waitUntil()).isEqualTo(t(800));
        assertThat(grace.postponements()).isEqualTo(1);
        assertThat(grace.continueEscalation()).isTrue();
        assertThat(d.state("p").graceShiftMillis()).as("800 − 600 s").isEqualTo(200_000);
        // asked again before the postponed instant, the step is not due yet
        AccountTransition.Result early = d.clock("p", EscalationStep.GRACE_EXPIRED, t(700));
        assertThat(early.notifications()).isEmpty();
        assertThat(early.waitUntil()).isEqualTo(t(800));
        assertThat(early.postponements()).isZero();
    }

    @Test
    void thePostponementIsCappedAtDuePlusMaxPendingCreditSeconds() {
        Desk d = called();
        pending(d, "USDT", "50", "w", t(3000), t(100));
        // min(expectedBy 3000, due 600 + 1200) = T0+1800 s
        AccountTransition.Result grace = d.clock("p", EscalationStep.GRACE_EXPIRED, t(600));
        assertThat(grace.waitUntil()).isEqualTo(t(1800));
        assertThat(d.state("p").graceShiftMillis()).isEqualTo(1_200_000);
        // at T0+1800 s the step runs (once only), though the deposit still counts (1800 < 3000)
        AccountTransition.Result ran = d.clock("p", EscalationStep.GRACE_EXPIRED, t(1800));
        Notification fin = only(ran);
        assertThat(summary(ran)).containsExactly("FINAL_NOTICE DEADLINE MARGIN_CALL");
        assertThat(fin.pendingDeposit()).isEqualTo("50.00");
        assertThat(fin.deadline()).as("final step: 900 + 1200 s").isEqualTo("2026-01-01T00:35:00.000Z");
        assertThat(ran.nextStepAt()).isEqualTo(t(2100));
    }

    /** Grace step postponed from T0+600 s to T0+1000 s, then the deposit re-reported with expectedBy T0+1500 s. */
    static Desk postponedOnceThenReReported() {
        Desk d = called();
        pending(d, "USDT", "50", "w", t(1000), t(100));
        assertThat(d.clock("p", EscalationStep.GRACE_EXPIRED, t(600)).waitUntil()).isEqualTo(t(1000));
        pending(d, "USDT", "50", "w", t(1500), t(700)); // same reference: replaces the first
        assertThat(d.account.pendingDeposits()).hasSize(1);
        return d;
    }

    @Test
    void eachStepIsPostponedAtMostOnce() {
        Desk d = postponedOnceThenReReported();
        // at T0+1000 s the deposit still counts (1000 < 1500, 50.00 ≥ 12.40) but the grace step was postponed already
        AccountTransition.Result ran = d.clock("p", EscalationStep.GRACE_EXPIRED, t(1000));
        assertThat(summary(ran)).containsExactly("FINAL_NOTICE DEADLINE MARGIN_CALL");
        assertThat(only(ran).pendingDeposit()).isEqualTo("50.00");
        assertThat(ran.waitUntil()).isNull();
        assertThat(ran.postponements()).isZero();
    }

    @Test
    void theLaterStepMovesByTheSameAmountAndMayBePostponedOnceOnItsOwn() {
        Desk d = postponedOnceThenReReported();
        AccountTransition.Result grace = d.clock("p", EscalationStep.GRACE_EXPIRED, t(1000));
        // final step: 900 s + the grace step's 400 s = T0+1300 s
        assertThat(grace.nextStepAt()).isEqualTo(t(1300));
        assertThat(only(grace).deadline()).isEqualTo("2026-01-01T00:21:40.000Z");
        // at T0+1300 s the deposit counts (1300 < 1500): the final step is postponed on its own,
        // to min(1500, 1300 + 1200) = T0+1500 s
        AccountTransition.Result fin = d.clock("p", EscalationStep.FINAL_NOTICE_EXPIRED, t(1300));
        assertThat(fin.notifications()).isEmpty();
        assertThat(fin.waitUntil()).isEqualTo(t(1500));
        assertThat(d.state("p").finalShiftMillis()).isEqualTo(200_000);
        // re-reported again (expectedBy T0+2000 s): still counts at 1500, but the final step was postponed once
        pending(d, "USDT", "50", "w", t(2000), t(1400));
        AccountTransition.Result handoff = d.clock("p", EscalationStep.FINAL_NOTICE_EXPIRED, t(1500));
        assertThat(summary(handoff)).containsExactly("LIQUIDATION_HANDOFF DEADLINE MARGIN_CALL");
        assertThat(only(handoff).pendingDeposit()).isEqualTo("50.00");
        assertThat(handoff.continueEscalation()).isFalse();
    }

    @Test
    void anAmountOfZeroCancelsTheDeposit() {
        Desk d = called();
        pending(d, "USDT", "50", "w", t(1000), t(100));
        pending(d, "USDT", "0", "w", t(1000), t(200));
        assertThat(d.account.pendingDeposits()).isEmpty();
        AccountTransition.Result grace = d.clock("p", EscalationStep.GRACE_EXPIRED, t(600));
        assertThat(summary(grace)).containsExactly("FINAL_NOTICE DEADLINE MARGIN_CALL");
        assertThat(only(grace).pendingDeposit()).isEqualTo("0.00");
        assertThat(only(grace).deadline()).isEqualTo("2026-01-01T00:15:00.000Z");
    }

    @Test
    void aDepositNoLongerCountsOnceItsExpectedByIsReached() {
        // expectedBy exactly at the due instant: t == expectedBy does not count → the step runs on time
        Desk atDue = called();
        pending(atDue, "USDT", "50", "w", t(600), t(100));
        AccountTransition.Result grace = atDue.clock("p", EscalationStep.GRACE_EXPIRED, t(600));
        assertThat(summary(grace)).containsExactly("FINAL_NOTICE DEADLINE MARGIN_CALL");
        assertThat(only(grace).pendingDeposit()).isEqualTo("0.00");

        // one millisecond later it still counts at the due instant: postponed by 1 ms; then expired
        Desk later = called();
        pending(later, "USDT", "50", "w", ms(600_001), t(100));
        assertThat(later.clock("p", EscalationStep.GRACE_EXPIRED, t(600)).waitUntil()).isEqualTo(ms(600_001));
        AccountTransition.Result ran = later.clock("p", EscalationStep.GRACE_EXPIRED, ms(600_001));
        assertThat(summary(ran)).containsExactly("FINAL_NOTICE DEADLINE MARGIN_CALL");
        assertThat(only(ran).pendingDeposit()).isEqualTo("0.00");
        assertThat(only(ran).deadline()).isEqualTo("2026-01-01T00:15:00.001Z");
    }

    @Test
    void aCreditNamingTheReferenceSettlesIt() {
        Desk d = called();
        pending(d, "USDT", "50", "wire-1", t(1000), t(100));
        pending(d, "USDT", "20", "wire-2", t(1000), t(100));
        // the venue credits 50 USDT and says it settles wire-1: Q = 160, R = 1.6;
        // improving from MARGIN_CALL: level(1.6/1.02 = 1.5686…) = HEALTHY → cured, episode over
        Notification cured = only(d.event(d.account.deposit("USDT", new BigDecimal("50")).settling(List.of("wire-1")), t(200)));
        assertThat(cured.type()).isEqualTo("MARGIN_CALL_CURED");
        assertThat(cured.level()).isEqualTo("HEALTHY");
        assertThat(cured.pendingDeposit()).as("only wire-2 is still in flight").isEqualTo("20.00");
        assertThat(d.account.pendingDeposits()).extracting(PendingDeposit::reference).containsExactly("wire-2");
    }

    @Test
    void aBtcDepositInFlightIsValuedAtTheMarkLessItsHaircut() {
        Desk d = called();
        pending(d, "BTC", "0.001", "btc-1", t(1000), t(100));
        // ETH 99.4: Q = 110 + 10·(99.4 − 100) = 104, MM = 0.1·10·99.4 = 99.4, R = 1.046278… < 1.05 → CRITICAL
        Notification fin = only(d.price("ETH-USD", "99.4", t(300)));
        assertThat(fin.type()).isEqualTo("FINAL_NOTICE");
        assertThat(fin.pendingDeposit()).as("0.001 · 20000 · (1 − 0.1)").isEqualTo("18.00");
        assertThat(fin.minimumDeposit()).as("1.224·99.4 − 104 = 17.6656, ceiling").isEqualTo("17.67");
        // 18.00 ≥ 17.67: the grace step is postponed, although it would send nothing (its final notice went out)
        assertThat(d.clock("p", EscalationStep.GRACE_EXPIRED, t(600)).waitUntil()).isEqualTo(t(1000));

        // the same, but BTC falls to 19000 before the step: 0.001 · 19000 · 0.9 = 17.10 < 17.67, not postponed
        Desk fell = called();
        pending(fell, "BTC", "0.001", "btc-1", t(1000), t(100));
        fell.price("ETH-USD", "99.4", t(300));
        fell.store("BTC-USD", "19000", null, t(500));
        AccountTransition.Result grace = fell.clock("p", EscalationStep.GRACE_EXPIRED, t(600));
        assertThat(grace.waitUntil()).isNull();
        assertThat(grace.notifications()).isEmpty();
        assertThat(grace.nextStepAt()).isEqualTo(t(900));
    }

    @Test
    void aValueExactlyEqualToTheMinimumDepositPostponesOneCentLessDoesNot() {
        Desk equal = called();
        pending(equal, "USDT", "12.40", "w", t(1000), t(100));
        assertThat(equal.clock("p", EscalationStep.GRACE_EXPIRED, t(600)).waitUntil()).as("12.40 ≥ 12.40").isEqualTo(t(1000));

        Desk short1 = called();
        pending(short1, "USDT", "12.39", "w", t(1000), t(100));
        AccountTransition.Result grace = short1.clock("p", EscalationStep.GRACE_EXPIRED, t(600));
        assertThat(grace.waitUntil()).as("12.39 < 12.40").isNull();
        assertThat(summary(grace)).containsExactly("FINAL_NOTICE DEADLINE MARGIN_CALL");
        assertThat(only(grace).pendingDeposit()).isEqualTo("12.39");
    }

    @Test
    void isolatedCallsAreNeverPostponedAndTheirNoticesCarryNoPendingDeposit() {
        // 1000 USDT in the cross account (nothing to margin there), long 10 ETH at 100 isolated with 110:
        // the sub-account p:ETH-USD has Q = 110, MM = 100, R = 1.1 → MARGIN_CALL, minimumDeposit 12.40
        Desk d = new Desk(CATALOG, new Account("p", Map.of("USDT", new BigDecimal("1000")),
                List.of(new Position("ETH-USD", new BigDecimal("10"), new BigDecimal("100"), new BigDecimal("110"))), null));
        pending(d, "USDT", "500", "w", t(1200), t(0));
        Notification call = only(d.price("ETH-USD", "100", t(0)));
        assertThat(call.isolatedInstrument()).isEqualTo("ETH-USD");
        assertThat(call.type()).isEqualTo("MARGIN_CALL");
        assertThat(call.pendingDeposit()).as("a deposit goes to the cross account").isEqualTo("0.00");
        // 500.00 would cover 12.40, yet the isolated call's grace step runs on time
        AccountTransition.Result grace = d.clock("p:ETH-USD", EscalationStep.GRACE_EXPIRED, t(600));
        assertThat(grace.waitUntil()).isNull();
        assertThat(summary(grace)).containsExactly("FINAL_NOTICE DEADLINE MARGIN_CALL");
        assertThat(only(grace).pendingDeposit()).isEqualTo("0.00");
    }

    @Test
    void theDeadlineInBodiesShowsThePostponedInstant() {
        // reminders every 300 s, so a notice goes out between the postponement and the postponed step
        Desk d = called(Desk.catalog(VENUE.replace("REMIND", "300")));
        pending(d, "USDT", "50", "w", t(1000), t(100));
        assertThat(d.clock("p", EscalationStep.GRACE_EXPIRED, t(600)).waitUntil()).isEqualTo(t(1000));
        // an unchanged tick at T0+700 s: the call's last notice was at T0, so a reminder is due (700 ≥ 300)
        Notification reminder = only(d.price("ETH-USD", "100", t(700)));
        assertThat(reminder.type()).isEqualTo("REMINDER");
        assertThat(reminder.deadline()).as("the grace step, postponed from 00:10:00").isEqualTo("2026-01-01T00:16:40.000Z");
        assertThat(reminder.pendingDeposit()).isEqualTo("50.00");
        // at T0+1000 s the deposit expires (t == expectedBy) and the step runs; the final step moved by 400 s
        Notification fin = only(d.clock("p", EscalationStep.GRACE_EXPIRED, t(1000)));
        assertThat(fin.type()).isEqualTo("FINAL_NOTICE");
        assertThat(fin.reason()).isEqualTo("DEADLINE");
        assertThat(fin.deadline()).as("900 + 400 s").isEqualTo("2026-01-01T00:21:40.000Z");
        assertThat(fin.pendingDeposit()).isEqualTo("0.00");
    }
}
