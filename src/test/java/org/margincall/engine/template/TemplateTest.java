package org.margincall.engine.template;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * template.yaml checked offline against the code (SPEC deployment, issue "Deployable with SAM"):
 * the real template passes every check, and each check catches its fault in a broken copy. That
 * the template is valid CloudFormation/SAM at all is cfn-lint's check (TemplateCfnLintTest).
 */
class TemplateTest {
    static Path root;
    static String text;
    static CodeFacts code;

    @BeforeAll
    static void load() throws Exception {
        root = Path.of("").toAbsolutePath();
        while (!Files.exists(root.resolve("template.yaml"))) {
            root = root.getParent();
        }
        text = Files.readString(root.resolve("template.yaml"));
        code = new CodeFacts(root.resolve("src/main/java"));
    }

    static TemplateLint lint(String template, Path dir) throws Exception {
        Path f = dir.resolve("template.yaml");
        Files.writeString(f, template);
        return new TemplateLint(CfnYaml.read(f), root);
    }

    @Test
    void theCodeHasTheHandlersTheTemplateExpects() {
        assertThat(code.handlerClasses).containsOnlyKeys("price-event", "account-event", "escalation-recheck", "sweep",
                "chunk-worker");
        assertThat(code.needs("PriceEventHandler")).extracting(CodeFacts.Need::action).contains("sqs:SendMessage");
        assertThat(code.needs("PriceEventHandler")).extracting(CodeFacts.Need::action)
                .contains("dynamodb:Query", "dynamodb:PutItem", "dynamodb:BatchGetItem", "dynamodb:UpdateItem",
                        "sns:Publish", "states:StartExecution", "events:PutEvents")
                .doesNotContain("dynamodb:Scan");
        assertThat(code.needs("SweepHandler")).extracting(CodeFacts.Need::action).contains("dynamodb:Scan");
    }

    @Test
    void theRealTemplatePassesEveryCheck(@TempDir Path dir) throws Exception {
        assertThat(lint(text, dir).all(code)).isEmpty();
    }

    @Test
    void anUnknownHandlerIsCaught(@TempDir Path dir) throws Exception {
        String broken = text.replace("QUARKUS_LAMBDA_HANDLER: sweep", "QUARKUS_LAMBDA_HANDLER: sweeper");
        assertThat(lint(broken, dir).handlers(code)).singleElement().asString().contains("SweepFunction").contains("sweeper");
        String none = text.replace("          QUARKUS_LAMBDA_HANDLER: sweep\n", "");
        assertThat(none).isNotEqualTo(text);
        assertThat(lint(none, dir).handlers(code)).singleElement().asString().contains("SweepFunction")
                .contains("no QUARKUS_LAMBDA_HANDLER");
    }

    @Test
    void aMissingPermissionIsCaught(@TempDir Path dir) throws Exception {
        String broken = text.replace("Action: [dynamodb:Scan, dynamodb:Query, dynamodb:GetItem, dynamodb:BatchGetItem, dynamodb:UpdateItem, dynamodb:PutItem, dynamodb:BatchWriteItem]",
                "Action: [dynamodb:Query, dynamodb:GetItem, dynamodb:BatchGetItem, dynamodb:UpdateItem, dynamodb:PutItem, dynamodb:BatchWriteItem]");
        assertThat(broken).isNotEqualTo(text);
        assertThat(lint(broken, dir).permissions(code)).isNotEmpty()
                .allSatisfy(p -> assertThat(p).contains("SweepFunction").contains("dynamodb:Scan"));
    }

    @Test
    void anActionTheCodeNeverCallsIsCaught(@TempDir Path dir) throws Exception {
        String broken = text.replace("Action: [dynamodb:Query, dynamodb:GetItem, dynamodb:UpdateItem, dynamodb:BatchWriteItem]\n",
                "Action: [dynamodb:Query, dynamodb:GetItem, dynamodb:UpdateItem, dynamodb:BatchWriteItem, dynamodb:DeleteTable]\n");
        assertThat(broken).isNotEqualTo(text);
        assertThat(lint(broken, dir).permissions(code)).singleElement().asString()
                .contains("EscalationRecheckFunction").contains("dynamodb:DeleteTable").contains("never calls");
    }

    @Test
    void aPermissionOnTheWrongResourceIsCaught(@TempDir Path dir) throws Exception {
        String broken = text.replace("Resource: [!Ref NotificationsTopic, !Ref OperationsTopic]", "Resource: [!Ref NotificationsTopic]");
        assertThat(broken).isNotEqualTo(text);
        assertThat(lint(broken, dir).permissions(code)).singleElement().asString()
                .contains("SweepFunction").contains("sns:Publish").contains("OperationsTopic");
    }

    @Test
    void aWildcardActionIsCaught(@TempDir Path dir) throws Exception {
        String broken = text.replaceFirst("Action: states:StartExecution", "Action: '*'");
        assertThat(lint(broken, dir).wildcards()).isNotEmpty().anySatisfy(p -> assertThat(p).contains("wildcard action *"));
        String service = text.replaceFirst("Action: events:PutEvents", "Action: 'events:*'");
        assertThat(lint(service, dir).wildcards()).singleElement().asString().contains("events:*");
        String everyResource = text.replaceFirst("Resource: !GetAtt TopicKey.Arn", "Resource: '*'");
        assertThat(everyResource).isNotEqualTo(text);
        assertThat(lint(everyResource, dir).wildcards()).singleElement().asString()
                .contains("PriceEventFunction").contains("TopicKey").contains("every resource");
    }

    @Test
    void aStrayOrMissingEnvironmentVariableIsCaught(@TempDir Path dir) throws Exception {
        String stray = text.replace("QUARKUS_LAMBDA_HANDLER: sweep", "QUARKUS_LAMBDA_HANDLER: sweep\n          MARGINCALL_TABEL: x");
        assertThat(lint(stray, dir).environment()).singleElement().asString().contains("MARGINCALL_TABEL");
        String missing = text.replace("        MARGINCALL_TABLE: !Ref MarginTable\n", "");
        assertThat(lint(missing, dir).environment()).hasSize(5).allSatisfy(p -> assertThat(p).contains("MARGINCALL_TABLE"));
    }

    /** cfn-lint does not look at local paths (checked: it passes this broken copy), so this check stays. */
    @Test
    void aMissingPathIsCaught(@TempDir Path dir) throws Exception {
        String path = text.replace("infra/statemachine/escalation.asl.json", "infra/statemachine/escalation.json");
        assertThat(lint(path, dir).paths()).singleElement().asString().contains("escalation.json");
        String code = text.replace("CodeUri: target/function.zip", "CodeUri: target/functions.zip");
        assertThat(lint(code, dir).paths()).hasSize(5).allSatisfy(p -> assertThat(p).contains("target/functions.zip"));
    }

    /** The alarms that watched Powertools' "Service" dimension after EMF moved to FunctionName never fired. */
    @Test
    void anAlarmOnAMetricTheEngineDoesNotWriteIsCaught(@TempDir Path dir) throws Exception {
        String caught = "MetricName: SweepCaughtNotices\n      Dimensions: [{Name: FunctionName, Value: !Ref SweepFunction}]";
        assertThat(text).contains(caught);
        String service = text.replace(caught, caught.replace("{Name: FunctionName, Value: !Ref SweepFunction}",
                "{Name: Service, Value: margin-call-engine}"));
        assertThat(lint(service, dir).engineAlarms()).singleElement().asString()
                .contains("SweepCaughtNoticesAlarm").contains("FunctionName").contains("Service");
        String notAFunction = text.replace(caught, caught.replace("!Ref SweepFunction", "!Ref OperationsTopic"));
        assertThat(lint(notAFunction, dir).engineAlarms()).singleElement().asString().contains("SweepCaughtNoticesAlarm");
        String name = text.replace("MetricName: SweepCaughtNotices\n", "MetricName: SweepCaughtNotice\n");
        assertThat(lint(name, dir).engineAlarms()).singleElement().asString()
                .contains("SweepCaughtNotice ").contains("Metrics port");
        String stat = "Namespace: MarginCallEngine\n              MetricName: PriceToPublishLatency";
        String namespace = text.replaceFirst(stat, stat.replace("MarginCallEngine", "MarginCall"));
        assertThat(namespace).isNotEqualTo(text);
        assertThat(lint(namespace, dir).engineAlarms()).as("inside a metric math alarm too").singleElement().asString()
                .contains("PriceToPublishLatencyAlarm").contains("namespace MarginCall,");
    }

    @Test
    void theTemplateIsOfTheExpectedShape() throws Exception {
        Map<String, Object> t = CfnYaml.read(root.resolve("template.yaml"));
        TemplateLint lint = new TemplateLint(t, root);
        assertThat(lint.functions()).containsOnlyKeys("PriceEventFunction", "AccountEventFunction",
                "EscalationRecheckFunction", "SweepFunction", "ChunkWorkerFunction");
    }
}
