package org.margincall.engine.service;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.margincall.engine.domain.Level;
import org.margincall.engine.domain.MarginState;
import org.margincall.engine.domain.Notification;

/** Which sweep notices a price tick should already have sent, on hand-made notices and states. */
class SweepCatchesTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    /** A sub-account in a call at CRITICAL, not held. */
    private static final MarginState CRITICAL = new MarginState(Level.CRITICAL, "ep", 1, true, T0, true, false, T0,
            Map.of(), Map.of());
    /** The same, kept from LIQUIDATION by a suspect mark or the operations hold since T0 (SPEC §3.5). */
    private static final MarginState HELD = CRITICAL.withHeldSince(T0);
    private static final Function<String, MarginState> NONE_HELD = id -> CRITICAL;

    private static Notification notice(String id, String type, String reason, String accountId, String isolated,
                                       String level, String previous) {
        return new Notification("1", id, type, reason, "demo", accountId, isolated, "ep", "ep-1", 0, level, previous,
                1.1, "220.00", "200.00", "80.00", "24.80", 0.25, List.of(),
                new Notification.TriggerLine("SWEEP", null, null, "2026-01-01T00:01:00.000Z", null, null),
                "2026-01-01T00:01:00.000Z", null, false, "0.00", false);
    }

    private static List<String> ids(List<Notification> ns) {
        return ns.stream().map(Notification::notificationId).toList();
    }

    @Test
    void everyLevelChangeOnTheMarksIsATicksJob() {
        List<Notification> sent = List.of(
                notice("w", "MARGIN_WARNING", "RATIO", "a", null, "WARNING", "HEALTHY"),
                notice("c", "MARGIN_CALL", "RATIO", "b", null, "MARGIN_CALL", "WARNING"),
                notice("f", "FINAL_NOTICE", "RATIO", "c", null, "CRITICAL", "MARGIN_CALL"),
                notice("h", "LIQUIDATION_HANDOFF", "RATIO", "d", null, "LIQUIDATION", "CRITICAL"),
                notice("u", "MARGIN_CALL_CURED", "RATIO", "e", null, "WARNING", "MARGIN_CALL"),
                notice("x", "WARNING_CLEARED", "RATIO", "f", null, "HEALTHY", "WARNING"),
                notice("i", "LEVEL_IMPROVED", "RATIO", "g", null, "MARGIN_CALL", "CRITICAL"));
        assertThat(ids(SweepCatches.caught(sent, NONE_HELD))).containsExactly("w", "c", "f", "h", "u", "x", "i");
    }

    @Test
    void remindersAndTheClocksNoticesAreNot() {
        List<Notification> sent = List.of(
                notice("r", "REMINDER", "DEADLINE", "a", null, "MARGIN_CALL", "MARGIN_CALL"),
                notice("r2", "REMINDER", "RATIO", "a", null, "MARGIN_CALL", "MARGIN_CALL"), // whatever its reason
                notice("fd", "FINAL_NOTICE", "DEADLINE", "b", null, "MARGIN_CALL", "MARGIN_CALL"),
                notice("hd", "LIQUIDATION_HANDOFF", "DEADLINE", "c", null, "MARGIN_CALL", "MARGIN_CALL"));
        assertThat(SweepCatches.caught(sent, NONE_HELD)).isEmpty();
    }

    @Test
    void aHandOffReleasedFromAHoldIsNotButOneFromAnUnheldStateIs() {
        Notification held = notice("h1", "LIQUIDATION_HANDOFF", "RATIO", "a", null, "LIQUIDATION", "CRITICAL");
        assertThat(SweepCatches.caught(List.of(held), id -> id.equals("a") ? HELD : CRITICAL)).isEmpty();
        assertThat(SweepCatches.caught(List.of(held), id -> CRITICAL)).hasSize(1);
        assertThat(SweepCatches.caught(List.of(held), id -> MarginState.INITIAL)).as("never held").hasSize(1);
        // a hold keeps only hand-offs back: an improvement of a held sub-account is a tick's (the price came back)
        Notification back = notice("b1", "LEVEL_IMPROVED", "RATIO", "a", null, "MARGIN_CALL", "CRITICAL");
        assertThat(ids(SweepCatches.caught(List.of(back), id -> HELD))).containsExactly("b1");
    }

    @Test
    void anIsolatedPositionIsLookedUpAsItsOwnSubAccount() {
        // SPEC §2.5: the isolated BTC position of "a" is the sub-account "a:BTC-USD"; only it is held
        Function<String, MarginState> states = id -> id.equals("a:BTC-USD") ? HELD : CRITICAL;
        Notification isolated = notice("iso", "LIQUIDATION_HANDOFF", "RATIO", "a", "BTC-USD", "LIQUIDATION", "CRITICAL");
        Notification cross = notice("cross", "LIQUIDATION_HANDOFF", "RATIO", "a", null, "LIQUIDATION", "CRITICAL");
        assertThat(ids(SweepCatches.caught(List.of(isolated, cross), states))).containsExactly("cross");
    }

    @Test
    void aMixedCommitKeepsItsOrder() {
        List<Notification> sent = List.of(
                notice("r", "REMINDER", "DEADLINE", "a", "SOL-USD", "MARGIN_CALL", "MARGIN_CALL"),
                notice("c", "MARGIN_CALL", "RATIO", "a", "ETH-USD", "MARGIN_CALL", "WARNING"),
                notice("h", "LIQUIDATION_HANDOFF", "RATIO", "a", "BTC-USD", "LIQUIDATION", "CRITICAL"),
                notice("i", "LEVEL_IMPROVED", "RATIO", "a", null, "MARGIN_CALL", "CRITICAL"));
        Function<String, MarginState> states = id -> id.equals("a:BTC-USD") ? HELD : CRITICAL;
        assertThat(ids(SweepCatches.caught(sent, states))).containsExactly("c", "i");
        assertThat(SweepCatches.caught(List.of(), states)).isEmpty();
    }
}
