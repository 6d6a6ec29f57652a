package org.margincall.engine.service;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Clock;
import org.jboss.logging.Logger;
import org.margincall.engine.domain.Timestamps;
import org.margincall.engine.service.port.OperationsChannel;
import org.margincall.engine.service.port.VenueRepository;

/**
 * The venue's operations switch (SPEC §3.5 {@code handoffsHeld}): during an oracle incident
 * operations hold every hand-off of the venue — levels and notices proceed, no level moves to
 * LIQUIDATION and no {@code LIQUIDATION_HANDOFF} or {@code Liquidation Requested} leaves — until
 * they release it; then the next evaluation of each held account decides normally. Setting and
 * releasing it alerts the operations topic.
 */
@ApplicationScoped
public class VenueOperations {
    private static final Logger LOG = Logger.getLogger(VenueOperations.class);
    private final VenueRepository venues;
    private final OperationsChannel operations;
    private final Clock clock;
    private final ObjectMapper json = new ObjectMapper();

    public VenueOperations(VenueRepository venues, OperationsChannel operations, Clock clock) {
        this.venues = venues;
        this.operations = operations;
        this.clock = clock;
    }

    /**
     * Holds ({@code true}) or releases every hand-off of the venue.
     *
     * @param reason free text for the operators' alert (no personal data)
     * @return false when the switch was already in that position (nothing written, no alert)
     * @throws org.margincall.engine.service.port.UnknownVenueException for an unknown venue
     * @throws org.margincall.engine.service.port.DeliveryFailedException when the alert could not be
     *         sent (the switch is set; re-running the command re-sends nothing, so alert by hand)
     */
    public boolean holdHandoffs(String venueId, boolean held, String reason) {
        if (venues.load(venueId).catalog().venue().handoffsHeld() == held) {
            return false;
        }
        venues.setHandoffsHeld(venueId, held);
        String type = held ? "HANDOFFS_HELD" : "HANDOFFS_RELEASED";
        ObjectNode body = json.createObjectNode();
        body.put("type", type);
        body.put("venueId", venueId);
        body.put("at", Timestamps.format(clock.instant()));
        body.put("reason", reason);
        LOG.warnf("%s for venue %s: %s", type, venueId, reason);
        operations.alert(venueId, type, body.toString());
        return true;
    }
}
