package org.margincall.engine.service.port;

/** Something could not be handed to AWS; what was owed is kept and retried. */
public class DeliveryFailedException extends RuntimeException {
    public DeliveryFailedException(String message, Throwable cause) {
        super(message, cause);
    }
}
