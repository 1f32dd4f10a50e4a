// The unit-sized test files (*.unit.ts: no child process, no simulator of their own) run in this one process.
// A file of its own costs node's start-up and its imports, about 0.4 CPU-second, more than most of them take.
// Their `before`/`after` hooks all run once around all of them; each keeps to its own schema.
// One alone: `node packages/testkit/dist/src/runTests.js <name>` (it runs <name>.unit.js by itself).
import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
for (const file of readdirSync(here).filter((f) => f.endsWith('.unit.js')).sort()) {
  await import(pathToFileURL(`${here}/${file}`).href);
}
