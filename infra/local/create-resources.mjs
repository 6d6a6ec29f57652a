// Creates a SAM/CloudFormation template's DynamoDB tables, SNS topics (+ SQS subscriptions),
// SQS queues, state machines, and the EventBridge rules of its functions' `EventBridgeRule`
// events (targeting those functions) in the running local stack, and writes
// $STACK_DIR/resources.json mapping each logical id to its local name/ARN/URL. Functions are not
// created: whoever serves the Lambda Invoke API serves them; resources.json gives each one's
// handler (QUARKUS_LAMBDA_HANDLER), rules and schedules so that a runner can wire them.
//
// Usage: node create-resources.mjs [template.yaml]   (default: the repository's template.yaml)
// Endpoints come from DYNAMODB_ENDPOINT/SNS_ENDPOINT/SQS_ENDPOINT/SFN_ENDPOINT/EVENTS_ENDPOINT
// or, failing that, $STACK_DIR/endpoints.json. Safe to run repeatedly: existing resources are kept and
// state machines whose definition changed are updated.
import { readFileSync, writeFileSync, renameSync, existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient, CreateTableCommand, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { SNSClient, CreateTopicCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { SQSClient, CreateQueueCommand, GetQueueAttributesCommand, SetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { loadTemplate } from './lib/cfn-yaml.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const REGION = process.env.AWS_REGION || 'us-east-1';
const ACCOUNT = '000000000000';
const STACK_NAME = process.env.LOCAL_STACK_NAME || 'local';

class TemplateError extends Error {}

// ---------------------------------------------------------------------------------------------
// Intrinsic function resolution. Resolution is lazy: only the properties we need are resolved,
// so unsupported intrinsics in properties we ignore (KMS keys, policies, ...) do no harm.

export class Resolver {
  constructor(template) {
    this.template = template;
    this.resources = template.Resources ?? {};
    this.parameters = template.Parameters ?? {};
    this.mappings = template.Mappings ?? {};
    this.conditions = template.Conditions ?? {};
    this.conditionCache = new Map();
    this.physical = new Map(); // logical id -> { ref, attrs }
  }

  pseudo(name) {
    return {
      'AWS::Region': REGION,
      'AWS::AccountId': ACCOUNT,
      'AWS::StackName': STACK_NAME,
      'AWS::StackId': `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${STACK_NAME}/local`,
      'AWS::Partition': 'aws',
      'AWS::URLSuffix': 'amazonaws.com',
      'AWS::NoValue': undefined,
    }[name];
  }

  ref(name, where) {
    if (name.startsWith('AWS::')) return this.pseudo(name);
    if (name in this.parameters) {
      const p = this.parameters[name];
      if (p.Default === undefined) throw new TemplateError(`${where}: parameter ${name} has no Default to use locally`);
      return p.Default;
    }
    const phys = this.physical.get(name);
    if (phys?.ref !== undefined) return phys.ref;
    throw new TemplateError(`${where}: cannot resolve !Ref ${name} locally (${this.describe(name)})`);
  }

  getAtt(logicalId, attr, where) {
    const value = this.physical.get(logicalId)?.attrs?.[attr];
    if (value !== undefined) return value;
    throw new TemplateError(`${where}: cannot resolve !GetAtt ${logicalId}.${attr} locally (${this.describe(logicalId)})`);
  }

  describe(logicalId) {
    const r = this.resources[logicalId];
    return r ? `${logicalId} is a ${r.Type}, not created locally or attribute unknown` : `no resource or parameter named ${logicalId}`;
  }

  condition(name, where) {
    if (this.conditionCache.has(name)) return this.conditionCache.get(name);
    if (!(name in this.conditions)) throw new TemplateError(`${where}: unknown condition ${name}`);
    const value = Boolean(this.resolve(this.conditions[name], `Conditions.${name}`));
    this.conditionCache.set(name, value);
    return value;
  }

  resolve(node, where) {
    if (Array.isArray(node)) {
      return node.map((v, i) => this.resolve(v, `${where}[${i}]`)).filter((v) => v !== undefined);
    }
    if (!node || typeof node !== 'object') return node;
    const keys = Object.keys(node);
    if (keys.length === 1) {
      const [key] = keys;
      const arg = node[key];
      const at = `${where}`;
      switch (key) {
        case 'Ref':
          return this.ref(String(arg), at);
        case 'Condition':
          if (typeof arg === 'string') return this.condition(arg, at);
          break;
        case 'Fn::GetAtt': {
          const [id, attr] = Array.isArray(arg) ? arg : String(arg).split(/\.(.*)/s);
          return this.getAtt(id, this.resolve(attr, at), at);
        }
        case 'Fn::Sub':
          return this.sub(arg, at);
        case 'Fn::Join': {
          const [sep, list] = arg;
          return this.resolve(list, at).join(this.resolve(sep, at));
        }
        case 'Fn::Select': {
          const [index, list] = arg;
          const items = this.resolve(list, at);
          const i = Number(this.resolve(index, at));
          if (!(i >= 0 && i < items.length)) throw new TemplateError(`${at}: Fn::Select index ${i} out of range`);
          return items[i];
        }
        case 'Fn::Split': {
          const [sep, text] = arg;
          return String(this.resolve(text, at)).split(this.resolve(sep, at));
        }
        case 'Fn::If': {
          const [cond, yes, no] = arg;
          return this.condition(cond, at) ? this.resolve(yes, at) : this.resolve(no, at);
        }
        case 'Fn::Equals': {
          const [a, b] = arg.map((v) => this.resolve(v, at));
          return JSON.stringify(a) === JSON.stringify(b);
        }
        case 'Fn::Not':
          return !this.resolve(arg[0], at);
        case 'Fn::And':
          return arg.every((v) => this.resolve(v, at));
        case 'Fn::Or':
          return arg.some((v) => this.resolve(v, at));
        case 'Fn::FindInMap': {
          const [map, top, second] = arg.map((v) => this.resolve(v, at));
          const value = this.mappings?.[map]?.[top]?.[second];
          if (value === undefined) throw new TemplateError(`${at}: Fn::FindInMap ${map}/${top}/${second} not found`);
          return value;
        }
        case 'Fn::Base64':
          return Buffer.from(String(this.resolve(arg, at))).toString('base64');
        case 'Fn::GetAZs':
          return ['a', 'b', 'c'].map((z) => `${REGION}${z}`);
        case 'Fn::ImportValue':
          throw new TemplateError(`${at}: Fn::ImportValue ${JSON.stringify(arg)} refers to another stack; not available locally`);
        case 'Fn::Cidr':
        case 'Fn::Transform':
          throw new TemplateError(`${at}: ${key} is not supported locally`);
        default:
          break;
      }
    }
    const out = {};
    for (const [k, v] of Object.entries(node)) {
      const r = this.resolve(v, `${where}.${k}`);
      if (r !== undefined) out[k] = r;
    }
    return out;
  }

  sub(arg, where) {
    const [text, vars = {}] = Array.isArray(arg) ? arg : [arg, {}];
    const values = {};
    for (const [k, v] of Object.entries(vars)) values[k] = this.resolve(v, `${where}.${k}`);
    return String(text).replace(/\$\{([^}]*)\}/g, (whole, expr) => {
      if (expr.startsWith('!')) return `\${${expr.slice(1)}}`; // ${!Literal} escapes
      if (expr in values) return values[expr];
      const dot = expr.indexOf('.');
      if (dot > 0 && !expr.startsWith('AWS::')) return this.getAtt(expr.slice(0, dot), expr.slice(dot + 1), where);
      return this.ref(expr, where);
    });
  }
}

// ---------------------------------------------------------------------------------------------

function readEndpoints() {
  const stackDir = process.env.STACK_DIR || resolve(HERE, '.stack');
  const fromEnv = {
    dynamodb: process.env.DYNAMODB_ENDPOINT,
    sns: process.env.SNS_ENDPOINT,
    sqs: process.env.SQS_ENDPOINT,
    sfn: process.env.SFN_ENDPOINT,
    events: process.env.EVENTS_ENDPOINT,
  };
  let fromFile = {};
  const file = resolve(stackDir, 'endpoints.json');
  if (existsSync(file)) fromFile = JSON.parse(readFileSync(file, 'utf8'));
  const endpoints = {};
  for (const key of Object.keys(fromEnv)) {
    endpoints[key] = fromEnv[key] || fromFile[key];
    // Optional so a template without EventBridge resources works against an older stack.
    if (!endpoints[key] && key !== 'events') {
      throw new Error(`no ${key} endpoint: set ${key.toUpperCase()}_ENDPOINT or start the stack (infra/local/stack up) so ${file} exists`);
    }
  }
  return { endpoints, stackDir };
}

const clientConfig = (endpoint) => ({
  endpoint,
  region: REGION,
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  maxAttempts: 2,
});

const isTrue = (v) => v === true || v === 'true';

// Names are decided before anything is created so that every !Ref/!GetAtt is resolvable
// (including forward references) when properties are resolved.
function planNames(resolver, resources) {
  const plan = [];
  for (const [id, res] of Object.entries(resources)) {
    if (res.Condition && !resolver.condition(res.Condition, `Resources.${id}.Condition`)) continue;
    const props = res.Properties ?? {};
    const at = `Resources.${id}.Properties`;
    const prop = (name) => (props[name] === undefined ? undefined : resolver.resolve(props[name], `${at}.${name}`));
    switch (res.Type) {
      case 'AWS::DynamoDB::Table': {
        const name = prop('TableName') ?? id;
        const arn = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${name}`;
        resolver.physical.set(id, { ref: name, attrs: { Arn: arn } });
        plan.push({ id, type: res.Type, name, arn });
        break;
      }
      case 'AWS::SNS::Topic': {
        const fifo = isTrue(prop('FifoTopic'));
        const name = prop('TopicName') ?? (fifo ? `${id}.fifo` : id);
        const arn = `arn:aws:sns:${REGION}:${ACCOUNT}:${name}`;
        resolver.physical.set(id, { ref: arn, attrs: { TopicArn: arn, TopicName: name } });
        plan.push({ id, type: res.Type, name, arn, fifo });
        break;
      }
      case 'AWS::SQS::Queue': {
        const fifo = isTrue(prop('FifoQueue'));
        const name = prop('QueueName') ?? (fifo ? `${id}.fifo` : id);
        const arn = `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`;
        // fauxqs' URL form; refined with the URL CreateQueue returns.
        const url = `http://sqs.${REGION}.localhost/${ACCOUNT}/${name}`;
        resolver.physical.set(id, { ref: url, attrs: { Arn: arn, QueueName: name, QueueUrl: url } });
        plan.push({ id, type: res.Type, name, arn, url, fifo });
        break;
      }
      case 'AWS::Serverless::Function':
      case 'AWS::Lambda::Function': {
        // The local Lambda endpoint (the Java test server) routes on this name.
        const name = typeof props.FunctionName === 'string' ? props.FunctionName : id;
        const arn = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;
        resolver.physical.set(id, { ref: name, attrs: { Arn: arn } });
        plan.push({ id, type: res.Type, name, arn, local: false });
        break;
      }
      case 'AWS::Events::Rule':
      case 'AWS::Events::EventBus':
        plan.push({ id, type: res.Type, skipped: true });
        break;
      case 'AWS::Serverless::StateMachine':
      case 'AWS::StepFunctions::StateMachine': {
        const name = prop(res.Type === 'AWS::Serverless::StateMachine' ? 'Name' : 'StateMachineName') ?? id;
        const arn = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${name}`;
        resolver.physical.set(id, { ref: arn, attrs: { Arn: arn, Name: name } });
        plan.push({ id, type: res.Type, name, arn });
        break;
      }
      default:
        break;
    }
  }
  // SAM's EventBridgeRule events become rules named like the AWS::Events::Rule SAM generates
  // (<Function><Event>); the function ARNs are all known by now.
  for (const fn of plan.filter((p) => p.type === 'AWS::Serverless::Function')) {
    const res = resources[fn.id];
    const at = `Resources.${fn.id}.Properties`;
    fn.handler = handlerOf(resolver, res, resolver.template.Globals?.Function, at);
    fn.rules = [];
    fn.schedules = [];
    fn.unwired = [];
    for (const [eventId, ev] of Object.entries(res.Properties?.Events ?? {})) {
      const where = `${at}.Events.${eventId}`;
      const p = ev?.Properties ?? {};
      const get = (k) => (p[k] === undefined ? undefined : resolver.resolve(p[k], `${where}.Properties.${k}`));
      if (ev?.Type === 'EventBridgeRule' || ev?.Type === 'CloudWatchEvent') {
        for (const k of ['Input', 'InputPath', 'InputTransformer']) {
          if (p[k] !== undefined) throw new TemplateError(`${where}.Properties.${k}: not supported locally (targets get the event)`);
        }
        const enabled = get('State') !== 'DISABLED' && get('Enabled') !== false;
        const name = `${fn.id}${eventId}`;
        const rule = {
          id: name,
          type: 'AWS::Events::Rule',
          name,
          arn: `arn:aws:events:${REGION}:${ACCOUNT}:rule/${name}`,
          function: fn.id,
          bus: eventBusNameOf(get('EventBusName') ?? 'default'),
          pattern: get('Pattern'),
          target: {
            Id: get('Target')?.Id ?? `${name}LambdaTarget`,
            Arn: fn.arn,
            ...(get('RetryPolicy') !== undefined ? { RetryPolicy: get('RetryPolicy') } : {}),
          },
        };
        if (!rule.pattern) throw new TemplateError(`${where}.Properties.Pattern is required`);
        if (enabled) {
          plan.push(rule);
          fn.rules.push(name);
        }
      } else if (ev?.Type === 'Schedule' || ev?.Type === 'ScheduleV2') {
        fn.schedules.push({ event: eventId, expression: get('ScheduleExpression'), ...(p.Input !== undefined ? { input: get('Input') } : {}) });
      } else {
        fn.unwired.push(`${eventId} (${ev?.Type})`);
      }
    }
  }
  return plan;
}

const eventBusNameOf = (value) => /:event-bus\/(.+)$/.exec(String(value))?.[1] ?? String(value);

// QUARKUS_LAMBDA_HANDLER from the function's environment, else from Globals (the @Named handler
// the function runs). Only that variable is resolved: the others may name resources that are
// not created locally.
function handlerOf(resolver, res, globals, at) {
  for (const [props, where] of [
    [res.Properties, at],
    [globals, 'Globals.Function'],
  ]) {
    const v = props?.Environment?.Variables?.QUARKUS_LAMBDA_HANDLER;
    if (v !== undefined) return resolver.resolve(v, `${where}.Environment.Variables.QUARKUS_LAMBDA_HANDLER`);
  }
  return undefined;
}

async function createTable(ddb, resolver, item, res) {
  const at = `Resources.${item.id}.Properties`;
  const p = (k) => (res.Properties?.[k] === undefined ? undefined : resolver.resolve(res.Properties[k], `${at}.${k}`));
  const billing = p('BillingMode') ?? 'PROVISIONED';
  const throughput = (tp) =>
    billing === 'PAY_PER_REQUEST'
      ? undefined
      : { ReadCapacityUnits: Number(tp?.ReadCapacityUnits ?? 5), WriteCapacityUnits: Number(tp?.WriteCapacityUnits ?? 5) };
  const input = {
    TableName: item.name,
    KeySchema: p('KeySchema'),
    AttributeDefinitions: p('AttributeDefinitions'),
    BillingMode: billing,
    ProvisionedThroughput: throughput(p('ProvisionedThroughput')),
  };
  const gsis = p('GlobalSecondaryIndexes');
  if (gsis?.length) {
    input.GlobalSecondaryIndexes = gsis.map((g) => ({
      IndexName: g.IndexName,
      KeySchema: g.KeySchema,
      Projection: g.Projection,
      ProvisionedThroughput: throughput(g.ProvisionedThroughput),
    }));
  }
  const lsis = p('LocalSecondaryIndexes');
  if (lsis?.length) {
    input.LocalSecondaryIndexes = lsis.map((l) => ({ IndexName: l.IndexName, KeySchema: l.KeySchema, Projection: l.Projection }));
  }
  // SSE, PITR, deletion protection, TTL, streams and tags have no local effect (dynalite
  // does not implement them), so they are left out rather than failing the create.
  try {
    await ddb.send(new CreateTableCommand(input));
    return 'created';
  } catch (err) {
    if (err.name !== 'ResourceInUseException') throw err;
    await ddb.send(new DescribeTableCommand({ TableName: item.name }));
    return 'exists';
  }
}

async function createQueue(sqs, resolver, item, res) {
  const at = `Resources.${item.id}.Properties`;
  const props = res.Properties ?? {};
  const attributes = {};
  for (const key of ['DelaySeconds', 'MaximumMessageSize', 'MessageRetentionPeriod', 'ReceiveMessageWaitTimeSeconds', 'VisibilityTimeout', 'ContentBasedDeduplication', 'DeduplicationScope', 'FifoThroughputLimit']) {
    if (props[key] !== undefined) attributes[key] = String(resolver.resolve(props[key], `${at}.${key}`));
  }
  if (item.fifo) attributes.FifoQueue = 'true';
  const out = await sqs.send(new CreateQueueCommand({ QueueName: item.name, Attributes: attributes }));
  item.url = out.QueueUrl;
  resolver.physical.set(item.id, { ref: out.QueueUrl, attrs: { Arn: item.arn, QueueName: item.name, QueueUrl: out.QueueUrl } });
  return 'ensured';
}

// Redrive policies point at other queues, so they are applied once every queue exists.
async function applyRedrive(sqs, resolver, item, res) {
  const raw = res.Properties?.RedrivePolicy;
  if (raw === undefined) return;
  const policy = resolver.resolve(raw, `Resources.${item.id}.Properties.RedrivePolicy`);
  const text = typeof policy === 'string' ? policy : JSON.stringify(policy);
  await sqs.send(new SetQueueAttributesCommand({ QueueUrl: item.url, Attributes: { RedrivePolicy: text } }));
}

async function createTopic(sns, resolver, item, res) {
  const at = `Resources.${item.id}.Properties`;
  const props = res.Properties ?? {};
  const attributes = {};
  if (item.fifo) attributes.FifoTopic = 'true';
  if (props.ContentBasedDeduplication !== undefined) {
    attributes.ContentBasedDeduplication = String(resolver.resolve(props.ContentBasedDeduplication, `${at}.ContentBasedDeduplication`));
  }
  const out = await sns.send(new CreateTopicCommand({ Name: item.name, Attributes: attributes }));
  item.arn = out.TopicArn;
  return 'ensured';
}

async function subscribe(sns, resolver, id, res, sqsArns, warnings) {
  const props = resolver.resolve(res.Properties ?? {}, `Resources.${id}.Properties`);
  if (props.Protocol !== 'sqs') {
    warnings.push(`${id}: ${props.Protocol} subscriptions are not supported locally (only sqs); skipped`);
    return;
  }
  if (!sqsArns.has(props.Endpoint)) {
    warnings.push(`${id}: endpoint ${props.Endpoint} is not a queue of this template; skipped`);
    return;
  }
  const attributes = {};
  for (const key of ['RawMessageDelivery', 'FilterPolicyScope', 'RedrivePolicy', 'FilterPolicy']) {
    if (props[key] === undefined) continue;
    attributes[key] = typeof props[key] === 'string' ? props[key] : JSON.stringify(props[key]);
  }
  await sns.send(new SubscribeCommand({ TopicArn: props.TopicArn, Protocol: 'sqs', Endpoint: props.Endpoint, Attributes: attributes }));
}

function definitionFor(resolver, item, res, templateDir) {
  const at = `Resources.${item.id}.Properties`;
  const props = res.Properties ?? {};
  let text;
  if (props.DefinitionUri !== undefined) {
    const uri = resolver.resolve(props.DefinitionUri, `${at}.DefinitionUri`);
    if (typeof uri !== 'string') throw new TemplateError(`${at}.DefinitionUri: only a local file path is supported locally (got ${JSON.stringify(uri)})`);
    text = readFileSync(resolve(templateDir, uri), 'utf8');
  } else if (props.Definition !== undefined) {
    text = JSON.stringify(resolver.resolve(props.Definition, `${at}.Definition`), null, 2);
  } else if (props.DefinitionString !== undefined) {
    text = resolver.resolve(props.DefinitionString, `${at}.DefinitionString`);
  } else if (props.DefinitionS3Location !== undefined) {
    throw new TemplateError(`${at}.DefinitionS3Location is not supported locally`);
  } else {
    throw new TemplateError(`${at}: no Definition, DefinitionUri or DefinitionString`);
  }
  const subs = props.DefinitionSubstitutions ?? {};
  const values = {};
  for (const [key, value] of Object.entries(subs)) {
    try {
      values[key] = resolver.resolve(value, `${at}.DefinitionSubstitutions.${key}`);
    } catch (err) {
      if (err instanceof TemplateError) {
        throw new TemplateError(`${item.id}: DefinitionSubstitutions.${key} = ${JSON.stringify(value)} cannot be resolved locally: ${err.message}`);
      }
      throw err;
    }
  }
  const unknown = new Set();
  const substituted = text.replace(/\$\{([A-Za-z0-9_]+)\}/g, (whole, key) => {
    if (key in values) return typeof values[key] === 'string' ? values[key] : JSON.stringify(values[key]);
    unknown.add(key);
    return whole;
  });
  if (unknown.size) {
    throw new TemplateError(`${item.id}: the definition uses \${${[...unknown].join('}, ${')}} but DefinitionSubstitutions does not define ${unknown.size > 1 ? 'them' : 'it'}`);
  }
  return substituted;
}

// One AWS JSON call to a facade; an error answer throws with its `__type` kept on `err.type`.
async function awsJsonCall(endpoint, contentType, target, body) {
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': contentType, 'x-amz-target': target },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const out = await res.json();
  if (res.status !== 200) {
    const err = new Error(`${target}: ${out.__type}: ${out.message}`);
    err.type = out.__type;
    throw err;
  }
  return out;
}

const sfnCall = (endpoint, op, body) => awsJsonCall(endpoint, 'application/x-amz-json-1.0', `AWSStepFunctions.${op}`, body);
const eventsCall = (endpoint, op, body) => awsJsonCall(endpoint, 'application/x-amz-json-1.1', `AWSEvents.${op}`, body);

async function createStateMachine(endpoint, resolver, item, res, templateDir) {
  const definition = definitionFor(resolver, item, res, templateDir);
  const type = resolver.resolve(res.Properties?.Type, `Resources.${item.id}.Properties.Type`) ?? 'STANDARD';
  const roleArn = `arn:aws:iam::${ACCOUNT}:role/${item.name}-role`;
  try {
    const out = await sfnCall(endpoint, 'CreateStateMachine', { name: item.name, definition, roleArn, type });
    item.arn = out.stateMachineArn;
    return 'ensured';
  } catch (err) {
    if (err.type !== 'StateMachineAlreadyExists') throw err;
    // The template changed since the last run against this stack: keep the ARN, swap the definition.
    await sfnCall(endpoint, 'UpdateStateMachine', { stateMachineArn: item.arn, definition, roleArn });
    return 'updated';
  }
}

// A function's EventBridgeRule event: the rule on its bus, the function as its one target.
async function createRule(endpoint, item) {
  const out = await eventsCall(endpoint, 'PutRule', { Name: item.name, EventBusName: item.bus, EventPattern: JSON.stringify(item.pattern), State: 'ENABLED' });
  item.arn = out.RuleArn;
  const put = await eventsCall(endpoint, 'PutTargets', { Rule: item.name, EventBusName: item.bus, Targets: [item.target] });
  if (put.FailedEntryCount) throw new Error(`${item.id}: PutTargets failed: ${JSON.stringify(put.FailedEntries)}`);
  // A target the template no longer names (e.g. a changed Target.Id) since the last run against this stack.
  const existing = (await eventsCall(endpoint, 'ListTargetsByRule', { Rule: item.name, EventBusName: item.bus })).Targets ?? [];
  const stale = existing.map((t) => t.Id).filter((id) => id !== item.target.Id);
  if (stale.length) await eventsCall(endpoint, 'RemoveTargets', { Rule: item.name, EventBusName: item.bus, Ids: stale });
  return `-> ${item.target.Arn}`;
}

export async function createResources(templatePath, { endpoints, stackDir, log = (m) => process.stderr.write(`${m}\n`) }) {
  const template = loadTemplate(templatePath);
  if (!template?.Resources) throw new TemplateError(`${templatePath}: no Resources section`);
  const templateDir = dirname(templatePath);
  const resolver = new Resolver(template);
  const plan = planNames(resolver, template.Resources);
  const warnings = [];

  const ddb = new DynamoDBClient(clientConfig(endpoints.dynamodb));
  const sns = new SNSClient(clientConfig(endpoints.sns));
  const sqs = new SQSClient(clientConfig(endpoints.sqs));
  try {
    const byType = (...types) => plan.filter((p) => types.includes(p.type));
    for (const item of byType('AWS::DynamoDB::Table')) {
      log(`table ${item.name}: ${await createTable(ddb, resolver, item, template.Resources[item.id])}`);
    }
    for (const item of byType('AWS::SQS::Queue')) {
      log(`queue ${item.name}: ${await createQueue(sqs, resolver, item, template.Resources[item.id])}`);
    }
    for (const item of byType('AWS::SQS::Queue')) await applyRedrive(sqs, resolver, item, template.Resources[item.id]);
    for (const item of byType('AWS::SNS::Topic')) {
      log(`topic ${item.arn}: ${await createTopic(sns, resolver, item, template.Resources[item.id])}`);
    }
    const sqsArns = new Set(byType('AWS::SQS::Queue').map((q) => q.arn));
    for (const item of byType('AWS::SNS::Topic')) {
      const inline = template.Resources[item.id].Properties?.Subscription ?? [];
      for (const [i, sub] of inline.entries()) {
        const res = { Properties: { ...sub, TopicArn: item.arn } };
        await subscribe(sns, resolver, `${item.id}.Subscription[${i}]`, res, sqsArns, warnings);
      }
    }
    for (const [id, res] of Object.entries(template.Resources)) {
      if (res.Type !== 'AWS::SNS::Subscription') continue;
      if (res.Condition && !resolver.condition(res.Condition, `Resources.${id}.Condition`)) continue;
      await subscribe(sns, resolver, id, res, sqsArns, warnings);
    }
    for (const item of byType('AWS::Serverless::StateMachine', 'AWS::StepFunctions::StateMachine')) {
      log(`state machine ${item.arn}: ${await createStateMachine(endpoints.sfn, resolver, item, template.Resources[item.id], templateDir)}`);
    }
    const eventRules = plan.filter((p) => p.type === 'AWS::Events::Rule' && !p.skipped);
    if (eventRules.length && !endpoints.events) {
      throw new Error('the template has EventBridge rules but there is no events endpoint: set EVENTS_ENDPOINT or restart the stack (infra/local/stack up)');
    }
    for (const item of eventRules) log(`rule ${item.arn}: ${await createRule(endpoints.events, item)}`);
    for (const item of plan) {
      if (item.skipped) warnings.push(`${item.id}: ${item.type} is not created locally (only functions' EventBridgeRule events are wired)`);
      for (const e of item.unwired ?? []) warnings.push(`${item.id}: event ${e} is not wired locally`);
    }
    // Make sure the SQS queues we report really exist (and catch a stack restarted mid-run).
    for (const item of byType('AWS::SQS::Queue')) {
      await sqs.send(new GetQueueAttributesCommand({ QueueUrl: item.url, AttributeNames: ['QueueArn'] }));
    }
  } finally {
    ddb.destroy();
    sns.destroy();
    sqs.destroy();
  }
  for (const w of warnings) log(`warning: ${w}`);

  const resources = {};
  for (const item of plan) {
    if (item.skipped) continue;
    resources[item.id] = {
      type: item.type,
      name: item.name,
      arn: item.arn,
      ...(item.url ? { url: item.url } : {}),
      ...(item.local === false ? { note: 'not created locally; served by the Lambda endpoint given to the facades' } : {}),
      ...(item.handler !== undefined ? { handler: item.handler } : {}),
      ...(item.rules?.length ? { rules: item.rules } : {}),
      ...(item.schedules?.length ? { schedules: item.schedules } : {}),
      ...(item.function ? { function: item.function, eventPattern: item.pattern } : {}),
    };
  }
  const out = { region: REGION, accountId: ACCOUNT, template: resolve(templatePath), resources };
  if (stackDir) {
    const file = resolve(stackDir, 'resources.json');
    writeFileSync(`${file}.tmp`, `${JSON.stringify(out, null, 2)}\n`);
    renameSync(`${file}.tmp`, file);
    log(`wrote ${file}`);
  }
  return out;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const templatePath = resolve(process.argv[2] ?? resolve(HERE, '../../template.yaml'));
  try {
    if (!existsSync(templatePath)) throw new TemplateError(`template not found: ${templatePath}`);
    const { endpoints, stackDir } = readEndpoints();
    await createResources(templatePath, { endpoints, stackDir });
  } catch (err) {
    const known = err instanceof TemplateError || err.name === 'YAMLException';
    const detail = known ? err.message : process.env.DEBUG ? err.stack : `${err.name}: ${err.message}`;
    process.stderr.write(`create-resources: ${detail}\n`);
    process.exit(1);
  }
}
