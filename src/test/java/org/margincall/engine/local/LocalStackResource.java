package org.margincall.engine.local;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.HashMap;
import java.util.Map;

/**
 * Points a @QuarkusTest application at the local stand-ins: the shared stack of this test run
 * (started once, stopped at JVM exit) and, for SNS, the {@link SnsGate} in front of it.
 */
public class LocalStackResource implements QuarkusTestResourceLifecycleManager {
    public static final String VENUE = "v1";

    @Override
    public Map<String, String> start() {
        LocalStack stack = LocalStack.shared();
        SnsGate gate = SnsGate.shared(stack.endpoint("SNS_ENDPOINT"));
        Map<String, String> c = new HashMap<>();
        for (String svc : new String[]{"dynamodb", "sns"}) {
            c.put("quarkus." + svc + ".aws.region", "us-east-1");
            c.put("quarkus." + svc + ".aws.credentials.type", "static");
            c.put("quarkus." + svc + ".aws.credentials.static-provider.access-key-id", "test");
            c.put("quarkus." + svc + ".aws.credentials.static-provider.secret-access-key", "test");
        }
        c.put("quarkus.dynamodb.endpoint-override", stack.endpoint("DYNAMODB_ENDPOINT"));
        c.put("quarkus.sns.endpoint-override", gate.url());
        c.put("margincall.sfn-endpoint-override", stack.endpoint("SFN_ENDPOINT"));
        c.put("margincall.eventbridge-endpoint-override", stack.endpoint("EVENTS_ENDPOINT"));
        c.put("margincall.table", stack.resource("MarginTable", "name"));
        c.put("margincall.notifications-topic-arn", stack.resource("NotificationsTopic", "arn"));
        c.put("margincall.operations-topic-arn", stack.resource("OperationsTopic", "arn"));
        c.put("margincall.escalation-state-machine-arn", stack.resource("EscalationStateMachine", "arn"));
        c.put("margincall.venue-id", VENUE);
        return c;
    }

    @Override
    public void stop() {
        // The stack outlives each Quarkus application of the run; LocalStack's shutdown hook stops it.
    }
}
