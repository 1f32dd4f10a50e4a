// --pace auto through the real binary: refused without a database; packets the pipeline dropped are named (the
// journal, the summary, verify) and sent again by --resume. "The pipeline" here is the securezone stage with
// nothing consuming its messages (the simulator without its pipeline model): every forwarded row stays where the
// stage left it, as after MOSIP dropped the message, so a short --message-max-age makes drops certain.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { randomUUID } from 'node:crypto';
import { startSimulator } from '@mosip-reprocess/simulator/sim/server.js';
import { insertRegistrations } from '@mosip-reprocess/simulator/sql/registrationRows.js';
import { runCli as runCliBinary, runIdOf, type CliOptions, type CliRun } from '@mosip-reprocess/testkit/cli.js';
import { freshSchema, TEST_DB_URL, type TestSchema } from '@mosip-reprocess/testkit/db.js';
import { runInProcess, verifyInProcess } from '@mosip-reprocess/testkit/inProcess.js';
import { stuckRow } from '@mosip-reprocess/testkit/rows.js';
import { parsePrometheusText, sampleValue, startPushgatewayStandIn } from '@mosip-reprocess/testkit/prometheus.js';

const SECRET = 'pace-secret';
let db: TestSchema;
before(async () => { db = await freshSchema('pace'); });
after(async () => { await db.drop(); });

const env = () => ({ REGPROC_CLIENT_PWD: SECRET, REPROCESS_DB_URL: TEST_DB_URL, DB_SCHEMA: db.schema });
function runCli(args: string[], over: Partial<CliOptions> = {}): Promise<CliRun> {
  return runCliBinary(args, { ...over, env: { ...env(), ...over.env } });
}

test('--pace auto without a database is refused with exit 2 and says why; nothing is sent', async () => {
  const sim = await startSimulator({ db: db.pool, schema: db.schema, clients: [{ secret: SECRET }] });
  try {
    const row = stuckRow();
    const dir = mkdtempSync(join(tmpdir(), 'reprocess-pace-'));
    const file = join(dir, 'packets.txt');
    writeFileSync(file, `${row.regId}, NEW, ${row.workflowInstanceId}\n`);
    const run = await runCliBinary(['--file', file, '--pace', 'auto', '--server', sim.url], { env: { REGPROC_CLIENT_PWD: SECRET } });
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /--pace auto sets its rate by watching the notified packets in the database/);
    assert.match(run.stderr, /nothing was sent/);
    const stray = await runCli(['--db', '--max-wait', '10m', '--server', sim.url]);
    assert.equal(stray.code, 2);
    assert.match(stray.stderr, /--max-wait sets how --pace auto paces; add --pace auto/);
    assert.equal(Object.values(sim.stats().requests).reduce((a, b) => a + b, 0), 0, 'the simulator received nothing');
  } finally {
    await sim.close();
  }
});

test('dropped packets are journaled, counted, listed by verify, and sent again by --resume', async () => {
  const rows = [stuckRow(), stuckRow()];
  await insertRegistrations(db.pool, db.schema, rows);
  const sim = await startSimulator({ db: db.pool, schema: db.schema, clients: [{ secret: SECRET }] });
  const gateway = await startPushgatewayStandIn();
  try {
    // One inside at a time: the second is sent only once the first is out, here: dropped after 2 s.
    const first = await runCli(['--db', '--limit', '2', '--pace', 'auto', '--message-max-age', '2s', '--max-in-pipeline', '1', '--json', '--server', sim.url, '--pushgateway', gateway.url]);
    assert.equal(first.code, 1, first.stderr);
    const id = runIdOf(first);
    assert.match(first.stderr, /dropped by the pipeline: \d{29} [0-9a-f-]{36}: still as the notification left it for \d+ s/);
    const summary = JSON.parse(first.stdout.trim().split('\n').at(-1)!) as { sent: number; pipeline: { dropped: number; inside: number; unseen: number } };
    assert.equal(summary.sent, 2);
    assert.equal(summary.pipeline.dropped, 1, 'the first one, before the second could go');
    assert.equal(summary.pipeline.inside + summary.pipeline.unseen, 1);
    const journal = readFileSync(join(first.runsDir, id, 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { t: string; wf?: string });
    assert.equal(journal.filter((r) => r.t === 'dropped').length, 1);
    // The final push to the Pushgateway counts the same drop, and the pace as the run last saw it.
    const pushed = parsePrometheusText(gateway.received.at(-1)!.body);
    assert.equal(gateway.received.at(-1)!.path, `/metrics/job/reprocess/run_id/${id}`);
    assert.equal(sampleValue(pushed, 'reprocess_dropped_total'), summary.pipeline.dropped);
    assert.equal(sampleValue(pushed, 'reprocess_pipeline_packets', { state: 'inside' })! + sampleValue(pushed, 'reprocess_pipeline_packets', { state: 'unseen' })!, summary.pipeline.inside + summary.pipeline.unseen);
    assert.equal(sampleValue(pushed, 'reprocess_exit_code'), 1);

    // Once the second has not moved for 2 s either, verify names both (verify and the resume run in this process,
    // as the CLI makes them).
    await sleep(2200);
    const report = await verifyInProcess(id, first.runsDir, env());
    assert.equal(report.counts.dropped, 2);
    assert.deepEqual(report.attention.map((a) => a.class), ['dropped', 'dropped']);

    // --resume sends both again: the one the run saw dropped, and the one dropped after it ended.
    const second = await runInProcess({ resume: id }, env(), { logDir: first.logDir });
    const resumed = second.result.summary;
    assert.equal(resumed.sent, 2, second.notes);
    assert.equal(resumed.pipeline?.redriven, 2);
    assert.match(second.notes, /2 packet\(s\) the pipeline dropped are sent again first/);
    const perPacket = sim.stats().notificationsByWorkflowId;
    assert.deepEqual(rows.map((r) => perPacket[r.workflowInstanceId]), [2, 2]);
  } finally {
    await gateway.close();
    await sim.close();
  }
});

test('packets a later stage holds (a person, ABIS) neither stall the pacer nor count as dropped, and a resume never sends them again', async () => {
  const rows = [stuckRow(), stuckRow(), stuckRow()];
  await db.pool.query(`TRUNCATE "${db.schema}".registration, "${db.schema}".registration_list, "${db.schema}".registration_transaction`);
  await insertRegistrations(db.pool, db.schema, rows);
  const sim = await startSimulator({ db: db.pool, schema: db.schema, clients: [{ secret: SECRET }] });
  try {
    // As each packet is forwarded, manual adjudication takes it and waits for a person (IN_PROGRESS), for longer
    // than the message age limit. One inside at a time: were held packets "inside", the run would stall on each.
    const held = (wf: string) => db.pool.query(
      `UPDATE "${db.schema}".registration SET latest_trn_type_code = 'MANUAL_ADJUDICATION', latest_trn_status_code = 'IN_PROGRESS',
          reg_stage_name = 'ManualAdjudicationStage', latest_trn_id = $2, latest_trn_dtimes = (now() AT TIME ZONE 'UTC') - interval '1 hour'
        WHERE workflow_instance_id = $1`, [wf, randomUUID()]);
    const first = await runInProcess({ db: true, pace: 'auto', messageMaxAge: '2s', maxInPipeline: '1', server: sim.url }, env(), {
      onEvent(e) { if (e.type === 'packet') void held(e.result.packet.workflowInstanceId); },
    });
    const summary = first.result.summary;
    assert.equal(summary.sent, 3, first.notes);
    assert.equal(summary.pipeline?.dropped, 0, 'a held packet is not dropped');
    // Each is held once the watcher has seen manual adjudication's write (the last one may not be seen yet).
    const p = summary.pipeline!;
    assert.equal(p.held + p.inside + p.unseen, 3, JSON.stringify(p));
    assert.ok(p.held >= 2, JSON.stringify(p));
    assert.equal(first.result.exitCode, 0, first.notes);
    // A resume looks for late drops: held packets are not among them.
    const again = await runInProcess({ resume: first.result.runId }, env(), { logDir: first.logDir });
    assert.equal(again.result.summary.sent, 0, again.notes);
    assert.deepEqual(rows.map((r) => sim.stats().notificationsByWorkflowId[r.workflowInstanceId]), [1, 1, 1]);
  } finally {
    await sim.close();
  }
});
