package org.margincall.engine.domain;

import java.math.BigDecimal;

/**
 * A mark as the engine stores it when it accepts a price event (SPEC §5.1): the price, its stamp,
 * whether it is suspect (SPEC §3.5, decided once on arrival) and the instrument's realised variance
 * after it (SPEC §4), all written together so they never disagree.
 *
 * @param price mark price, quote currency per base unit
 * @param source the feed's name, or null
 * @param variance the realised variance including this mark (null only for marks stored without one)
 */
public record AcceptedMark(String instrument, BigDecimal price, PriceStamp stamp, String source, boolean suspect,
                           RealisedVariance variance) {
}
