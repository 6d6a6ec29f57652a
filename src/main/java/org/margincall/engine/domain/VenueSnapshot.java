package org.margincall.engine.domain;

import java.util.Map;

/**
 * One venue as an evaluation sees it: its catalog (policy, instruments, collateral assets), the
 * latest accepted mark of each instrument, and the stamp of each of those marks (SPEC §5.1).
 * Instruments never priced have neither mark nor stamp.
 *
 * @param stamps stamp of the latest accepted price per instrument symbol
 */
public record VenueSnapshot(Catalog catalog, Marks marks, Map<String, PriceStamp> stamps) {
}
