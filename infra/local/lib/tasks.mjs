// Task integrations run by the facade: Lambda (function ARN or arn:aws:states:::lambda:invoke)
// over the Lambda Invoke REST API, and arn:aws:states:::sns:publish against the local SNS.
import { JSONPath } from 'jsonpath-plus';

// Errors thrown into aws-local-stepfunctions: `name` is what Retry/Catch ErrorEquals match,
// `message` becomes the Cause.
export class TaskError extends Error {
  constructor(name, cause, { retryable = true, catchable = true } = {}) {
    super(cause ?? '');
    this.name = name;
    this.retryable = retryable;
    this.catchable = catchable;
  }
  // Read by the library when deciding whether Retry/Catch may handle the error.
  get isRetryable() {
    return this.retryable;
  }
  get isCatchable() {
    return this.catchable;
  }
}

// States.Runtime is neither retried nor caught in Step Functions.
export const runtimeError = (cause) => new TaskError('States.Runtime', cause, { retryable: false, catchable: false });

const LAMBDA_ARN = /^arn:aws[\w-]*:lambda:([a-z0-9-]+):(\d{12}):function:([A-Za-z0-9_-]+)(?::([A-Za-z0-9$_-]+))?$/;
const LAMBDA_PARTIAL = /^(?:(\d{12}):function:)?([A-Za-z0-9_-]+)(?::([A-Za-z0-9$_-]+))?$/;

export function classifyResource(resource) {
  if (typeof resource !== 'string') return { kind: 'unsupported' };
  if (LAMBDA_ARN.test(resource)) return { kind: 'lambda-arn', resourceType: 'lambda', resource: 'invoke' };
  if (resource === 'arn:aws:states:::lambda:invoke') return { kind: 'lambda-invoke', resourceType: 'lambda', resource: 'invoke' };
  if (resource === 'arn:aws:states:::sns:publish') return { kind: 'sns-publish', resourceType: 'sns', resource: 'publish' };
  return { kind: 'unsupported' };
}

// Accepts a function name, name:qualifier, partial ARN (123456789012:function:name) or full ARN.
export function parseFunctionName(value) {
  if (typeof value !== 'string' || !value) throw runtimeError(`invalid Lambda FunctionName ${JSON.stringify(value)}`);
  let m = LAMBDA_ARN.exec(value);
  if (m) return { name: m[3], qualifier: m[4] };
  m = LAMBDA_PARTIAL.exec(value);
  if (m) return { name: m[2], qualifier: m[3] };
  throw runtimeError(`invalid Lambda FunctionName ${JSON.stringify(value)}`);
}

export async function invokeLambda({ endpoint, functionName, qualifier, payload, signal }) {
  if (!endpoint) {
    throw new TaskError(
      'Lambda.Unknown',
      'no Lambda endpoint configured for the local Step Functions facade (set AWS_ENDPOINT_URL_LAMBDA or POST /_admin/config {"lambdaEndpoint": ...})',
    );
  }
  const url = `${endpoint.replace(/\/+$/, '')}/2015-03-31/functions/${encodeURIComponent(functionName)}/invocations${
    qualifier ? `?Qualifier=${encodeURIComponent(qualifier)}` : ''
  }`;
  let res;
  let text;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-amz-invocation-type': 'RequestResponse' },
      body: JSON.stringify(payload ?? {}),
      signal,
    });
    text = await res.text();
  } catch (err) {
    if (signal?.aborted) throw new TaskError('States.Aborted', 'execution stopped', { retryable: false, catchable: false });
    throw new TaskError('Lambda.Unknown', `invoking ${functionName} at ${url} failed: ${err.cause?.message ?? err.message}`);
  }
  const functionError = res.headers.get('x-amz-function-error');
  if (functionError || res.status >= 400) {
    const body = parseJson(text);
    const errorType = typeof body?.errorType === 'string' && body.errorType ? body.errorType : 'Lambda.Unknown';
    const message = body?.errorMessage ?? body?.message ?? body?.Message;
    const cause = typeof message === 'string' ? message : `HTTP ${res.status} from ${url}: ${text}`;
    throw new TaskError(errorType, cause);
  }
  const result = text.trim() === '' ? null : parseJson(text, text);
  return {
    payload: result,
    status: res.status,
    executedVersion: res.headers.get('x-amz-executed-version') ?? '$LATEST',
    requestId: res.headers.get('x-amzn-requestid') ?? crypto.randomUUID(),
  };
}

let snsModule;
const snsClients = new Map();

// Publishes through the AWS SDK so message attributes are encoded exactly as SNS expects.
export async function publishSns({ endpoint, region, params }) {
  if (!endpoint) throw new TaskError('SNS.Unknown', 'no SNS endpoint configured (SNS_ENDPOINT or POST /_admin/config {"snsEndpoint": ...})');
  if (!params || typeof params.TopicArn !== 'string') {
    throw runtimeError('sns:publish needs a TopicArn parameter (TargetArn/PhoneNumber are not supported locally)');
  }
  snsModule ??= await import('@aws-sdk/client-sns');
  const topicRegion = params.TopicArn.split(':')[3] || region;
  const key = `${endpoint}|${topicRegion}`;
  let client = snsClients.get(key);
  if (!client) {
    client = new snsModule.SNSClient({
      endpoint,
      region: topicRegion,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 2,
    });
    snsClients.set(key, client);
  }
  const input = {
    TopicArn: params.TopicArn,
    // Step Functions serialises a non-string Message as JSON before publishing.
    Message: typeof params.Message === 'string' ? params.Message : JSON.stringify(params.Message ?? null),
  };
  for (const k of ['Subject', 'MessageStructure', 'MessageGroupId', 'MessageDeduplicationId']) {
    if (params[k] !== undefined) input[k] = params[k];
  }
  if (params.MessageAttributes) {
    input.MessageAttributes = Object.fromEntries(
      Object.entries(params.MessageAttributes).map(([name, attr]) => [
        name,
        {
          DataType: attr.DataType,
          ...(attr.StringValue !== undefined ? { StringValue: String(attr.StringValue) } : {}),
          ...(attr.BinaryValue !== undefined ? { BinaryValue: Buffer.from(String(attr.BinaryValue), 'base64') } : {}),
        },
      ]),
    );
  }
  try {
    const out = await client.send(new snsModule.PublishCommand(input));
    return {
      MessageId: out.MessageId,
      ...(out.SequenceNumber ? { SequenceNumber: out.SequenceNumber } : {}),
      SdkHttpMetadata: { HttpStatusCode: out.$metadata?.httpStatusCode ?? 200 },
      SdkResponseMetadata: { RequestId: out.$metadata?.requestId ?? crypto.randomUUID() },
    };
  } catch (err) {
    throw new TaskError(`SNS.${err.name || 'Unknown'}`, err.message);
  }
}

// Reference paths in Wait/timeout fields: "$..." reads the effective input, "$$..." the context.
export function readPath(path, input, context) {
  const fromContext = path.startsWith('$$');
  const json = fromContext ? context : input;
  const p = fromContext ? path.slice(1) : path;
  const found = JSONPath({ path: p, json, wrap: true });
  if (!Array.isArray(found) || found.length === 0) throw runtimeError(`path ${path} matched nothing in the state input`);
  return found[0];
}

// Picks the retrier for an error, following Step Functions: the first retrier whose
// ErrorEquals matches decides; once its MaxAttempts are used up the error is final.
export function nextRetry(retriers, attempts, error) {
  if (!error.isRetryable) return null;
  for (let i = 0; i < retriers.length; i++) {
    const r = retriers[i];
    if (!errorMatches(r.ErrorEquals ?? [], error.name)) continue;
    const maxAttempts = r.MaxAttempts ?? 3;
    if (attempts[i] >= maxAttempts) return null;
    let seconds = (r.IntervalSeconds ?? 1) * Math.pow(r.BackoffRate ?? 2, attempts[i]);
    if (r.MaxDelaySeconds !== undefined) seconds = Math.min(seconds, r.MaxDelaySeconds);
    if (r.JitterStrategy === 'FULL') seconds = Math.random() * seconds;
    attempts[i]++;
    return { retrierIndex: i, attempt: attempts[i], delayMs: seconds * 1000 };
  }
  return null;
}

export function errorMatches(errorEquals, name) {
  return errorEquals.some(
    (e) =>
      e === name ||
      (e === 'States.ALL' && name !== 'States.Runtime') ||
      (e === 'States.TaskFailed' && name !== 'States.Timeout' && name !== 'States.Runtime'),
  );
}

function parseJson(text, fallback = undefined) {
  try {
    return JSON.parse(text);
  } catch {
    return fallback;
  }
}
