// Shared start-up plumbing for the three local servers (dynalite, fauxqs, SFN facade).
//
// Contract with `infra/local/stack`:
//   --port=N          port to bind on 127.0.0.1 (0 = let the OS pick; the default)
//   --ready-file=P    written (atomically) as "<pid> <port>\n" once the socket is bound,
//                     so the stack learns OS-assigned ports without a racy pre-pick
//   --stack-dir=D     not used here; it only tags the command line so `stack down`
//                     can tell our processes from an unrelated process that reused a PID
//   STACK_OWNER_PID   (environment, optional) the process the stack belongs to, e.g. the JVM of
//                     a replay: the server stops by itself once that process is gone, so a
//                     killed owner never leaves the stand-ins running
import { readFileSync, renameSync, writeFileSync } from 'node:fs';

export const HOST = '127.0.0.1';

export function parseArgs(argv = process.argv.slice(2)) {
  const args = {};
  for (const arg of argv) {
    const m = /^--([^=]+)=(.*)$/.exec(arg);
    if (m) args[m[1]] = m[2];
  }
  return args;
}

export function portFromArgs(args, name) {
  const raw = args.port ?? '0';
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    fail(name, `invalid port "${raw}"`);
  }
  return port;
}

export function fail(name, message) {
  process.stderr.write(`${name}: ${message}\n`);
  process.exit(1);
}

export function describeListenError(err, port) {
  if (err?.code === 'EADDRINUSE') return `port ${port} on ${HOST} is already in use`;
  if (err?.code === 'EACCES') return `not allowed to bind port ${port} on ${HOST}`;
  return err?.message ?? String(err);
}

export function announce(name, args, port) {
  if (args['ready-file']) {
    const tmp = `${args['ready-file']}.tmp-${process.pid}`;
    writeFileSync(tmp, `${process.pid} ${port}\n`);
    renameSync(tmp, args['ready-file']);
  }
  process.stdout.write(`${name} listening on http://${HOST}:${port} (pid ${process.pid})\n`);
}

// `close` should stop accepting connections; we exit regardless after a short grace so a
// lingering keep-alive client can never keep `stack down` waiting for the KILL fallback.
export function exitOnSignals(name, close) {
  let stopping = false;
  const stop = (signal) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${name}: ${signal}, shutting down\n`);
    setTimeout(() => process.exit(0), 1000).unref();
    Promise.resolve()
      .then(close)
      .catch(() => {})
      .finally(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // The servers are detached daemons; a closing terminal must not take them down.
  process.on('SIGHUP', () => {});
  const owner = Number(process.env.STACK_OWNER_PID);
  if (Number.isInteger(owner) && owner > 1) {
    setInterval(() => {
      if (!processAlive(owner)) stop(`owner process ${owner} gone`);
    }, 500).unref();
  }
}

// Alive and not a zombie (an orphaned zombie may never be reaped in a container).
export function processAlive(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch (err) {
    if (err?.code !== 'ENOENT') {
      try {
        process.kill(pid, 0);
        return true;
      } catch (e) {
        return e?.code === 'EPERM';
      }
    }
    return false;
  }
}
