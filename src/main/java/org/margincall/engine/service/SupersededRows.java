package org.margincall.engine.service;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jboss.logging.Logger;
import org.margincall.engine.service.TransitionCommitter.Committed;
import org.margincall.engine.service.port.BandIndex;
import org.margincall.engine.service.port.Metrics;

/** The band rows commits dropped, deleted after what they owe is delivered (SPEC §10). */
final class SupersededRows {
    private static final Logger LOG = Logger.getLogger(SupersededRows.class);

    private SupersededRows() {
    }

    /**
     * Deletes the band rows these commits dropped, in as few calls as the store allows, after what
     * they owe is delivered: off the path from a price to SNS, and superseded rows only cost reads
     * until then. A failure loses nothing — an extra row costs a read and the sweep deletes rows no
     * item owns — so it is logged and counted ({@code BandRowFailures}), never thrown.
     */
    static void drop(BandIndex bands, Metrics metrics, String venueId, List<Committed> commits) {
        Map<String, List<BandIndex.Row>> rows = new TreeMap<>();
        for (Committed c : commits) {
            if (c != null && !c.superseded().isEmpty()) {
                rows.computeIfAbsent(c.plan().account().accountId(), k -> new ArrayList<>()).addAll(c.superseded());
            }
        }
        if (rows.isEmpty()) {
            return;
        }
        try {
            bands.deleteAll(venueId, rows);
        } catch (RuntimeException e) {
            metrics.count(Metrics.BAND_ROW_FAILURES);
            LOG.warnf(e, "superseded band rows of %d accounts left behind (they cost reads until the sweep deletes them)",
                    rows.size());
        }
    }
}
