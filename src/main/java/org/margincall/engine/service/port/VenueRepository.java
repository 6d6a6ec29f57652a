package org.margincall.engine.service.port;

import java.math.BigDecimal;
import org.margincall.engine.domain.PriceStamp;
import org.margincall.engine.domain.VenueSnapshot;

/** A venue's configuration and latest prices. */
public interface VenueRepository {

    /**
     * The venue's catalog with the latest marks and their stamps.
     *
     * @throws UnknownVenueException when the venue has no configuration
     */
    VenueSnapshot load(String venueId);

    /**
     * Stores a price only if its stamp is newer than the stored one ({@link PriceStamp#isNewerThan}).
     *
     * @param markPrice the mark, quote currency per base unit
     * @param source the feed's name, or null
     * @return false for a duplicate or out-of-order price, leaving the stored one untouched
     */
    boolean storeIfNewer(String venueId, String instrument, BigDecimal markPrice, PriceStamp stamp, String source);

    /** Records, once, that the price stamped {@code timestampMillis} was reported stale: true for the first caller only. */
    boolean markStaleReported(String venueId, String instrument, long timestampMillis);

    /** Undoes {@link #markStaleReported} when the alert could not be sent. */
    void unmarkStaleReported(String venueId, String instrument, long timestampMillis);
}
