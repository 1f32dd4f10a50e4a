// `npm test`: starts the database the suite runs on, then node's test runner over packages/*/dist/test/*.test.js.
// `npm run test:soak` (--soak): the long fault runs, *.soak.js, instead.
// - DATABASE_URL given: use it.
// - PostgreSQL installed (initdb/pg_ctl): a real throw-away server (what CI uses).
// - Neither (or TEST_BACKEND=pglite): embedded PGlite over the wire protocol; tests that need a real server
//   process skip, saying why.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmbeddedPostgres } from '@mosip-reprocess/simulator/embedded/pglite.js';
import { findPostgresBinDir, startRealPostgres } from './postgresServer.js';

const packagesDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const args = process.argv.slice(2);
const soak = args.includes('--soak');
const only = args.filter((a) => a !== '--soak');
const suffix = soak ? '.soak.js' : '.test.js';
const files = readdirSync(packagesDir)
  .map((p) => join(packagesDir, p, 'dist', 'test'))
  .filter((dir) => existsSync(dir))
  .flatMap((dir) => readdirSync(dir).filter((f) => f.endsWith(suffix)).map((f) => join(dir, f)))
  .filter((f) => only.length === 0 || only.some((o) => basename(f).includes(o)))
  .sort((a, b) => basename(a).localeCompare(basename(b)));

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
