// Local EventBridge API (AWS JSON 1.1, X-Amz-Target: AWSEvents.<Operation>) with an admin API
// under /_admin/ so tests can see every event that was put.
//
// Events are kept in memory in arrival order. Rules (PutRule/PutTargets, or the template's
// AWS::Events::Rule resources via create-resources.mjs) whose EventPattern matches an event
// deliver it to SQS queue and SNS topic targets on the stack's fauxqs before PutEvents answers,
// so a test can receive the message right after the call.
//
// Environment:
//   SQS_ENDPOINT, SNS_ENDPOINT  fauxqs endpoints for deliveries (`stack up` sets them at run time
//                               through POST /_admin/config, the servers start in parallel)
//   AWS_REGION                  region used in ARNs (default us-east-1)
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { PatternError, matches, parsePattern } from './lib/event-pattern.mjs';
import { ApiError, awsJsonService } from './lib/aws-json.mjs';
import { HOST, announce, describeListenError, exitOnSignals, fail, parseArgs, portFromArgs } from './lib/serve.mjs';

const NAME = 'events-facade';
const REGION = process.env.AWS_REGION || 'us-east-1';
const ACCOUNT = '000000000000';
const TARGET_PREFIX = 'AWSEvents.';
const CONTENT_TYPE = 'application/x-amz-json-1.1';
const MAX_ENTRIES = 10;
const MAX_REQUEST_BYTES = 256 * 1024;
const DELIVERY_TIMEOUT_MS = 5000;

const config = {
  sqsEndpoint: process.env.SQS_ENDPOINT || null,
  snsEndpoint: process.env.SNS_ENDPOINT || null,
};

const buses = new Map(); // name -> { name, arn, description, creationTime }
const rules = new Map(); // `${bus}\n${name}` -> rule record
const events = []; // admin records, arrival order

const busArn = (name) => `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${name}`;
const ruleArn = (bus, name) => `arn:aws:events:${REGION}:${ACCOUNT}:rule/${bus === 'default' ? '' : `${bus}/`}${name}`;
const epochSeconds = (ms) => ms / 1000;
// The envelope's `time` has second precision, like AWS.
const envelopeTime = (ms) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

function resetBuses() {
  buses.clear();
  buses.set('default', { name: 'default', arn: busArn('default'), creationTime: Date.now() });
}
resetBuses();

const BUS_NAME = /^[/.\-_A-Za-z0-9]{1,256}$/;
const RULE_NAME = /^[.\-_A-Za-z0-9]{1,64}$/;

// EventBusName may be a name or an event-bus ARN.
function busNameOf(value) {
  if (value === undefined || value === null || value === '') return 'default';
  if (typeof value !== 'string') throw new ApiError('ValidationException', 'EventBusName must be a string');
  const m = /^arn:aws[\w-]*:events:[^:]*:\d*:event-bus\/(.+)$/.exec(value);
  return m ? m[1] : value;
}

function getBus(value) {
  const name = busNameOf(value);
  const bus = buses.get(name);
  if (!bus) throw new ApiError('ResourceNotFoundException', `Event bus ${name} does not exist.`);
  return bus;
}

function getRule(body) {
  const bus = getBus(body.EventBusName);
  const name = requireString(body, body.Rule !== undefined ? 'Rule' : 'Name');
  const rule = rules.get(`${bus.name}\n${name}`);
  if (!rule) throw new ApiError('ResourceNotFoundException', `Rule ${name} does not exist on EventBus ${bus.name}.`);
  return rule;
}

function requireString(body, key) {
  const v = body[key];
  if (typeof v !== 'string' || v === '') throw new ApiError('ValidationException', `1 validation error detected: Value null at '${key[0].toLowerCase()}${key.slice(1)}' failed to satisfy constraint: Member must not be null`);
  return v;
}

// PutEvents Time: the Java SDK v2 sends epoch seconds as a JSON number (with a fraction);
// strings (numeric or ISO-8601) are accepted too.
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
  if (!buses.has(busName)) return { error: entryError('ResourceNotFoundException', `Event bus ${busName} does not exist.`) };
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
  return { envelope, record };
}

// ---------------------------------------------------------------------------------------------
// Delivery to rule targets

let sqsModule;
let snsModule;
let jsonPath;
const clients = new Map();

async function clientFor(kind, endpoint, region) {
  const key = `${kind}|${endpoint}|${region}`;
  let client = clients.get(key);
  if (!client) {
    const options = { endpoint, region, credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 2 };
    if (kind === 'sqs') {
      sqsModule ??= await import('@aws-sdk/client-sqs');
      client = new sqsModule.SQSClient(options);
    } else {
      snsModule ??= await import('@aws-sdk/client-sns');
      client = new snsModule.SNSClient(options);
    }
    clients.set(key, client);
  }
  return client;
}

async function targetPayload(target, envelope) {
  if (target.Input !== undefined) return target.Input;
  if (target.InputPath !== undefined) {
    jsonPath ??= (await import('jsonpath-plus')).JSONPath;
    const found = jsonPath({ path: target.InputPath, json: envelope, wrap: true });
    if (!found.length) throw new Error(`InputPath ${target.InputPath} matched nothing`);
    return JSON.stringify(found[0]);
  }
  if (target.InputTransformer !== undefined) throw new Error('InputTransformer is not supported locally');
  return JSON.stringify(envelope);
}

const SQS_ARN = /^arn:aws[\w-]*:sqs:([a-z0-9-]+):(\d{12}):(.+)$/;
const SNS_ARN = /^arn:aws[\w-]*:sns:([a-z0-9-]+):(\d{12}):(.+)$/;

async function deliver(target, envelope) {
  const signal = AbortSignal.timeout(DELIVERY_TIMEOUT_MS);
  const body = await targetPayload(target, envelope);
  let m = SQS_ARN.exec(target.Arn);
  if (m) {
    if (!config.sqsEndpoint) throw new Error('no SQS endpoint configured (POST /_admin/config {"sqsEndpoint": ...})');
    const [, region, account, queue] = m;
    const client = await clientFor('sqs', config.sqsEndpoint, region);
    // fauxqs finds queues by region (from the signature) and name, so the URL only has to name it.
    const input = { QueueUrl: `${config.sqsEndpoint}/${account}/${queue}`, MessageBody: body };
    if (queue.endsWith('.fifo')) {
      input.MessageGroupId = target.SqsParameters?.MessageGroupId ?? envelope.id;
      input.MessageDeduplicationId = envelope.id;
    }
    const out = await client.send(new sqsModule.SendMessageCommand(input), { abortSignal: signal });
    return { messageId: out.MessageId };
  }
  m = SNS_ARN.exec(target.Arn);
  if (m) {
    if (!config.snsEndpoint) throw new Error('no SNS endpoint configured (POST /_admin/config {"snsEndpoint": ...})');
    const client = await clientFor('sns', config.snsEndpoint, m[1]);
    const input = { TopicArn: target.Arn, Message: body };
    if (m[3].endsWith('.fifo')) {
      input.MessageGroupId = target.SqsParameters?.MessageGroupId ?? envelope.id;
      input.MessageDeduplicationId = envelope.id;
    }
    const out = await client.send(new snsModule.PublishCommand(input), { abortSignal: signal });
    return { messageId: out.MessageId };
  }
  throw new Error(`target ${target.Arn}: only SQS queue and SNS topic targets are delivered locally`);
}

async function dispatch(envelope, record) {
  const work = [];
  for (const rule of rules.values()) {
    if (rule.eventBusName !== record.eventBusName || rule.state !== 'ENABLED' || !rule.pattern) continue;
    if (!matches(rule.pattern, envelope)) continue;
    for (const target of rule.targets.values()) {
      const delivery = { rule: rule.name, targetId: target.Id, arn: target.Arn };
      record.deliveries.push(delivery);
      work.push(
        deliver(target, envelope).then(
          (out) => Object.assign(delivery, { ok: true, ...out }),
          (err) => {
            Object.assign(delivery, { ok: false, error: `${err.name ?? 'Error'}: ${err.message}` });
            process.stderr.write(`${NAME}: delivery of ${envelope.id} to ${target.Arn} (rule ${rule.name}) failed: ${err.message}\n`);
          },
        ),
      );
    }
  }
  await Promise.all(work);
}

// ---------------------------------------------------------------------------------------------
// EventBridge operations

function describeRule(rule) {
  return {
    Name: rule.name,
    Arn: rule.arn,
    ...(rule.eventPattern !== undefined ? { EventPattern: rule.eventPattern } : {}),
    ...(rule.scheduleExpression !== undefined ? { ScheduleExpression: rule.scheduleExpression } : {}),
    State: rule.state,
    ...(rule.description !== undefined ? { Description: rule.description } : {}),
    EventBusName: rule.eventBusName,
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

const operations = {
  async PutEvents(body) {
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
    const deliveries = [];
    for (const a of accepted) {
      if (a.error) {
        results.push(a.error);
        continue;
      }
      events.push(a.record);
      results.push({ EventId: a.record.id });
      deliveries.push(dispatch(a.envelope, a.record));
    }
    await Promise.all(deliveries);
    return { FailedEntryCount: results.filter((r) => r.ErrorCode).length, Entries: results };
  },

  CreateEventBus(body) {
    const name = requireString(body, 'Name');
    if (!BUS_NAME.test(name) || name === 'default') throw new ApiError('ValidationException', `Event bus name ${name} is not valid.`);
    if (buses.has(name)) throw new ApiError('ResourceAlreadyExistsException', `Event bus ${name} already exists.`);
    const bus = { name, arn: busArn(name), creationTime: Date.now(), ...(body.Description ? { description: body.Description } : {}) };
    buses.set(name, bus);
    return { EventBusArn: bus.arn, ...(bus.description ? { Description: bus.description } : {}) };
  },

  DescribeEventBus(body) {
    const bus = getBus(body.Name);
    return {
      Name: bus.name,
      Arn: bus.arn,
      ...(bus.description ? { Description: bus.description } : {}),
      CreationTime: epochSeconds(bus.creationTime),
      LastModifiedTime: epochSeconds(bus.creationTime),
    };
  },

  ListEventBuses(body) {
    const all = [...buses.values()].filter((b) => !body.NamePrefix || b.name.startsWith(body.NamePrefix));
    const { page, next } = limitAndToken(all, body);
    return {
      EventBuses: page.map((b) => ({
        Name: b.name,
        Arn: b.arn,
        ...(b.description ? { Description: b.description } : {}),
        CreationTime: epochSeconds(b.creationTime),
        LastModifiedTime: epochSeconds(b.creationTime),
      })),
      ...(next ? { NextToken: next } : {}),
    };
  },

  DeleteEventBus(body) {
    const name = requireString(body, 'Name');
    if (name === 'default') throw new ApiError('ValidationException', 'Cannot delete event bus default.');
    buses.delete(name);
    for (const [key, rule] of rules) if (rule.eventBusName === name) rules.delete(key);
    return {};
  },

  PutRule(body) {
    const name = requireString(body, 'Name');
    if (!RULE_NAME.test(name)) throw new ApiError('ValidationException', `Rule name ${name} is not valid.`);
    const bus = getBus(body.EventBusName);
    if (body.EventPattern === undefined && body.ScheduleExpression === undefined) {
      throw new ApiError('ValidationException', 'Parameter(s) EventPattern or ScheduleExpression must be specified.');
    }
    let pattern;
    if (body.EventPattern !== undefined) {
      try {
        pattern = parsePattern(body.EventPattern);
      } catch (err) {
        if (err instanceof PatternError) throw new ApiError('InvalidEventPatternException', err.message);
        throw err;
      }
    }
    const state = body.State ?? 'ENABLED';
    if (!['ENABLED', 'DISABLED'].includes(state)) throw new ApiError('ValidationException', `State ${state} is not valid.`);
    const key = `${bus.name}\n${name}`;
    const existing = rules.get(key);
    const rule = {
      name,
      arn: ruleArn(bus.name, name),
      eventBusName: bus.name,
      eventPattern: typeof body.EventPattern === 'string' ? body.EventPattern : body.EventPattern === undefined ? undefined : JSON.stringify(body.EventPattern),
      pattern,
      scheduleExpression: body.ScheduleExpression,
      description: body.Description,
      state,
      targets: existing?.targets ?? new Map(),
    };
    rules.set(key, rule);
    return { RuleArn: rule.arn };
  },

  DescribeRule(body) {
    const rule = getRule(body);
    return { ...describeRule(rule), CreatedBy: ACCOUNT };
  },

  ListRules(body) {
    const bus = getBus(body.EventBusName);
    const all = [...rules.values()].filter((r) => r.eventBusName === bus.name && (!body.NamePrefix || r.name.startsWith(body.NamePrefix)));
    const { page, next } = limitAndToken(all, body);
    return { Rules: page.map(describeRule), ...(next ? { NextToken: next } : {}) };
  },

  DeleteRule(body) {
    const bus = getBus(body.EventBusName);
    const name = requireString(body, 'Name');
    const rule = rules.get(`${bus.name}\n${name}`);
    if (rule?.targets.size && !body.Force) throw new ApiError('ValidationException', "Rule can't be deleted since it has targets.");
    rules.delete(`${bus.name}\n${name}`);
    return {};
  },

  EnableRule(body) {
    getRule(body).state = 'ENABLED';
    return {};
  },

  DisableRule(body) {
    getRule(body).state = 'DISABLED';
    return {};
  },

  PutTargets(body) {
    const rule = getRule(body);
    const targets = body.Targets;
    if (!Array.isArray(targets) || targets.length < 1 || targets.length > 10) {
      throw new ApiError('ValidationException', "1 validation error detected: Value at 'targets' failed to satisfy constraint: Member must have length between 1 and 10");
    }
    const failed = [];
    for (const t of targets) {
      if (!t || typeof t.Id !== 'string' || !t.Id || typeof t.Arn !== 'string' || !t.Arn) {
        failed.push({ TargetId: t?.Id ?? '', ErrorCode: 'ValidationException', ErrorMessage: 'Target Id and Arn are required.' });
        continue;
      }
      rule.targets.set(t.Id, { ...t });
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

  TestEventPattern(body) {
    let pattern;
    let event;
    try {
      pattern = parsePattern(requireString(body, 'EventPattern'));
    } catch (err) {
      if (err instanceof PatternError) throw new ApiError('InvalidEventPatternException', err.message);
      throw err;
    }
    try {
      event = JSON.parse(requireString(body, 'Event'));
    } catch (err) {
      if (err instanceof ApiError) throw err;
      throw new ApiError('ValidationException', 'Parameter Event is not valid.');
    }
    return { Result: matches(pattern, event) };
  },
};

// ---------------------------------------------------------------------------------------------
// Admin API

const admin = {
  'GET /_admin/health': () => ({ ok: true, pid: process.pid }),
  'GET /_admin/events': (body, query) => {
    const filters = { detailType: query.get('detailType'), source: query.get('source'), eventBusName: query.get('eventBusName') };
    return {
      events: events.filter((e) => Object.entries(filters).every(([k, v]) => v === null || e[k] === v)),
    };
  },
  'POST /_admin/events/reset': () => {
    const cleared = events.length;
    events.length = 0;
    return { reset: true, cleared };
  },
  'GET /_admin/config': () => config,
  'POST /_admin/config': (body) => {
    for (const key of ['sqsEndpoint', 'snsEndpoint']) if (body[key] !== undefined) config[key] = body[key] || null;
    return config;
  },
  'POST /_admin/reset': () => {
    events.length = 0;
    rules.clear();
    resetBuses();
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
  server.closeAllConnections();
  for (const client of clients.values()) client.destroy();
  return new Promise((resolve) => server.close(() => resolve()));
});

process.on('unhandledRejection', (err) => {
  process.stderr.write(`${NAME}: unhandled rejection: ${err?.stack ?? err}\n`);
});
