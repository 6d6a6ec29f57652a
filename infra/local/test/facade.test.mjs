import { after, before, beforeEach, describe as group, test } from 'node:test';
import assert from 'node:assert/strict';
import { SNSClient, CreateTopicCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { SQSClient, CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import {
  ACCOUNT,
  admin,
  awsClientConfig,
  createMachine,
  describe,
  historyTypes,
  sfn,
  sfnOk,
  startLambda,
  startStack,
  waitForStatus,
} from './helpers.mjs';

const fnArn = (name) => `arn:aws:lambda:us-east-1:${ACCOUNT}:function:${name}`;
const T0 = '2026-01-01T00:00:00.000Z';

let stack;
let SFN;
let lambda;
// Each test installs its own Lambda behaviour here.
let lambdaBehaviour = () => ({});

before(async () => {
  stack = await startStack({ SFN_CLOCK: 'controlled' });
  SFN = stack.endpoints.sfn;
  lambda = await startLambda((name, payload, n) => lambdaBehaviour(name, payload, n));
  await admin(SFN, 'config', { lambdaEndpoint: lambda.url });
});

after(async () => {
  await lambda?.close();
  await stack?.down();
});

beforeEach(async () => {
  await admin(SFN, 'reset', {});
  await admin(SFN, 'config', { lambdaEndpoint: lambda.url, retryClock: 'clock', retryScale: 1 });
  await admin(SFN, 'clock/set', { now: T0 });
  lambda.calls.length = 0;
  lambdaBehaviour = () => ({});
});

async function start(machineArn, input = {}, name) {
  const out = await sfnOk(SFN, 'StartExecution', { stateMachineArn: machineArn, input: JSON.stringify(input), ...(name ? { name } : {}) });
  return out.executionArn;
}

async function idle(timeoutMs = 5000) {
  const res = await fetch(`${SFN}/_admin/idle?timeoutMs=${timeoutMs}`, { method: 'POST' });
  return { status: res.status, body: await res.json() };
}

group('state machine definitions', () => {
  test('invalid ASL is rejected with InvalidDefinition', async () => {
    const missingTarget = await sfn(SFN, 'CreateStateMachine', {
      name: 'broken',
      roleArn: 'arn:aws:iam::000000000000:role/x',
      definition: JSON.stringify({ StartAt: 'A', States: { A: { Type: 'Pass', Next: 'Nowhere' } } }),
    });
    assert.equal(missingTarget.status, 400);
    assert.equal(missingTarget.body.__type, 'InvalidDefinition');
    assert.match(missingTarget.body.message, /Nowhere/);

    const notJson = await sfn(SFN, 'CreateStateMachine', { name: 'broken2', definition: '{nope' });
    assert.equal(notJson.body.__type, 'InvalidDefinition');
  });

  test('create is idempotent for the same definition and refuses a different one', async () => {
    const def = { StartAt: 'A', States: { A: { Type: 'Pass', End: true } } };
    const arn = await createMachine(SFN, 'same', def);
    assert.equal(arn, `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:same`);
    assert.equal(await createMachine(SFN, 'same', def), arn);
    const other = await sfn(SFN, 'CreateStateMachine', {
      name: 'same',
      roleArn: `arn:aws:iam::${ACCOUNT}:role/test`,
      definition: JSON.stringify({ StartAt: 'B', States: { B: { Type: 'Succeed' } } }),
    });
    assert.equal(other.body.__type, 'StateMachineAlreadyExists');
    const described = await sfnOk(SFN, 'DescribeStateMachine', { stateMachineArn: arn });
    assert.deepEqual(JSON.parse(described.definition), def);
    const listed = await sfnOk(SFN, 'ListStateMachines');
    assert.deepEqual(listed.stateMachines.map((s) => s.name), ['same']);
  });

  test('unknown state machine and execution give the typed errors', async () => {
    const sm = await sfn(SFN, 'DescribeStateMachine', { stateMachineArn: `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:none` });
    assert.equal(sm.body.__type, 'StateMachineDoesNotExist');
    const ex = await sfn(SFN, 'DescribeExecution', { executionArn: `arn:aws:states:us-east-1:${ACCOUNT}:execution:none:x` });
    assert.equal(ex.body.__type, 'ExecutionDoesNotExist');
    const op = await sfn(SFN, 'SendTaskSuccess', {});
    assert.equal(op.body.__type, 'UnknownOperationException');
  });
});

group('executions', () => {
  const recheckThenChoose = {
    StartAt: 'Recheck',
    States: {
      Recheck: { Type: 'Task', Resource: fnArn('Recheck'), ResultPath: '$.recheck', Next: 'Open?' },
      'Open?': {
        Type: 'Choice',
        Choices: [{ Variable: '$.recheck.callOpen', BooleanEquals: false, Next: 'Closed' }],
        Default: 'StillOpen',
      },
      Closed: { Type: 'Pass', Result: 'closed', ResultPath: '$.branch', End: true },
      StillOpen: { Type: 'Pass', Result: 'open', ResultPath: '$.branch', End: true },
    },
  };

  test('a Lambda task feeds a Choice that takes the right branch', async () => {
    lambdaBehaviour = (name, payload) => ({ callOpen: payload.account === 'A-open' });
    const arn = await createMachine(SFN, 'recheck', recheckThenChoose);

    const closed = await start(arn, { account: 'A-closed' });
    const open = await start(arn, { account: 'A-open' });
    const [c, o] = [await waitForStatus(SFN, closed), await waitForStatus(SFN, open)];
    assert.equal(c.status, 'SUCCEEDED');
    assert.deepEqual(JSON.parse(c.output), { account: 'A-closed', recheck: { callOpen: false }, branch: 'closed' });
    assert.equal(JSON.parse(o.output).branch, 'open');
    assert.equal(typeof c.startDate, 'number');
    assert.equal(typeof c.stopDate, 'number');

    assert.deepEqual(
      lambda.calls.map((call) => [call.name, call.payload.account]).sort(),
      [
        ['Recheck', 'A-closed'],
        ['Recheck', 'A-open'],
      ],
    );
    assert.deepEqual(await historyTypes(SFN, closed), [
      'ExecutionStarted',
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionSucceeded',
      'TaskStateExited',
      'ChoiceStateEntered',
      'ChoiceStateExited',
      'PassStateEntered',
      'PassStateExited',
      'ExecutionSucceeded',
    ]);
    const history = await sfnOk(SFN, 'GetExecutionHistory', { executionArn: closed });
    const entered = history.events.filter((e) => e.stateEnteredEventDetails).map((e) => e.stateEnteredEventDetails.name);
    assert.deepEqual(entered, ['Recheck', 'Open?', 'Closed']);
  });

  test('arn:aws:states:::lambda:invoke sends Payload and wraps the result', async () => {
    lambdaBehaviour = (name, payload) => ({ echoed: payload, name });
    const arn = await createMachine(SFN, 'invoke-form', {
      StartAt: 'Call',
      States: {
        Call: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: fnArn('Echo'), 'Payload.$': '$.body' },
          ResultSelector: { 'result.$': '$.Payload', 'status.$': '$.StatusCode' },
          End: true,
        },
      },
    });
    const ex = await waitForStatus(SFN, await start(arn, { body: { x: 1 } }));
    assert.equal(ex.status, 'SUCCEEDED');
    assert.deepEqual(JSON.parse(ex.output), { result: { echoed: { x: 1 }, name: 'Echo' }, status: 200 });
    assert.equal(lambda.calls[0].url, '/2015-03-31/functions/Echo/invocations');
  });

  test('a function error fails the execution with errorType and errorMessage', async () => {
    lambdaBehaviour = () => ({ error: { errorType: 'IllegalStateException', errorMessage: 'no such call' } });
    const arn = await createMachine(SFN, 'fails', recheckThenChoose);
    const ex = await waitForStatus(SFN, await start(arn));
    assert.equal(ex.status, 'FAILED');
    assert.equal(ex.error, 'IllegalStateException');
    assert.equal(ex.cause, 'no such call');
    const types = await historyTypes(SFN, ex.executionArn);
    assert.ok(types.includes('LambdaFunctionFailed'));
    assert.equal(types.at(-1), 'ExecutionFailed');
  });

  test('duplicate execution names are refused, identical running requests are idempotent', async () => {
    const arn = await createMachine(SFN, 'waits', {
      StartAt: 'W',
      States: { W: { Type: 'Wait', Seconds: 60, End: true } },
    });
    const first = await sfnOk(SFN, 'StartExecution', { stateMachineArn: arn, name: 'call-1', input: '{"a":1}' });
    assert.equal(first.executionArn, `arn:aws:states:us-east-1:${ACCOUNT}:execution:waits:call-1`);
    assert.equal(typeof first.startDate, 'number');

    const differentInput = await sfn(SFN, 'StartExecution', { stateMachineArn: arn, name: 'call-1', input: '{"a":2}' });
    assert.equal(differentInput.status, 400);
    assert.equal(differentInput.body.__type, 'ExecutionAlreadyExists');

    const same = await sfnOk(SFN, 'StartExecution', { stateMachineArn: arn, name: 'call-1', input: '{"a":1}' });
    assert.equal(same.executionArn, first.executionArn);

    await admin(SFN, 'clock/advance', { seconds: 60 });
    assert.equal((await describe(SFN, first.executionArn)).status, 'SUCCEEDED');
    const afterEnd = await sfn(SFN, 'StartExecution', { stateMachineArn: arn, name: 'call-1', input: '{"a":1}' });
    assert.equal(afterEnd.body.__type, 'ExecutionAlreadyExists');

    const generated = await sfnOk(SFN, 'StartExecution', { stateMachineArn: arn });
    assert.match(generated.executionArn, /:execution:waits:[0-9a-f-]{36}$/);
  });

  test('StopExecution aborts and forgets the pending wait', async () => {
    const arn = await createMachine(SFN, 'stoppable', { StartAt: 'W', States: { W: { Type: 'Wait', Seconds: 600, End: true } } });
    const ex = await start(arn);
    assert.equal((await idle()).status, 200);
    await sfnOk(SFN, 'StopExecution', { executionArn: ex, error: 'Cancelled', cause: 'margin restored' });
    const d = await describe(SFN, ex);
    assert.deepEqual([d.status, d.error, d.cause], ['ABORTED', 'Cancelled', 'margin restored']);
    assert.deepEqual((await admin(SFN, 'clock')).body.pendingWaits, []);
    assert.equal((await historyTypes(SFN, ex)).at(-1), 'ExecutionAborted');
  });

  test('ListExecutions filters by status', async () => {
    const arn = await createMachine(SFN, 'mixed', {
      StartAt: 'Branch',
      States: {
        Branch: { Type: 'Choice', Choices: [{ Variable: '$.wait', BooleanEquals: true, Next: 'W' }], Default: 'Done' },
        W: { Type: 'Wait', Seconds: 600, End: true },
        Done: { Type: 'Succeed' },
      },
    });
    const waiting = await start(arn, { wait: true }, 'waiting');
    const done = await start(arn, { wait: false }, 'done');
    await idle();
    const running = await sfnOk(SFN, 'ListExecutions', { stateMachineArn: arn, statusFilter: 'RUNNING' });
    assert.deepEqual(running.executions.map((e) => e.executionArn), [waiting]);
    const succeeded = await sfnOk(SFN, 'ListExecutions', { stateMachineArn: arn, statusFilter: 'SUCCEEDED' });
    assert.deepEqual(succeeded.executions.map((e) => e.executionArn), [done]);
    const all = await sfnOk(SFN, 'ListExecutions', { stateMachineArn: arn, maxResults: 1 });
    assert.equal(all.executions.length, 1);
    assert.ok(all.nextToken);
  });
});

group('controlled clock', () => {
  test('a 600 s Wait stays RUNNING until the clock is advanced past it', async () => {
    const arn = await createMachine(SFN, 'grace', {
      StartAt: 'Grace',
      States: { Grace: { Type: 'Wait', Seconds: 600, Next: 'Recheck' }, Recheck: { Type: 'Task', Resource: fnArn('Recheck'), End: true } },
    });
    lambdaBehaviour = () => ({ callOpen: false });
    const ex = await start(arn);
    const parked = await idle();
    assert.equal(parked.status, 200);
    assert.deepEqual(
      parked.body.pendingWaits.map((w) => [w.executionArn, w.state, w.kind, w.target]),
      [[ex, 'Grace', 'wait', '2026-01-01T00:10:00.000Z']],
    );
    assert.equal((await describe(SFN, ex)).status, 'RUNNING');
    assert.equal(lambda.calls.length, 0);

    await admin(SFN, 'clock/advance', { seconds: 599 });
    assert.equal((await describe(SFN, ex)).status, 'RUNNING');

    const advanced = await admin(SFN, 'clock/advance', { to: '2026-01-01T00:10:00Z' });
    assert.equal(advanced.status, 200);
    assert.deepEqual(advanced.body.released.map((w) => w.state), ['Grace']);
    const d = await describe(SFN, ex);
    assert.equal(d.status, 'SUCCEEDED', 'advance settles: the execution ran to its end before returning');
    assert.equal(d.stopDate, Date.parse('2026-01-01T00:10:00Z') / 1000, 'dates follow the controlled clock');
    assert.equal(lambda.calls.length, 1);
  });

  test('TimestampPath and chained Seconds waits release in time order within one advance', async () => {
    const arn = await createMachine(SFN, 'chain', {
      StartAt: 'UntilDeadline',
      States: {
        UntilDeadline: { Type: 'Wait', TimestampPath: '$.deadline', Next: 'Mark1' },
        Mark1: { Type: 'Task', Resource: fnArn('Mark'), ResultPath: '$.first', Next: 'Then30s' },
        Then30s: { Type: 'Wait', SecondsPath: '$.pause', Next: 'Mark2' },
        Mark2: { Type: 'Task', Resource: fnArn('Mark'), ResultPath: '$.second', End: true },
      },
    });
    // The Lambda reports the controlled time it was called at.
    lambdaBehaviour = async () => (await admin(SFN, 'clock')).body.now;
    const ex = await start(arn, { deadline: '2026-01-01T01:00:00Z', pause: 30 });
    await idle();
    await admin(SFN, 'clock/advance', { to: '2026-01-01T05:00:00Z' });
    const d = await describe(SFN, ex);
    assert.equal(d.status, 'SUCCEEDED');
    const out = JSON.parse(d.output);
    assert.equal(out.first, '2026-01-01T01:00:00.000Z');
    assert.equal(out.second, '2026-01-01T01:00:30.000Z', 'the second wait counts from when it was entered');
    assert.equal((await admin(SFN, 'clock')).body.now, '2026-01-01T05:00:00.000Z');
  });

  test('idle waits for tasks in flight and times out with 408 on a stuck one', async () => {
    let release;
    const stuck = new Promise((r) => (release = r));
    lambdaBehaviour = async (name) => {
      if (name === 'Slow') await new Promise((r) => setTimeout(r, 300));
      if (name === 'Stuck') await stuck;
      return { ok: true };
    };
    const slow = await createMachine(SFN, 'slow', { StartAt: 'S', States: { S: { Type: 'Task', Resource: fnArn('Slow'), End: true } } });
    const ex = await start(slow);
    assert.equal((await idle()).status, 200);
    assert.equal((await describe(SFN, ex)).status, 'SUCCEEDED');

    const stuckSm = await createMachine(SFN, 'stuck', { StartAt: 'S', States: { S: { Type: 'Task', Resource: fnArn('Stuck'), End: true } } });
    const stuckEx = await start(stuckSm);
    const timedOut = await idle(200);
    assert.equal(timedOut.status, 408);
    assert.deepEqual(timedOut.body.busy.map((b) => [b.executionArn, b.tasksInFlight]), [[stuckEx, 1]]);
    release();
    assert.equal((await idle()).status, 200);
    assert.equal((await describe(SFN, stuckEx)).status, 'SUCCEEDED');
  });

  test('Retry back-off waits on the controlled clock; a task failing twice then succeeding completes', async () => {
    lambdaBehaviour = (name, payload, n) => (n <= 2 ? { error: { errorType: 'Transient', errorMessage: `attempt ${n}` } } : { ok: n });
    const arn = await createMachine(SFN, 'retrying', {
      StartAt: 'Flaky',
      States: {
        Flaky: {
          Type: 'Task',
          Resource: fnArn('Flaky'),
          Retry: [{ ErrorEquals: ['Transient'], IntervalSeconds: 2, MaxAttempts: 3, BackoffRate: 2 }],
          End: true,
        },
      },
    });
    const ex = await start(arn);
    const parked = await idle();
    assert.deepEqual(parked.body.pendingWaits.map((w) => [w.kind, w.target]), [['retry', '2026-01-01T00:00:02.000Z']]);
    assert.equal(lambda.calls.length, 1);

    await admin(SFN, 'clock/advance', { seconds: 10 });
    const d = await describe(SFN, ex);
    assert.equal(d.status, 'SUCCEEDED');
    assert.deepEqual(JSON.parse(d.output), { ok: 3 });
    assert.equal(lambda.calls.length, 3);
    const types = await historyTypes(SFN, ex);
    assert.deepEqual(
      types.filter((t) => t.startsWith('LambdaFunction') && t !== 'LambdaFunctionStarted' && t !== 'LambdaFunctionScheduled'),
      ['LambdaFunctionFailed', 'LambdaFunctionFailed', 'LambdaFunctionSucceeded'],
    );
    // 2 s then 4 s back-off: the third call happened at T0+6s.
    assert.equal(d.stopDate, Date.parse(T0) / 1000 + 6);
  });

  test('Retry back-off in scaled real time when retryClock=real', async () => {
    await admin(SFN, 'config', { retryClock: 'real', retryScale: 0.01 });
    lambdaBehaviour = (name, payload, n) => (n <= 2 ? { error: { errorType: 'Transient', errorMessage: 'x' } } : 'done');
    const arn = await createMachine(SFN, 'retrying-real', {
      StartAt: 'Flaky',
      States: {
        Flaky: { Type: 'Task', Resource: fnArn('Flaky'), Retry: [{ ErrorEquals: ['States.ALL'], IntervalSeconds: 2, BackoffRate: 2 }], End: true },
      },
    });
    const ex = await start(arn);
    assert.equal((await idle()).status, 200, 'real-time back-off counts as busy, so idle waits for it');
    assert.equal((await describe(SFN, ex)).status, 'SUCCEEDED');
  });

  test('real mode runs Waits in (scaled) real time; clock/set takes control again', async () => {
    await admin(SFN, 'config', { clock: 'real', waitScale: 0.001 });
    try {
      const arn = await createMachine(SFN, 'real-wait', { StartAt: 'W', States: { W: { Type: 'Wait', Seconds: 60, End: true } } });
      const started = Date.now();
      const d = await waitForStatus(SFN, await start(arn), undefined, 5000);
      assert.equal(d.status, 'SUCCEEDED');
      assert.ok(Date.now() - started < 2000, '60 s scaled by 0.001');
      assert.equal((await admin(SFN, 'clock')).body.mode, 'real');
    } finally {
      await admin(SFN, 'config', { waitScale: 1 });
    }
    const set = await admin(SFN, 'clock/set', { now: T0 });
    assert.deepEqual([set.body.mode, set.body.now], ['controlled', T0]);
  });

  test('advance refuses to go backwards and validates its input', async () => {
    assert.equal((await admin(SFN, 'clock/advance', { to: '2025-01-01T00:00:00Z' })).status, 400);
    assert.equal((await admin(SFN, 'clock/advance', {})).status, 400);
    assert.equal((await admin(SFN, 'clock/set', { now: 'yesterday' })).status, 400);
  });

  test('an unreachable Lambda endpoint fails the task with Lambda.Unknown', async () => {
    await admin(SFN, 'config', { lambdaEndpoint: 'http://127.0.0.1:9' });
    const arn = await createMachine(SFN, 'nolambda', { StartAt: 'S', States: { S: { Type: 'Task', Resource: fnArn('X'), End: true } } });
    const d = await waitForStatus(SFN, await start(arn));
    assert.equal(d.status, 'FAILED');
    assert.equal(d.error, 'Lambda.Unknown');
  });
});

group('sns:publish', () => {
  test('Catch routes a failed task to sns:publish, which lands on a subscribed SQS queue', async () => {
    const sns = new SNSClient(awsClientConfig(stack.endpoints.sns));
    const sqs = new SQSClient(awsClientConfig(stack.endpoints.sqs));
    try {
      const topicArn = (await sns.send(new CreateTopicCommand({ Name: 'ops-alerts' }))).TopicArn;
      const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'ops-alerts-tap' }))).QueueUrl;
      const queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))).Attributes.QueueArn;
      await sns.send(
        new SubscribeCommand({
          TopicArn: topicArn,
          Protocol: 'sqs',
          Endpoint: queueArn,
          Attributes: { RawMessageDelivery: 'true', FilterPolicy: JSON.stringify({ type: ['ESCALATION_FAILED'] }) },
        }),
      );

      lambdaBehaviour = () => ({ error: { errorType: 'Boom', errorMessage: 'recheck exploded' } });
      const arn = await createMachine(SFN, 'alerting', {
        StartAt: 'Recheck',
        States: {
          Recheck: {
            Type: 'Task',
            Resource: fnArn('Recheck'),
            ResultPath: '$.recheck',
            Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Alert' }],
            End: true,
          },
          Alert: {
            Type: 'Task',
            Resource: 'arn:aws:states:::sns:publish',
            Parameters: {
              TopicArn: topicArn,
              'Message.$': 'States.JsonToString($)',
              MessageAttributes: { type: { DataType: 'String', StringValue: 'ESCALATION_FAILED' } },
            },
            Next: 'Failed',
          },
          Failed: { Type: 'Fail', Error: 'EscalationFailed', Cause: 'alerted' },
        },
      });
      const ex = await waitForStatus(SFN, await start(arn, { callId: 'c-1' }));
      assert.equal(ex.status, 'FAILED');
      assert.equal(ex.error, 'EscalationFailed');

      const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 2, MessageAttributeNames: ['All'] }));
      assert.equal(got.Messages?.length, 1);
      const body = JSON.parse(got.Messages[0].Body);
      assert.equal(body.callId, 'c-1');
      assert.deepEqual(body.error, { Error: 'Boom', Cause: 'recheck exploded' });
      assert.equal(got.Messages[0].MessageAttributes.type.StringValue, 'ESCALATION_FAILED');

      const types = await historyTypes(SFN, ex.executionArn);
      assert.ok(types.includes('TaskSucceeded'), types.join());
      assert.deepEqual(types.slice(-2), ['FailStateEntered', 'ExecutionFailed']);
    } finally {
      sns.destroy();
      sqs.destroy();
    }
  });
});
