// SNS + SQS stand-in. fauxqs' own startFauxqs()/CLI binds every interface, so we build
// the Fastify app ourselves and bind it to loopback only.
//
// fauxqs conventions the callers rely on (see node_modules/fauxqs/README.md):
//   account 000000000000; region taken from the SigV4 credential scope of each request,
//   falling back to `defaultRegion`; queue URLs http://sqs.<region>.localhost:<port>/000000000000/<name>
//   (lookups only use region + name, so any endpoint host works); any credentials accepted.
import { buildApp } from 'fauxqs';
import { HOST, announce, describeListenError, exitOnSignals, fail, parseArgs, portFromArgs } from './lib/serve.mjs';

const NAME = 'fauxqs';
const args = parseArgs();
const port = portFromArgs(args, NAME);

const app = buildApp({
  logger: process.env.FAUXQS_LOGGER === 'true',
  defaultRegion: process.env.AWS_REGION || 'us-east-1',
});

try {
  await app.listen({ host: HOST, port });
} catch (err) {
  fail(NAME, `cannot listen: ${describeListenError(err, port)}`);
}
announce(NAME, args, app.server.address().port);

exitOnSignals(NAME, () => app.close());
