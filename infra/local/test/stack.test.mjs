import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { SNSClient, ListTopicsCommand } from '@aws-sdk/client-sns';
import { SQSClient, ListQueuesCommand } from '@aws-sdk/client-sqs';
import {
  admin,
  awsClientConfig,
  eventBridge,
  listeningSockets,
  newStackDir,
  occupyPort,
  processAlive,
  processesTaggedWith,
  runStack,
  sfn,
  socketOwners,
  startStack,
} from './helpers.mjs';

test('up starts every server on loopback, down leaves nothing behind', async (t) => {
  const stack = await startStack();
  t.after(() => stack.down());
  const { endpoints, pids } = stack;

  t.diagnostic(`stack up took ${stack.up.ms} ms`);
  assert.ok(stack.up.ms < 10_000, `up took ${stack.up.ms} ms`);
  assert.match(stack.up.stdout, /^export DYNAMODB_ENDPOINT=http:\/\/127\.0\.0\.1:\d+$/m);
  assert.match(stack.up.stdout, /^export AWS_REGION=us-east-1$/m);

  const env = readFileSync(join(stack.dir, 'endpoints.env'), 'utf8');
  const keys = ['DYNAMODB_ENDPOINT', 'SNS_ENDPOINT', 'SQS_ENDPOINT', 'SFN_ENDPOINT', 'EVENTS_ENDPOINT', 'EVENTS_ADMIN_ENDPOINT', 'AWS_ENDPOINT_URL_EVENTBRIDGE', 'AWS_REGION'];
  for (const key of keys) {
    assert.match(env, new RegExp(`^${key}=`, 'm'), `${key} missing from endpoints.env`);
  }

  // Every endpoint answers real API calls.
  const ddb = new DynamoDBClient(awsClientConfig(endpoints.dynamodb));
  const sns = new SNSClient(awsClientConfig(endpoints.sns));
  const sqs = new SQSClient(awsClientConfig(endpoints.sqs));
  try {
    assert.deepEqual((await ddb.send(new ListTablesCommand({}))).TableNames, []);
    assert.ok(Array.isArray((await sns.send(new ListTopicsCommand({}))).Topics ?? []));
    await sqs.send(new ListQueuesCommand({}));
  } finally {
    ddb.destroy();
    sns.destroy();
    sqs.destroy();
  }
  const list = await sfn(endpoints.sfn, 'ListStateMachines');
  assert.equal(list.status, 200);
  const rules = await eventBridge(endpoints.events, 'ListRules');
  assert.equal(rules.status, 200);
  assert.deepEqual(rules.body.Rules, []);
  assert.deepEqual((await admin(endpoints.events, 'events')).body, { events: [] });
  assert.equal(endpoints.eventsAdmin, `${endpoints.events}/_admin`);

  assert.deepEqual(pids.map((p) => p.name), ['dynalite', 'fauxqs', 'sfn', 'events']);

  // Only loopback listeners on our ports: none on 0/0 or on IPv6.
  const ports = pids.map((p) => p.port);
  const sockets = listeningSockets().filter((s) => ports.includes(s.port));
  assert.equal(sockets.length, pids.length, `expected one listener per port, got ${JSON.stringify(sockets)}`);
  for (const s of sockets) assert.deepEqual([s.family, s.address], [4, '127.0.0.1'], `port ${s.port}`);

  assert.equal((await runStack(['status'], { env: stack.env })).code, 0);

  const second = await runStack(['up'], { env: stack.env });
  assert.notEqual(second.code, 0);
  assert.match(second.stderr, /already running/);
  assert.deepEqual(processesTaggedWith(stack.dir).sort(), pids.map((p) => p.pid).sort(), 'second up must not start anything');

  const down = await stack.down();
  assert.equal(down.code, 0, down.stderr);
  for (const { name, pid } of pids) assert.ok(!processAlive(pid), `${name} (pid ${pid}) still alive`);
  assert.deepEqual(processesTaggedWith(stack.dir), []);
  const ourPids = new Set(pids.map((p) => p.pid));
  for (const s of listeningSockets().filter((l) => ports.includes(l.port))) {
    const owners = socketOwners(s.inode);
    assert.ok(!owners.some((pid) => ourPids.has(pid)), `port ${s.port} still held by one of our servers`);
    t.diagnostic(`port ${s.port} was taken over by pid(s) ${owners.join(',')} (not ours)`);
  }
  assert.ok(!existsSync(join(stack.dir, 'pids')));

  assert.equal((await runStack(['status'], { env: stack.env })).code, 3);
  assert.equal((await stack.down()).code, 0, 'down is idempotent');
});

test('a port in use is reported and nothing is left running', async (t) => {
  const busy = await occupyPort();
  t.after(() => busy.close());
  const dir = newStackDir();
  const env = { STACK_DIR: dir, DYNAMODB_PORT: String(busy.port) };
  t.after(async () => {
    await runStack(['down'], { env });
    rmSync(dir, { recursive: true, force: true });
  });

  const up = await runStack(['up'], { env, timeoutMs: 30_000 });
  assert.notEqual(up.code, 0);
  assert.match(up.stderr, new RegExp(`port ${busy.port} .*already in use`));
  assert.ok(up.ms < 15_000, `failure took ${up.ms} ms`);
  assert.deepEqual(processesTaggedWith(dir), [], 'servers started before the failure must be stopped');
  assert.equal((await runStack(['status'], { env })).code, 3);
});

test('fixed ports from the environment are honoured', async (t) => {
  const probe = await occupyPort();
  const port = probe.port;
  await probe.close();
  const stack = await startStack({ SFN_PORT: String(port) });
  t.after(() => stack.down());
  assert.equal(stack.endpoints.sfn, `http://127.0.0.1:${port}`);
  assert.equal((await sfn(stack.endpoints.sfn, 'ListStateMachines')).status, 200);
});

test('the servers stop by themselves once STACK_OWNER_PID is gone', async (t) => {
  const owner = spawn('sleep', ['60'], { stdio: 'ignore' });
  t.after(() => owner.kill('SIGKILL'));
  const stack = await startStack({ STACK_OWNER_PID: String(owner.pid) });
  t.after(() => stack.down());
  await new Promise((r) => setTimeout(r, 700));
  for (const { name, pid } of stack.pids) assert.ok(processAlive(pid), `${name} stopped while its owner lives`);

  owner.kill('SIGKILL');
  const deadline = Date.now() + 5_000;
  while (processesTaggedWith(stack.dir).length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.deepEqual(processesTaggedWith(stack.dir), [], 'servers still running after their owner died');
});
