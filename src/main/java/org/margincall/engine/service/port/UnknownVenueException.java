package org.margincall.engine.service.port;

/** An event named a venue that has no configuration in the table. */
public final class UnknownVenueException extends RuntimeException {
    private final String venueId;

    public UnknownVenueException(String venueId) {
        super("venue " + venueId + " has no configuration in the margin table");
        this.venueId = venueId;
    }

    public String venueId() {
        return venueId;
    }
}
