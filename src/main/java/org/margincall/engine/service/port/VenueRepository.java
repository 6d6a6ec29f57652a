package org.margincall.engine.service.port;

import java.math.BigDecimal;
import org.margincall.engine.domain.AcceptedMark;
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
     * Stores a mark only if the instrument's stored stamp is still {@code previous} (null: no price
     * stored yet), so the mark's suspect flag and variance, derived from that previous mark, stay true.
     *
     * @return false when the stored price changed meanwhile (nothing written): re-load and decide again
     */
    boolean storeIfUnchanged(String venueId, AcceptedMark mark, PriceStamp previous);

    /**
     * Stores a plain mark (not suspect, no variance) only if its stamp is newer than the stored one
     * ({@link PriceStamp#isNewerThan}); for loading and tests.
     *
     * @return false for a duplicate or out-of-order price, leaving the stored one untouched
     */
    boolean storeIfNewer(String venueId, String instrument, BigDecimal markPrice, PriceStamp stamp, String source);

    /**
     * Sets or releases the venue's operations switch holding every hand-off (SPEC §3.5).
     *
     * @throws UnknownVenueException when the venue has no configuration
     */
    void setHandoffsHeld(String venueId, boolean held);

    /** Records, once, that the price stamped {@code timestampMillis} was reported stale: true for the first caller only. */
    boolean markStaleReported(String venueId, String instrument, long timestampMillis);

    /** Undoes {@link #markStaleReported} when the alert could not be sent. */
    void unmarkStaleReported(String venueId, String instrument, long timestampMillis);
}
