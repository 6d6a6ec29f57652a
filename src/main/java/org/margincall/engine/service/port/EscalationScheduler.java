package org.margincall.engine.service.port;

/** Runs a call's clock (SPEC §3.4): one execution per call, named from the call id. */
public interface EscalationScheduler {

    /**
     * Starts the call's escalation.
     *
     * @return true once the call has an execution (new or already existing); false to retry later
     */
    boolean start(StoredAccount.PendingEscalation escalation);
}
