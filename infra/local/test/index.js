// Lets `node --test infra/local/test/` work on Node 22: there a directory argument is loaded as
// a module, which resolves to this index.js, so it pulls in every *.test.mjs beside it (one
// process). Node 20 instead searches the directory and runs each test file itself, so here it
// must not import them a second time. `npm test` runs the files directly, one process each.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const major = Number(process.versions.node.split('.')[0]);
if (major >= 21) {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const file of readdirSync(here).filter((f) => f.endsWith('.test.mjs')).sort()) {
    await import(join(here, file));
  }
}
