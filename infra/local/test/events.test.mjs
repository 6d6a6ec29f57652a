import { after, before, beforeEach, describe as group, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { matches, parsePattern } from '../lib/event-pattern.mjs';
import {
  ACCOUNT,
  REPO_DIR,
  admin,
  eventBridge,
  eventBridgeOk,
  newStackDir,
  occupyPort,
  processesTaggedWith,
  runStack,
  startLambda,
  startStack,
} from './helpers.mjs';

let stack;
let EVENTS;
let lambda;
// What the fake Lambda endpoint does per function: a result, or { error } for a function error.
let behaviour;

before(async () => {
  stack = await startStack();
  EVENTS = stack.endpoints.events;
  lambda = await startLambda((name, payload, n) => (behaviour[name] ?? (() => ({ ok: true })))(payload, n));
});

after(async () => {
  await lambda?.close();
  await stack?.down();
});

beforeEach(async () => {
  behaviour = {};
  lambda.calls.length = 0;
  await admin(EVENTS, 'reset', {});
  await admin(EVENTS, 'config', { lambdaEndpoint: lambda.url, retryBaseMs: 50 });
});

const entry = (overrides = {}) => ({ Source: 'margin.engine', DetailType: 'Margin Call', Detail: JSON.stringify({ callId: 'c-1' }), ...overrides });
const fnArn = (name) => `arn:aws:lambda:us-east-1:${ACCOUNT}:function:${name}`;

async function listed(query = '') {
  const res = await fetch(`${EVENTS}/_admin/events${query}`);
  assert.equal(res.status, 200);
  return (await res.json()).events;
}

async function idle(timeoutMs = 10_000) {
  const res = await admin(EVENTS, `idle?timeoutMs=${timeoutMs}`, {});
  assert.equal(res.status, 200, JSON.stringify(res.body));
}

async function rule(name, pattern, targets) {
  await eventBridgeOk(EVENTS, 'PutRule', { Name: name, EventPattern: JSON.stringify(pattern) });
  const out = await eventBridgeOk(EVENTS, 'PutTargets', { Rule: name, Targets: targets });
  assert.equal(out.FailedEntryCount, 0, JSON.stringify(out.FailedEntries));
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
    // Operations nothing local uses are not served: they fail loudly instead of half-working.
    for (const op of ['PutPartnerEvents', 'CreateEventBus', 'TestEventPattern', 'DeleteRule']) {
      const res = await eventBridge(EVENTS, op, {});
      assert.equal(res.status, 400);
      assert.equal(res.body.__type, 'UnknownOperationException', op);
    }
    const bad = await fetch(EVENTS, { method: 'POST', headers: { 'x-amz-target': 'AWSEvents.PutEvents' }, body: '{oops' });
    assert.equal((await bad.json()).__type, 'SerializationException');
  });
});

group('rules with Lambda targets', () => {
  test('a matching event invokes its function asynchronously with the event envelope', async () => {
    await rule('prices', { source: ['price.oracle'], 'detail-type': ['Price Update'] }, [{ Id: 'fn', Arn: fnArn('PriceFn') }]);
    await rule('accounts', { source: ['venue.accounts'], 'detail-type': ['Collateral Changed', 'Position Changed'] }, [
      { Id: 'fn', Arn: fnArn('AccountFn') },
    ]);
    let release;
    const held = new Promise((r) => (release = r));
    behaviour.PriceFn = () => held.then(() => ({ status: 'OK' }));

    const price = JSON.stringify({ instrument: 'BTC-USD', markPrice: '50000' });
    const out = await eventBridgeOk(EVENTS, 'PutEvents', {
      Entries: [
        entry({ Source: 'price.oracle', DetailType: 'Price Update', Detail: price, Time: 1767225600 }),
        entry({ Source: 'venue.accounts', DetailType: 'Position Changed', Detail: '{"accountId":"a1"}' }),
        entry({ Source: 'venue.accounts', DetailType: 'Deposit Pending', Detail: '{"accountId":"a1"}' }),
        entry({ Source: 'someone.else', DetailType: 'Price Update', Detail: price }),
      ],
    });
    assert.equal(out.FailedEntryCount, 0);
    // PutEvents answered while the price function was still running: delivery is asynchronous.
    let records = await listed();
    assert.equal(records[0].deliveries[0].status, 'pending');
    release();
    await idle();

    const byName = Object.fromEntries(lambda.calls.map((c) => [c.name, c]));
    assert.deepEqual(lambda.calls.map((c) => c.name).sort(), ['AccountFn', 'PriceFn']);
    assert.equal(byName.PriceFn.headers['x-amz-invocation-type'], 'Event');
    assert.deepEqual(byName.PriceFn.payload, {
      version: '0',
      id: out.Entries[0].EventId,
      'detail-type': 'Price Update',
      source: 'price.oracle',
      account: ACCOUNT,
      time: '2026-01-01T00:00:00Z',
      region: 'us-east-1',
      resources: [],
      detail: { instrument: 'BTC-USD', markPrice: '50000' },
    });
    assert.equal(byName.AccountFn.payload['detail-type'], 'Position Changed');

    records = await listed();
    assert.deepEqual(
      records.map((r) => r.deliveries.map((d) => [d.rule, d.arn, d.status, d.attempts])),
      [[['prices', fnArn('PriceFn'), 'delivered', 1]], [['accounts', fnArn('AccountFn'), 'delivered', 1]], [], []],
    );
  });

  test('a failed invocation is retried with back-off within the target RetryPolicy', async () => {
    await rule('flaky', { source: ['price.oracle'] }, [
      { Id: 'recovers', Arn: fnArn('Flaky'), RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 120 } },
      { Id: 'gives-up', Arn: fnArn('Broken'), RetryPolicy: { MaximumRetryAttempts: 1 } },
      { Id: 'missing', Arn: fnArn('NoSuchFunction'), RetryPolicy: { MaximumRetryAttempts: 0 } },
    ]);
    behaviour.Flaky = (payload, n) => (lambda.calls.filter((c) => c.name === 'Flaky').length <= 2 ? { error: { errorType: 'Boom', errorMessage: 'try again' } } : { ok: true });
    behaviour.Broken = () => ({ error: { errorType: 'IllegalStateException', errorMessage: 'always' } });
    behaviour.NoSuchFunction = () => {
      throw new Error('Function not found');
    };
    const started = Date.now();
    await eventBridgeOk(EVENTS, 'PutEvents', { Entries: [entry({ Source: 'price.oracle' })] });
    await idle();
    const [record] = await listed();
    const d = Object.fromEntries(record.deliveries.map((x) => [x.targetId, x]));
    assert.deepEqual([d.recovers.status, d.recovers.attempts], ['delivered', 3]);
    assert.deepEqual([d['gives-up'].status, d['gives-up'].attempts], ['failed', 2]);
    assert.match(d['gives-up'].error, /function error IllegalStateException: always/);
    assert.deepEqual([d.missing.status, d.missing.attempts], ['failed', 1]);
    assert.match(d.missing.error, /HTTP 500/);
    // Back-off 50 ms then 100 ms before the third attempt.
    assert.ok(Date.now() - started >= 150, `${Date.now() - started} ms`);
  });

  test('without a Lambda endpoint deliveries wait for one through their retries', async () => {
    await admin(EVENTS, 'config', { lambdaEndpoint: '', retryBaseMs: 100 });
    await rule('later', { source: ['price.oracle'] }, [{ Id: 'fn', Arn: fnArn('Later') }]);
    await eventBridgeOk(EVENTS, 'PutEvents', { Entries: [entry({ Source: 'price.oracle' })] });
    const busy = await admin(EVENTS, 'idle?timeoutMs=150', {});
    assert.equal(busy.status, 408);
    assert.equal(busy.body.busy[0].status, 'pending');
    assert.match(busy.body.busy[0].error, /no Lambda endpoint configured/);
    await admin(EVENTS, 'config', { lambdaEndpoint: lambda.url });
    await idle();
    assert.deepEqual(lambda.calls.map((c) => c.name), ['Later']);
    assert.equal((await listed())[0].deliveries[0].status, 'delivered');
  });

  test('what is not delivered locally is refused, not silently dropped', async () => {
    const badPattern = await eventBridge(EVENTS, 'PutRule', { Name: 'bad', EventPattern: '{"source": [{"prefix": "price."}]}' });
    assert.equal(badPattern.body.__type, 'InvalidEventPatternException');
    assert.match(badPattern.body.message, /only exact values/);
    const schedule = await eventBridge(EVENTS, 'PutRule', { Name: 'tick', ScheduleExpression: 'rate(1 minute)' });
    assert.equal(schedule.body.__type, 'ValidationException');
    const otherBus = await eventBridge(EVENTS, 'PutRule', { Name: 'r', EventBusName: 'nope', EventPattern: '{"source":["a"]}' });
    assert.equal(otherBus.body.__type, 'ResourceNotFoundException');

    await eventBridgeOk(EVENTS, 'PutRule', { Name: 'r', EventPattern: '{"source":["a"]}' });
    const out = await eventBridgeOk(EVENTS, 'PutTargets', {
      Rule: 'r',
      Targets: [
        { Id: 'queue', Arn: `arn:aws:sqs:us-east-1:${ACCOUNT}:q` },
        { Id: 'input', Arn: fnArn('F'), InputPath: '$.detail' },
        { Id: 'policy', Arn: fnArn('F'), RetryPolicy: { MaximumRetryAttempts: 200 } },
        { Id: 'ok', Arn: fnArn('F'), RetryPolicy: { MaximumRetryAttempts: 2 } },
      ],
    });
    assert.deepEqual(out.FailedEntries.map((f) => f.TargetId), ['queue', 'input', 'policy']);
    assert.match(out.FailedEntries[0].ErrorMessage, /only Lambda function targets/);
    const { Targets } = await eventBridgeOk(EVENTS, 'ListTargetsByRule', { Rule: 'r' });
    assert.deepEqual(Targets, [{ Id: 'ok', Arn: fnArn('F'), RetryPolicy: { MaximumRetryAttempts: 2 } }]);
    await eventBridgeOk(EVENTS, 'RemoveTargets', { Rule: 'r', Ids: ['ok'] });
    assert.deepEqual((await eventBridgeOk(EVENTS, 'ListTargetsByRule', { Rule: 'r' })).Targets, []);
  });
});

test('event patterns: exact values in nested objects, nothing else', () => {
  const ev = {
    source: 'venue.accounts',
    'detail-type': 'Collateral Changed',
    resources: ['arn:a', 'arn:b'],
    detail: { accountId: 'a1', sequence: 7, flag: false, none: null, legs: [{ venue: 'x' }, { venue: 'y' }] },
  };
  const m = (pattern) => matches(parsePattern(pattern), ev);
  // The template's patterns.
  assert.ok(m({ source: ['venue.accounts'], 'detail-type': ['Collateral Changed', 'Position Changed'] }));
  assert.ok(!m({ source: ['price.oracle'], 'detail-type': ['Price Update'] }));
  assert.ok(!m({ source: ['venue'] }), 'no prefix matching');
  assert.ok(m({ detail: { accountId: ['a1'], sequence: [7], flag: [false], none: [null] } }));
  assert.ok(!m({ detail: { sequence: ['7'] } }), 'types must match');
  assert.ok(m({ resources: ['arn:b'] }), 'an event array matches when any element does');
  assert.ok(m({ detail: { legs: { venue: ['y'] } } }), 'arrays of objects too');
  assert.ok(!m({ detail: { missing: ['x'] } }));
  assert.ok(!m({ source: { nested: ['x'] } }));
  for (const bad of ['{', '[]', '{}', '{"source":"x"}', '{"source":[]}', '{"source":[{"prefix":"v"}]}', '{"a":[{"exists":true}]}', '{"$or":[]}', '{"a":{}}']) {
    assert.throws(() => parsePattern(bad), undefined, bad);
  }
});

test("create-resources wires the template's EventBridge rules to its functions", async () => {
  const res = await runStack(['resources', join(REPO_DIR, 'template.yaml')], { env: stack.env });
  assert.equal(res.code, 0, res.stderr);
  const { resources } = JSON.parse(readFileSync(join(stack.dir, 'resources.json'), 'utf8'));
  assert.deepEqual(
    ['PriceEventFunction', 'AccountEventFunction', 'EscalationRecheckFunction', 'SweepFunction'].map((id) => resources[id].handler),
    ['price-event', 'account-event', 'escalation-recheck', 'sweep'],
  );
  assert.deepEqual(resources.SweepFunction.schedules, [
    { event: 'EveryMinute', expression: 'rate(1 minute)', input: '{"scheduledTime":"<aws.scheduler.scheduled-time>"}' },
  ]);
  const { Rules } = await eventBridgeOk(EVENTS, 'ListRules', {});
  assert.deepEqual(
    Rules.map((r) => [r.Name, JSON.parse(r.EventPattern)]),
    [
      ['PriceEventFunctionPriceUpdate', { source: ['price.oracle'], 'detail-type': ['Price Update'] }],
      ['AccountEventFunctionAccountChanged', { source: ['venue.accounts'], 'detail-type': ['Collateral Changed', 'Position Changed', 'Deposit Pending'] }],
    ],
  );
  const targets = await eventBridgeOk(EVENTS, 'ListTargetsByRule', { Rule: 'PriceEventFunctionPriceUpdate' });
  assert.deepEqual(targets.Targets, [
    {
      Id: 'PriceEventFunctionPriceUpdateLambdaTarget',
      Arn: resources.PriceEventFunction.arn,
      RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 120 },
    },
  ]);

  await eventBridgeOk(EVENTS, 'PutEvents', {
    Entries: [
      entry({ Source: 'price.oracle', DetailType: 'Price Update', Detail: '{"instrument":"BTC-USD"}' }),
      entry({ Source: 'venue.accounts', DetailType: 'Collateral Changed', Detail: '{"accountId":"a1"}' }),
      // What the engine itself puts: no rule of the template takes it.
      entry({ Source: 'margincall.engine', DetailType: 'Liquidation Requested', Detail: '{"accountId":"a1"}' }),
    ],
  });
  await idle();
  assert.deepEqual(lambda.calls.map((c) => c.name).sort(), ['AccountEventFunction', 'PriceEventFunction']);
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
    assert.equal((await eventBridge(fixed.endpoints.events, 'ListRules')).status, 200);
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
