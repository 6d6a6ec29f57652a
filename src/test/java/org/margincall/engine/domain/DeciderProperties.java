package org.margincall.engine.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.margincall.engine.domain.Seeded.integer;
import static org.margincall.engine.domain.Seeded.integerEdges;
import static org.margincall.engine.domain.Seeded.oneOf;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Properties of the SPEC §3.3–§3.4 decision over random sequences of evaluations and clock steps:
 * fixed edge sequences first, then seeded random tries (see {@link Seeded} and docs/properties.md).
 */
class DeciderProperties {
    static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    static final int TRIES = 500;
    static final int MAX_INPUTS = 60;

    /** One input: an evaluation at a level, or a clock step of some call seen so far. */
    record Input(boolean clock, Level level, int callPick, EscalationStep step, int seconds) {
        static Input eval(Level level, int seconds) {
            return new Input(false, level, 0, null, seconds);
        }

        static Input clock(int callPick, EscalationStep step, int seconds) {
            return new Input(true, null, callPick, step, seconds);
        }

        @Override
        public String toString() {
            return (clock ? "clock(" + callPick + ", " + step : "eval(" + level) + ", +" + seconds + "s)";
        }
    }

    /**
     * 1–60 inputs, each an evaluation (weight 4: any level, 0–400 s later) or a clock step
     * (weight 1: call pick 0–5, either step, 0–400 s later).
     */
    static List<Input> inputs(SplittableRandom r) {
        int n = integer(r, 1, MAX_INPUTS);
        List<Input> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            if (r.nextInt(5) < 4) {
                out.add(Input.eval(oneOf(r, Level.values()), integer(r, 0, 400)));
            } else {
                out.add(Input.clock(integer(r, 0, 5), oneOf(r, EscalationStep.values()), integer(r, 0, 400)));
            }
        }
        return out;
    }

    static final List<Integer> SECONDS_EDGES = integerEdges(0, 400); // 0, 1, 2, 400
    static final List<Integer> CALL_PICK_EDGES = integerEdges(0, 5);  // 0, 1, 2, 5

    /**
     * Lists of one input (the minimum size): every level and every clock step at every edge
     * (seconds 0/1/2/400, call pick 0/1/2/5). Lists of 60 (the maximum size): each level 60 times
     * with seconds 0 and 400; and, for every seconds and call-pick edge, three level walks
     * (declaration order, reverse order, and into and out of a call) with a clock step, alternating
     * grace and final-notice expiry, at every fifth input.
     */
    static List<List<Input>> edgeCases() {
        List<List<Input>> out = new ArrayList<>();
        for (int s : SECONDS_EDGES) {
            for (Level l : Level.values()) {
                out.add(List.of(Input.eval(l, s)));
            }
            for (int c : CALL_PICK_EDGES) {
                for (EscalationStep st : EscalationStep.values()) {
                    out.add(List.of(Input.clock(c, st, s)));
                }
            }
        }
        for (Level l : Level.values()) {
            for (int s : List.of(0, 400)) {
                List<Input> same = new ArrayList<>();
                for (int i = 0; i < MAX_INPUTS; i++) {
                    same.add(Input.eval(l, s));
                }
                out.add(same);
            }
        }
        Level[] v = Level.values();
        List<Level[]> walks = List.of(v, new Level[] {v[4], v[3], v[2], v[1], v[0]},
                new Level[] {Level.HEALTHY, Level.MARGIN_CALL, Level.CRITICAL, Level.LIQUIDATION, Level.WARNING,
                        Level.MARGIN_CALL, Level.HEALTHY, Level.LIQUIDATION});
        for (Level[] walk : walks) {
            for (int s : SECONDS_EDGES) {
                for (int c : CALL_PICK_EDGES) {
                    List<Input> seq = new ArrayList<>();
                    int evals = 0;
                    for (int i = 0; i < MAX_INPUTS; i++) {
                        seq.add(i % 5 == 4 ? Input.clock(c, EscalationStep.values()[(i / 5) % 2], s)
                                : Input.eval(walk[evals++ % walk.length], s));
                    }
                    out.add(seq);
                }
            }
        }
        return out;
    }

    static Stream<Seeded.Run<List<Input>>> inputs() {
        return Seeded.runs(edgeCases(), TRIES, DeciderProperties::inputs);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("inputs")
    void noDuplicateNoticesAndNothingWithoutAChange(Seeded.Run<List<Input>> run) {
        run.check(inputs -> {
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
        });
    }
}
