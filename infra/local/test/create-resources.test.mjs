import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { SNSClient, ListTopicsCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { SQSClient, CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { ACCOUNT, REPO_DIR, admin, awsClientConfig, describe, runStack, sfnOk, startLambda, startStack } from './helpers.mjs';
import { parseCfnYaml } from '../lib/cfn-yaml.mjs';

const TEMPLATE = join(REPO_DIR, 'template.yaml');
let stack;

before(async () => {
  stack = await startStack({ SFN_CLOCK: 'controlled' });
});
after(() => stack?.down());

function loadResources() {
  return JSON.parse(readFileSync(join(stack.dir, 'resources.json'), 'utf8')).resources;
}

test('create-resources on the real template works, twice', async () => {
  const first = await runStack(['resources', TEMPLATE], { env: stack.env });
  assert.equal(first.code, 0, first.stderr);
  const second = await runStack(['resources'], { env: stack.env });
  assert.equal(second.code, 0, `second run must be a no-op: ${second.stderr}`);

  const template = parseCfnYaml(readFileSync(TEMPLATE, 'utf8'));
  const resources = loadResources();
  const ddb = new DynamoDBClient(awsClientConfig(stack.endpoints.dynamodb));
  const sns = new SNSClient(awsClientConfig(stack.endpoints.sns));
  try {
    const topics = ((await sns.send(new ListTopicsCommand({}))).Topics ?? []).map((t) => t.TopicArn);
    // Driven by the template so the test keeps up as it grows.
    for (const [id, res] of Object.entries(template.Resources)) {
      const local = resources[id];
      switch (res.Type) {
        case 'AWS::DynamoDB::Table': {
          const table = (await ddb.send(new DescribeTableCommand({ TableName: local.name }))).Table;
          assert.equal(table.TableStatus, 'ACTIVE');
          assert.deepEqual(table.KeySchema, res.Properties.KeySchema);
          const gsis = (res.Properties.GlobalSecondaryIndexes ?? []).map((g) => g.IndexName).sort();
          assert.deepEqual((table.GlobalSecondaryIndexes ?? []).map((g) => g.IndexName).sort(), gsis);
          break;
        }
        case 'AWS::SNS::Topic':
          assert.ok(topics.includes(local.arn), `${id}: ${local.arn} not in ${topics}`);
          break;
        case 'AWS::Serverless::StateMachine':
        case 'AWS::StepFunctions::StateMachine': {
          const sm = await sfnOk(stack.endpoints.sfn, 'DescribeStateMachine', { stateMachineArn: local.arn });
          assert.doesNotMatch(sm.definition, /\$\{/, 'every DefinitionSubstitution applied');
          break;
        }
        case 'AWS::Serverless::Function':
          assert.equal(local.arn, `arn:aws:lambda:us-east-1:${ACCOUNT}:function:${id}`);
          break;
        default:
          break;
      }
    }
  } finally {
    ddb.destroy();
    sns.destroy();
  }
});

test('the escalation state machine runs on the controlled clock and alerts operations', async () => {
  const resources = loadResources();
  const SFN = stack.endpoints.sfn;
  const sns = new SNSClient(awsClientConfig(stack.endpoints.sns));
  const sqs = new SQSClient(awsClientConfig(stack.endpoints.sqs));
  const steps = [];
  const lambda = await startLambda((name, payload) => {
    steps.push([name, payload.step]);
    if (payload.callId === 'broken') return { error: { errorType: 'DependencyDown', errorMessage: 'table unavailable' } };
    // Both spellings of "keep escalating" the re-check result has used.
    const open = payload.callId !== 'closes';
    return { callOpen: open, continueEscalation: open };
  });
  try {
    await admin(SFN, 'config', { lambdaEndpoint: lambda.url });
    await admin(SFN, 'clock/set', { now: '2026-03-01T12:00:00Z' });
    const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'operations-tap' }))).QueueUrl;
    const queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))).Attributes.QueueArn;
    await sns.send(new SubscribeCommand({ TopicArn: resources.OperationsTopic.arn, Protocol: 'sqs', Endpoint: queueArn }));

    const machine = resources.EscalationStateMachine.arn;
    const input = (callId) =>
      JSON.stringify({
        callId,
        venueId: 'v',
        accountId: 'a',
        subAccount: 's',
        graceDeadline: '2026-03-01T12:15:00Z',
        finalDeadline: '2026-03-01T12:45:00Z',
      });
    const run = async (callId) => (await sfnOk(SFN, 'StartExecution', { stateMachineArn: machine, name: callId, input: input(callId) })).executionArn;
    const closes = await run('closes');
    const staysOpen = await run('stays-open');
    const broken = await run('broken');

    await admin(SFN, 'clock/advance', { to: '2026-03-01T12:14:59Z' });
    assert.deepEqual(steps, [], 'nothing happens before the grace deadline');

    await admin(SFN, 'clock/advance', { to: '2026-03-01T12:15:00Z' });
    assert.equal((await describe(SFN, closes)).status, 'SUCCEEDED');
    assert.equal((await describe(SFN, staysOpen)).status, 'RUNNING');

    // The broken re-check's retries and the final deadline all fall within this advance.
    await admin(SFN, 'clock/advance', { to: '2026-03-01T14:00:00Z' });
    assert.notEqual((await describe(SFN, staysOpen)).status, 'RUNNING');
    const b = await describe(SFN, broken);
    assert.deepEqual([b.status, b.error], ['FAILED', 'EscalationFailed']);
    assert.ok(steps.every(([name]) => name === 'EscalationRecheckFunction'), JSON.stringify(steps));

    const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 2 }));
    assert.equal(got.Messages?.length, 1);
    const envelope = JSON.parse(got.Messages[0].Body);
    assert.equal(envelope.TopicArn, resources.OperationsTopic.arn);
    assert.equal(envelope.MessageAttributes.type.Value, 'ESCALATION_FAILED');
    assert.equal(JSON.parse(envelope.Message).error.Error, 'DependencyDown');
  } finally {
    await lambda.close();
    sns.destroy();
    sqs.destroy();
  }
});

test('an unresolvable DefinitionSubstitution is named in the error', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tmpl-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'sm.asl.json'), JSON.stringify({ StartAt: 'A', States: { A: { Type: 'Task', Resource: '${Fn}', End: true } } }));
  writeFileSync(
    join(dir, 'template.yaml'),
    [
      'Resources:',
      '  Machine:',
      '    Type: AWS::Serverless::StateMachine',
      '    Properties:',
      '      DefinitionUri: sm.asl.json',
      '      DefinitionSubstitutions:',
      '        Fn: !GetAtt SomeBucket.Arn',
      '  SomeBucket:',
      '    Type: AWS::S3::Bucket',
    ].join('\n'),
  );
  const res = await runStack(['resources', join(dir, 'template.yaml')], { env: stack.env });
  assert.notEqual(res.code, 0);
  assert.match(res.stderr, /DefinitionSubstitutions\.Fn/);
  assert.match(res.stderr, /SomeBucket/);
});
