// Local Step Functions API (AWS JSON 1.0 protocol) over aws-local-stepfunctions, plus an
// admin API under /_admin/ for tests: a controllable clock and an "idle" barrier.
//
// Environment:
//   AWS_ENDPOINT_URL_LAMBDA  base URL of the Lambda Invoke API used for Lambda tasks
//   SNS_ENDPOINT             SNS endpoint for arn:aws:states:::sns:publish tasks
//   SFN_CLOCK                real (default) | controlled
//   SFN_WAIT_SCALE           real mode only: Wait durations are multiplied by this (default 1)
//   SFN_RETRY_CLOCK          clock (default: back-offs wait on the facade clock) | real
//   SFN_RETRY_SCALE          multiplier for back-offs that run in real time (default 1)
//   AWS_REGION               region used in ARNs (default us-east-1)
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { StateMachine } from 'aws-local-stepfunctions';
import { Clock, ClockError, iso } from './lib/clock.mjs';
import { checkUniqueStateNames, prepareDefinition } from './lib/asl-prepare.mjs';
import {
  TaskError,
  classifyResource,
  invokeLambda,
  nextRetry,
  parseFunctionName,
  publishSns,
  readPath,
  runtimeError,
} from './lib/tasks.mjs';
import { ApiError, awsJsonService } from './lib/aws-json.mjs';
import { HOST, announce, describeListenError, exitOnSignals, fail, parseArgs, portFromArgs } from './lib/serve.mjs';

const require = createRequire(import.meta.url);
const aslValidator = require('asl-validator');

const NAME = 'sfn-facade';
const REGION = process.env.AWS_REGION || 'us-east-1';
const ACCOUNT = '000000000000';
const DEFAULT_SETTLE_TIMEOUT_MS = 30_000;
const DEFAULT_IDLE_TIMEOUT_MS = 10_000;

let config;
let clock;
try {
  config = {
    lambdaEndpoint: process.env.AWS_ENDPOINT_URL_LAMBDA || null,
    snsEndpoint: process.env.SNS_ENDPOINT || null,
    waitScale: positiveNumber(process.env.SFN_WAIT_SCALE, 1, 'SFN_WAIT_SCALE'),
    retryScale: positiveNumber(process.env.SFN_RETRY_SCALE, 1, 'SFN_RETRY_SCALE'),
    retryClock: oneOf(process.env.SFN_RETRY_CLOCK || 'clock', ['clock', 'real'], 'SFN_RETRY_CLOCK'),
  };
  clock = new Clock({ mode: oneOf(process.env.SFN_CLOCK || 'real', ['real', 'controlled'], 'SFN_CLOCK') });
} catch (err) {
  fail(NAME, `bad configuration: ${err.message}`);
}

const stateMachines = new Map(); // arn -> record
const executions = new Map(); // arn -> record
const running = new Set(); // execution records with status RUNNING

// ---------------------------------------------------------------------------------------------
// Errors in the shape the AWS SDKs map to typed exceptions (e.g. "ExecutionAlreadyExists" ->
// ExecutionAlreadyExistsException in the Java SDK v2).

const smArn = (name) => `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${name}`;
const execArn = (smName, name) => `arn:aws:states:${REGION}:${ACCOUNT}:execution:${smName}:${name}`;
const epochSeconds = (ms) => ms / 1000;

// Step Functions names: 1-80 chars, no whitespace, brackets, wildcards, punctuation or controls.
const NAME_PATTERN = /^[^\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]{1,80}$/;

function requireString(body, key) {
  const v = body[key];
  if (typeof v !== 'string' || v === '') throw new ApiError('ValidationException', `${key} is required`);
  return v;
}

function checkName(name, what) {
  if (!NAME_PATTERN.test(name)) throw new ApiError('InvalidName', `Invalid ${what} name: '${name}'`);
}

function getStateMachine(arn) {
  if (typeof arn !== 'string' || !arn.startsWith(`arn:aws:states:`)) throw new ApiError('InvalidArn', `Invalid Arn: '${arn}'`);
  const sm = stateMachines.get(arn);
  if (!sm) throw new ApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
  return sm;
}

function getExecution(arn) {
  if (typeof arn !== 'string' || !arn.startsWith(`arn:aws:states:`)) throw new ApiError('InvalidArn', `Invalid Arn: '${arn}'`);
  const ex = executions.get(arn);
  if (!ex) throw new ApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
  return ex;
}

const validDefinitions = new Set();

// Validates with asl-validator (what AWS would reject) plus the checks our rewriting needs.
function parseDefinition(text) {
  let definition;
  try {
    definition = JSON.parse(text);
  } catch (err) {
    throw new ApiError('InvalidDefinition', `Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: ${err.message}'`);
  }
  if (validDefinitions.has(text)) return definition;
  let result;
  try {
    // asl-validator annotates the object it checks (QueryLanguage on every state), and builds a
    // fresh Ajv per call (~100 ms), hence the clone and the cache of accepted texts.
    result = aslValidator(structuredClone(definition));
  } catch (err) {
    throw new ApiError('InvalidDefinition', `Invalid State Machine Definition: '${err.message}'`);
  }
  if (!result.isValid) {
    throw new ApiError('InvalidDefinition', `Invalid State Machine Definition: '${result.errorsText('; ')}'`);
  }
  try {
    checkUniqueStateNames(definition);
  } catch (err) {
    throw new ApiError('InvalidDefinition', `Invalid State Machine Definition: '${err.message}'`);
  }
  if (validDefinitions.size >= 1000) validDefinitions.clear();
  validDefinitions.add(text);
  return definition;
}

function paginate(items, body, defaultMax = 100) {
  const max = Math.min(Math.max(Number(body.maxResults) || defaultMax, 1), 1000);
  let start = 0;
  if (body.nextToken) {
    start = Number(Buffer.from(String(body.nextToken), 'base64url').toString());
    if (!Number.isInteger(start) || start < 0) throw new ApiError('InvalidToken', 'Invalid nextToken');
  }
  const page = items.slice(start, start + max);
  const next = start + max < items.length ? Buffer.from(String(start + max)).toString('base64url') : undefined;
  return { page, nextToken: next };
}

// ---------------------------------------------------------------------------------------------
// Step Functions operations

const operations = {
  CreateStateMachine(body) {
    const name = requireString(body, 'name');
    checkName(name, 'state machine');
    const definitionText = requireString(body, 'definition');
    const definition = parseDefinition(definitionText);
    const arn = smArn(name);
    const type = body.type ?? 'STANDARD';
    const existing = stateMachines.get(arn);
    if (existing) {
      // AWS treats a repeated create with identical settings as a no-op.
      if (existing.definitionText === definitionText && existing.type === type && (body.roleArn ?? existing.roleArn) === existing.roleArn) {
        return { stateMachineArn: arn, creationDate: epochSeconds(existing.creationDate) };
      }
      throw new ApiError('StateMachineAlreadyExists', `State Machine Already Exists: '${arn}'`);
    }
    const creationDate = clock.now();
    stateMachines.set(arn, {
      arn,
      name,
      type,
      roleArn: body.roleArn ?? `arn:aws:iam::${ACCOUNT}:role/local-stepfunctions`,
      definitionText,
      definition,
      creationDate,
      updateDate: creationDate,
    });
    return { stateMachineArn: arn, creationDate: epochSeconds(creationDate) };
  },

  UpdateStateMachine(body) {
    const sm = getStateMachine(body.stateMachineArn);
    if (body.definition !== undefined) {
      sm.definition = parseDefinition(requireString(body, 'definition'));
      sm.definitionText = body.definition;
    }
    if (body.roleArn) sm.roleArn = body.roleArn;
    sm.updateDate = clock.now();
    return { updateDate: epochSeconds(sm.updateDate) };
  },

  DeleteStateMachine(body) {
    const sm = getStateMachine(body.stateMachineArn);
    stateMachines.delete(sm.arn);
    return {};
  },

  DescribeStateMachine(body) {
    const sm = getStateMachine(body.stateMachineArn);
    return {
      stateMachineArn: sm.arn,
      name: sm.name,
      status: 'ACTIVE',
      definition: sm.definitionText,
      roleArn: sm.roleArn,
      type: sm.type,
      creationDate: epochSeconds(sm.creationDate),
      loggingConfiguration: { level: 'OFF', includeExecutionData: false },
    };
  },

  ListStateMachines(body) {
    const all = [...stateMachines.values()].map((sm) => ({
      stateMachineArn: sm.arn,
      name: sm.name,
      type: sm.type,
      creationDate: epochSeconds(sm.creationDate),
    }));
    const { page, nextToken } = paginate(all, body);
    return { stateMachines: page, ...(nextToken ? { nextToken } : {}) };
  },

  StartExecution(body) {
    const sm = getStateMachine(body.stateMachineArn);
    const name = body.name ?? randomUUID();
    checkName(name, 'execution');
    const inputText = body.input ?? '{}';
    let input;
    try {
      input = JSON.parse(inputText);
    } catch (err) {
      throw new ApiError('InvalidExecutionInput', `Invalid execution input: ${err.message}`);
    }
    const arn = execArn(sm.name, name);
    const existing = executions.get(arn);
    if (existing) {
      // Same as AWS for standard workflows: an identical request for a still-running
      // execution is idempotent; anything else with a used name is rejected.
      if (existing.status === 'RUNNING' && existing.inputText === inputText) {
        return { executionArn: arn, startDate: epochSeconds(existing.startDate) };
      }
      throw new ApiError('ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`);
    }
    const ex = startExecution(sm, name, arn, input, inputText);
    return { executionArn: ex.arn, startDate: epochSeconds(ex.startDate) };
  },

  DescribeExecution(body) {
    const ex = getExecution(body.executionArn);
    return describeExecution(ex);
  },

  DescribeStateMachineForExecution(body) {
    const ex = getExecution(body.executionArn);
    return {
      stateMachineArn: ex.stateMachine.arn,
      name: ex.stateMachine.name,
      definition: ex.stateMachine.definitionText,
      roleArn: ex.stateMachine.roleArn,
      updateDate: epochSeconds(ex.stateMachine.updateDate),
    };
  },

  StopExecution(body) {
    const ex = getExecution(body.executionArn);
    if (ex.status === 'RUNNING') {
      finish(ex, 'ABORTED', { error: body.error, cause: body.cause });
      ex.abortController.abort();
      ex.run.abort();
      clock.cancelFor(ex.arn);
    }
    return { stopDate: epochSeconds(ex.stopDate) };
  },

  ListExecutions(body) {
    const sm = getStateMachine(body.stateMachineArn);
    const filter = body.statusFilter;
    const all = [...executions.values()]
      .filter((ex) => ex.stateMachine.arn === sm.arn && (!filter || ex.status === filter))
      .sort((a, b) => b.startDate - a.startDate || b.seq - a.seq)
      .map((ex) => ({
        executionArn: ex.arn,
        stateMachineArn: sm.arn,
        name: ex.name,
        status: ex.status,
        startDate: epochSeconds(ex.startDate),
        ...(ex.stopDate !== undefined ? { stopDate: epochSeconds(ex.stopDate) } : {}),
      }));
    const { page, nextToken } = paginate(all, body);
    return { executions: page, ...(nextToken ? { nextToken } : {}) };
  },

  GetExecutionHistory(body) {
    const ex = getExecution(body.executionArn);
    const withData = body.includeExecutionData !== false;
    let events = ex.history.map((e) => (withData ? e : stripData(e)));
    if (body.reverseOrder) events = events.slice().reverse();
    const { page, nextToken } = paginate(events, body);
    return { events: page, ...(nextToken ? { nextToken } : {}) };
  },
};

function describeExecution(ex) {
  const out = {
    executionArn: ex.arn,
    stateMachineArn: ex.stateMachine.arn,
    name: ex.name,
    status: ex.status,
    startDate: epochSeconds(ex.startDate),
    input: ex.inputText,
    inputDetails: { included: true },
  };
  if (ex.stopDate !== undefined) out.stopDate = epochSeconds(ex.stopDate);
  if (ex.status === 'SUCCEEDED') {
    out.output = ex.output;
    out.outputDetails = { included: true };
  }
  if (ex.error !== undefined) out.error = ex.error;
  if (ex.cause !== undefined) out.cause = ex.cause;
  return out;
}

function stripData(event) {
  const copy = structuredClone(event);
  for (const details of Object.values(copy)) {
    if (details && typeof details === 'object') {
      delete details.input;
      delete details.output;
    }
  }
  return copy;
}

// ---------------------------------------------------------------------------------------------
// Executions

let executionSeq = 0;

function startExecution(sm, name, arn, input, inputText) {
  const { definition, states } = prepareDefinition(sm.definition, {
    retryScale: config.retryScale,
  });
  const ex = {
    seq: ++executionSeq,
    arn,
    name,
    stateMachine: sm,
    states,
    inputText,
    status: 'RUNNING',
    startDate: clock.now(),
    history: [],
    inFlight: 0,
    abortController: new AbortController(),
  };
  executions.set(arn, ex);
  running.add(ex);

  const handlers = {};
  for (const [stateName, state] of states) {
    if (state.Type === 'Wait') handlers[stateName] = (effectiveInput) => runWait(ex, stateName, state, effectiveInput);
    else if (state.Type === 'Task') handlers[stateName] = (effectiveInput) => runTask(ex, stateName, state, effectiveInput);
  }
  ex.context = {
    Execution: { Id: arn, Name: name, RoleArn: sm.roleArn, StartTime: iso(ex.startDate) },
    StateMachine: { Id: sm.arn, Name: sm.name },
  };

  const machine = new StateMachine(definition, { validationOptions: { noValidate: true } });
  ex.run = machine.run(input, {
    overrides: { taskResourceLocalHandlers: handlers },
    context: ex.context,
    noThrowOnAbort: true,
  });
  const historyDone = recordHistory(ex, ex.run.eventLogs);
  ex.run.result.then(
    async (output) => {
      await historyDone;
      finish(ex, 'SUCCEEDED', { output: JSON.stringify(output ?? null) });
    },
    async (err) => {
      await historyDone;
      if (err?.name === 'ExecutionTimeoutError') return finish(ex, 'TIMED_OUT', { error: 'States.Timeout' });
      const { error, cause } = errorOf(err?.cause ?? err);
      finish(ex, 'FAILED', { error, cause });
    },
  );
  return ex;
}

function finish(ex, status, { output, error, cause } = {}) {
  if (ex.status !== 'RUNNING') return;
  ex.status = status;
  ex.stopDate = clock.now();
  if (output !== undefined) ex.output = output;
  if (error !== undefined && error !== null) ex.error = String(error);
  if (cause !== undefined && cause !== null) ex.cause = typeof cause === 'string' ? cause : JSON.stringify(cause);
  running.delete(ex);
  if (status === 'ABORTED') {
    pushEvent(ex, 'ExecutionAborted', {
      executionAbortedEventDetails: { ...(ex.error ? { error: ex.error } : {}), ...(ex.cause ? { cause: ex.cause } : {}) },
    });
  }
}

function errorOf(err) {
  if (!err) return { error: 'States.Runtime', cause: 'unknown failure' };
  // A Fail state without Error/Cause surfaces as the library's FailStateError defaults.
  const error = err.name === 'FailStateError' ? undefined : err.name;
  const cause = err.message === 'Execution failed because of a Fail state' ? undefined : err.message;
  return { error, cause };
}

// Wait state (rewritten into a Task by asl-prepare): park on the facade clock.
async function runWait(ex, stateName, state, input) {
  const now = clock.now();
  let target;
  if (state.Seconds !== undefined) target = now + state.Seconds * 1000;
  else if (state.SecondsPath !== undefined) {
    const seconds = readPath(state.SecondsPath, input, ex.context);
    if (typeof seconds !== 'number' || !(seconds >= 0)) {
      throw runtimeError(`SecondsPath ${state.SecondsPath} must point to a non-negative number, got ${JSON.stringify(seconds)}`);
    }
    target = now + seconds * 1000;
  } else {
    const ts = state.Timestamp ?? readPath(state.TimestampPath, input, ex.context);
    target = typeof ts === 'string' ? Date.parse(ts) : NaN;
    if (Number.isNaN(target)) {
      throw runtimeError(`${state.Timestamp !== undefined ? 'Timestamp' : `TimestampPath ${state.TimestampPath}`} is not an ISO-8601 timestamp: ${JSON.stringify(ts)}`);
    }
  }
  const wait = clock.waitUntil(target, { executionArn: ex.arn, stateName, kind: 'wait', scale: config.waitScale });
  await wait.promise;
  return input;
}

// Task state: run the integration with Step Functions' Retry semantics, recording history.
async function runTask(ex, stateName, state, input) {
  // Yield once so the library's StateEntered event is recorded before our task events.
  await new Promise((resolve) => setImmediate(resolve));
  const integration = classifyResource(state.Resource);
  if (integration.kind === 'unsupported') {
    throw runtimeError(
      `the local Step Functions facade cannot run Task resource ${JSON.stringify(state.Resource)}: ` +
        'supported are Lambda function ARNs, arn:aws:states:::lambda:invoke and arn:aws:states:::sns:publish',
    );
  }
  const retriers = state.Retry ?? [];
  const attempts = retriers.map(() => 0);
  const timeoutMs = taskTimeoutMs(ex, state, input);
  for (;;) {
    if (ex.status !== 'RUNNING') throw new TaskError('States.Aborted', 'execution stopped', { retryable: false, catchable: false });
    taskEvent(ex, integration, 'Scheduled', state, input);
    taskEvent(ex, integration, 'Started', state);
    ex.inFlight++;
    let result;
    let error;
    try {
      result = await withTimeout(callIntegration(ex, integration, state, input), timeoutMs);
    } catch (err) {
      error = err instanceof TaskError ? err : new TaskError('States.TaskFailed', err?.message ?? String(err));
    } finally {
      ex.inFlight--;
    }
    if (!error) {
      taskEvent(ex, integration, 'Succeeded', state, result);
      return result;
    }
    taskEvent(ex, integration, 'Failed', state, error);
    const retry = ex.status === 'RUNNING' ? nextRetry(retriers, attempts, error) : null;
    if (!retry) throw error;
    await backoff(ex, stateName, retry.delayMs);
  }
}

async function backoff(ex, stateName, delayMs) {
  if (config.retryClock === 'clock') {
    const wait = clock.waitUntil(clock.now() + delayMs, {
      executionArn: ex.arn,
      stateName,
      kind: 'retry',
      scale: config.retryScale,
    });
    await wait.promise;
  } else {
    // Real-time back-off counts as activity for /_admin/idle, like a task in flight.
    ex.inFlight++;
    try {
      await new Promise((resolve) => setTimeout(resolve, delayMs * config.retryScale));
    } finally {
      ex.inFlight--;
    }
  }
}

function taskTimeoutMs(ex, state, input) {
  let seconds = state.TimeoutSeconds;
  if (state.TimeoutSecondsPath) seconds = readPath(state.TimeoutSecondsPath, input, ex.context);
  return typeof seconds === 'number' && seconds > 0 ? seconds * 1000 : null;
}

async function withTimeout(promise, ms) {
  if (!ms) return promise;
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new TaskError('States.Timeout', `Task timed out after ${ms / 1000} seconds`)), Math.min(ms, 2 ** 31 - 1));
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function callIntegration(ex, integration, state, input) {
  switch (integration.kind) {
    case 'lambda-arn': {
      const { name, qualifier } = parseFunctionName(state.Resource);
      const out = await invokeLambda({ endpoint: config.lambdaEndpoint, functionName: name, qualifier, payload: input, signal: ex.abortController.signal });
      return out.payload;
    }
    case 'lambda-invoke': {
      const { name, qualifier } = parseFunctionName(input?.FunctionName);
      const out = await invokeLambda({
        endpoint: config.lambdaEndpoint,
        functionName: name,
        qualifier: input?.Qualifier ?? qualifier,
        payload: input?.Payload,
        signal: ex.abortController.signal,
      });
      // The optimised integration wraps the function result like the Invoke API response.
      return {
        ExecutedVersion: out.executedVersion,
        Payload: out.payload,
        SdkHttpMetadata: { HttpHeaders: { 'Content-Type': 'application/json' }, HttpStatusCode: out.status },
        SdkResponseMetadata: { RequestId: out.requestId },
        StatusCode: out.status,
      };
    }
    case 'sns-publish':
      return publishSns({ endpoint: config.snsEndpoint, region: REGION, params: input });
    default:
      throw runtimeError(`unsupported resource ${state.Resource}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Execution history in the GetExecutionHistory shape.

function pushEvent(ex, type, details = {}) {
  const id = ex.history.length + 1;
  ex.history.push({ timestamp: epochSeconds(clock.now()), type, id, previousEventId: id - 1, ...details });
}

const json = (v) => JSON.stringify(v ?? null);

function taskEvent(ex, integration, phase, state, data) {
  // Lambda function ARNs produce the LambdaFunction* events in AWS; integrations produce Task*.
  if (integration.kind === 'lambda-arn') {
    const key = `lambdaFunction${phase}EventDetails`;
    const details = {
      Scheduled: () => ({ resource: state.Resource, input: json(data), inputDetails: { truncated: false } }),
      Started: () => null,
      Succeeded: () => ({ output: json(data), outputDetails: { truncated: false } }),
      Failed: () => ({ error: data.name, cause: data.message }),
    }[phase]();
    pushEvent(ex, `LambdaFunction${phase}`, details ? { [key]: details } : {});
    return;
  }
  const base = { resourceType: integration.resourceType, resource: integration.resource };
  const details = {
    Scheduled: () => ({ ...base, region: REGION, parameters: json(data) }),
    Started: () => base,
    Succeeded: () => ({ ...base, output: json(data), outputDetails: { truncated: false } }),
    Failed: () => ({ ...base, error: data.name, cause: data.message }),
  }[phase]();
  pushEvent(ex, `Task${phase}`, { [`task${phase}EventDetails`]: details });
}

const STATE_EVENT_PREFIX = {
  Task: 'Task',
  Wait: 'Wait',
  Pass: 'Pass',
  Choice: 'Choice',
  Succeed: 'Succeed',
  Fail: 'Fail',
  Parallel: 'Parallel',
  Map: 'Map',
};

async function recordHistory(ex, eventLogs) {
  try {
    for await (const ev of eventLogs) {
      const type = ev.state ? STATE_EVENT_PREFIX[ex.states.get(ev.state.name)?.Type ?? ev.state.type] : null;
      switch (ev.type) {
        case 'ExecutionStarted':
          pushEvent(ex, 'ExecutionStarted', {
            executionStartedEventDetails: { input: json(ev.input), inputDetails: { truncated: false }, roleArn: ex.stateMachine.roleArn },
          });
          break;
        case 'StateEntered':
          pushEvent(ex, `${type}StateEntered`, {
            stateEnteredEventDetails: { name: ev.state.name, input: json(ev.state.input), inputDetails: { truncated: false } },
          });
          break;
        case 'StateExited':
          pushEvent(ex, `${type}StateExited`, {
            stateExitedEventDetails: { name: ev.state.name, output: json(ev.state.output), outputDetails: { truncated: false } },
          });
          break;
        case 'MapIterationStarted':
        case 'MapIterationSucceeded':
        case 'MapIterationFailed': {
          const key = `${ev.type[0].toLowerCase()}${ev.type.slice(1)}EventDetails`;
          pushEvent(ex, ev.type, { [key]: { name: ev.parentState?.name, index: ev.index } });
          break;
        }
        case 'ExecutionSucceeded':
          pushEvent(ex, 'ExecutionSucceeded', { executionSucceededEventDetails: { output: json(ev.output), outputDetails: { truncated: false } } });
          break;
        case 'ExecutionFailed': {
          const { error, cause } = errorOf({ name: ev.Error, message: typeof ev.Cause === 'string' ? ev.Cause : ev.Cause?.message });
          pushEvent(ex, 'ExecutionFailed', {
            executionFailedEventDetails: { ...(error ? { error } : {}), ...(cause ? { cause } : {}) },
          });
          break;
        }
        case 'ExecutionTimeout':
          pushEvent(ex, 'ExecutionTimedOut', { executionTimedOutEventDetails: { error: 'States.Timeout' } });
          break;
        // StateFailed/StateRetried/StateCaught have no history event of their own in AWS:
        // the task-level Failed events and the next StateEntered tell the story. Aborts are
        // recorded by StopExecution itself.
        default:
          break;
      }
    }
  } catch (err) {
    process.stderr.write(`${NAME}: history recording for ${ex.arn} failed: ${err.stack ?? err}\n`);
  }
}

// ---------------------------------------------------------------------------------------------
// Idle detection: every RUNNING execution is parked on a clock wait and nothing is in flight.
// The library moves between states on microtasks, so a state seen on two consecutive
// setImmediate turns cannot be a transient between states.

function busyExecutions() {
  const busy = [];
  for (const ex of running) {
    const parked = clock.hasPendingFor(ex.arn);
    if (ex.inFlight > 0 || !parked) busy.push({ executionArn: ex.arn, tasksInFlight: ex.inFlight, parkedOnClock: parked });
  }
  return busy;
}

async function waitIdle(timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let stableTurns = 0;
  for (;;) {
    if (busyExecutions().length === 0) {
      if (++stableTurns >= 3) return true;
      await new Promise((resolve) => setImmediate(resolve));
      continue;
    }
    stableTurns = 0;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

function idleTimeoutError(timeoutMs) {
  const err = new ApiError('IdleTimeout', `executions still busy after ${timeoutMs} ms`, 408);
  err.extra = { busy: busyExecutions(), clock: clock.describe() };
  return err;
}

// ---------------------------------------------------------------------------------------------
// Admin API

function parseInstant(value, field) {
  const ms = typeof value === 'number' ? value : Date.parse(value);
  if (typeof value !== 'number' && typeof value !== 'string') throw new ApiError('ValidationException', `${field} must be an ISO-8601 string`);
  if (Number.isNaN(ms)) throw new ApiError('ValidationException', `${field} is not a valid ISO-8601 instant: ${JSON.stringify(value)}`);
  return ms;
}

function timeoutParam(value, fallback) {
  if (value === undefined || value === null || value === '') return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new ApiError('ValidationException', `invalid timeout ${JSON.stringify(value)}`);
  return n;
}

function publicConfig() {
  return { ...config, clock: clock.mode };
}

const admin = {
  'GET /_admin/health': () => ({ ok: true, pid: process.pid }),
  'GET /_admin/clock': () => clock.describe(),
  'POST /_admin/clock/set': (body) => {
    const released = clock.set(parseInstant(body.now, 'now'));
    return { ...clock.describe(), released };
  },
  'POST /_admin/clock/advance': async (body, query) => {
    let to;
    if (body.to !== undefined) to = parseInstant(body.to, 'to');
    else if (typeof body.seconds === 'number' && body.seconds >= 0) to = clock.now() + body.seconds * 1000;
    else throw new ApiError('ValidationException', 'advance needs {"to": "<ISO-8601>"} or {"seconds": <non-negative number>}');
    const settleTimeoutMs = timeoutParam(body.settleTimeoutMs ?? query.get('settleTimeoutMs'), DEFAULT_SETTLE_TIMEOUT_MS);
    const settle =
      body.settle === false
        ? undefined
        : async () => {
            if (!(await waitIdle(settleTimeoutMs))) throw idleTimeoutError(settleTimeoutMs);
          };
    const released = await clock.advance(to, { settle });
    return { ...clock.describe(), released };
  },
  'POST /_admin/idle': async (body, query) => {
    const timeoutMs = timeoutParam(query.get('timeoutMs') ?? body.timeoutMs, DEFAULT_IDLE_TIMEOUT_MS);
    if (!(await waitIdle(timeoutMs))) throw idleTimeoutError(timeoutMs);
    return { idle: true, running: running.size, ...clock.describe() };
  },
  'GET /_admin/config': () => publicConfig(),
  'POST /_admin/config': (body) => {
    if (body.lambdaEndpoint !== undefined) config.lambdaEndpoint = body.lambdaEndpoint || null;
    if (body.snsEndpoint !== undefined) config.snsEndpoint = body.snsEndpoint || null;
    try {
      if (body.waitScale !== undefined) config.waitScale = positiveNumber(body.waitScale, 1, 'waitScale');
      if (body.retryScale !== undefined) config.retryScale = positiveNumber(body.retryScale, 1, 'retryScale');
      if (body.retryClock !== undefined) config.retryClock = oneOf(body.retryClock, ['clock', 'real'], 'retryClock');
      if (body.clock !== undefined) clock.setMode(oneOf(body.clock, ['real', 'controlled'], 'clock'));
    } catch (err) {
      throw new ApiError('ValidationException', err.message);
    }
    return publicConfig();
  },
  'POST /_admin/reset': () => {
    for (const ex of running) {
      finish(ex, 'ABORTED', { error: 'Reset', cause: 'POST /_admin/reset' });
      ex.abortController.abort();
      ex.run.abort();
    }
    clock.cancelAll();
    running.clear();
    executions.clear();
    stateMachines.clear();
    return { reset: true };
  },
};

// ---------------------------------------------------------------------------------------------
// HTTP

const { handle, sendError } = awsJsonService({
  name: NAME,
  targetPrefix: 'AWSStepFunctions.',
  contentType: 'application/x-amz-json-1.0',
  operations,
  admin,
  mapError: (err) => (err instanceof ClockError ? new ApiError('ValidationException', err.message, err.status) : undefined),
  internalErrorType: 'InternalServerError',
});

function positiveNumber(value, fallback, what) {
  if (value === undefined || value === null || value === '') return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${what} must be a positive number, got ${JSON.stringify(value)}`);
  return n;
}

function oneOf(value, allowed, what) {
  if (!allowed.includes(value)) throw new Error(`${what} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
  return value;
}

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
  clock.cancelAll();
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
});

// Keep the facade alive on a stray rejection from a half-finished execution; log it instead.
process.on('unhandledRejection', (err) => {
  process.stderr.write(`${NAME}: unhandled rejection: ${err?.stack ?? err}\n`);
});
