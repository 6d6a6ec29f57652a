// Shared test plumbing: independent stacks per test file (own STACK_DIR), AWS-JSON calls to
// the facades, a fake Lambda endpoint, and /proc-based socket/process inspection.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const LOCAL_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_DIR = resolve(LOCAL_DIR, '../..');
export const STACK = join(LOCAL_DIR, 'stack');
export const REGION = 'us-east-1';
export const ACCOUNT = '000000000000';

export function newStackDir(prefix = 'stack-test-') {
  return mkdtempSync(join(tmpdir(), prefix));
}

// Runs `stack <args>`; resolves with { code, stdout, stderr, ms }. Never hangs past timeoutMs.
export function runStack(args, { env = {}, timeoutMs = 60_000 } = {}) {
  return new Promise((resolvePromise, reject) => {
    const started = Date.now();
    const child = spawn(STACK, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`stack ${args.join(' ')} did not finish within ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    // 'close' (not 'exit') so all output is in; the daemons got their own log files, not our pipes.
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

export async function startStack(env = {}) {
  const dir = newStackDir();
  const fullEnv = { STACK_DIR: dir, ...env };
  const up = await runStack(['up'], { env: fullEnv });
  if (up.code !== 0) throw new Error(`stack up failed (${up.code}):\n${up.stderr}`);
  const endpoints = JSON.parse(readFileSync(join(dir, 'endpoints.json'), 'utf8'));
  return {
    dir,
    env: fullEnv,
    up,
    endpoints,
    pids: readPidsFile(dir),
    // The state dir (with the server logs) is kept when down fails, for the post-mortem.
    down: async () => {
      const res = await runStack(['down'], { env: fullEnv });
      if (res.code === 0) rmSync(dir, { recursive: true, force: true });
      return res;
    },
  };
}

export function readPidsFile(dir) {
  return readFileSync(join(dir, 'pids'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => {
      const [name, pid, port] = line.split(/\s+/);
      return { name, pid: Number(pid), port: Number(port) };
    });
}

export function awsClientConfig(endpoint) {
  return { endpoint, region: REGION, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
}

// ---------------------------------------------------------------------------------------------
// Step Functions facade

export async function sfn(endpoint, operation, body = {}) {
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `AWSStepFunctions.${operation}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

// Like sfn() but throws on an API error, for the steps a test does not examine.
export async function sfnOk(endpoint, operation, body = {}) {
  const { status, body: out } = await sfn(endpoint, operation, body);
  if (status !== 200) throw new Error(`${operation} failed: HTTP ${status} ${JSON.stringify(out)}`);
  return out;
}

// Works for both facades: `${endpoint}/_admin/${path}`, GET without a body, POST with one.
export async function admin(endpoint, path, body) {
  const res = await fetch(`${endpoint}/_admin/${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

export async function createMachine(endpoint, name, definition) {
  const out = await sfnOk(endpoint, 'CreateStateMachine', {
    name,
    definition: JSON.stringify(definition),
    roleArn: `arn:aws:iam::${ACCOUNT}:role/test`,
  });
  return out.stateMachineArn;
}

export async function describe(endpoint, executionArn) {
  return sfnOk(endpoint, 'DescribeExecution', { executionArn });
}

export async function historyTypes(endpoint, executionArn) {
  const { events } = await sfnOk(endpoint, 'GetExecutionHistory', { executionArn, maxResults: 1000 });
  return events.map((e) => e.type);
}

export async function waitForStatus(endpoint, executionArn, predicate = (s) => s !== 'RUNNING', timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const d = await describe(endpoint, executionArn);
    if (predicate(d.status)) return d;
    if (Date.now() > deadline) throw new Error(`${executionArn} still ${d.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

// ---------------------------------------------------------------------------------------------
// EventBridge facade (AWS JSON 1.1)

export async function eventBridge(endpoint, operation, body = {}) {
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `AWSEvents.${operation}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: await res.json() };
}

// Like eventBridge() but throws on an API error.
export async function eventBridgeOk(endpoint, operation, body = {}) {
  const { status, body: out } = await eventBridge(endpoint, operation, body);
  if (status !== 200) throw new Error(`${operation} failed: HTTP ${status} ${JSON.stringify(out)}`);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Fake Lambda endpoint speaking the Invoke REST API. `handler(functionName, payload)` returns
// the function result, or { error: { errorType, errorMessage } } for a function error; it may
// be async (to simulate slow or hanging functions).

export async function startLambda(handler) {
  const calls = [];
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', async () => {
      const m = /^\/2015-03-31\/functions\/([^/]+)\/invocations/.exec(req.url);
      const name = m ? decodeURIComponent(m[1]) : null;
      const payload = raw ? JSON.parse(raw) : null;
      calls.push({ name, payload, url: req.url, headers: req.headers });
      try {
        const out = await handler(name, payload, calls.length);
        if (out && out.error) {
          res.writeHead(200, { 'content-type': 'application/json', 'x-amz-function-error': 'Unhandled' });
          res.end(JSON.stringify(out.error));
        } else {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify(out ?? null));
        }
      } catch (err) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: String(err) }));
      }
    });
  });
  await new Promise((r) => server.listen({ host: '127.0.0.1', port: 0 }, r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    calls,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

// ---------------------------------------------------------------------------------------------
// Sockets and processes, read from /proc so the checks need no extra tools.

// Every listening TCP socket: { address, port, family, inode }. Addresses are decoded for IPv4 and
// kept as kernel hex for IPv6 (only "is it loopback" matters here).
export function listeningSockets() {
  const out = [];
  for (const [file, family] of [
    ['/proc/net/tcp', 4],
    ['/proc/net/tcp6', 6],
  ]) {
    let text;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.trim().split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[3] !== '0A') continue; // TCP_LISTEN
      const [hexAddr, hexPort] = cols[1].split(':');
      const inode = cols[9];
      const address =
        family === 4
          ? hexAddr.match(/../g).reverse().map((b) => parseInt(b, 16)).join('.')
          : hexAddr;
      out.push({ address, port: parseInt(hexPort, 16), family, inode });
    }
  }
  return out;
}

// PIDs holding a socket with the given inode (a port freed by `down` may be reused at once by
// some other process, so "is the port free" is answered as "does none of our PIDs hold it").
export function socketOwners(inode) {
  const owners = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let fds;
    try {
      fds = readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (readlinkSync(`/proc/${entry}/fd/${fd}`) === `socket:[${inode}]`) {
          owners.push(Number(entry));
          break;
        }
      } catch {
        // fd closed while we looked
      }
    }
  }
  return owners;
}

export function processAlive(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The state follows the parenthesised command name; Z (zombie) is dead for our purposes.
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z';
  } catch {
    return false;
  }
}

// PIDs of live processes started for the given STACK_DIR (the launchers are tagged with it).
export function processesTaggedWith(stackDir) {
  const tag = `--stack-dir=${stackDir}`;
  const pids = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (args.includes(tag) && processAlive(Number(entry))) pids.push(Number(entry));
    } catch {
      // process exited while we looked
    }
  }
  return pids;
}

export async function occupyPort() {
  const server = http.createServer((req, res) => res.end('busy'));
  await new Promise((r) => server.listen({ host: '127.0.0.1', port: 0 }, r));
  return { port: server.address().port, close: () => new Promise((r) => server.close(() => r())) };
}
