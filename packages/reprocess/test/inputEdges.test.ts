// What an operator can type wrong, run through the real `reprocess` binary: each is bad input (exit 2), named
// by its flag, setting or file, with nothing sent and nothing created (no run directory, journal or log).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { startSimulator } from '@mosip-reprocess/simulator/sim/server.js';
import { insertRegistrations } from '@mosip-reprocess/simulator/sql/registrationRows.js';
import { BIN, runCli as runCliBinary, type CliRun } from '@mosip-reprocess/testkit/cli.js';
import { stuckRow } from '@mosip-reprocess/testkit/rows.js';
import { freshSchema, TEST_DB_URL, type TestSchema } from '@mosip-reprocess/testkit/db.js';

const SECRET = 'edge-secret';
let db: TestSchema;
let sim: Awaited<ReturnType<typeof startSimulator>>;
const dir = mkdtempSync(join(tmpdir(), 'reprocess-edges-'));

before(async () => {
  db = await freshSchema('edges');
  await insertRegistrations(db.pool, db.schema, [stuckRow(), stuckRow(), stuckRow()]);
  sim = await startSimulator({ db: db.pool, schema: db.schema, clients: [{ secret: SECRET }] });
});
after(async () => {
  await sim.close();
  await db.drop();
});

const env = () => ({ REGPROC_CLIENT_PWD: SECRET, REPROCESS_DB_URL: TEST_DB_URL, DB_SCHEMA: db.schema });

/** The binary with runCli's fresh --log-dir and --runs-dir (added after the given flags). */
function runCli(args: string[]): Promise<CliRun> {
  return runCliBinary(args, { env: env() });
}

/** The binary with exactly these flags (for tests that choose --log-dir and --runs-dir themselves). */
function reprocess(args: string[], options: { uid?: number; gid?: number; cwd?: string } = {}): Promise<{ code: number; stderr: string; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH ?? '', ...env() }, cwd: dir, ...options });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

const notifications = () => sim.stats().requests.notification ?? 0;
const tokens = () => sim.stats().requests.authenticate ?? 0;

/** Nothing in the run's log dir (runCli makes it empty): no runs dir, no out.log. */
function assertNothingCreated(run: CliRun): void {
  assert.deepEqual(readdirSync(run.logDir), [], `created: ${readdirSync(run.logDir).join(', ')}`);
}

function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

test('a delay or timeout a timer cannot hold is refused, naming the flag, variable or file:line; nothing is sent', async () => {
  const before = notifications();
  const flag = await runCli(['--db', '--server', sim.url, '--delay', '1e400']);
  assert.equal(flag.code, 2, flag.stderr);
  assert.match(flag.stderr, /--delay: must be a duration .* from 0s to 1d \(got "1e400"\)/);
  assert.doesNotMatch(flag.stderr, /TimeoutOverflowWarning/);
  assertNothingCreated(flag);

  const yaml = file('inf.yaml', `server: ${sim.url}\ndelay: .inf\n`);
  const fromFile = await runCli(['--db', '--config', yaml]);
  assert.equal(fromFile.code, 2, fromFile.stderr);
  assert.match(fromFile.stderr, new RegExp(`${yaml}:2 \\(delay\\): must be .* \\(got Infinity\\)`));
  assertNothingCreated(fromFile);
  assert.equal(notifications(), before);
});

test('a mistyped flag, a missing option value and an unknown command exit 2 with a short error and a suggestion', async () => {
  // Independent runs: started together to keep the file quick.
  const [typo, missing, command] = await Promise.all([reprocess(['--dryrun', '--db']), reprocess(['--db', '--limit']), reprocess(['rnus'])]);
  assert.equal(typo.code, 2);
  assert.match(typo.stderr, /unknown option '--dryrun'\n\(Did you mean --dry-run\?\)/);
  assert.doesNotMatch(typo.stderr, /Usage:/, 'the whole help text is not printed');
  assert.ok(typo.stderr.trim().split('\n').length <= 3, typo.stderr);

  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /option '--limit <n>' argument missing/);
  assert.doesNotMatch(missing.stderr, /Usage:/);

  assert.equal(command.code, 2);
  assert.match(command.stderr, /unknown command 'rnus'\n\(Did you mean runs\?\)/);
  assert.doesNotMatch(command.stderr, /Usage:/);
});

test('--file given twice is refused (exit 2), not one of the files silently dropped', async () => {
  const a = file('a.txt', `${stuckRow().regId}\n`);
  const b = file('b.txt', `${stuckRow().regId}\n`);
  const before = notifications();
  const run = await runCli(['--file', a, '--file', b, '--server', sim.url]);
  assert.equal(run.code, 2, run.stderr);
  assert.match(run.stderr, /--file given 2 times .*a\.txt, .*b\.txt.*run once per file/);
  assertNothingCreated(run);
  assert.equal(notifications(), before);
});

test('--runs-dir or --log-dir naming a file is exit 2 naming the flag; nothing is created or fetched', async () => {
  const plain = file('plain-file', 'x');
  const logs = join(dir, 'logs-for-runs-dir-test');
  const runs = join(dir, 'runs-for-log-dir-test');
  const tokensBefore = tokens();
  const cases: [string[], RegExp][] = [
    [['--runs-dir', plain, '--log-dir', logs], /--runs-dir .*plain-file: is a file, not a directory/],
    [['--log-dir', plain, '--runs-dir', runs], /--log-dir .*plain-file: is a file, not a directory/],
    // --run-name reads the runs directory to find its run: checked before that too.
    [['--run-name', 'night-1', '--runs-dir', plain, '--log-dir', logs], /--runs-dir .*plain-file: is a file, not a directory/],
  ];
  const results = await Promise.all(cases.map(([dirs]) => reprocess(['--db', '--server', sim.url, ...dirs])));
  for (const [i, [, message]] of cases.entries()) {
    const run = results[i]!;
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, message);
    assert.doesNotMatch(run.stderr, /ENOTDIR|EEXIST/);
  }
  assert.equal(existsSync(logs), false, 'no log dir was created');
  assert.equal(existsSync(runs), false, 'no runs dir was created');
  assert.equal(tokens(), tokensBefore, 'no token was fetched');
});

test('an unwritable --runs-dir is exit 2 naming the flag', async (t) => {
  // As root every directory is writable: then the binary runs as nobody (uid 65534) in a directory root owns.
  const asRoot = process.getuid?.() === 0;
  if (asRoot && spawnSync(process.execPath, ['-e', `require('fs').accessSync(${JSON.stringify(BIN)}, 4)`], { uid: 65534, gid: 65534, cwd: tmpdir() }).status !== 0) {
    return t.skip('running as root, and user nobody cannot read the repository to run the binary');
  }
  const locked = mkdtempSync(join(tmpdir(), 'reprocess-locked-'));
  chmodSync(locked, asRoot ? 0o755 : 0o555);
  const run = await reprocess(['--db', '--server', sim.url, '--runs-dir', join(locked, 'runs'), '--log-dir', join(locked, 'logs')],
    asRoot ? { uid: 65534, gid: 65534, cwd: tmpdir() } : {});
  assert.equal(run.code, 2, run.stderr);
  assert.match(run.stderr, /--runs-dir .*locked-.*\/runs: cannot create it, this user cannot write in .*locked-/);
  assert.deepEqual(readdirSync(locked), []);
});

test('a --query-file that is missing or only a comment is refused before anything is created', async () => {
  const before = notifications();
  const tokensBefore = tokens();
  const cases: [string, RegExp][] = [
    [join(dir, 'no-such.sql'), /--query-file .*no-such\.sql: cannot read it \(ENOENT\)/],
    [file('todo.sql', '-- TODO: paste the query\n/* later */\n;\n'), /--query-file .*todo\.sql: the file holds only comments, no query/],
  ];
  const runs = await Promise.all(cases.map(([path]) => runCli(['--query-file', path, '--server', sim.url])));
  for (const [i, [, message]] of cases.entries()) {
    const run = runs[i]!;
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, message);
    assertNothingCreated(run);
  }
  assert.equal(notifications(), before);
  assert.equal(tokens(), tokensBefore, 'no token was fetched');
});

test('a compressed file given to --file is named as compressed, not as UTF-16', async () => {
  const gz = file('rids.txt.gz', gzipSync(`${stuckRow().regId}\n`));
  const run = await runCli(['--file', gz, '--server', sim.url]);
  assert.equal(run.code, 2, run.stderr);
  assert.match(run.stderr, /rids\.txt\.gz: is gzip-compressed, not a text file; unpack it first \(gunzip -k\)/);
  assert.doesNotMatch(run.stderr, /UTF-16/);
  assertNothingCreated(run);
});

test('a YAML error names the file, line and column and where the unclosed bracket opened, not the text of a line', async () => {
  const yaml = file('broken.yaml', `server: ${sim.url}\nstages: [A, B\nlimit: 5\n`);
  const run = await runCli(['--db', '--config', yaml]);
  assert.equal(run.code, 2, run.stderr);
  assert.match(run.stderr, new RegExp(`${yaml}:3:1: not valid YAML`));
  assert.match(run.stderr, /the \[ opened at line 2, column 9 is not closed/);
  assert.doesNotMatch(run.stderr, /limit: 5|stages: \[A/);
  assertNothingCreated(run);
});
