package org.margincall.engine.adapter.sfn;

import java.io.UncheckedIOException;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;
import org.margincall.engine.service.port.EscalationScheduler;
import org.margincall.engine.service.port.StoredAccount;
import org.margincall.engine.service.port.StoredAccount.PendingEscalation;
import org.margincall.engine.config.EngineConfig;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sfn.model.ExecutionAlreadyExistsException;

/**
 * Starts one escalation execution per call (SPEC §3.4), named after the call so that a repeated
 * start is refused by Step Functions: {@code ExecutionAlreadyExists} means the call already has
 * its clock, which is success.
 */
@ApplicationScoped
public class EscalationStarter implements EscalationScheduler {
    private static final Logger LOG = Logger.getLogger(EscalationStarter.class);

    private final SfnClient sfn;
    private final String stateMachineArn;

    public EscalationStarter(SfnClient sfn, EngineConfig config) {
        this.sfn = sfn;
        this.stateMachineArn = config.escalationStateMachineArn();
    }

    /** True once the call has an execution (new or existing); false to retry later. */
    @Override
    public boolean start(PendingEscalation e) {
        try {
            sfn.startExecution(b -> b.stateMachineArn(stateMachineArn).name(e.executionName()).input(e.input()));
            return true;
        } catch (ExecutionAlreadyExistsException already) {
            return true;
        } catch (SdkException | UncheckedIOException ex) {
                // The URL-connection client surfaces some broken connections as UncheckedIOException.
            LOG.warnf("starting escalation %s failed: %s", e.callId(), ex.getMessage());
            return false;
        }
    }
}
