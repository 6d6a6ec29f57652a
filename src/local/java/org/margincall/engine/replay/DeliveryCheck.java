package org.margincall.engine.replay;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.margincall.engine.domain.Timestamps;
import org.margincall.engine.local.StackReplay;
import org.margincall.engine.scenario.ScenarioEvent;

/**
 * What a subscriber that deduplicates by {@code notificationId} (SPEC §3.3) got from a replay,
 * against what it is owed: the notices of a reference run, each due before a given scenario event.
 * A notice is <em>lost</em> when it never arrived, <em>late</em> when it arrived after a later
 * event than the reference's, <em>differing</em> when its body is not the reference's.
 *
 * <p>Two references: a fault-free replay through the stack, which recorded the event each notice
 * arrived after ({@link #against(StackReplay.Result)}); or the in-process domain replay, whose
 * notice evaluated at {@code t} is due by the first event at or after {@code t}, which is when
 * the stack delivers it without faults (the event's own work, or an escalation step due before
 * that event, or at its instant) ({@link #againstDomain(List, List)}).
 */
public final class DeliveryCheck {
    /**
     * One notice owed.
     *
     * @param afterEvent the event it must arrive after, 1-based, or 0 when only {@code dueAt} is known
     * @param dueAt the scenario time of that event
     */
    public record Owed(JsonNode body, int afterEvent, Instant dueAt) {
    }

    /** One notice that did not arrive as owed. */
    public record Miss(String notificationId, String what, String owed, String got) {
    }

    /**
     * The outcome.
     *
     * @param owed notices owed (distinct ids)
     * @param delivered owed notices received, once or more
     * @param lost owed notices never received
     * @param late received after a later event than owed (the sweep's included)
     * @param differing received with another body than owed
     * @param unexpected ids received that are not owed
     * @param duplicatesReceived bodies received again under an id already received (dropped by the subscriber)
     * @param recoverySeconds the longest delay of a notice past its due event, in scenario seconds (0: none late)
     */
    public record Outcome(int owed, int delivered, List<Miss> lost, List<Miss> late, List<Miss> differing,
                          List<String> unexpected, int duplicatesReceived, long recoverySeconds) {
        public boolean exact() {
            return lost.isEmpty() && late.isEmpty() && differing.isEmpty() && unexpected.isEmpty();
        }
    }

    private final Map<String, Owed> owed;

    private DeliveryCheck(Map<String, Owed> owed) {
        this.owed = owed;
    }

    /** Owed: what a fault-free replay's subscriber kept, each after the event it arrived after. */
    public static DeliveryCheck against(StackReplay.Result faultFree) {
        Map<String, Owed> owed = new LinkedHashMap<>();
        for (StackReplay.Received r : faultFree.distinct()) {
            owed.put(r.notificationId(), new Owed(r.body(), r.afterEvent(), r.at()));
        }
        return new DeliveryCheck(owed);
    }

    /** Owed: the domain's notices (as a subscriber parses them), each due by the first event at or after its evaluation. */
    public static DeliveryCheck againstDomain(List<JsonNode> reference, List<ScenarioEvent> events) {
        Map<String, Owed> owed = new LinkedHashMap<>();
        for (JsonNode n : reference) {
            Instant evaluated = Timestamps.parse("evaluatedAt", n.get("evaluatedAt").asText());
            Instant due = null;
            for (ScenarioEvent e : events) {
                if (!e.at().isBefore(evaluated)) {
                    due = e.at();
                    break;
                }
            }
            owed.put(n.get("notificationId").asText(), new Owed(n, 0, due == null ? evaluated : due));
        }
        return new DeliveryCheck(owed);
    }

    public int owed() {
        return owed.size();
    }

    public Outcome check(List<StackReplay.Received> received) {
        Map<String, StackReplay.Received> first = new LinkedHashMap<>();
        for (StackReplay.Received r : received) {
            first.putIfAbsent(r.notificationId(), r);
        }
        List<Miss> lost = new ArrayList<>();
        List<Miss> late = new ArrayList<>();
        List<Miss> differing = new ArrayList<>();
        long recovery = 0;
        int delivered = 0;
        for (Map.Entry<String, Owed> e : owed.entrySet()) {
            Owed o = e.getValue();
            StackReplay.Received r = first.get(e.getKey());
            if (r == null) {
                lost.add(new Miss(e.getKey(), describe(o.body()), due(o), null));
                continue;
            }
            delivered++;
            if (!r.body().equals(o.body())) {
                differing.add(new Miss(e.getKey(), describe(o.body()), o.body().toString(), r.body().toString()));
            }
            boolean isLate = o.afterEvent() > 0 ? r.afterEvent() != o.afterEvent() || r.bySweep()
                    : r.at().isAfter(o.dueAt()) || r.bySweep();
            if (isLate) {
                late.add(new Miss(e.getKey(), describe(o.body()), due(o), arrival(r)));
                recovery = Math.max(recovery, Duration.between(o.dueAt(), r.at()).toSeconds());
            }
        }
        List<String> unexpected = first.keySet().stream().filter(id -> !owed.containsKey(id)).toList();
        return new Outcome(owed.size(), delivered, lost, late, differing, unexpected, received.size() - first.size(), recovery);
    }

    private static String describe(JsonNode n) {
        return String.join(" ", n.get("evaluatedAt").asText(), n.get("accountId").asText()
                + (n.path("isolatedInstrument").isTextual() ? ":" + n.get("isolatedInstrument").asText() : ""),
                n.get("type").asText(), n.get("reason").asText(), n.get("level").asText());
    }

    private static String due(Owed o) {
        return (o.afterEvent() > 0 ? "after event " + o.afterEvent() + " at " : "by ") + Timestamps.format(o.dueAt());
    }

    private static String arrival(StackReplay.Received r) {
        return (r.bySweep() ? "from the safety-net flush after event " : "after event ") + r.afterEvent() + " at "
                + Timestamps.format(r.at());
    }
}
