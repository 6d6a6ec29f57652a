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
import software.amazon.awssdk.services.sfn.model.DescribeExecutionResponse;
import software.amazon.awssdk.services.sfn.model.ExecutionAlreadyExistsException;
import software.amazon.awssdk.services.sfn.model.ExecutionStatus;

/**
 * Starts one escalation execution per call (SPEC §3.4), named after the call so that a repeated
 * start is refused by Step Functions: {@code ExecutionAlreadyExists} means the call already has
 * its clock, which is success.
 */
@ApplicationScoped
public class EscalationStarter implements EscalationScheduler {
    private static final Logger LOG = Logger.getLogger(EscalationStarter.class);

    /** Derived execution names tried per call before leaving the start to the sweep. */
    static final int MAX_NAMES = 5;
    private final SfnClient sfn;
    private final String stateMachineArn;

    public EscalationStarter(SfnClient sfn, EngineConfig config) {
        this.sfn = sfn;
        this.stateMachineArn = config.escalationStateMachineArn();
    }

    /**
     * True once the call has a running (or normally finished) execution; false to retry later.
     * A taken name is not proof of a clock: names stay taken for 90 days after an execution ends,
     * so when StartExecution answers {@code ExecutionAlreadyExists} the existing execution is
     * described, and one that was aborted, failed, timed out or ran other input is replaced by a
     * new one under the next derived name ({@code <name>-2}, {@code -3}, …: still deterministic).
     */
    @Override
    public boolean start(PendingEscalation e) {
        for (int attempt = 1; attempt <= MAX_NAMES; attempt++) {
            String name = attempt == 1 ? e.executionName() : e.executionName() + "-" + attempt;
            try {
                sfn.startExecution(b -> b.stateMachineArn(stateMachineArn).name(name).input(e.input()));
                return true;
            } catch (ExecutionAlreadyExistsException already) {
                DescribeExecutionResponse existing;
                try {
                    existing = sfn.describeExecution(b -> b.executionArn(executionArn(name)));
                } catch (SdkException | UncheckedIOException ex) {
                    LOG.warnf("escalation %s: execution %s exists but could not be described: %s", e.callId(), name,
                            ex.getMessage());
                    return false;
                }
                boolean sameInput = e.input().equals(existing.input());
                ExecutionStatus status = existing.status();
                if (sameInput && (status == ExecutionStatus.RUNNING || status == ExecutionStatus.SUCCEEDED)) {
                    return true; // the call's clock is running, or ran to its end
                }
                LOG.warnf("escalation %s: execution %s is %s%s; starting the next name", e.callId(), name, status,
                        sameInput ? "" : " with other input");
            } catch (SdkException | UncheckedIOException ex) {
                // The URL-connection client surfaces some broken connections as UncheckedIOException.
                LOG.warnf("starting escalation %s failed: %s", e.callId(), ex.getMessage());
                return false;
            }
        }
        LOG.errorf("escalation %s: %d execution names taken; left for the sweep", e.callId(), MAX_NAMES);
        return false;
    }

    /** The ARN of an execution of the escalation state machine. */
    String executionArn(String name) {
        return stateMachineArn.replace(":stateMachine:", ":execution:") + ":" + name;
    }
}
