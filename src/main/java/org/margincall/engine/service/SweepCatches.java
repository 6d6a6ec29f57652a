package org.margincall.engine.service;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.jboss.logging.Logger;
import org.margincall.engine.domain.MarginState;
import org.margincall.engine.domain.Notification;
import org.margincall.engine.domain.NotificationType;
import org.margincall.engine.domain.Reason;
import org.margincall.engine.service.TransitionCommitter.Committed;
import org.margincall.engine.service.port.Metrics;
import org.margincall.engine.service.port.StoredAccount;

/**
 * Which notices of a sweep's commit a price tick should already have sent: the sweep's catches
 * (issue #11, {@code SweepCaughtNotices}; SPEC §10: "a band lost outside the engine's writes is
 * repaired by the minute sweep", so each catch is a band, or a price event, that failed).
 *
 * <p>The rule. A notice the sweep (SPEC §5.3) committed is a catch when all of these hold:
 * <ol>
 *   <li>its reason is {@code RATIO}: a level change found by evaluating the latest stored marks
 *       (SPEC §3.3). {@code DEADLINE} is the clock's: clock steps and deadlines (SPEC §3.4), and
 *       reminders, which the engine sends with that reason;</li>
 *   <li>its type is not {@code REMINDER}: reminders fall due with time, not with a price
 *       (SPEC §3.3), whatever their reason;</li>
 *   <li>it is not a hand-off released by time: a {@code LIQUIDATION_HANDOFF} of a sub-account whose
 *       stored state, as the sweep read it, was held from {@code LIQUIDATION}
 *       ({@link MarginState#heldSince()} set). Such a hold ends when the suspect mark is older than
 *       {@code holdSeconds}, which "the sweep is such an evaluation" of SPEC §3.5 relies on, or when
 *       operations release {@code handoffsHeld} (SPEC §3.5, {@code VenueOperations}): no tick
 *       owed it.</li>
 * </ol>
 * Everything else the sweep sends is a level the marks it read already implied — marks stored
 * before the sweep, by price events that should have evaluated the account (SPEC §3.3, §10).
 *
 * <p>What the rule cannot tell from the notices and states (no tick would have sent these either,
 * and they are counted all the same): a level change after account data changed without an
 * evaluation — {@code venue.sh import}, which evaluates nothing (see {@code AccountImport}) — or
 * after the venue's configuration changed (thresholds, tiers, haircuts: every band is stale until
 * the sweep re-evaluates, docs/trigger-bands.md §6). Expect catches on the first sweep after such
 * an operation; the WARN lines name them.
 */
final class SweepCatches {
    private static final Logger LOG = Logger.getLogger(SweepCatches.class);

    private SweepCatches() {
    }

    /**
     * The catches among {@code committed} (see the class comment).
     *
     * @param committed notices one sweep commit wrote, in order
     * @param storedBefore the stored state of each sub-account id ({@code <accountId>} or
     *        {@code <accountId>:<instrument>}, SPEC §2.5) that commit decided on
     */
    static List<Notification> caught(List<Notification> committed, Function<String, MarginState> storedBefore) {
        List<Notification> out = new ArrayList<>();
        for (Notification n : committed) {
            if (!Reason.RATIO.name().equals(n.reason()) || NotificationType.REMINDER.name().equals(n.type())) {
                continue;
            }
            if (NotificationType.LIQUIDATION_HANDOFF.name().equals(n.type())) {
                String sub = n.isolatedInstrument() == null ? n.accountId() : n.accountId() + ":" + n.isolatedInstrument();
                MarginState before = storedBefore.apply(sub);
                if (before != null && before.heldSince() != null) {
                    continue; // a hold ended with time or by operations: not a tick's to send
                }
            }
            out.add(n);
        }
        return out;
    }

    /**
     * Counts and logs (one WARN line each, ids only) the catches of one sweep commit.
     *
     * @param c what the commit did; nothing when it committed nothing
     * @param decidedOn the stored account that commit decided on
     */
    static void report(Committed c, StoredAccount decidedOn, Metrics metrics) {
        if (c.owed() == null || c.result() == null || c.notifications() == 0) {
            return;
        }
        List<Notification> caught = caught(c.result().notifications(), decidedOn::state);
        metrics.count(Metrics.SWEEP_CAUGHT_NOTICES, caught.size());
        for (Notification n : caught) {
            LOG.warnf("sweep sent a notice a price tick should have sent: notificationId=%s accountId=%s type=%s level=%s",
                    n.notificationId(), n.accountId(), n.type(), n.level());
        }
    }
}
