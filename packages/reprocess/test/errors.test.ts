// Errors mapped honestly: exit 2 bad input (nothing sent, nothing created), 3 unreachable, 4 a bug (stack with
// --debug); an error after packets went out says what was sent and how to continue; every check of the
// settings happens before a token is fetched or anything is written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeRid } from '@mosip-reprocess/contract/rid.js';
import { startSimulator } from '@mosip-reprocess/simulator/sim/server.js';
import { runCli } from '@mosip-reprocess/testkit/cli.js';
import { freshSchema, TEST_DB_URL } from '@mosip-reprocess/testkit/db.js';
import { dryRunInProcess } from '@mosip-reprocess/testkit/inProcess.js';
import { stuckRow } from '@mosip-reprocess/testkit/rows.js';
import { insertRegistrations } from '@mosip-reprocess/simulator/sql/registrationRows.js';
import { InputError, UnreachableError } from '../src/errors.js';
import { reportFailure, type Io } from '../src/cli/runCommand.js';
import { RunInterrupted } from '../src/run/reprocess.js';

function captured(debug = false): Io & { lines: string[] } {
  const lines: string[] = [];
  return { lines, out: (l) => lines.push(l), err: (l) => lines.push(l), env: {}, debug };
}

test('a bug is exit code 4, says it is a bug, and shows its stack only with --debug', () => {
  const quiet = captured();
  const bug = new TypeError("Cannot read properties of undefined (reading 'rid')");
  assert.equal(reportFailure(bug, quiet), 4);
  assert.match(quiet.lines.join('\n'), /internal error \(a bug in reprocess/);
  assert.doesNotMatch(quiet.lines.join('\n'), /at .*\.js:\d+/, 'no stack without --debug');
  assert.match(quiet.lines.join('\n'), /--debug/);
  const loud = captured(true);
  assert.equal(reportFailure(bug, loud), 4);
  assert.match(loud.lines.join('\n'), /TypeError: Cannot read properties/);
  assert.match(loud.lines.join('\n'), /at /, 'the stack with --debug');
});

test('input and reachability errors keep their codes; before any send they say nothing was sent', () => {
  const a = captured();
  assert.equal(reportFailure(new InputError('--delay: not a number'), a), 2);
  assert.deepEqual(a.lines, ['error: --delay: not a number', 'nothing was sent']);
  const b = captured();
  assert.equal(reportFailure(new UnreachableError('cannot reach the database'), b), 3);
});

test('an error after packets went out says how many were sent and how to continue, never "nothing was sent"', () => {
  const io = captured();
  const err = new RunInterrupted(new InputError('line 7: bad RID'), '20261130-040000-abcd', 12, 'reprocess --resume 20261130-040000-abcd --runs-dir /data/runs');
  assert.equal(reportFailure(err, io), 2);
  const text = io.lines.join('\n');
  assert.doesNotMatch(text, /nothing was sent/);
  assert.match(text, /12 packet\(s\) had been sent in run 20261130-040000-abcd/);
  assert.match(text, /reprocess --resume 20261130-040000-abcd --runs-dir \/data\/runs/);
});

test('--canary without a database is refused before a token is fetched and before any run directory exists', async () => {
  const db = await freshSchema('errs');
  const sim = await startSimulator({ db: db.pool, schema: db.schema, clients: [{ secret: 's3cret' }] });
  try {
    const dir = mkdtempSync(join(tmpdir(), 'reprocess-canary-'));
    const file = join(dir, 'packets.txt');
    writeFileSync(file, `${makeRid(10001, 10104, 5, new Date(Date.UTC(2022, 7, 9, 11, 37, 48)))}, NEW, 2b0c8f0e-7a52-4a4b-9d1c-7d7a3f8f1f10\n`);
    const run = await runCli(['--file', file, '--canary', '--server', sim.url], { env: { REGPROC_CLIENT_PWD: 's3cret' }, logDir: dir });
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /--canary watches the packet in the database/);
    assert.match(run.stderr, /nothing was sent/);
    assert.equal(Object.values(sim.stats().requests).reduce((x, y) => x + y, 0), 0, 'no token fetched, nothing sent');
    assert.equal(existsSync(run.runsDir), false, 'no run directory created');
  } finally {
    await sim.close();
    await db.drop();
  }
});

/** The exit code and the lines reportFailure gives an error, as the CLI prints them. */
function reported(err: unknown): { code: number; text: string } {
  const io = captured();
  const code = reportFailure(err, io);
  return { code, text: io.lines.join('\n') };
}

test('operator errors are not bugs: a database user without the privileges to read exits 3 saying what to grant', async () => {
  const db = await freshSchema('perm');
  const role = `reprocess_noperm_${process.pid}`;
  await insertRegistrations(db.pool, db.schema, [stuckRow()]);
  await db.pool.query(`CREATE ROLE ${role} LOGIN PASSWORD 'np'`);
  try {
    const url = new URL(TEST_DB_URL);
    url.username = role;
    url.password = 'np';
    const env = { REGPROC_CLIENT_PWD: 'x', REPROCESS_DB_URL: url.href, DB_SCHEMA: db.schema };
    for (const flags of [{ db: true }, { registration: [stuckRow().regId] }]) {
      const err = await dryRunInProcess(flags, env).then(() => null, (e: unknown) => e);
      const { code, text } = reported(err);
      assert.equal(code, 3, text);
      assert.match(text, /refused a read: permission denied for schema .* \(SQLSTATE 42501\)\. The tool only reads: its database user needs USAGE .* and SELECT on/);
      assert.doesNotMatch(text, /internal error|a bug/);
    }
  } finally {
    await db.pool.query(`DROP ROLE IF EXISTS ${role}`);
    await db.drop();
  }
});

test('operator errors are not bugs: a --db-url whose password is not percent-encoded exits 2 saying how to encode it, never showing it', async () => {
  const cases = [
    'postgres://regprcuser:pa#ss-word-1@db.example:5432/mosip_regprc', // everything after # is dropped: the wrong host
    'postgres://regprcuser:pa/ss-word-1@db.example:5432/mosip_regprc', // the driver cannot parse it
    'postgres://regprcuser:12?ss-word-1@db.example:5432/mosip_regprc', // the rest becomes a query string
    'postgres://regprcuser:pa%ss-word-1@db.example:5432/mosip_regprc', // a % that starts no escape
  ];
  for (const dbUrl of cases) {
    for (const [flags, env] of [[{ db: true, dbUrl }, {}], [{ db: true }, { REPROCESS_DB_URL: dbUrl }]] as const) {
      const err = await dryRunInProcess(flags, { REGPROC_CLIENT_PWD: 'x', ...env }).then(() => null, (e: unknown) => e);
      const { code, text } = reported(err);
      assert.equal(code, 2, `${dbUrl}: ${text}`);
      assert.match(text, /(--db-url|REPROCESS_DB_URL).*must be percent-encoded \(@ as %40/);
      assert.doesNotMatch(text, /ss-word-1/);
    }
  }
});
