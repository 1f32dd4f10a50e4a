// `npm test`: starts the database the suite runs on, then node's test runner over dist/test/*.test.js.
// - DATABASE_URL given: use it.
// - PostgreSQL installed (initdb/pg_ctl): a real throw-away server (what CI uses).
// - Neither (or TEST_BACKEND=pglite): embedded PGlite over the wire protocol; tests that need a real server
//   process skip, saying why.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmbeddedPostgres } from '../../src/embedded/pglite.js';
import { findPostgresBinDir, startRealPostgres } from './postgresServer.js';

const testDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const only = process.argv.slice(2);
const files = readdirSync(testDir)
  .filter((f) => f.endsWith('.test.js'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort()
  .map((f) => join(testDir, f));

let url = process.env.DATABASE_URL;
let backend: string;
let cleanup = async (): Promise<void> => undefined;
const env: NodeJS.ProcessEnv = { ...process.env };

if (url) {
  backend = 'real';
  console.log(`Test database: DATABASE_URL (${new URL(url).host})`);
} else {
  const binDir = process.env.TEST_BACKEND === 'pglite' ? null : findPostgresBinDir();
  if (binDir) {
    const pg = await startRealPostgres(binDir);
    url = pg.url;
    backend = 'real';
    env.TEST_PG_BIN_DIR = binDir;
    env.TEST_PG_DATA_DIR = pg.dataDir;
    console.log(`Test database: real PostgreSQL server started by the harness (${pg.version}, port ${pg.port})`);
    cleanup = async () => pg.stop();
  } else {
    const embedded = await startEmbeddedPostgres();
    url = embedded.url;
    backend = 'pglite';
    console.log(`Test database: embedded PGlite (${process.env.TEST_BACKEND === 'pglite' ? 'TEST_BACKEND=pglite' : 'PostgreSQL is not installed here'}); tests that need a real server process will skip`);
    cleanup = () => embedded.stop();
  }
}
env.DATABASE_URL = url;
env.TEST_DB_BACKEND = backend;

const child = spawn(process.execPath, ['--test', '--test-concurrency=1', ...files], { stdio: 'inherit', env });
const code: number = await new Promise((resolve) => child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))));
await cleanup();
process.exit(code);
