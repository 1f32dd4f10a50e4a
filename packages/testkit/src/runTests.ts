// `npm test`: starts the database the suite runs on, then node's test runner over packages/*/dist/test/*.test.js,
// one file at a time, and prints how long each file took (the slowest first) and the total.
// `npm run test:soak` (--soak): the long runs, *.soak.js, instead.
// Arguments other than --soak select the files whose name contains one of them.
// - DATABASE_URL given: use it.
// - PostgreSQL installed (initdb/pg_ctl): a real throw-away server (what CI uses).
// - Neither (or TEST_BACKEND=pglite): embedded PGlite over the wire protocol; tests that need a real server
//   process skip, saying why.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmbeddedPostgres } from '@mosip-reprocess/simulator/embedded/pglite.js';
import { findPostgresBinDir, startRealPostgres } from './postgresServer.js';
import type { FileTime } from './fileTimesReporter.js';

// The longest files start first, so that running side by side no long file is left to run alone at the end.
const LONG_FILES = ['runLifecycle', 'scenarios', 'faults', 'faultsServer', 'cliRun', 'demo', 'pacing', 'paceAuto', 'cliSafety', 'report', 'action', 'inputEdges'];
function weight(file: string): number {
  const i = LONG_FILES.findIndex((name) => basename(file).startsWith(`${name}.`));
  return i < 0 ? 0 : LONG_FILES.length - i;
}

const packagesDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
// The tests that start the CLI run what operators run, the bundle bin/reprocess.js loads: made again here from
// the compiled modules (about a third of a second), so that a run after `npx tsc -b` alone tests the current code.
const bundled = spawnSync(process.execPath, [join(packagesDir, 'reprocess', 'scripts', 'bundle.js')], { stdio: 'inherit' });
if (bundled.status !== 0) process.exit(bundled.status ?? 1);
const args = process.argv.slice(2);
const soak = args.includes('--soak');
const only = args.filter((a) => a !== '--soak');
// Unit-sized files (*.unit.js) run together inside units.test.js; named on the command line, they run alone.
const suffixes = soak ? ['.soak.js'] : only.length > 0 ? ['.test.js', '.unit.js'] : ['.test.js'];
const files = readdirSync(packagesDir)
  .map((p) => join(packagesDir, p, 'dist', 'test'))
  .filter((dir) => existsSync(dir))
  .flatMap((dir) => readdirSync(dir).filter((f) => suffixes.some((x) => f.endsWith(x))).map((f) => join(dir, f)))
  .filter((f) => only.length === 0 || only.some((o) => basename(f).includes(o)))
  .sort((a, b) => weight(b) - weight(a) || basename(a).localeCompare(basename(b)));

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

if (files.length === 0) {
  console.error(`no test file matches ${only.join(', ') || suffixes.map((x) => `*${x}`).join(', ')}`);
  await cleanup();
  process.exit(1);
}

const timesDir = mkdtempSync(join(tmpdir(), 'reprocess-test-times-'));
const timesFile = join(timesDir, 'files.jsonl');
const reporter = process.stdout.isTTY ? 'spec' : 'tap';
const started = performance.now();
// Test files run side by side (each in its own process, on its own schemas), as most of their time is spent
// waiting on servers; the soak suite restarts PostgreSQL under its runs, so it runs one file at a time.
const concurrency = soak ? 1 : Number(process.env.TEST_CONCURRENCY ?? 3);
// --liftoff-only: what bin/reprocess.js sets for itself (undici's WebAssembly HTTP parser compiled without the
// optimizing compiler); the files that call the library in-process, or start the embedded database, run likewise.
const child = spawn(process.execPath, [
  '--liftoff-only', '--test', `--test-concurrency=${concurrency}`,
  `--test-reporter=${reporter}`, '--test-reporter-destination=stdout',
  `--test-reporter=${join(dirname(fileURLToPath(import.meta.url)), 'fileTimesReporter.js')}`, `--test-reporter-destination=${timesFile}`,
  ...files,
], { stdio: 'inherit', env });
const code: number = await new Promise((resolve) => child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))));
const totalMs = performance.now() - started;
await cleanup();
printFileTimes();
rmSync(timesDir, { recursive: true, force: true });
process.exit(code);

/** packages/reprocess/dist/test/faults.test.js -> reprocess/test/faults.test.ts */
function sourceName(file: string): string {
  return relative(packagesDir, file).replace(`${sep}dist${sep}test${sep}`, `${sep}test${sep}`).replace(/\.js$/, '.ts');
}

function printFileTimes(): void {
  if (!existsSync(timesFile)) return;
  const times = readFileSync(timesFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as FileTime)
    .sort((a, b) => b.ms - a.ms);
  const lines = times.slice(0, 10).map((t) => `  ${(t.ms / 1000).toFixed(1).padStart(6)} s  ${sourceName(t.file)}`
    + `  (${t.passed} passed${t.failed ? `, ${t.failed} FAILED` : ''}${t.skipped ? `, ${t.skipped} skipped` : ''})`);
  console.log(`\n${files.length} test files in ${(totalMs / 1000).toFixed(1)} s; the slowest by the time of their tests`
    + ` (${concurrency > 1 ? 'run side by side; ' : ''}start-up and hooks not counted):\n${lines.join('\n')}`);
}
