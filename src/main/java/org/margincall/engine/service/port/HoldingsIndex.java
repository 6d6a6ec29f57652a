package org.margincall.engine.service.port;

import java.util.List;
import java.util.Set;

/**
 * Which accounts are exposed to an instrument (SPEC §3.3), so a price event reads only those.
 * Rows are derived from the account ({@link org.margincall.engine.domain.Exposure}); writing them
 * again is harmless.
 */
public interface HoldingsIndex {

    /** Ids of the accounts holding a row for {@code instrument}, in no particular order. */
    List<String> holders(String venueId, String instrument);

    /** Adds (or rewrites) the account's rows for {@code instruments}. */
    void put(String venueId, String accountId, Set<String> instruments);

    /** Removes the account's rows for {@code instruments}; absent rows are ignored. */
    void remove(String venueId, String accountId, Set<String> instruments);
}
