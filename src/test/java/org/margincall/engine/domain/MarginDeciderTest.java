package org.margincall.engine.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.margincall.engine.domain.Level.CRITICAL;
import static org.margincall.engine.domain.Level.HEALTHY;
import static org.margincall.engine.domain.Level.LIQUIDATION;
import static org.margincall.engine.domain.Level.MARGIN_CALL;
import static org.margincall.engine.domain.Level.WARNING;
import static org.margincall.engine.domain.NotificationType.FINAL_NOTICE;
import static org.margincall.engine.domain.NotificationType.LEVEL_IMPROVED;
import static org.margincall.engine.domain.NotificationType.LIQUIDATION_HANDOFF;
import static org.margincall.engine.domain.NotificationType.MARGIN_CALL_CURED;
import static org.margincall.engine.domain.NotificationType.MARGIN_WARNING;
import static org.margincall.engine.domain.NotificationType.REMINDER;
import static org.margincall.engine.domain.NotificationType.WARNING_CLEARED;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** SPEC §3.3–§3.4 notification rules, one behaviour per test, with the default timings. */
class MarginDeciderTest {
    static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    static final String SUB = "a-17";

    final MarginDecider decider = new MarginDecider(Venue.withDefaults("demo"));
    MarginState state = MarginState.INITIAL;
    int tick;

    /** Feeds an evaluation {@code seconds} after T0 with a fresh price trigger; returns the decision. */
    Decision eval(Level level, long seconds) {
        Instant at = T0.plusSeconds(seconds);
        Decision d = decider.onEvaluation(SUB, state, level, at,
                Trigger.price("BTC-USD", BigDecimal.TEN, at, ++tick));
        state = d.next();
        return d;
    }

    Decision clock(String callId, EscalationStep step, long seconds) {
        Decision d = decider.onClock(SUB, state, callId, step, T0.plusSeconds(seconds));
        state = d.next();
        return d;
    }

    static List<NotificationType> types(Decision d) {
        return d.notices().stream().map(Notice::type).toList();
    }

    @Test
    void warningStartsAnEpisodeWithoutACall() {
        Decision d = eval(WARNING, 0);
        assertThat(types(d)).containsExactly(MARGIN_WARNING);
        Notice n = d.notices().get(0);
        assertThat(n.reason()).isEqualTo(Reason.RATIO);
        assertThat(n.callId()).isNull();
        assertThat(n.deadline()).isNull();
        assertThat(n.previousLevel()).isEqualTo(HEALTHY);
        assertThat(state.episodeId()).isEqualTo(n.episodeId()).startsWith("e-");
        assertThat(d.escalation()).isNull();
    }

    @Test
    void marginCallOpensCallOneAndStartsItsEscalation() {
        eval(WARNING, 0);
        Decision d = eval(MARGIN_CALL, 60);
        assertThat(types(d)).containsExactly(NotificationType.MARGIN_CALL);
        Notice n = d.notices().get(0);
        assertThat(n.callId()).isEqualTo(state.episodeId() + "-1");
        assertThat(n.deadline()).isEqualTo(T0.plusSeconds(60 + 600));
        EscalationStart e = d.escalation();
        assertThat(e.callId()).isEqualTo(n.callId());
        assertThat(e.executionName()).isEqualTo(n.callId()).matches("[A-Za-z0-9_-]{1,80}");
        assertThat(e.graceDeadline()).isEqualTo(T0.plusSeconds(660));
        assertThat(e.finalDeadline()).isEqualTo(T0.plusSeconds(960));
    }

    @Test
    void skippedLevelsSendOnlyTheNewLevelsNotice() {
        Decision d = eval(CRITICAL, 0);
        assertThat(types(d)).containsExactly(FINAL_NOTICE);
        assertThat(d.escalation()).isNotNull();
        assertThat(state.finalNoticeSent()).isTrue();
    }

    @Test
    void sameLevelOnTheNextTickSendsNothing() {
        eval(MARGIN_CALL, 0);
        MarginState before = state;
        Decision d = eval(MARGIN_CALL, 1);
        assertThat(d.notices()).isEmpty();
        assertThat(d.isNoop(before)).isTrue();
    }

    @Test
    void callLeftAloneEscalatesOnTheClockOnceEach() {
        String call = eval(MARGIN_CALL, 0).escalation().callId();
        Decision grace = clock(call, EscalationStep.GRACE_EXPIRED, 600);
        assertThat(types(grace)).containsExactly(FINAL_NOTICE);
        assertThat(grace.notices().get(0).reason()).isEqualTo(Reason.DEADLINE);
        assertThat(grace.notices().get(0).level()).isEqualTo(MARGIN_CALL);
        assertThat(grace.notices().get(0).deadline()).isEqualTo(T0.plusSeconds(900));
        assertThat(grace.continueEscalation()).isTrue();
        assertThat(state.level()).as("deadline notices leave the level").isEqualTo(MARGIN_CALL);

        Decision fin = clock(call, EscalationStep.FINAL_NOTICE_EXPIRED, 900);
        assertThat(types(fin)).containsExactly(LIQUIDATION_HANDOFF);
        assertThat(fin.notices().get(0).reason()).isEqualTo(Reason.DEADLINE);
        assertThat(fin.continueEscalation()).isFalse();

        // A later ratio path reaching critical/liquidation sends nothing more in this call.
        assertThat(types(eval(CRITICAL, 901))).isEmpty();
        assertThat(types(eval(LIQUIDATION, 902))).isEmpty();
        assertThat(state.level()).isEqualTo(LIQUIDATION);
    }

    @Test
    void ratioFinalNoticeIsNotRepeatedByTheClock() {
        String call = eval(MARGIN_CALL, 0).escalation().callId();
        assertThat(types(eval(CRITICAL, 100))).containsExactly(FINAL_NOTICE);
        Decision grace = clock(call, EscalationStep.GRACE_EXPIRED, 600);
        assertThat(grace.notices()).isEmpty();
        assertThat(grace.continueEscalation()).isTrue();
    }

    @Test
    void ratioHandoffEndsTheEscalationAtItsNextCheck() {
        String call = eval(MARGIN_CALL, 0).escalation().callId();
        assertThat(types(eval(LIQUIDATION, 100))).containsExactly(LIQUIDATION_HANDOFF);
        Decision grace = clock(call, EscalationStep.GRACE_EXPIRED, 600);
        assertThat(grace.notices()).isEmpty();
        assertThat(grace.continueEscalation()).isFalse();
    }

    @Test
    void handoffFollowedByLateCureSendsOnlyTheCureAndEndsTheEpisode() {
        eval(WARNING, 0);
        eval(LIQUIDATION, 10);
        Decision cure = eval(HEALTHY, 2000);
        assertThat(types(cure)).containsExactly(MARGIN_CALL_CURED);
        assertThat(cure.notices().get(0).level()).isEqualTo(HEALTHY);
        assertThat(cure.notices().get(0).previousLevel()).isEqualTo(LIQUIDATION);
        assertThat(cure.notices().get(0).deadline()).isNull();
        assertThat(state).isEqualTo(new MarginState(HEALTHY, null, 0, false, null, false, false, null, null, null));
    }

    @Test
    void reEnteringAMarginCallInOneEpisodeOpensCallTwoWithItsOwnClock() {
        eval(WARNING, 0);
        String episode = state.episodeId();
        String first = eval(MARGIN_CALL, 10).escalation().callId();
        Decision cured = eval(WARNING, 100);
        assertThat(types(cured)).containsExactly(MARGIN_CALL_CURED);
        assertThat(cured.notices().get(0).callId()).isEqualTo(first);
        Decision again = eval(MARGIN_CALL, 200);
        assertThat(state.episodeId()).isEqualTo(episode);
        assertThat(again.escalation().callId()).isEqualTo(episode + "-2").isNotEqualTo(first);
        assertThat(again.escalation().graceDeadline()).isEqualTo(T0.plusSeconds(800));
        assertThat(again.notices().get(0).notificationId())
                .isNotEqualTo(Ids.notificationId("demo", SUB, episode, 1, NotificationType.MARGIN_CALL, 0));
        // The first call's clock finds its call closed and ends without a notice.
        Decision stale = clock(first, EscalationStep.GRACE_EXPIRED, 610);
        assertThat(stale.notices()).isEmpty();
        assertThat(stale.continueEscalation()).isFalse();
    }

    @Test
    void improvementAfterASuppressedWorseningIsStillSent() {
        eval(MARGIN_CALL, 0);
        assertThat(types(eval(CRITICAL, 10))).containsExactly(FINAL_NOTICE);
        assertThat(types(eval(MARGIN_CALL, 20))).containsExactly(LEVEL_IMPROVED);
        assertThat(types(eval(CRITICAL, 30))).as("second final notice of the call").isEmpty();
        Decision improved = eval(MARGIN_CALL, 40);
        assertThat(types(improved)).containsExactly(LEVEL_IMPROVED);
        assertThat(improved.notices().get(0).step()).isEqualTo(1);
    }

    @Test
    void warningClearedEndsTheEpisodeAndTheNextWarningStartsANewOne() {
        eval(WARNING, 0);
        String first = state.episodeId();
        assertThat(types(eval(HEALTHY, 10))).containsExactly(WARNING_CLEARED);
        assertThat(state.episodeId()).isNull();
        eval(WARNING, 20);
        assertThat(state.episodeId()).isNotNull().isNotEqualTo(first);
    }

    @Test
    void remindersFollowTheCallsLastNoticeNotFaster() {
        eval(MARGIN_CALL, 0);
        assertThat(eval(MARGIN_CALL, 299).notices()).isEmpty();
        Decision first = eval(MARGIN_CALL, 300);
        assertThat(types(first)).containsExactly(REMINDER);
        assertThat(first.notices().get(0).step()).isZero();
        assertThat(eval(MARGIN_CALL, 450).notices()).isEmpty();
        assertThat(types(eval(CRITICAL, 500))).containsExactly(FINAL_NOTICE);
        assertThat(eval(CRITICAL, 799).notices()).as("clock restarted by the final notice").isEmpty();
        Decision second = eval(CRITICAL, 800);
        assertThat(types(second)).containsExactly(REMINDER);
        assertThat(second.notices().get(0).step()).isEqualTo(1);
    }

    @Test
    void noRemindersOutsideACall() {
        eval(WARNING, 0);
        assertThat(eval(WARNING, 10_000).notices()).isEmpty();
    }

    @Test
    void idsAreDeterministicAndIgnoreWallClock() {
        Instant at = T0.plusSeconds(5);
        Trigger t = Trigger.price("BTC-USD", BigDecimal.ONE, at, 7);
        Decision a = decider.onEvaluation(SUB, MarginState.INITIAL, MARGIN_CALL, at, t);
        Decision b = decider.onEvaluation(SUB, MarginState.INITIAL, MARGIN_CALL, at, t);
        assertThat(a).isEqualTo(b);
        Decision other = decider.onEvaluation(SUB, MarginState.INITIAL, MARGIN_CALL, at,
                Trigger.price("BTC-USD", BigDecimal.ONE, at, 8));
        assertThat(other.next().episodeId()).isNotEqualTo(a.next().episodeId());
        Decision otherVenue = new MarginDecider(Venue.withDefaults("other")).onEvaluation(SUB, MarginState.INITIAL,
                MARGIN_CALL, at, t);
        assertThat(otherVenue.notices().get(0).notificationId()).isNotEqualTo(a.notices().get(0).notificationId());
    }

    @Test
    void aRecheckAppliesTheFreshRatioBeforeTheClock() {
        String call = eval(MARGIN_CALL, 0).escalation().callId();
        // Cured by the time of the grace check: the cure is sent, the clock step ends the escalation.
        Decision cured = decider.onRecheck(SUB, state, WARNING, call, EscalationStep.GRACE_EXPIRED, T0.plusSeconds(600));
        assertThat(types(cured)).containsExactly(MARGIN_CALL_CURED);
        assertThat(cured.continueEscalation()).isFalse();
        // Worse by the time of the grace check: the ratio's final notice, and none from the clock.
        Decision worse = decider.onRecheck(SUB, state, CRITICAL, call, EscalationStep.GRACE_EXPIRED, T0.plusSeconds(600));
        assertThat(types(worse)).containsExactly(FINAL_NOTICE);
        assertThat(worse.notices().get(0).reason()).isEqualTo(Reason.RATIO);
        assertThat(worse.continueEscalation()).isTrue();
        // Unchanged: the clock's final notice, reason DEADLINE.
        Decision same = decider.onRecheck(SUB, state, MARGIN_CALL, call, EscalationStep.GRACE_EXPIRED, T0.plusSeconds(600));
        assertThat(types(same)).containsExactly(FINAL_NOTICE);
        assertThat(same.notices().get(0).reason()).isEqualTo(Reason.DEADLINE);
    }
}
