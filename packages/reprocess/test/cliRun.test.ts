// The `reprocess` command end to end: the real binary in a child process, the simulator over HTTP, a real
// database. Exit codes, what is sent, that --delay reaches the pacer, and that no secret reaches any output or file.
// What only the library decides (--limit, what --file and --registration read) runs in this process, as the CLI
// makes the run (testkit's runInProcess). One simulator for the file, its counts cleared before each test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeRid } from '@mosip-reprocess/contract/rid.js';
import { startSimulator } from '@mosip-reprocess/simulator/sim/server.js';
import { insertRegistrations, type RegistrationRowInput } from '@mosip-reprocess/simulator/sql/registrationRows.js';
import { freePort } from '@mosip-reprocess/simulator/embedded/pglite.js';
import { allText, runCli as runCliBinary, type CliRun } from '@mosip-reprocess/testkit/cli.js';
import { stuckRow } from '@mosip-reprocess/testkit/rows.js';
import { ManualClock } from '@mosip-reprocess/testkit/manualClock.js';
import { ignoreEvents, resolveRunRequest, runReprocess } from '../src/index.js';
import { TEST_DB_URL } from '@mosip-reprocess/testkit/db.js';
import { simulatorForFile } from '@mosip-reprocess/testkit/fileSimulator.js';
import { runInProcess } from '@mosip-reprocess/testkit/inProcess.js';

const CLIENT_SECRET = 'Cl13nt-S3cret-do-not-print';
const DB_PASSWORD = 'Db-Pa55word-do-not-print';
const file = simulatorForFile('run', CLIENT_SECRET);

function runCli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return runCliBinary(args, {
    env: { REGPROC_CLIENT_PWD: CLIENT_SECRET, REPROCESS_DB_URL: TEST_DB_URL, DB_PWD: DB_PASSWORD, DB_SCHEMA: file.db.schema, ...env },
  });
}

async function scenario(rows: RegistrationRowInput[]): Promise<void> {
  await file.db.pool.query(`TRUNCATE "${file.db.schema}".registration, "${file.db.schema}".registration_list, "${file.db.schema}".registration_transaction`);
  await insertRegistrations(file.db.pool, file.db.schema, rows);
}

/** The file's simulator with its counts cleared; with `roles`, a simulator of its own whose client has them. */
async function withSim<T>(fn: (url: string, sim: Awaited<ReturnType<typeof startSimulator>>) => Promise<T>, roles?: string[]): Promise<T> {
  if (!roles) return file.withSim(fn);
  const sim = await startSimulator({ db: file.db.pool, schema: file.db.schema, clients: [{ secret: CLIENT_SECRET, roles }] });
  try {
    return await fn(sim.url, sim);
  } finally {
    await sim.close();
  }
}

const libraryEnv = () => ({ REGPROC_CLIENT_PWD: CLIENT_SECRET, REPROCESS_DB_URL: TEST_DB_URL, DB_SCHEMA: file.db.schema });

/** Notification requests the simulator received, authenticated or not. */
const notifications = (sim: Awaited<ReturnType<typeof startSimulator>>) => sim.stats().requests.notification ?? 0;

test('--db sends every eligible packet once, exits 0, and logs to out.log and last.log', async () => {
  const eligible = [stuckRow(), stuckRow({ process: 'UPDATE', source: 'RESIDENT', iteration: 2 }), stuckRow({ source: null })];
  await scenario([...eligible, stuckRow({ statusCode: 'PROCESSED' }), stuckRow({ regProcessRetryCount: 501 })]);
  await withSim(async (url, sim) => {
    const run = await runCli(['--db', '--server', url, '--delay', '0']);
    assert.equal(run.code, 0, run.stderr);
    for (const r of eligible) {
      assert.match(run.stdout, new RegExp(`${r.regId}\\s+${r.workflowInstanceId}\\s+\\w+\\s+forwarded`));
      assert.equal(sim.stats().notificationsByWorkflowId[r.workflowInstanceId], 1);
    }
    assert.equal(notifications(sim), 3);
    assert.match(run.stdout, /forwarded\s+3/);
    const last = readFileSync(join(run.logDir, 'last.log'), 'utf8');
    assert.match(last, /^run \d{8}-\d{6}-[0-9a-f]{4} started/);
    assert.equal(last.split('forwarded  (HTTP 200').length - 1, 3);
    assert.ok(readFileSync(join(run.logDir, 'out.log'), 'utf8').includes(last.trim()));
  });
});

test('--limit 1 sends exactly one packet (the guide\'s "try one first")', async () => {
  await scenario([stuckRow(), stuckRow(), stuckRow()]);
  await withSim(async (url, sim) => {
    const { result, notes } = await runInProcess({ db: true, server: url, delay: '0', limit: '1' }, libraryEnv());
    assert.equal(result.exitCode, 0, notes);
    assert.equal(result.summary.sent, 1);
    assert.equal(notifications(sim), 1);
  });
});

test('a packet that is not forwarded makes the exit code 1; --json gives one JSON object per line', async () => {
  const first = stuckRow({ crDtimes: new Date(Date.now() - 10 * 86_400_000) });
  const duplicate = stuckRow({ regId: first.regId });
  await scenario([first, duplicate]);
  await withSim(async (url) => {
    const run = await runCli(['--db', '--server', url, '--delay', '0', '--json']);
    assert.equal(run.code, 1, run.stderr);
    const lines = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const outcomes = lines.filter((l) => l.type === 'packet').map((l) => l.outcome).sort();
    assert.deepEqual(outcomes, ['forwarded', 'not_uploaded']);
    const summary = lines.find((l) => l.type === 'summary') as { counts: Record<string, number>; exitCode: number };
    assert.equal(summary.counts.forwarded, 1);
    assert.equal(summary.counts.not_uploaded, 1);
    assert.equal(summary.exitCode, 1);
  });
});

test('403 stops the run after the first packet with exit code 3', async () => {
  await scenario([stuckRow(), stuckRow(), stuckRow()]);
  await withSim(async (url, sim) => {
    const run = await runCli(['--db', '--server', url, '--delay', '0']);
    assert.equal(run.code, 3);
    assert.match(run.stdout + run.stderr, /REGISTRATION_PROCESSOR/);
    assert.equal(notifications(sim), 1);
  }, ['SOME_OTHER_ROLE']);
});

test('bad input exits 2 and sends nothing', async () => {
  await scenario([stuckRow()]);
  await withSim(async (url, sim) => {
    const dir = mkdtempSync(join(tmpdir(), 'reprocess-in-'));
    const file = join(dir, 'rids.txt');
    writeFileSync(file, `${makeRid(10001, 10001, 1, new Date('2024-01-01T00:00:00Z'))}, NEW, ${randomUUID()}\n1234, NEW, ${randomUUID()}\n`);
    const bad = await runCli(['--file', file, '--server', url]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, new RegExp(`${file.replace(/[.]/g, '\\.')}:2`));
    assert.match(bad.stderr, /nothing was sent/);

    const noSecret = await runCli(['--db', '--server', url], { REGPROC_CLIENT_PWD: '' });
    assert.equal(noSecret.code, 2);
    assert.match(noSecret.stderr, /REGPROC_CLIENT_PWD/);

    const twoSources = await runCli(['--db', '--file', file, '--server', url]);
    assert.equal(twoSources.code, 2);
    const stagesWithout2 = await runCli(['--db', '--stages', 'X_STAGE', '--server', url]);
    assert.equal(stagesWithout2.code, 2);
    const badDelay = await runCli(['--db', '--delay', 'soon', '--server', url]);
    assert.equal(badDelay.code, 2);
    assert.match(badDelay.stderr, /--delay/);

    assert.equal(Object.values(sim.stats().requests).reduce((a, b) => a + b, 0), 0);
  });
});

test('unreachable database, server or wrong secret exit 3', async () => {
  await scenario([stuckRow()]);
  const deadPort = await freePort();
  await withSim(async (url, sim) => {
    const noDb = await runCli(['--db', '--server', url], { REPROCESS_DB_URL: `postgres://postgres@127.0.0.1:${deadPort}/x` });
    assert.equal(noDb.code, 3);
    assert.match(noDb.stderr, /cannot reach the database/);

    const noServer = await runCli(['--db', '--server', `http://127.0.0.1:${deadPort}`]);
    assert.equal(noServer.code, 3);
    assert.match(noServer.stderr + noServer.stdout, /ECONNREFUSED/);

    const wrongSecret = await runCli(['--db', '--server', url], { REGPROC_CLIENT_PWD: 'not-the-secret' });
    assert.equal(wrongSecret.code, 3);
    assert.equal(notifications(sim), 0);
  });
});

test('--file with MOSIP\'s quoted format and --registration both go through', async () => {
  const a = stuckRow();
  const b = stuckRow({ process: 'LOST' });
  await scenario([a, b]);
  await withSim(async (url, sim) => {
    const dir = mkdtempSync(join(tmpdir(), 'reprocess-in-'));
    const file = join(dir, 'rids.txt');
    writeFileSync(file, `# from the wiki\r\n'${a.regId}', 'NEW', '${a.workflowInstanceId}'\r\n\r\n${b.regId}\r\n`);
    const run = await runInProcess({ file, server: url, delay: '0' }, libraryEnv());
    assert.equal(run.result.exitCode, 0, run.notes);
    assert.equal(sim.stats().notificationsByWorkflowId[a.workflowInstanceId], 1);
    assert.equal(sim.stats().notificationsByWorkflowId[b.workflowInstanceId], 1);

    // The same packet again at once: its row was just written (by the run above), so it is held back (it may still
    // be in the pipeline: a re-run after a crash must not send it twice) unless --allow-short-window says so.
    const again = await runInProcess({ registration: [`${a.regId}, NEW, ${a.workflowInstanceId}`], server: url, delay: '0' }, libraryEnv());
    assert.match(again.notes, new RegExp(`--registration: ${a.regId} ${a.workflowInstanceId}: skipped: latest_trn_dtimes \\S+ is within 6300 s`));
    assert.equal(again.result.summary.sent, 0);
    assert.equal(again.result.summary.heldBack, 1);
    assert.equal(sim.stats().notificationsByWorkflowId[a.workflowInstanceId], 1);
    const one = await runInProcess({ registration: [`${a.regId}, NEW, ${a.workflowInstanceId}`], server: url, delay: '0', allowShortWindow: true }, libraryEnv());
    assert.equal(one.result.exitCode, 0, one.notes);
    assert.equal(sim.stats().notificationsByWorkflowId[a.workflowInstanceId], 2);
  });
});

test('--delay 0.3 reaches the pacer: 5 packets, one 300 ms wait before each after the first (on a manual clock)', async () => {
  // The run as the CLI makes it (resolveRunRequest + runReprocess), with the pacer on a manual clock: exact waits,
  // no wall-clock margin. The start-to-start schedule itself is pinned in pacer.unit.ts.
  await scenario(Array.from({ length: 5 }, () => stuckRow()));
  await withSim(async (url, sim) => {
    const logDir = mkdtempSync(join(tmpdir(), 'reprocess-logs-'));
    const clock = new ManualClock();
    const request = resolveRunRequest({ db: true, server: url, delay: '0.3', logDir, runsDir: join(logDir, 'runs') },
      { REGPROC_CLIENT_PWD: CLIENT_SECRET, REPROCESS_DB_URL: TEST_DB_URL, DB_SCHEMA: file.db.schema });
    const result = await runReprocess(request, ignoreEvents, { clock });
    assert.equal(result.exitCode, 0);
    assert.equal(notifications(sim), 5);
    assert.deepEqual(clock.sleeps, [300, 300, 300, 300]);
  });
});

test('counting the held-back packets (a whole-table read) never delays the first packet; the summary still has it', async () => {
  // On 1,000,000 rows the count took 0.3 to 1.2 s and ran before the first send; now it starts once a packet is out.
  await scenario([stuckRow(), stuckRow(), stuckRow({ statusCode: 'PAUSED' })]);
  await withSim(async (url, sim) => {
    const logDir = mkdtempSync(join(tmpdir(), 'reprocess-logs-'));
    const request = resolveRunRequest({ db: true, server: url, delay: '0', logDir, runsDir: join(logDir, 'runs') },
      { REGPROC_CLIENT_PWD: CLIENT_SECRET, REPROCESS_DB_URL: TEST_DB_URL, DB_SCHEMA: file.db.schema });
    const events: string[] = [];
    const result = await runReprocess(request, (e) => {
      if (e.type === 'packet') events.push('packet');
      if (e.type === 'warning' && /left out because MOSIP would not move them now/.test(e.message)) events.push('held back: ' + e.message);
    });
    assert.equal(result.exitCode, 0);
    assert.equal(notifications(sim), 2, 'the paused packet is not sent');
    assert.equal(events[0], 'packet', `the first packet comes before the count: ${events.join(' | ')}`);
    assert.equal(events.filter((e) => e.startsWith('held back: 1 packet(s)')).length, 1, events.join(' | '));
    assert.equal(result.summary.heldBack, 1);
  });
});

test('no secret reaches stdout, stderr or the log files, whatever happens', async () => {
  await scenario([stuckRow(), stuckRow({ withoutSyncRow: true })]);
  await withSim(async (url) => {
    const runs = [
      await runCli(['--db', '--server', url, '--delay', '0']),
      await runCli(['--db', '--server', url, '--delay', '0', '--json']),
      await runCli(['--db', '--server', url], { REGPROC_CLIENT_PWD: 'Wr0ng-S3cret-do-not-print' }),
      await runCli(['--db', '--server', url, '--delay', 'x']),
    ];
    for (const run of runs) {
      const text = allText(run);
      assert.doesNotMatch(text, /Cl13nt-S3cret|Db-Pa55word|Wr0ng-S3cret/);
      assert.doesNotMatch(text, /eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/, 'no JWT');
    }
  });
});
