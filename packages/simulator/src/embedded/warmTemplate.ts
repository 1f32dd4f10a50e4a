// `npm ci` (the root's prepare script) runs this once: it makes the embedded database's empty cluster and
// saves it where every later start finds it (pglite.ts, templateDir), so the first `npm run demo` and the
// first `npm test` do not each pay PGlite's initdb (several seconds of CPU). Best effort: when the cache
// cannot be written (a read-only home), the first start makes its own cluster, as it would have anyway.
import { existsSync } from 'node:fs';
import { defaultTemplateDir, startEmbeddedPostgres, templatePath } from './pglite.js';

const template = templatePath(defaultTemplateDir());
if (existsSync(template)) {
  process.stdout.write(`embedded database: empty cluster already saved (${template})\n`);
} else {
  try {
    const started = performance.now();
    const db = await startEmbeddedPostgres();
    await db.stop();
    const saved = existsSync(template);
    process.stdout.write(`embedded database: ${saved ? `empty cluster saved to ${template}` : 'could not save the empty cluster (the first start will make its own)'} in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  } catch (err) {
    process.stdout.write(`embedded database: not prepared (${(err as Error).message}); the first start will make its own cluster\n`);
  }
}
