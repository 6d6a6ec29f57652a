// DynamoDB stand-in: in-memory dynalite bound to loopback only. Table state changes are
// instantaneous so tests never have to poll for ACTIVE.
import { createRequire } from 'node:module';
import { HOST, announce, describeListenError, exitOnSignals, fail, parseArgs, portFromArgs } from './lib/serve.mjs';

const NAME = 'dynalite';
const require = createRequire(import.meta.url);
const dynalite = require('dynalite');

const args = parseArgs();
const port = portFromArgs(args, NAME);

const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
server.on('error', (err) => fail(NAME, `cannot listen: ${describeListenError(err, port)}`));
server.listen({ host: HOST, port }, () => {
  announce(NAME, args, server.address().port);
});

exitOnSignals(NAME, () => {
  server.closeAllConnections?.();
  return new Promise((resolve) => server.close(() => resolve()));
});
