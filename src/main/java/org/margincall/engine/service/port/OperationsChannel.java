package org.margincall.engine.service.port;

/** Alerts for the venue's operators (the operations topic). */
public interface OperationsChannel {

    /**
     * Sends one alert.
     *
     * @param type alert type, e.g. {@code PRICE_FEED_STALE}
     * @param body the alert's JSON body
     * @throws DeliveryFailedException when it could not be sent (the caller retries on its next run)
     */
    void alert(String venueId, String type, String body);
}
