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
import { freshSchema } from '@mosip-reprocess/testkit/db.js';
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
