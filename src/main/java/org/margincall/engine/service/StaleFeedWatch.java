package org.margincall.engine.service;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jboss.logging.Logger;
import org.margincall.engine.domain.PriceStamp;
import org.margincall.engine.domain.Timestamps;
import org.margincall.engine.domain.VenueSnapshot;
import org.margincall.engine.service.port.DeliveryFailedException;
import org.margincall.engine.service.port.Metrics;
import org.margincall.engine.service.port.OperationsChannel;
import org.margincall.engine.service.port.VenueRepository;

/**
 * Raises {@code PRICE_FEED_STALE} on the operations topic (SPEC §5.3) once per stale price: an
 * instrument whose last price is older than the venue's {@code stalePriceSeconds}. A feed that
 * stays silent raises one alert, not one a minute; one that goes stale again after a new price
 * raises a new one.
 */
@ApplicationScoped
public class StaleFeedWatch {
    private static final Logger LOG = Logger.getLogger(StaleFeedWatch.class);
    private final VenueRepository venues;
    private final OperationsChannel operations;
    private final Metrics metrics;
    private final ObjectMapper json = new ObjectMapper();

    public StaleFeedWatch(VenueRepository venues, OperationsChannel operations, Metrics metrics) {
        this.venues = venues;
        this.operations = operations;
        this.metrics = metrics;
    }

    /**
     * @param now the sweep's instant
     * @return the instruments reported stale by this call (an alert that failed is retried next time)
     */
    List<String> check(String venueId, VenueSnapshot snap, Instant now) {
        List<String> reported = new ArrayList<>();
        long limitMillis = snap.catalog().venue().stalePriceSeconds() * 1000;
        for (Map.Entry<String, PriceStamp> e : snap.stamps().entrySet()) {
            String instrument = e.getKey();
            long ts = e.getValue().timestampMillis();
            if (now.toEpochMilli() - ts <= limitMillis || !venues.markStaleReported(venueId, instrument, ts)) {
                continue;
            }
            ObjectNode body = json.createObjectNode();
            body.put("type", "PRICE_FEED_STALE");
            body.put("venueId", venueId);
            body.put("instrument", instrument);
            body.put("lastPriceAt", Timestamps.format(Instant.ofEpochMilli(ts)));
            body.put("detectedAt", Timestamps.format(now));
            body.put("stalePriceSeconds", snap.catalog().venue().stalePriceSeconds());
            try {
                operations.alert(venueId, "PRICE_FEED_STALE", body.toString());
            } catch (DeliveryFailedException failed) {
                venues.unmarkStaleReported(venueId, instrument, ts);
                LOG.warnf("stale-feed alert for %s not sent, retried next sweep: %s", instrument, failed.getMessage());
                continue;
            }
            metrics.count(Metrics.STALE_PRICE_FEEDS);
            LOG.warnf("price feed of %s stale since %s", instrument, body.get("lastPriceAt").asText());
            reported.add(instrument);
        }
        return reported;
    }
}
