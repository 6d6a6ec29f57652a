package org.margincall.engine.domain;

import java.math.BigDecimal;

/**
 * What a price event makes of the instrument's stored mark (SPEC §5.1, §3.5, §4): accepted only
 * when its stamp is newer; suspect or not, decided once against the event's index or the previous
 * mark; the realised variance carried forward. The service and the in-process replay both use it.
 */
public final class PriceArrival {
    private PriceArrival() {
    }

    /**
     * @param snap the venue as last read (the previous mark, stamp and variance of the instrument)
     * @param index the event's index price, or null
     * @return the mark to store, or null when the event is a duplicate or out of order
     * @throws InvalidInputException when the instrument is unknown
     */
    public static AcceptedMark accept(VenueSnapshot snap, String instrument, BigDecimal price, BigDecimal index,
                                      PriceStamp stamp, String source) {
        int slot = snap.catalog().slot("detail.instrument", instrument);
        PriceStamp previous = snap.stamps().get(instrument);
        if (!stamp.isNewerThan(previous)) {
            return null;
        }
        BigDecimal previousMark = previous != null && snap.marks().has(slot) ? snap.marks().exact(slot) : null;
        Venue venue = snap.catalog().venue();
        boolean suspect = venue.wickGuard() != null && venue.wickGuard().isSuspect(price, index, previousMark,
                previous == null ? null : previous.timestamp(), stamp.timestamp());
        // SPEC §4: suspect marks count too; the state carries the previous mark and its time.
        RealisedVariance variance = snap.variances().getOrDefault(instrument, RealisedVariance.EMPTY)
                .next(price, stamp.timestampMillis(), venue.volatilityHalfLifeSeconds());
        return new AcceptedMark(instrument, price, stamp, source, suspect, variance);
    }

    /** Applies an accepted mark to a snapshot in place (the snapshot as it is after the store). */
    public static void apply(VenueSnapshot snap, AcceptedMark m) {
        snap.marks().put(m.instrument(), m.price());
        snap.stamps().put(m.instrument(), m.stamp());
        if (m.suspect()) {
            snap.suspect().add(m.instrument());
        } else {
            snap.suspect().remove(m.instrument());
        }
        if (m.variance() != null) {
            snap.variances().put(m.instrument(), m.variance());
        }
    }
}
