import { after, before, beforeEach, describe as group, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SQSClient, CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { matches, parsePattern } from '../lib/event-pattern.mjs';
import {
  ACCOUNT,
  admin,
  awsClientConfig,
  eventBridge,
  eventBridgeOk,
  newStackDir,
  occupyPort,
  processesTaggedWith,
  runStack,
  startStack,
} from './helpers.mjs';

let stack;
let EVENTS;
let sqs;

before(async () => {
  stack = await startStack();
  EVENTS = stack.endpoints.events;
  sqs = new SQSClient(awsClientConfig(stack.endpoints.sqs));
});

after(async () => {
  sqs?.destroy();
  await stack?.down();
});

beforeEach(async () => {
  await admin(EVENTS, 'reset', {});
});

const entry = (overrides = {}) => ({ Source: 'margin.engine', DetailType: 'Margin Call', Detail: JSON.stringify({ callId: 'c-1' }), ...overrides });

async function listed(query = '') {
  const res = await fetch(`${EVENTS}/_admin/events${query}`);
  assert.equal(res.status, 200);
  return (await res.json()).events;
}

async function queue(name) {
  const url = (await sqs.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl;
  const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }))).Attributes.QueueArn;
  return { url, arn };
}

async function receiveAll(url) {
  const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
  return (got.Messages ?? []).map((m) => JSON.parse(m.Body));
}

group('PutEvents', () => {
  test('events put are listed by the admin API in arrival order', async () => {
    const out = await eventBridge(EVENTS, 'PutEvents', {
      Entries: [
        // What the Java SDK v2 sends: Time as epoch seconds with a fraction.
        entry({ Time: 1767225600.789, Resources: ['arn:aws:dynamodb:us-east-1:000000000000:table/t'], EventBusName: 'default' }),
        entry({ DetailType: 'Price Update', Detail: '{"price": 101.5, "venue": {"id": "v1"}}' }),
      ],
    });
    assert.equal(out.status, 200);
    assert.match(out.headers.get('content-type'), /^application\/x-amz-json-1\.1/);
    assert.equal(out.body.FailedEntryCount, 0);
    assert.equal(out.body.Entries.length, 2);
    for (const e of out.body.Entries) assert.match(e.EventId, /^[0-9a-f-]{36}$/);

    const all = await listed();
    assert.deepEqual(
      all.map((e) => e.id),
      out.body.Entries.map((e) => e.EventId),
    );
    const [first, second] = all;
    assert.deepEqual(
      { ...first, receivedTime: undefined },
      {
        id: out.body.Entries[0].EventId,
        time: '2026-01-01T00:00:00Z',
        receivedTime: undefined,
        source: 'margin.engine',
        detailType: 'Margin Call',
        detail: { callId: 'c-1' },
        eventBusName: 'default',
        resources: ['arn:aws:dynamodb:us-east-1:000000000000:table/t'],
        deliveries: [],
      },
    );
    assert.ok(Math.abs(Date.parse(first.receivedTime) - Date.now()) < 60_000);
    // Without Time the event time is the receipt time (second precision, as in AWS).
    assert.equal(second.time, `${second.receivedTime.slice(0, 19)}Z`);
    assert.deepEqual(second.detail, { price: 101.5, venue: { id: 'v1' } });

    assert.deepEqual(
      (await listed('?detailType=Price%20Update')).map((e) => e.id),
      [second.id],
    );
    assert.deepEqual(await listed('?detailType=Nothing'), []);

    const reset = await admin(EVENTS, 'events/reset', {});
    assert.deepEqual(reset.body, { reset: true, cleared: 2 });
    assert.deepEqual(await listed(), []);
  });

  test('a malformed Detail fails only its own entry', async () => {
    const out = await eventBridgeOk(EVENTS, 'PutEvents', {
      Entries: [
        entry({ Detail: '{not json' }),
        entry(),
        entry({ Detail: '[1, 2]' }),
        entry({ Source: undefined }),
        entry({ EventBusName: 'no-such-bus' }),
      ],
    });
    assert.equal(out.FailedEntryCount, 4);
    assert.deepEqual(out.Entries[0], { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' });
    assert.ok(out.Entries[1].EventId);
    assert.equal(out.Entries[2].ErrorCode, 'MalformedDetail', 'Detail must be a JSON object');
    assert.equal(out.Entries[3].ErrorCode, 'InvalidArgument');
    assert.match(out.Entries[3].ErrorMessage, /Source/);
    assert.deepEqual(out.Entries[4], { ErrorCode: 'ResourceNotFoundException', ErrorMessage: 'Event bus no-such-bus does not exist.' });
    assert.deepEqual(
      (await listed()).map((e) => e.id),
      [out.Entries[1].EventId],
    );
  });

  test('more than 10 entries is a ValidationException and records nothing', async () => {
    const out = await eventBridge(EVENTS, 'PutEvents', { Entries: Array.from({ length: 11 }, () => entry()) });
    assert.equal(out.status, 400);
    assert.equal(out.body.__type, 'ValidationException');
    assert.equal(out.headers.get('x-amzn-errortype'), 'ValidationException');
    assert.match(out.body.message, /less than or equal to 10/);
    const none = await eventBridge(EVENTS, 'PutEvents', { Entries: [] });
    assert.equal(none.body.__type, 'ValidationException');
    const tooBig = await eventBridge(EVENTS, 'PutEvents', { Entries: [entry({ Detail: JSON.stringify({ x: 'y'.repeat(300_000) }) })] });
    assert.equal(tooBig.body.__type, 'ValidationException');
    assert.deepEqual(await listed(), []);

    const ten = await eventBridgeOk(EVENTS, 'PutEvents', { Entries: Array.from({ length: 10 }, () => entry()) });
    assert.equal(ten.FailedEntryCount, 0);
    assert.equal((await listed()).length, 10);
  });

  test('unknown operations and targets are AWS-style errors', async () => {
    const res = await eventBridge(EVENTS, 'PutPartnerEvents', {});
    assert.equal(res.status, 400);
    assert.equal(res.body.__type, 'UnknownOperationException');
    const bad = await fetch(EVENTS, { method: 'POST', headers: { 'x-amz-target': 'AWSEvents.PutEvents' }, body: '{oops' });
    assert.equal((await bad.json()).__type, 'SerializationException');
  });
});

group('event buses', () => {
  test('create, describe, list, and put to a custom bus by name or ARN', async () => {
    const created = await eventBridgeOk(EVENTS, 'CreateEventBus', { Name: 'margin-bus' });
    const arn = `arn:aws:events:us-east-1:${ACCOUNT}:event-bus/margin-bus`;
    assert.equal(created.EventBusArn, arn);
    const again = await eventBridge(EVENTS, 'CreateEventBus', { Name: 'margin-bus' });
    assert.equal(again.body.__type, 'ResourceAlreadyExistsException');

    const described = await eventBridgeOk(EVENTS, 'DescribeEventBus', { Name: 'margin-bus' });
    assert.equal(described.Arn, arn);
    assert.equal(typeof described.CreationTime, 'number');
    assert.equal((await eventBridgeOk(EVENTS, 'DescribeEventBus', {})).Name, 'default');
    assert.equal((await eventBridge(EVENTS, 'DescribeEventBus', { Name: 'nope' })).body.__type, 'ResourceNotFoundException');
    const { EventBuses } = await eventBridgeOk(EVENTS, 'ListEventBuses', {});
    assert.deepEqual(EventBuses.map((b) => b.Name).sort(), ['default', 'margin-bus']);

    await eventBridgeOk(EVENTS, 'PutEvents', { Entries: [entry({ EventBusName: 'margin-bus' }), entry({ EventBusName: arn })] });
    assert.deepEqual(
      (await listed('?eventBusName=margin-bus')).map((e) => e.eventBusName),
      ['margin-bus', 'margin-bus'],
    );
  });
});

group('rules', () => {
  test('matching events are delivered to SQS targets before PutEvents answers', async () => {
    const calls = await queue('margin-calls-tap');
    const other = await queue('other-tap');
    const pattern = { source: ['margin.engine'], 'detail-type': ['Margin Call'], detail: { status: ['OPEN', 'ESCALATED'], venue: { id: [{ prefix: 'v' }] } } };
    const rule = await eventBridgeOk(EVENTS, 'PutRule', { Name: 'calls', EventPattern: JSON.stringify(pattern) });
    assert.equal(rule.RuleArn, `arn:aws:events:us-east-1:${ACCOUNT}:rule/calls`);
    const targets = await eventBridgeOk(EVENTS, 'PutTargets', { Rule: 'calls', Targets: [{ Id: 'tap', Arn: calls.arn }] });
    assert.equal(targets.FailedEntryCount, 0);
    await eventBridgeOk(EVENTS, 'PutRule', { Name: 'other', EventPattern: JSON.stringify({ source: ['someone.else'] }) });
    await eventBridgeOk(EVENTS, 'PutTargets', { Rule: 'other', Targets: [{ Id: 'tap', Arn: other.arn, InputPath: '$.detail' }] });

    const { Rules } = await eventBridgeOk(EVENTS, 'ListRules', {});
    assert.deepEqual(Rules.map((r) => [r.Name, r.State, r.EventBusName]), [['calls', 'ENABLED', 'default'], ['other', 'ENABLED', 'default']]);
    assert.equal(Rules[0].EventPattern, JSON.stringify(pattern));

    const detail = (status, venue = 'v1') => JSON.stringify({ status, venue: { id: venue } });
    const out = await eventBridgeOk(EVENTS, 'PutEvents', {
      Entries: [
        entry({ Detail: detail('OPEN') }),
        entry({ Detail: detail('CLOSED') }),
        entry({ Detail: detail('ESCALATED', 'x1') }),
        entry({ DetailType: 'Price Update', Detail: detail('OPEN') }),
        entry({ Source: 'someone.else', Detail: detail('OPEN') }),
      ],
    });
    assert.equal(out.FailedEntryCount, 0);

    const got = await receiveAll(calls.url);
    assert.equal(got.length, 1);
    assert.equal(got[0].id, out.Entries[0].EventId);
    assert.deepEqual(
      { ...got[0], id: undefined, time: undefined },
      {
        version: '0',
        id: undefined,
        'detail-type': 'Margin Call',
        source: 'margin.engine',
        account: ACCOUNT,
        time: undefined,
        region: 'us-east-1',
        resources: [],
        detail: { status: 'OPEN', venue: { id: 'v1' } },
      },
    );
    assert.deepEqual(await receiveAll(other.url), [{ status: 'OPEN', venue: { id: 'v1' } }], 'InputPath selects the detail');

    const records = await listed();
    assert.deepEqual(records[0].deliveries.map((d) => [d.rule, d.arn, d.ok]), [['calls', calls.arn, true]]);
    assert.deepEqual(records[1].deliveries, []);

    // A disabled rule delivers nothing.
    await eventBridgeOk(EVENTS, 'DisableRule', { Name: 'calls' });
    await eventBridgeOk(EVENTS, 'PutEvents', { Entries: [entry({ Detail: detail('OPEN') })] });
    assert.deepEqual(await receiveAll(calls.url), []);
  });

  test('an invalid pattern is rejected and TestEventPattern evaluates one', async () => {
    const bad = await eventBridge(EVENTS, 'PutRule', { Name: 'bad', EventPattern: '{"source": "not-an-array"}' });
    assert.equal(bad.body.__type, 'InvalidEventPatternException');
    const missingBus = await eventBridge(EVENTS, 'PutRule', { Name: 'r', EventBusName: 'nope', EventPattern: '{"source":["a"]}' });
    assert.equal(missingBus.body.__type, 'ResourceNotFoundException');
    const event = JSON.stringify({ source: 'a', 'detail-type': 'b', detail: { n: 5 } });
    const test = (p) => eventBridgeOk(EVENTS, 'TestEventPattern', { EventPattern: JSON.stringify(p), Event: event });
    assert.equal((await test({ detail: { n: [{ numeric: ['>', 4] }] } })).Result, true);
    assert.equal((await test({ source: ['b'] })).Result, false);
  });
});

test('event patterns: exact values, prefix and the other content filters', () => {
  const ev = {
    source: 'margin.engine',
    'detail-type': 'Margin Call',
    detail: { status: 'OPEN', amount: 150, tags: ['a', 'b'], legs: [{ venue: 'x' }, { venue: 'y' }], flag: false, none: null },
  };
  const m = (pattern) => matches(parsePattern(pattern), ev);
  assert.ok(m({ source: ['margin.engine'] }));
  assert.ok(!m({ source: ['margin'] }));
  assert.ok(m({ source: [{ prefix: 'margin.' }], 'detail-type': ['Other', 'Margin Call'] }));
  assert.ok(m({ detail: { status: ['OPEN'], amount: [150] } }));
  assert.ok(!m({ detail: { amount: ['150'] } }), 'types must match');
  assert.ok(m({ detail: { tags: ['b'] } }), 'an event array matches when any element does');
  assert.ok(m({ detail: { legs: { venue: ['y'] } } }), 'arrays of objects are flattened');
  assert.ok(m({ detail: { flag: [false], none: [null] } }));
  assert.ok(m({ detail: { missing: [{ exists: false }], status: [{ exists: true }] } }));
  assert.ok(!m({ detail: { missing: ['x'] } }));
  assert.ok(m({ detail: { status: [{ 'anything-but': ['CLOSED'] }] } }));
  assert.ok(!m({ detail: { status: [{ 'anything-but': 'OPEN' }] } }));
  assert.ok(m({ detail: { amount: [{ numeric: ['>', 100, '<=', 150] }] } }));
  assert.ok(m({ detail: { status: [{ 'equals-ignore-case': 'open' }] }, source: [{ suffix: '.engine' }] }));
  assert.ok(m({ detail: { nested: { deeper: [{ exists: false }] } } }));
  for (const bad of ['{', '[]', '{}', '{"source":"x"}', '{"source":[]}', '{"source":[{"wildcard":"*"}]}', '{"$or":[]}', '{"a":[{"numeric":[">"]}]}']) {
    assert.throws(() => parsePattern(bad), undefined, bad);
  }
});

test('create-resources creates event buses and rules from a template', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tmpl-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const template = join(dir, 'template.yaml');
  writeFileSync(
    template,
    [
      'Resources:',
      '  Bus:',
      '    Type: AWS::Events::EventBus',
      '    Properties:',
      '      Name: margin-events',
      '  Tap:',
      '    Type: AWS::SQS::Queue',
      '  CallsRule:',
      '    Type: AWS::Events::Rule',
      '    Properties:',
      '      EventBusName: !Ref Bus',
      '      EventPattern:',
      '        source: [margin.engine]',
      '        detail-type: [Margin Call]',
      '      Targets:',
      '        - Id: tap',
      '          Arn: !GetAtt Tap.Arn',
      '          RoleArn: !GetAtt SomeRole.Arn',
      '  SomeRole:',
      '    Type: AWS::IAM::Role',
    ].join('\n'),
  );
  for (const run of [1, 2]) {
    const res = await runStack(['resources', template], { env: stack.env });
    assert.equal(res.code, 0, `run ${run}: ${res.stderr}`);
  }
  const { resources } = JSON.parse(readFileSync(join(stack.dir, 'resources.json'), 'utf8'));
  assert.deepEqual(resources.Bus, { type: 'AWS::Events::EventBus', name: 'margin-events', arn: `arn:aws:events:us-east-1:${ACCOUNT}:event-bus/margin-events` });
  assert.deepEqual(resources.CallsRule, { type: 'AWS::Events::Rule', name: 'CallsRule', arn: `arn:aws:events:us-east-1:${ACCOUNT}:rule/margin-events/CallsRule` });

  await eventBridgeOk(EVENTS, 'PutEvents', { Entries: [entry({ EventBusName: 'margin-events' }), entry()] });
  const got = await receiveAll(resources.Tap.url);
  assert.equal(got.length, 1, 'only the event on margin-events is delivered');
  assert.deepEqual(got[0].detail, { callId: 'c-1' });
});

test('EVENTS_PORT: a fixed port is honoured, a busy one fails fast leaving nothing behind', async (t) => {
  const probe = await occupyPort();
  const port = probe.port;
  await probe.close();
  const fixed = await startStack({ EVENTS_PORT: String(port) });
  try {
    assert.equal(fixed.endpoints.events, `http://127.0.0.1:${port}`);
    assert.equal(fixed.endpoints.eventsAdmin, `http://127.0.0.1:${port}/_admin`);
    const env = readFileSync(join(fixed.dir, 'endpoints.env'), 'utf8');
    assert.match(env, new RegExp(`^AWS_ENDPOINT_URL_EVENTBRIDGE=http://127\\.0\\.0\\.1:${port}$`, 'm'));
    assert.equal((await eventBridge(fixed.endpoints.events, 'ListEventBuses')).status, 200);
  } finally {
    assert.equal((await fixed.down()).code, 0);
  }

  const busy = await occupyPort();
  t.after(() => busy.close());
  const dir = newStackDir();
  const env = { STACK_DIR: dir, EVENTS_PORT: String(busy.port) };
  t.after(async () => {
    await runStack(['down'], { env });
    rmSync(dir, { recursive: true, force: true });
  });
  const up = await runStack(['up'], { env, timeoutMs: 30_000 });
  assert.notEqual(up.code, 0);
  assert.match(up.stderr, new RegExp(`port ${busy.port} .*already in use`));
  assert.ok(up.ms < 15_000, `failure took ${up.ms} ms`);
  assert.deepEqual(processesTaggedWith(dir), []);
});
