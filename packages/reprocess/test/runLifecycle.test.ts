// Safe operations on a live system: dry run, canary, --all, Ctrl-C, resume and verify, with the simulator over HTTP
// and a real database. The real binary where a process is what is tested (its output and exit code, Ctrl-C, kill -9,
// `runs` and `report`); the run as the CLI makes it, in this process, where the library decides (the dry run's count,
// the canary, batches, the budget, a resume that is not killed, verify's classes).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startPipeline } from '@mosip-reprocess/simulator/sim/pipeline.js';
import { startSimulator, type RunningSimulator } from '@mosip-reprocess/simulator/sim/server.js';
import { insertRegistrations, type RegistrationRowInput } from '@mosip-reprocess/simulator/sql/registrationRows.js';
import { runCli as runCliBinary, runIdOf, type CliOptions, type CliRun } from '@mosip-reprocess/testkit/cli.js';
import { freshSchema, TEST_DB_URL, type TestSchema } from '@mosip-reprocess/testkit/db.js';
import { dryRunInProcess, runInProcess, verifyInProcess, type LibraryRun } from '@mosip-reprocess/testkit/inProcess.js';
import type { RunFlags } from 'mosip-reprocess';
import { renderDryRun } from '../src/report/dryRun.js';
import { stuckRow } from '@mosip-reprocess/testkit/rows.js';

const SECRET = 'lifecycle-secret';
let db: TestSchema;
before(async () => { db = await freshSchema('life'); });
after(async () => { await db.drop(); });

function runCli(args: string[], over: Partial<CliOptions> = {}): Promise<CliRun> {
  return runCliBinary(args, { ...over, env: { REGPROC_CLIENT_PWD: SECRET, REPROCESS_DB_URL: TEST_DB_URL, DB_SCHEMA: db.schema, ...over.env } });
}

const env = () => ({ REGPROC_CLIENT_PWD: SECRET, REPROCESS_DB_URL: TEST_DB_URL, DB_SCHEMA: db.schema });
/** The run `reprocess` would make of these flags, in this process. */
const run = (flags: RunFlags): Promise<LibraryRun> => runInProcess(flags, env());

async function scenario(rows: RegistrationRowInput[]): Promise<void> {
  await db.pool.query(`TRUNCATE "${db.schema}".registration, "${db.schema}".registration_list, "${db.schema}".registration_transaction`);
  await insertRegistrations(db.pool, db.schema, rows);
}

const totalNotifications = (sim: RunningSimulator) => sim.stats().requests.notification ?? 0;
const perPacket = (sim: RunningSimulator) => sim.stats().notificationsByWorkflowId;

function assertEachOnce(sim: RunningSimulator, rows: RegistrationRowInput[]): void {
  const counts = perPacket(sim);
  const wrong = rows.filter((r) => counts[r.workflowInstanceId] !== 1).map((r) => `${r.workflowInstanceId}: ${counts[r.workflowInstanceId] ?? 0}`);
  assert.deepEqual(wrong, [], 'every packet notified exactly once');
}

/**
 * Waits until the simulator has answered every notification it received: after a kill -9, the requests already
 * at the server still finish there (as they would at MOSIP), whatever the load. No fixed sleep.
 */
async function serverIdle(sim: RunningSimulator): Promise<void> {
  for (let waited = 0; ; waited += 10) {
    const stats = sim.stats();
    const answered = Object.values(stats.outcomes).reduce((a, b) => a + b, 0);
    if (answered >= (stats.requests.notification ?? 0)) return;
    assert.ok(waited < 60_000, `the simulator still has ${(stats.requests.notification ?? 0) - answered} notification(s) in progress after a minute`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('--dry-run sends nothing, authenticates nowhere, and its count equals a direct SQL count', async () => {
  const rows = [
    ...Array.from({ length: 12 }, () => stuckRow()),
    ...Array.from({ length: 3 }, () => stuckRow({ latestTrnTypeCode: 'QUALITY_CHECK', process: 'UPDATE' })),
    stuckRow({ statusCode: 'PROCESSED' }), stuckRow({ regProcessRetryCount: 900 }), stuckRow({ latestTrnDtimes: new Date() }),
  ];
  await scenario(rows);
  const sim = await startSimulator({ db: db.pool, schema: db.schema, clients: [{ secret: SECRET }] });
  try {
    const report = await dryRunInProcess({ db: true, limit: '5', server: sim.url }, env());
    const direct = await db.pool.query(`SELECT count(*)::int AS n FROM "${db.schema}".registration WHERE latest_trn_status_code IN ('SUCCESS', 'REPROCESS', 'IN_PROGRESS') AND reg_process_retry_count <= 500 AND latest_trn_dtimes < (NOW() AT TIME ZONE 'UTC') - INTERVAL '1 DAY' AND status_code NOT IN ('PROCESSED', 'FAILED', 'REJECTED')`);
    assert.equal(report.matched, direct.rows[0].n);
    assert.equal(report.matched, 15);
    assert.equal(report.willTake, 5);
    assert.equal(Object.values(sim.stats().requests).reduce((a, b) => a + b, 0), 0, 'the simulator received nothing');
    // With --pace auto it says what the pacer would count as dropped (and what it never re-drives).
    const paced = await dryRunInProcess({ db: true, pace: 'auto', messageMaxAge: '1h' }, env());
    assert.match(renderDryRun(paced), /Pacing \(--pace auto\)[\s\S]*dropped by the pipeline only while its row is still as the notification left it .*--message-max-age \(3600 s[\s\S]*never dropped nor sent again/);

    const text = await runCli(['--db', '--dry-run'], { env: { REGPROC_CLIENT_PWD: '' } });
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /QUALITY_CHECK/);
  } finally {
    await sim.close();
  }
});

test('--canary passes when the packet moves on, then the rest is sent', async () => {
  const rows = Array.from({ length: 6 }, () => stuckRow());
  await scenario(rows);
  const pipeline = startPipeline({ pool: db.pool, schema: db.schema, stageLatencyMs: 20, capacityPerSecond: Infinity, seed: 1 });
  const sim = await startSimulator({ db: db.pool, schema: db.schema, clients: [{ secret: SECRET }], onForward: pipeline.onForward });
  try {
    const { result, notes } = await run({ db: true, canary: true, canaryTimeout: '20s', delay: '0', server: sim.url });
    assert.equal(result.exitCode, 0, notes);
    assert.match(notes, /canary passed/);
    assertEachOnce(sim, rows);
  } finally {
    await sim.close();
    await pipeline.stop();
  }
});

test('--canary stops the run when routing is disabled: forwarded, but never left securezone', async () => {
  const rows = Array.from({ length: 5 }, () => stuckRow());
  await scenario(rows);
  const sim = await startSimulator({ db: db.pool, schema: db.schema, clients: [{ secret: SECRET }], routingEnabled: false });
  try {
    const { result, notes } = await run({ db: true, canary: true, canaryTimeout: '2s', delay: '0', server: sim.url });
    assert.equal(result.exitCode, 1);
    assert.match(notes, /canary FAILED/);
    assert.match(notes, /securezone\.routing\.enabled/);
    assert.equal(totalNotifications(sim), 1, 'only the canary was sent');
  } finally {
    await sim.close();
  }
});

test('--canary stops the run when the packet leaves securezone but the next stage fails it', async () => {
  const rows = Array.from({ length: 4 }, () => stuckRow());
  await scenario(rows);
  const pipeline = startPipeline({ pool: db.pool, schema: db.schema, stageLatencyMs: 10, capacityPerSecond: Infinity, failureRate: 1, failureMode: 'FAILED', seed: 2 });
  const sim = await startSimulator({ db: db.pool, schema: db.schema, clients: [{ secret: SECRET }], onForward: pipeline.onForward });
  try {
    const { result, notes } = await run({ db: true, canary: true, canaryTimeout: '20s', delay: '0', server: sim.url });
    assert.equal(result.exitCode, 1);
    assert.match(notes, /canary FAILED: .*left securezone but UPLOAD_PACKET ended FAILED/);
    assert.match(notes, /a later stage is failing/);
    assert.equal(totalNotifications(sim), 1, 'only the canary was sent');
  } finally {
    await sim.close();
    await pipeline.stop();
  }
});

test('--all runs batches until nothing is left and never re-sends a workflow id whose reply was null', async () => {
  // Inactive rows are selected by the guide's query but the stage cannot find them: `null`, row untouched,
  // still eligible for every later batch.
  const inactive = Array.from({ length: 3 }, () => stuckRow({ isActive: false }));
  const rows = [...Array.from({ length: 7 }, () => stuckRow()), ...inactive];
  await scenario(rows);
  const sim = await startSimulator({ db: db.pool, schema: db.schema, clients: [{ secret: SECRET }] });
  try {
    const { result, notes } = await run({ db: true, all: true, limit: '2', delay: '0', server: sim.url });
    assert.equal(result.exitCode, 1, notes); // the null replies are not "forwarded"
    assertEachOnce(sim, rows);
    const { summary } = result;
    assert.equal(summary.sent, 10);
    assert.equal(summary.counts.not_found, 3);
    assert.ok(summary.batches >= 5, `batches: ${summary.batches}`);
    assert.match(notes, /batch 1: up to 2 packets/);
  } finally {
    await sim.close();
  }
});

test('--max-packets stops an --all run at the budget', async () => {
  const rows = Array.from({ length: 9 }, () => stuckRow());
  await scenario(rows);
  const sim = await startSimulator({ db: db.pool, schema: db.schema, clients: [{ secret: SECRET }] });
  try {
    const { result, notes } = await run({ db: true, all: true, limit: '2', maxPackets: '5', delay: '0', server: sim.url });
    assert.equal(result.exitCode, 0, notes);
    assert.equal(totalNotifications(sim), 5);
  } finally {
    await sim.close();
  }
});

test('SIGTERM (a pod stopped) writes a consistent journal and summary and exits 143; --resume sends the rest exactly once', async () => {
  const rows = Array.from({ length: 12 }, () => stuckRow());
  await scenario(rows);
  const sim = await startSimulator({ db: db.pool, schema: db.schema, clients: [{ secret: SECRET }] });
  try {
    const first = await runCli(['--db', '--delay', '0.15', '--server', sim.url], {
      onSpawn(child, output) {
        const timer = setInterval(() => {
          if ((output.stdout().match(/forwarded/g) ?? []).length >= 3) {
            clearInterval(timer);
            child.kill('SIGTERM');
          }
        }, 20);
      },
    });
    assert.equal(first.code, 143, first.stderr);
    assert.match(first.stderr, /^SIGTERM: stopping: no new packets/m);
    assert.match(first.stderr, /^stopped: stopped by SIGTERM$/m);
    assert.doesNotMatch(first.stderr, /Ctrl-C:/, 'a SIGTERM is not reported as Ctrl-C');
    const id = runIdOf(first);
    assert.match(first.stderr, new RegExp(`reprocess --resume ${id}`));
    const journal = readFileSync(join(first.runsDir, id, 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { t: string; wf?: string });
    const sends = journal.filter((r) => r.t === 'send').map((r) => r.wf);
    const results = journal.filter((r) => r.t === 'result').map((r) => r.wf);
    assert.deepEqual(results.sort(), sends.sort(), 'every send has its result');
    assert.equal(journal.at(-1)!.t, 'end');
    assert.ok(sends.length >= 3 && sends.length < 12, `sent ${sends.length}`);
    const summary = JSON.parse(readFileSync(join(first.runsDir, id, 'summary.json'), 'utf8')) as { stop: { kind: string } };
    assert.equal(summary.stop.kind, 'interrupted');

    // The resume is the library's: it runs in this process, as the CLI makes it.
    const second = await runInProcess({ resume: id, delay: '0' }, env(), { logDir: first.logDir });
    assert.equal(second.result.exitCode, 0, second.notes);
    assert.match(second.notes, /already done in this run are skipped/);
    assertEachOnce(sim, rows);

    const report = await runCli(['report', id], { logDir: first.logDir });
    assert.equal(report.code, 0, report.stderr);
    assert.match(report.stdout, /forwarded/);
    const runs = await runCli(['runs', '--json'], { logDir: first.logDir });
    const listed = JSON.parse(runs.stdout) as { runId: string; status: string; counts: Record<string, number> }[];
    assert.equal(listed.find((r) => r.runId === id)?.counts.forwarded, 12);
  } finally {
    await sim.close();
  }
});

test('verify classifies what became of each forwarded packet', async () => {
  const rows = Array.from({ length: 8 }, () => stuckRow());
  await scenario(rows);
  const pipeline = startPipeline({ pool: db.pool, schema: db.schema, stageLatencyMs: 5, capacityPerSecond: Infinity, seed: 3 });
  const sim = await startSimulator({ db: db.pool, schema: db.schema, clients: [{ secret: SECRET }], onForward: pipeline.onForward });
  try {
    const first = await run({ db: true, delay: '0', limit: '5', server: sim.url });
    assert.equal(first.result.exitCode, 0, first.notes);
    await pipeline.drain(20_000);
    const report = await verifyInProcess(first.result.runId, first.runsDir, env());
    assert.equal(report.total, 5);
    assert.equal(report.counts.processed, 5);

    sim.setRoutingEnabled(false);
    const stuck = await run({ db: true, delay: '0', server: sim.url });
    assert.equal(stuck.result.exitCode, 0, stuck.notes);
    const report2 = await verifyInProcess(stuck.result.runId, stuck.runsDir, env());
    assert.equal(report2.counts.at_securezone, 3);
    assert.equal(report2.attention.length, 3);
  } finally {
    await sim.close();
    await pipeline.stop();
  }
});

test('kill -9 at several points, then --resume: every packet is processed exactly once', async () => {
  const rows = Array.from({ length: 60 }, () => stuckRow());
  await scenario(rows);
  // Slow replies keep several requests in flight, so the kills land between a send and its reply too.
  const sim = await startSimulator({ db: db.pool, schema: db.schema, clients: [{ secret: SECRET }], faults: { slowRangeMs: [20, 150], seed: 5 } });
  const killAfter = (results: number): Partial<CliOptions> => ({
    onSpawn(child, output) {
      const timer = setInterval(() => {
        if ((output.stdout().match(/"type":"packet"/g) ?? []).length >= results) {
          clearInterval(timer);
          child.kill('SIGKILL');
        }
      }, 5);
      child.on('exit', () => clearInterval(timer));
    },
  });
  try {
    // --timeout 1: a resume waits 2 x --timeout before sending again what the killed run had in flight.
    const args = ['--delay', '0', '--concurrency', '4', '--timeout', '1', '--json'];
    const first = await runCli(['--db', ...args, '--server', sim.url], killAfter(10));
    assert.equal(first.code, 137, 'killed');
    const id = runIdOf(first);
    const resume = (over: Partial<CliOptions> = {}) => runCli(['--resume', id, ...args], { logDir: first.logDir, ...over });
    await serverIdle(sim); // requests already at the server finish, as they would in real life
    const second = await resume(killAfter(15));
    assert.equal(second.code, 137, 'killed again');
    await serverIdle(sim);
    // The last resume, which is not killed, runs in this process, as the CLI makes it.
    const third = await runInProcess({ resume: id, delay: '0', concurrency: '4', timeout: '1' }, env(), { logDir: first.logDir });
    assert.equal(third.result.exitCode, 0, third.notes);

    const journal = readFileSync(join(first.runsDir, id, 'journal.jsonl'), 'utf8');
    const inDoubt = (journal.match(/"t":"in_doubt"/g) ?? []).length;
    console.log(`# kill -9 twice: ${inDoubt} packets were in doubt on resume`);
    const { rows: committed } = await db.pool.query<{ packets: number; once: number }>(
      `SELECT count(*)::int AS packets, count(*) FILTER (WHERE n = 1)::int AS once FROM (
         SELECT reg_id, count(*) AS n FROM "${db.schema}".registration_transaction
          WHERE trn_type_code = 'SECUREZONE_NOTIFICATION' GROUP BY reg_id) t`);
    assert.deepEqual(committed[0], { packets: 60, once: 60 }, 'the stage processed each packet exactly once');
    assertEachOnce(sim, rows);

    // The whole run, across its three attempts, is accounted for: the packets the resumes settled as
    // delivered (in doubt, found delivered in the database) included.
    const summary = JSON.parse(readFileSync(join(first.runsDir, id, 'summary.json'), 'utf8')) as { alreadyDone: number; sent: number; attempts: unknown[] };
    assert.equal(summary.attempts.length, 1, 'the killed attempts wrote no summary; the last one did');
    assert.equal(summary.alreadyDone + summary.sent, 60, 'the last attempt counts what it skipped as already done');
    const runs = await runCli(['runs', '--json'], { logDir: first.logDir });
    const listed = JSON.parse(runs.stdout) as { runId: string; notified: number; attempts: number; unfinished: boolean }[];
    const mine = listed.find((r) => r.runId === id)!;
    assert.equal(mine.notified, 60, 'runs counts every packet notified in any attempt');
    assert.equal(mine.attempts, 3);
    assert.equal(mine.unfinished, false);
    const verify = await verifyInProcess(id, first.runsDir, env(), { dbUrl: TEST_DB_URL, schema: db.schema });
    assert.equal(verify.total, 60, 'verify covers every packet the stage handled');
    const report = await runCli(['report', id], { logDir: first.logDir });
    assert.match(report.stdout, /Whole run \(3 attempt\(s\)\)/);
    assert.match(report.stdout, /packets notified +60/);
    assert.match(report.stdout, / 1\. run .*no end recorded/);
    assert.match(report.stdout, / 3\. resume .*settled in doubt: \d+ delivered/);
  } finally {
    await sim.close();
  }
});

test('a resumed run keeps to its --limit, counting the in-doubt packets the database shows delivered', async () => {
  const rows = Array.from({ length: 12 }, () => stuckRow());
  await scenario(rows);
  const sim = await startSimulator({ db: db.pool, schema: db.schema, clients: [{ secret: SECRET }], faults: { slowMs: 150, seed: 9 } });
  try {
    const args = ['--db', '--limit', '6', '--delay', '0', '--concurrency', '3', '--timeout', '1', '--json', '--server', sim.url];
    const first = await runCli(args, {
      onSpawn(child, output) {
        const timer = setInterval(() => {
          if ((output.stdout().match(/"type":"packet"/g) ?? []).length >= 1) {
            clearInterval(timer);
            child.kill('SIGKILL');
          }
        }, 5);
        child.on('exit', () => clearInterval(timer));
      },
    });
    assert.equal(first.code, 137);
    await serverIdle(sim);
    const second = await runInProcess({ resume: runIdOf(first) }, env(), { logDir: first.logDir });
    assert.equal(second.result.exitCode, 0, second.notes);
    const notified = Object.values(perPacket(sim)).filter((n) => n > 0).length;
    assert.equal(notified, 6, 'exactly --limit packets in the whole run');
    assert.ok(Object.values(perPacket(sim)).every((n) => n === 1));
  } finally {
    await sim.close();
  }
});
