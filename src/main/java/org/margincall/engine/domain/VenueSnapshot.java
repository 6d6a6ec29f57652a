package org.margincall.engine.domain;

import java.util.Map;
import java.util.Set;

/**
 * One venue as an evaluation sees it: its catalog (policy, instruments, collateral assets), the
 * latest accepted mark of each instrument, the stamp of each of those marks (SPEC §5.1), which of
 * them are suspect (SPEC §3.5) and each instrument's realised variance (SPEC §4). Instruments never
 * priced have neither mark nor stamp.
 *
 * @param stamps stamp of the latest accepted price per instrument symbol
 * @param suspect symbols whose latest mark is suspect (SPEC §3.5)
 * @param variances realised variance per instrument symbol (SPEC §4); absent until its second mark
 */
public record VenueSnapshot(Catalog catalog, Marks marks, Map<String, PriceStamp> stamps, Set<String> suspect,
                            Map<String, RealisedVariance> variances) {

    /** A snapshot without suspect marks or variances. */
    public VenueSnapshot(Catalog catalog, Marks marks, Map<String, PriceStamp> stamps) {
        this(catalog, marks, stamps, new java.util.HashSet<>(), new java.util.HashMap<>());
    }

    /**
     * Whether an evaluation of {@code sub} at {@code t} is held by a suspect mark (SPEC §3.5): the
     * latest mark of an instrument it uses is suspect and stamped after {@code t − holdSeconds}.
     */
    public boolean suspectHolds(SubAccount sub, java.time.Instant t) {
        WickGuard guard = catalog.venue().wickGuard();
        if (guard == null || suspect.isEmpty()) {
            return false;
        }
        for (String symbol : suspect) {
            PriceStamp stamp = stamps.get(symbol);
            if (stamp != null && catalog.knows(symbol) && sub.exposedTo(catalog.slot("instrument", symbol))
                    && guard.holds(stamp.timestamp(), t)) {
                return true;
            }
        }
        return false;
    }
}
