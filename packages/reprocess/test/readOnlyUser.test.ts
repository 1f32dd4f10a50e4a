// The tool never writes MOSIP's tables: a whole night runs as a database user that may only read them. Every
// command that touches the database does its work as a role with USAGE on the schema and SELECT on the three
// tables, nothing more: the dry run, a canary and --all batches under --pace auto, a resume, verify, the triage,
// explain, and a workflow action (the simulator, standing in for MOSIP, writes with its own connection, as MOSIP's
// services do). A statement that wrote, or a lock or temporary table the role may not take, would fail the command.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startPipeline } from '@mosip-reprocess/simulator/sim/pipeline.js';
import { startSimulator } from '@mosip-reprocess/simulator/sim/server.js';
import { insertRegistrations } from '@mosip-reprocess/simulator/sql/registrationRows.js';
import { freshSchema, NEEDS_REAL_SERVER, TEST_DB_URL, type TestSchema } from '@mosip-reprocess/testkit/db.js';
import { actionInProcess, dryRunInProcess, runInProcess, verifyInProcess } from '@mosip-reprocess/testkit/inProcess.js';
import { stuckRow } from '@mosip-reprocess/testkit/rows.js';
import { explainPacket, triageReprocess } from 'mosip-reprocess';
import { resolveTriageRequest } from 'mosip-reprocess/triage/request.js';

const SECRET = 'read-only-secret';
let db: TestSchema;
let role: string;
let readOnlyUrl: string;

before(async () => {
  if (NEEDS_REAL_SERVER) return;
  db = await freshSchema('ro');
  role = `${db.schema}_reader`;
  await db.pool.query(`CREATE ROLE "${role}" LOGIN`);
  await db.pool.query(`GRANT USAGE ON SCHEMA "${db.schema}" TO "${role}"`);
  await db.pool.query(`GRANT SELECT ON ALL TABLES IN SCHEMA "${db.schema}" TO "${role}"`);
  const url = new URL(TEST_DB_URL);
  url.username = role;
  url.password = '';
  readOnlyUrl = url.toString();
});

after(async () => {
  if (NEEDS_REAL_SERVER) return;
  await db.pool.query(`DROP OWNED BY "${role}"`);
  await db.pool.query(`DROP ROLE "${role}"`);
  await db.drop();
});

test('a whole night as a user that may only SELECT: dry run, canary, --all --pace auto, resume, verify, triage, explain, action', { skip: NEEDS_REAL_SERVER }, async () => {
  // The role really cannot write (else this test proves nothing).
  const probe = await import('pg').then(({ default: pg }) => new pg.Client({ connectionString: readOnlyUrl }));
  await probe.connect();
  await assert.rejects(probe.query(`UPDATE "${db.schema}".registration SET status_code = status_code`), /permission denied/);
  await probe.end();

  const rows = Array.from({ length: 12 }, () => stuckRow());
  const paused = stuckRow({ statusCode: 'PAUSED' });
  await insertRegistrations(db.pool, db.schema, [...rows, paused]);
  await db.pool.query(`UPDATE "${db.schema}".registration SET pause_rule_ids = 'PAUSE' WHERE workflow_instance_id = $1`, [paused.workflowInstanceId]);

  const pipeline = startPipeline({ pool: db.pool, schema: db.schema, stageLatencyMs: 5, capacityPerSecond: Infinity, seed: 4 });
  const sim = await startSimulator({ db: db.pool, schema: db.schema, clients: [{ secret: SECRET }], onForward: pipeline.onForward });
  const env = { REGPROC_CLIENT_PWD: SECRET, REPROCESS_DB_URL: readOnlyUrl, DB_SCHEMA: db.schema };
  try {
    const dry = await dryRunInProcess({ db: true }, env);
    assert.equal(dry.matched, rows.length, 'the paused packet is held back');

    const canary = await runInProcess({ db: true, canary: true, canaryTimeout: '20s', limit: '1', delay: '0', server: sim.url }, env);
    assert.equal(canary.result.exitCode, 0, canary.notes);
    // --max-packets stops the first attempt part-way; the resume (a new budget of 6) finishes it.
    // One runs directory for the night, as an operator keeps: explain and triage read every run in it.
    const first = await runInProcess({ db: true, all: true, limit: '4', pace: 'auto', messageMaxAge: '20s', maxPackets: '6', server: sim.url }, env, { logDir: canary.logDir });
    assert.equal(first.result.summary.sent, 6, first.notes);
    assert.ok(first.result.resumeCommand, 'a budget leaves the run to continue');
    const rest = await runInProcess({ resume: first.result.runId, server: sim.url }, env, { logDir: first.logDir });
    assert.equal(rest.result.exitCode, 0, rest.notes);
    assert.equal(canary.result.summary.sent + first.result.summary.sent + rest.result.summary.sent, rows.length, 'each packet once');
    const counts = sim.stats().notificationsByWorkflowId;
    assert.deepEqual(rows.filter((r) => counts[r.workflowInstanceId] !== 1).map((r) => r.workflowInstanceId), []);

    const verified = await verifyInProcess(first.result.runId, first.runsDir, env);
    assert.equal(verified.total, 6 + rest.result.summary.sent, 'the whole run: both attempts');

    const triage = await triageReprocess(resolveTriageRequest({ db: true, runsDir: first.runsDir }, env));
    assert.equal(triage.selected, 1, 'only the paused packet is still untouched for a day');
    assert.equal(triage.runWouldSend, 0, 'and a run holds it back');
    // The canary's packet (the first in workflow id order) and one the batches sent: each told by its own run.
    const byWorkflowId = [...rows].sort((a, b) => (a.workflowInstanceId < b.workflowInstanceId ? -1 : 1));
    for (const packet of [byWorkflowId[0]!, byWorkflowId.at(-1)!]) {
      const story = await explainPacket(packet.regId, { runsDir: first.runsDir }, env);
      assert.equal(story.explain.rows.length, 1);
      assert.equal(story.explain.tool.length, 1, 'the notification the run sent it');
    }

    const action = await actionInProcess('RESUME_PROCESSING', { db: true, pauseRule: 'PAUSE', delay: '0', server: sim.url }, env);
    assert.equal(action.code, 0, action.stderr);
    const { rows: [now] } = await db.pool.query(`SELECT status_code FROM "${db.schema}".registration WHERE workflow_instance_id = $1`, [paused.workflowInstanceId]);
    assert.equal(now.status_code, 'RESUMABLE', 'MOSIP (the simulator) moved it; the tool only asked');
  } finally {
    await sim.close();
    await pipeline.stop();
  }
});
