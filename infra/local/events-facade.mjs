// Local EventBridge API (AWS JSON 1.1, X-Amz-Target: AWSEvents.<Operation>) for what the engine
// and its local tooling use: PutEvents on the `default` bus (the engine's "Liquidation Requested"
// events, a venue's price and account events), and the template's rules whose targets are the
// engine's functions (create-resources.mjs puts them), delivered through the Lambda Invoke API
// like the Step Functions facade's Lambda tasks. An admin API under /_admin/ lists every event
// that was put and what became of its deliveries.
//
// Delivery is like EventBridge's: asynchronous (PutEvents answers once the events are recorded),
// each matching target invoked with the event envelope as payload (`X-Amz-Invocation-Type: Event`),
// and a failed invocation retried with exponential back-off within the target's RetryPolicy.
//
// Environment:
//   AWS_ENDPOINT_URL_LAMBDA  base URL of the Lambda Invoke API (or POST /_admin/config {"lambdaEndpoint"})
//   EVENTS_RETRY_BASE_MS     first retry delay in ms, doubled per attempt up to 60 s (default 1000)
//   AWS_REGION               region used in ARNs (default us-east-1)
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { PatternError, matches, parsePattern } from './lib/event-pattern.mjs';
import { ApiError, awsJsonService } from './lib/aws-json.mjs';
import { HOST, announce, describeListenError, exitOnSignals, fail, parseArgs, portFromArgs } from './lib/serve.mjs';

const NAME = 'events-facade';
const REGION = process.env.AWS_REGION || 'us-east-1';
const ACCOUNT = '000000000000';
const BUS = 'default';
const TARGET_PREFIX = 'AWSEvents.';
const CONTENT_TYPE = 'application/x-amz-json-1.1';
const MAX_ENTRIES = 10;
const MAX_REQUEST_BYTES = 256 * 1024;
// The template's function timeout is 30 s; an invocation that takes longer has failed.
const INVOKE_TIMEOUT_MS = 30_000;
const MAX_RETRY_DELAY_MS = 60_000;
// EventBridge's defaults when a target has no RetryPolicy.
const DEFAULT_RETRY = { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 };
const DEFAULT_IDLE_TIMEOUT_MS = 10_000;

const config = {
  lambdaEndpoint: process.env.AWS_ENDPOINT_URL_LAMBDA || null,
  retryBaseMs: Number(process.env.EVENTS_RETRY_BASE_MS) > 0 ? Number(process.env.EVENTS_RETRY_BASE_MS) : 1000,
};

const rules = new Map(); // name -> { name, arn, eventPattern, pattern, state, description, targets: Map(id -> target) }
const events = []; // admin records, arrival order
const pending = new Set(); // deliveries not yet delivered or given up
const timers = new Set();
const inFlight = new Set(); // AbortControllers of running invocations
let idleWaiters = [];
let stopping = false;

const ruleArn = (name) => `arn:aws:events:${REGION}:${ACCOUNT}:rule/${name}`;
// The envelope's `time` has second precision, like AWS.
const envelopeTime = (ms) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

const RULE_NAME = /^[.\-_A-Za-z0-9]{1,64}$/;
const LAMBDA_ARN = /^arn:aws[\w-]*:lambda:[a-z0-9-]+:\d{12}:function:([A-Za-z0-9_-]+)(?::([A-Za-z0-9$_-]+))?$/;

// EventBusName may be a name or an event-bus ARN; only the default bus exists locally (the
// template's EventBusName parameter defaults to it).
function busNameOf(value) {
  if (value === undefined || value === null || value === '') return BUS;
  if (typeof value !== 'string') throw new ApiError('ValidationException', 'EventBusName must be a string');
  const m = /^arn:aws[\w-]*:events:[^:]*:\d*:event-bus\/(.+)$/.exec(value);
  return m ? m[1] : value;
}

function checkBus(value) {
  const name = busNameOf(value);
  if (name !== BUS) throw new ApiError('ResourceNotFoundException', `Event bus ${name} does not exist.`);
}

function getRule(body) {
  checkBus(body.EventBusName);
  const name = requireString(body, body.Rule !== undefined ? 'Rule' : 'Name');
  const rule = rules.get(name);
  if (!rule) throw new ApiError('ResourceNotFoundException', `Rule ${name} does not exist on EventBus ${BUS}.`);
  return rule;
}

function requireString(body, key) {
  const v = body[key];
  if (typeof v !== 'string' || v === '') throw new ApiError('ValidationException', `1 validation error detected: Value null at '${key[0].toLowerCase()}${key.slice(1)}' failed to satisfy constraint: Member must not be null`);
  return v;
}

// PutEvents Time: the Java SDK v2 sends epoch seconds as a JSON number (with a fraction), the
// AWS CLI an ISO-8601 string or epoch seconds.
function parseTime(value, fallback) {
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'number' && Number.isFinite(value)) return Math.round(value * 1000);
  if (typeof value === 'string') {
    if (/^-?\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
    const ms = Date.parse(value);
    if (!Number.isNaN(ms)) return ms;
  }
  throw new ApiError('ValidationException', `Time ${JSON.stringify(value)} is not a timestamp`);
}

// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html
function entrySize(entry) {
  let size = entry.Time !== undefined ? 14 : 0;
  for (const k of ['Source', 'DetailType', 'Detail']) if (typeof entry[k] === 'string') size += Buffer.byteLength(entry[k]);
  for (const r of Array.isArray(entry.Resources) ? entry.Resources : []) if (typeof r === 'string') size += Buffer.byteLength(r);
  return size;
}

function entryError(code, message) {
  return { ErrorCode: code, ErrorMessage: message };
}

// Returns { envelope, record } for a valid entry, or { error } (a failed result entry).
function acceptEntry(entry, receivedMs) {
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) return { error: entryError('InvalidArgument', 'Entry must be an object.') };
  for (const key of ['Source', 'DetailType', 'Detail']) {
    if (typeof entry[key] !== 'string' || entry[key] === '') {
      return { error: entryError('InvalidArgument', `Parameter ${key} is not valid. Reason: ${key} is a required argument.`) };
    }
  }
  let detail;
  try {
    detail = JSON.parse(entry.Detail);
  } catch {
    detail = undefined;
  }
  // AWS wants a JSON object here: arrays and scalars are malformed too.
  if (detail === null || typeof detail !== 'object' || Array.isArray(detail)) return { error: entryError('MalformedDetail', 'Detail is malformed.') };
  const busName = busNameOf(entry.EventBusName);
  if (busName !== BUS) return { error: entryError('ResourceNotFoundException', `Event bus ${busName} does not exist.`) };
  const resources = entry.Resources ?? [];
  if (!Array.isArray(resources) || !resources.every((r) => typeof r === 'string')) {
    return { error: entryError('InvalidArgument', 'Parameter Resources is not valid. Reason: Resources must be a list of strings.') };
  }
  const id = randomUUID();
  const timeMs = parseTime(entry.Time, receivedMs);
  const envelope = {
    version: '0',
    id,
    'detail-type': entry.DetailType,
    source: entry.Source,
    account: ACCOUNT,
    time: envelopeTime(timeMs),
    region: REGION,
    resources,
    detail,
  };
  const record = {
    id,
    time: envelope.time,
    receivedTime: new Date(receivedMs).toISOString(),
    source: entry.Source,
    detailType: entry.DetailType,
    detail,
    eventBusName: busName,
    resources,
    deliveries: [],
  };
  return { envelope, record, receivedMs };
}

// ---------------------------------------------------------------------------------------------
// Delivery: Lambda targets through the Invoke API, retried within the target's RetryPolicy

function settle(delivery, fields) {
  Object.assign(delivery, fields);
  pending.delete(delivery);
  if (pending.size === 0) {
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const w of waiters) w();
  }
}

async function invoke(target, envelope) {
  if (!config.lambdaEndpoint) throw new Error('no Lambda endpoint configured (AWS_ENDPOINT_URL_LAMBDA or POST /_admin/config {"lambdaEndpoint": ...})');
  const [, name, qualifier] = LAMBDA_ARN.exec(target.Arn);
  const url = `${config.lambdaEndpoint.replace(/\/+$/, '')}/2015-03-31/functions/${encodeURIComponent(name)}/invocations${
    qualifier ? `?Qualifier=${encodeURIComponent(qualifier)}` : ''
  }`;
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(new Error(`no answer within ${INVOKE_TIMEOUT_MS} ms`)), INVOKE_TIMEOUT_MS);
  inFlight.add(abort);
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-amz-invocation-type': 'Event' },
      body: JSON.stringify(envelope),
      signal: abort.signal,
    });
    const text = await res.text();
    const functionError = res.headers.get('x-amz-function-error');
    if (functionError || res.status >= 300) {
      let body;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      const message = body?.errorMessage ?? body?.message ?? text;
      throw new Error(`${functionError ? `function error ${body?.errorType ?? functionError}` : `HTTP ${res.status}`}: ${message}`);
    }
  } catch (err) {
    if (abort.signal.aborted) throw abort.signal.reason ?? err;
    throw new Error(err.cause?.message ?? err.message);
  } finally {
    clearTimeout(timer);
    inFlight.delete(abort);
  }
}

function deliver(rule, target, envelope, record, receivedMs) {
  const retry = { ...DEFAULT_RETRY, ...(target.RetryPolicy ?? {}) };
  const delivery = { rule: rule.name, targetId: target.Id, arn: target.Arn, status: 'pending', attempts: 0 };
  record.deliveries.push(delivery);
  pending.add(delivery);
  const attempt = async () => {
    delivery.attempts += 1;
    try {
      await invoke(target, envelope);
      settle(delivery, { status: 'delivered', error: undefined });
      return;
    } catch (err) {
      delivery.error = err.message;
    }
    const retriesLeft = delivery.attempts <= retry.MaximumRetryAttempts;
    const delay = Math.min(config.retryBaseMs * 2 ** (delivery.attempts - 1), MAX_RETRY_DELAY_MS);
    const tooOld = Date.now() + delay - receivedMs > retry.MaximumEventAgeInSeconds * 1000;
    if (!retriesLeft || tooOld || stopping) {
      process.stderr.write(`${NAME}: event ${envelope.id} to ${target.Arn} (rule ${rule.name}) failed after ${delivery.attempts} attempt(s): ${delivery.error}\n`);
      settle(delivery, { status: 'failed' });
      return;
    }
    process.stderr.write(`${NAME}: event ${envelope.id} to ${target.Arn} (rule ${rule.name}) attempt ${delivery.attempts} failed, retrying in ${delay} ms: ${delivery.error}\n`);
    const timer = setTimeout(() => {
      timers.delete(timer);
      attempt();
    }, delay);
    timers.add(timer);
  };
  attempt();
}

function dispatch(envelope, record, receivedMs) {
  for (const rule of rules.values()) {
    if (rule.state !== 'ENABLED' || !matches(rule.pattern, envelope)) continue;
    for (const target of rule.targets.values()) deliver(rule, target, envelope, record, receivedMs);
  }
}

// ---------------------------------------------------------------------------------------------
// EventBridge operations

function describeRule(rule) {
  return {
    Name: rule.name,
    Arn: rule.arn,
    EventPattern: rule.eventPattern,
    State: rule.state,
    ...(rule.description !== undefined ? { Description: rule.description } : {}),
    EventBusName: BUS,
  };
}

function limitAndToken(items, body) {
  const limit = Math.min(Math.max(Number(body.Limit) || 100, 1), 100);
  const start = body.NextToken ? Number(Buffer.from(String(body.NextToken), 'base64url').toString()) : 0;
  if (!Number.isInteger(start) || start < 0) throw new ApiError('ValidationException', 'Invalid NextToken');
  const page = items.slice(start, start + limit);
  const next = start + limit < items.length ? Buffer.from(String(start + limit)).toString('base64url') : undefined;
  return { page, next };
}

function checkRetryPolicy(policy) {
  if (policy === undefined) return undefined;
  const n = policy?.MaximumRetryAttempts;
  const age = policy?.MaximumEventAgeInSeconds;
  if (n !== undefined && !(Number.isInteger(n) && n >= 0 && n <= 185)) return 'RetryPolicy.MaximumRetryAttempts must be 0-185';
  if (age !== undefined && !(Number.isInteger(age) && age >= 60 && age <= 86_400)) return 'RetryPolicy.MaximumEventAgeInSeconds must be 60-86400';
  return undefined;
}

const operations = {
  PutEvents(body) {
    const entries = body.Entries;
    if (!Array.isArray(entries)) throw new ApiError('ValidationException', "1 validation error detected: Value null at 'entries' failed to satisfy constraint: Member must not be null");
    if (entries.length < 1 || entries.length > MAX_ENTRIES) {
      const bound = entries.length < 1 ? 'greater than or equal to 1' : `less than or equal to ${MAX_ENTRIES}`;
      throw new ApiError('ValidationException', `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length ${bound}`);
    }
    if (entries.reduce((n, e) => n + (e && typeof e === 'object' ? entrySize(e) : 0), 0) > MAX_REQUEST_BYTES) {
      throw new ApiError('ValidationException', 'Total size of the entries in the request is over the limit.');
    }
    const receivedMs = Date.now();
    // Validate every entry before recording any, so a bad Time fails the call as a whole.
    const accepted = entries.map((entry) => acceptEntry(entry, receivedMs));
    const results = [];
    for (const a of accepted) {
      if (a.error) {
        results.push(a.error);
        continue;
      }
      events.push(a.record);
      results.push({ EventId: a.record.id });
      dispatch(a.envelope, a.record, receivedMs);
    }
    return { FailedEntryCount: results.filter((r) => r.ErrorCode).length, Entries: results };
  },

  PutRule(body) {
    const name = requireString(body, 'Name');
    if (!RULE_NAME.test(name)) throw new ApiError('ValidationException', `Rule name ${name} is not valid.`);
    checkBus(body.EventBusName);
    if (body.ScheduleExpression !== undefined) throw new ApiError('ValidationException', 'Schedule rules are not supported by the local EventBridge.');
    if (body.EventPattern === undefined) throw new ApiError('ValidationException', 'Parameter(s) EventPattern or ScheduleExpression must be specified.');
    let pattern;
    try {
      pattern = parsePattern(body.EventPattern);
    } catch (err) {
      if (err instanceof PatternError) throw new ApiError('InvalidEventPatternException', err.message);
      throw err;
    }
    const state = body.State ?? 'ENABLED';
    if (!['ENABLED', 'DISABLED'].includes(state)) throw new ApiError('ValidationException', `State ${state} is not valid.`);
    const rule = {
      name,
      arn: ruleArn(name),
      eventPattern: typeof body.EventPattern === 'string' ? body.EventPattern : JSON.stringify(body.EventPattern),
      pattern,
      description: body.Description,
      state,
      targets: rules.get(name)?.targets ?? new Map(),
    };
    rules.set(name, rule);
    return { RuleArn: rule.arn };
  },

  ListRules(body) {
    checkBus(body.EventBusName);
    const all = [...rules.values()].filter((r) => !body.NamePrefix || r.name.startsWith(body.NamePrefix));
    const { page, next } = limitAndToken(all, body);
    return { Rules: page.map(describeRule), ...(next ? { NextToken: next } : {}) };
  },

  PutTargets(body) {
    const rule = getRule(body);
    const targets = body.Targets;
    if (!Array.isArray(targets) || targets.length < 1 || targets.length > 10) {
      throw new ApiError('ValidationException', "1 validation error detected: Value at 'targets' failed to satisfy constraint: Member must have length between 1 and 10");
    }
    const failed = [];
    for (const t of targets) {
      const reject = (message) => failed.push({ TargetId: t?.Id ?? '', ErrorCode: 'ValidationException', ErrorMessage: message });
      if (!t || typeof t.Id !== 'string' || !t.Id || typeof t.Arn !== 'string' || !t.Arn) {
        reject('Target Id and Arn are required.');
      } else if (!LAMBDA_ARN.test(t.Arn)) {
        reject(`Target ${t.Arn}: only Lambda function targets are delivered by the local EventBridge.`);
      } else if (t.Input !== undefined || t.InputPath !== undefined || t.InputTransformer !== undefined) {
        reject('Input, InputPath and InputTransformer are not supported by the local EventBridge: targets get the event.');
      } else if (checkRetryPolicy(t.RetryPolicy)) {
        reject(checkRetryPolicy(t.RetryPolicy));
      } else {
        rule.targets.set(t.Id, { Id: t.Id, Arn: t.Arn, ...(t.RetryPolicy ? { RetryPolicy: { ...t.RetryPolicy } } : {}) });
      }
    }
    return { FailedEntryCount: failed.length, FailedEntries: failed };
  },

  RemoveTargets(body) {
    const rule = getRule(body);
    for (const id of body.Ids ?? []) rule.targets.delete(id);
    return { FailedEntryCount: 0, FailedEntries: [] };
  },

  ListTargetsByRule(body) {
    const rule = getRule(body);
    const { page, next } = limitAndToken([...rule.targets.values()], body);
    return { Targets: page, ...(next ? { NextToken: next } : {}) };
  },
};

// ---------------------------------------------------------------------------------------------
// Admin API

function cancelRetries() {
  for (const t of timers) clearTimeout(t);
  timers.clear();
  for (const a of inFlight) a.abort(new Error('reset'));
  for (const d of [...pending]) settle(d, { status: 'failed', error: d.error ?? 'cancelled' });
}

const admin = {
  'GET /_admin/health': () => ({ ok: true, pid: process.pid }),
  'GET /_admin/events': (body, query) => {
    const filters = { detailType: query.get('detailType'), source: query.get('source') };
    return {
      events: events.filter((e) => Object.entries(filters).every(([k, v]) => v === null || e[k] === v)),
    };
  },
  'POST /_admin/events/reset': () => {
    const cleared = events.length;
    events.length = 0;
    return { reset: true, cleared };
  },
  // 200 once no delivery is running or waiting for a retry; 408 with the pending ones otherwise.
  'POST /_admin/idle': async (body, query) => {
    const timeoutMs = Number(query.get('timeoutMs') ?? DEFAULT_IDLE_TIMEOUT_MS);
    if (pending.size > 0) {
      let resolveIdle;
      const idle = new Promise((r) => {
        resolveIdle = r;
        idleWaiters.push(r);
      });
      let timer;
      const timedOut = await Promise.race([idle.then(() => false), new Promise((r) => (timer = setTimeout(() => r(true), timeoutMs)))]);
      clearTimeout(timer);
      if (timedOut) {
        idleWaiters = idleWaiters.filter((w) => w !== resolveIdle);
        const err = new ApiError('Timeout', `deliveries still pending after ${timeoutMs} ms`, 408);
        err.extra = { busy: [...pending] };
        throw err;
      }
    }
    return { idle: true };
  },
  'GET /_admin/config': () => config,
  'POST /_admin/config': (body) => {
    if (body.lambdaEndpoint !== undefined) config.lambdaEndpoint = body.lambdaEndpoint || null;
    if (body.retryBaseMs !== undefined) {
      if (!(typeof body.retryBaseMs === 'number' && body.retryBaseMs > 0)) throw new ApiError('ValidationException', 'retryBaseMs must be a positive number');
      config.retryBaseMs = body.retryBaseMs;
    }
    return config;
  },
  'POST /_admin/reset': () => {
    cancelRetries();
    events.length = 0;
    rules.clear();
    return { reset: true };
  },
};

// ---------------------------------------------------------------------------------------------
// HTTP

const { handle, sendError } = awsJsonService({
  name: NAME,
  targetPrefix: TARGET_PREFIX,
  contentType: CONTENT_TYPE,
  operations,
  admin,
  internalErrorType: 'InternalException',
});

// ---------------------------------------------------------------------------------------------

const args = parseArgs();
const port = portFromArgs(args, NAME);
const server = http.createServer((req, res) => {
  handle(req, res).catch((err) => sendError(res, err));
});
server.keepAliveTimeout = 5000;
server.on('error', (err) => fail(NAME, `cannot listen: ${describeListenError(err, port)}`));
server.listen({ host: HOST, port }, () => announce(NAME, args, server.address().port));

exitOnSignals(NAME, () => {
  stopping = true;
  cancelRetries();
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
});

process.on('unhandledRejection', (err) => {
  process.stderr.write(`${NAME}: unhandled rejection: ${err?.stack ?? err}\n`);
});
