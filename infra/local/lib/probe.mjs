// Readiness check used by `stack up`: each server must answer a real request, not just
// accept TCP. Also points the SFN facade at the stack's SNS (the servers start in parallel, so
// the facade cannot know the fauxqs port at launch).
// Usage: probe.mjs --dynamodb=URL --fauxqs=URL --sfn=URL --events=URL --timeout-ms=N
import { parseArgs } from './serve.mjs';

const args = parseArgs();
const deadline = Date.now() + Number(args['timeout-ms'] ?? 10000);

const checks = {
  dynamodb: async (url) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'DynamoDB_20120810.ListTables',
        'x-amz-date': '20200101T000000Z',
        // dynalite wants a SigV4-shaped header but never verifies the signature.
        authorization: 'AWS4-HMAC-SHA256 Credential=test/20200101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
      },
      body: '{}',
      signal: AbortSignal.timeout(2000),
    });
    if (res.status !== 200) throw new Error(`ListTables answered HTTP ${res.status}: ${await res.text()}`);
  },
  fauxqs: async (url) => {
    const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
    if (res.status !== 200) throw new Error(`/health answered HTTP ${res.status}`);
  },
  sfn: async (url) => {
    const res = await fetch(`${url}/_admin/health`, { signal: AbortSignal.timeout(2000) });
    if (res.status !== 200) throw new Error(`/_admin/health answered HTTP ${res.status}`);
    const cfg = await fetch(`${url}/_admin/config`, {
      method: 'POST',
      body: JSON.stringify({ snsEndpoint: args.fauxqs }),
      signal: AbortSignal.timeout(2000),
    });
    if (cfg.status !== 200) throw new Error(`/_admin/config answered HTTP ${cfg.status}: ${await cfg.text()}`);
  },
  events: async (url) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSEvents.ListRules' },
      body: '{}',
      signal: AbortSignal.timeout(2000),
    });
    if (res.status !== 200) throw new Error(`ListRules answered HTTP ${res.status}: ${await res.text()}`);
  },
};

async function probe(name, url) {
  let lastError;
  while (Date.now() < deadline) {
    try {
      await checks[name](url);
      return;
    } catch (err) {
      lastError = err;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  throw new Error(`${name} at ${url} did not answer in time: ${lastError?.cause?.message ?? lastError?.message}`);
}

const results = await Promise.allSettled(Object.keys(checks).map((name) => probe(name, args[name])));
const failures = results.filter((r) => r.status === 'rejected').map((r) => r.reason.message);
if (failures.length) {
  for (const f of failures) process.stderr.write(`stack: ${f}\n`);
  process.exit(1);
}
