package org.margincall.engine.domain;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** Properties of the SPEC §3.3–§3.4 decision over random sequences of evaluations and clock steps. */
class DeciderProperties {
    static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    /** One input: an evaluation at a level, or a clock step of some call seen so far. */
    record Input(boolean clock, Level level, int callPick, EscalationStep step, int seconds) {
    }

    @Provide
    Arbitrary<List<Input>> inputs() {
        Arbitrary<Input> eval = Combinators.combine(Arbitraries.of(Level.class), Arbitraries.integers().between(0, 400))
                .as((l, s) -> new Input(false, l, 0, null, s));
        Arbitrary<Input> clock = Combinators.combine(Arbitraries.integers().between(0, 5),
                Arbitraries.of(EscalationStep.class), Arbitraries.integers().between(0, 400))
                .as((c, st, s) -> new Input(true, null, c, st, s));
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(4, eval), net.jqwik.api.Tuple.of(1, clock)).list().ofMinSize(1).ofMaxSize(60);
    }

    @Property(tries = 500)
    void noDuplicateNoticesAndNothingWithoutAChange(@ForAll("inputs") List<Input> inputs) {
        MarginDecider decider = new MarginDecider(Venue.withDefaults("v"));
        MarginState state = MarginState.INITIAL;
        Instant now = T0;
        Set<String> ids = new HashSet<>();
        Set<String> keys = new HashSet<>();
        Map<String, Integer> finals = new HashMap<>();
        Map<String, Integer> handoffs = new HashMap<>();
        List<String> calls = new ArrayList<>();
        long seq = 0;
        for (Input in : inputs) {
            now = now.plusSeconds(in.seconds());
            Decision d;
            if (in.clock()) {
                if (calls.isEmpty()) {
                    continue;
                }
                String call = calls.get(Math.min(in.callPick(), calls.size() - 1));
                d = decider.onClock("s", state, call, in.step(), now);
                assertThat(d.next().level()).as("clock steps keep the level").isEqualTo(state.level());
            } else {
                boolean reminderDue = state.callOpen()
                        && !now.isBefore(state.lastNoticeAt().plusSeconds(decider.venue().reminderSeconds()));
                d = decider.onEvaluation("s", state, in.level(), now,
                        Trigger.price("X", BigDecimal.ONE, now, ++seq));
                if (in.level() == state.level() && !reminderDue) {
                    assertThat(d.notices()).as("unchanged level and reminder clock").isEmpty();
                    assertThat(d.isNoop(state)).isTrue();
                }
                assertThat(d.next().level()).isEqualTo(in.level());
            }
            if (d.escalation() != null) {
                calls.add(0, d.escalation().callId());
            }
            for (Notice n : d.notices()) {
                assertThat(ids.add(n.notificationId())).as("notificationId %s repeated", n).isTrue();
                String scope = n.callId() != null ? n.callId() : n.episodeId();
                assertThat(keys.add(scope + "/" + n.type() + "/" + n.step())).as("(call, type, step) of %s", n).isTrue();
                if (n.type() == NotificationType.FINAL_NOTICE) {
                    assertThat(finals.merge(n.callId(), 1, Integer::sum)).as("final notices of %s", n.callId()).isEqualTo(1);
                }
                if (n.type() == NotificationType.LIQUIDATION_HANDOFF) {
                    assertThat(handoffs.merge(n.callId(), 1, Integer::sum)).as("hand-offs of %s", n.callId()).isEqualTo(1);
                }
            }
            state = d.next();
            assertThat(state.callOpen()).isEqualTo(state.level().inCall());
            assertThat(state.episodeId() == null).isEqualTo(state.level() == Level.HEALTHY);
        }
    }
}
