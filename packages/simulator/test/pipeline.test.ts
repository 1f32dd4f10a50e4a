// The simulated workflow behind the securezone stage (src/sim/pipeline.ts, src/sim/pipelineStep.ts): what each
// stage step writes, failures, MOSIP's limits (capacity per stage, message age, the uploader's retry budget),
// stop(), and never overwriting a row that moved underneath.
import { after, before, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { makeRid } from '@mosip-reprocess/contract/rid.js';
import { forwardedMessage, type ForwardedMessage } from '../src/sim/forwarding.js';
import {
  DEFAULT_STAGES, PipelineModel, startPipeline, STAGES_WITH_VALIDATORS, type PipelineOptions, type PipelineStepEvent,
} from '../src/sim/pipeline.js';
import { freshSchema, type TestSchema } from '@mosip-reprocess/testkit/db.js';
import { KER_PUT_020_COMMENT, OBJECT_STORE_EXCEPTION, PACKET_MANAGER_EXCEPTION, transientFailureOf } from '@mosip-reprocess/contract/history.js';

let db: TestSchema;
let seq = 0;
const running: PipelineModel[] = [];

before(async () => { db = await freshSchema('pipe'); });
after(async () => {
  await Promise.all(running.map((m) => m.stop()));
  await db.drop();
});

interface Forwarded {
  rid: string;
  workflowInstanceId: string;
  /** The transaction the securezone stage wrote (latest_trn_id when forwarded). */
  securezoneTrnId: string;
}

/** Registration rows as the securezone stage leaves them right after forwarding (latest SECUREZONE_NOTIFICATION/SUCCESS). */
async function insertForwarded(n: number, over: { latestTrnTypeCode?: string; latestTrnStatusCode?: string } = {}): Promise<Forwarded[]> {
  const rows: Forwarded[] = Array.from({ length: n }, () => ({
    rid: makeRid(10001, 10002, ++seq, new Date(Date.UTC(2024, 0, 15, 10, 0, 0))),
    workflowInstanceId: randomUUID(),
    securezoneTrnId: randomUUID(),
  }));
  await db.pool.query(
    `INSERT INTO "${db.schema}".registration
       (reg_id, process, status_code, lang_code, is_active, cr_by, cr_dtimes, workflow_instance_id,
        latest_trn_id, latest_trn_type_code, latest_trn_status_code, latest_trn_dtimes, reg_stage_name,
        last_success_stage_name, status_comment, reg_process_retry_count, trn_retry_count, source, iteration)
     SELECT r.reg_id, 'NEW', 'PROCESSING', 'eng', true, 'MOSIP_SYSTEM', now() AT TIME ZONE 'UTC', r.wf,
        r.trn, $4, $5, now() AT TIME ZONE 'UTC', 'SecurezoneNotificationStage',
        'SecurezoneNotificationStage', 'Notification received to securezone', 0, 0, 'REGISTRATION_CLIENT', 1
     FROM unnest($1::text[], $2::text[], $3::text[]) AS r(reg_id, wf, trn)`,
    [rows.map((r) => r.rid), rows.map((r) => r.workflowInstanceId), rows.map((r) => r.securezoneTrnId),
      over.latestTrnTypeCode ?? 'SECUREZONE_NOTIFICATION', over.latestTrnStatusCode ?? 'SUCCESS'],
  );
  return rows;
}

function messageFor(p: { rid: string | null; workflowInstanceId: string | null }): ForwardedMessage {
  return forwardedMessage({ rid: p.rid, regType: 'NEW', source: 'REGISTRATION_CLIENT', iteration: 1, workflowInstanceId: p.workflowInstanceId });
}

function pipeline(options: Omit<PipelineOptions, 'pool' | 'schema'>): PipelineModel {
  const model = startPipeline({ pool: db.pool, schema: db.schema, seed: 1, keepProcessAlive: true, ...options });
  running.push(model);
  return model;
}

interface RegistrationRow {
  reg_id: string;
  status_code: string;
  latest_trn_id: string | null;
  latest_trn_type_code: string | null;
  latest_trn_status_code: string | null;
  latest_trn_dtimes: Date | null;
  reg_stage_name: string | null;
  last_success_stage_name: string | null;
  status_comment: string | null;
  reg_process_retry_count: number | null;
  upd_by: string | null;
  upd_dtimes: Date | null;
}

async function registration(workflowInstanceId: string): Promise<RegistrationRow> {
  const { rows } = await db.pool.query<RegistrationRow>(
    `SELECT * FROM "${db.schema}".registration WHERE workflow_instance_id = $1`, [workflowInstanceId]);
  assert.ok(rows[0], `registration ${workflowInstanceId}`);
  return rows[0];
}

interface TransactionRow {
  id: string;
  reg_id: string;
  trn_type_code: string;
  parent_regtrn_id: string | null;
  status_code: string;
  sub_status_code: string;
  status_comment: string | null;
  ref_id: string | null;
  ref_id_type: string | null;
  remarks: string | null;
  lang_code: string;
  cr_by: string;
  cr_dtimes: Date;
}

/** The packet's transaction rows in chain order (following parent_regtrn_id from the securezone transaction). */
async function transactionChain(p: Forwarded): Promise<TransactionRow[]> {
  const { rows } = await db.pool.query<TransactionRow>(
    `SELECT * FROM "${db.schema}".registration_transaction WHERE reg_id = $1`, [p.rid]);
  const byParent = new Map(rows.map((r) => [r.parent_regtrn_id, r]));
  const chain: TransactionRow[] = [];
  for (let next = byParent.get(p.securezoneTrnId); next; next = byParent.get(next.id)) chain.push(next);
  assert.equal(chain.length, rows.length, 'every transaction row hangs off the chain');
  return chain;
}

async function transactionCount(): Promise<number> {
  const { rows } = await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${db.schema}".registration_transaction`);
  return rows[0]!.n;
}

const near = (d: Date | null, ms = 60_000): boolean => d !== null && Math.abs(d.getTime() - Date.now()) < ms;

test('a packet with no failures goes through every stage and ends PROCESSED', async () => {
  const [p] = await insertForwarded(1);
  const model = pipeline({ stageLatencyMs: 5, capacityPerSecond: Infinity, failureRate: 0 });
  model.accept(messageFor(p!));
  assert.equal(await model.drain(10_000), true);

  const row = await registration(p!.workflowInstanceId);
  assert.equal(row.status_code, 'PROCESSED');
  assert.equal(row.latest_trn_status_code, 'PROCESSED');
  assert.equal(row.latest_trn_type_code, 'PRINT_SERVICE');
  // 1.2.0.1's last stage is the credential requestor (PrintingStage was 1.1.5's class).
  assert.equal(row.reg_stage_name, 'CredentialRequestorStage');
  assert.equal(row.last_success_stage_name, 'CredentialRequestorStage');
  assert.equal(row.status_comment, 'Print request submitted');
  assert.equal(row.reg_process_retry_count, 0, 'the workflow does not count reprocessing');
  assert.equal(row.upd_by, 'MOSIP_SYSTEM');
  // Written as UTC wall-clock time: read back as UTC (createPool), it is close to now.
  assert.ok(near(row.latest_trn_dtimes), `latest_trn_dtimes ${row.latest_trn_dtimes?.toISOString()} is now (UTC)`);
  assert.ok(near(row.upd_dtimes));

  const chain = await transactionChain(p!);
  assert.deepEqual(chain.map((t) => t.trn_type_code), DEFAULT_STAGES.map((s) => s.trnTypeCode));
  assert.deepEqual(chain.map((t) => t.trn_type_code), [
    'UPLOAD_PACKET', 'VALIDATE_PACKET', 'PACKET_CLASSIFICATION', 'QUALITY_CLASSIFIER', 'DEMOGRAPHIC_VERIFICATION',
    'BIOGRAPHIC_VERIFICATION', 'UIN_GENERATOR', 'BIOMETRIC_EXTRACTION', 'FINALIZATION', 'PRINT_SERVICE',
  ]);
  assert.deepEqual(chain.map((t) => t.status_code), [...Array(9).fill('SUCCESS'), 'PROCESSED']);
  assert.equal(chain[0]!.parent_regtrn_id, p!.securezoneTrnId);
  assert.equal(chain.at(-1)!.id, row.latest_trn_id);
  assert.deepEqual(chain.map((t) => t.sub_status_code), DEFAULT_STAGES.map((s) => s.successSubStatus));
  for (const t of chain) {
    assert.equal(t.ref_id, p!.rid);
    assert.equal(t.cr_by, 'MOSIP_SYSTEM');
    assert.equal(t.lang_code, 'eng');
    assert.equal(t.remarks, 'updated registration status record');
    assert.equal(t.ref_id_type, 'updated registration record');
    assert.equal(t.id.length, 36);
    assert.ok(near(t.cr_dtimes));
  }

  const stats = model.stats();
  assert.equal(stats.accepted, 1);
  assert.equal(stats.completed, 1);
  assert.equal(stats.inFlight, 0);
  assert.equal(stats.backlog, 0);
  assert.equal(stats.pendingTimers, 0);
  assert.deepEqual(Object.keys(stats.perStage), DEFAULT_STAGES.map((s) => s.name));
  for (const counts of Object.values(stats.perStage)) assert.deepEqual(counts, { current: 0, queued: 0, passed: 1, failed: 0, reprocess: 0, superseded: 0, expired: 0, dbErrors: 0, held: 0 });
  await model.stop();
});

test('the optional validators run between the packet classifier and the quality classifier', async () => {
  const [p] = await insertForwarded(1);
  const model = pipeline({ stages: STAGES_WITH_VALIDATORS, stageLatencyMs: 0, capacityPerSecond: Infinity });
  model.accept(messageFor(p!));
  assert.equal(await model.drain(10_000), true);
  const chain = await transactionChain(p!);
  assert.deepEqual(chain.slice(2, 8).map((t) => t.trn_type_code), [
    'PACKET_CLASSIFICATION', 'CMD_VALIDATION', 'OPERATOR_VALIDATION', 'SUPERVISOR_VALIDATION', 'INTRODUCER_VALIDATION',
    'QUALITY_CLASSIFIER',
  ]);
  assert.equal((await registration(p!.workflowInstanceId)).status_code, 'PROCESSED');
});

test('failure rate 1 stops the packet at the first stage: FAILED (complete-as-failed) or REPROCESS (mark-as-reprocess)', async () => {
  const [f, r] = await insertForwarded(2);

  const failing = pipeline({ stageLatencyMs: 0, capacityPerSecond: Infinity, failureRate: 1, failureMode: 'FAILED' });
  failing.accept(messageFor(f!));
  assert.equal(await failing.drain(10_000), true);
  const failedRow = await registration(f!.workflowInstanceId);
  assert.equal(failedRow.status_code, 'FAILED');
  assert.equal(failedRow.latest_trn_status_code, 'FAILED');
  assert.equal(failedRow.latest_trn_type_code, 'UPLOAD_PACKET');
  assert.equal(failedRow.reg_stage_name, 'PacketUploaderStage');
  assert.equal(failedRow.last_success_stage_name, 'SecurezoneNotificationStage', 'kept on failure');
  assert.equal(failedRow.status_comment, 'Packet Upload Failed');
  const [failedTrn, ...noMore] = await transactionChain(f!);
  assert.equal(noMore.length, 0);
  assert.equal(failedTrn!.status_code, 'FAILED');
  assert.equal(failedTrn!.sub_status_code, 'RPR-PKU-FAILED-003');
  assert.equal(failedTrn!.parent_regtrn_id, f!.securezoneTrnId);
  assert.equal(failedRow.latest_trn_id, failedTrn!.id);
  assert.deepEqual([failing.stats().failed, failing.stats().completed, failing.stats().perStage.PacketUploaderStage!.failed], [1, 0, 1]);

  const reprocessing = pipeline({ stageLatencyMs: 0, capacityPerSecond: Infinity, failureRate: 1, failureMode: 'REPROCESS' });
  reprocessing.accept(messageFor(r!));
  assert.equal(await reprocessing.drain(10_000), true);
  const reprocessRow = await registration(r!.workflowInstanceId);
  assert.equal(reprocessRow.status_code, 'REPROCESS');
  assert.equal(reprocessRow.latest_trn_status_code, 'REPROCESS');
  assert.equal(reprocessRow.reg_stage_name, 'PacketUploaderStage');
  assert.equal(reprocessRow.latest_trn_type_code, 'UPLOAD_PACKET');
  const [reprocessTrn] = await transactionChain(r!);
  assert.equal(reprocessTrn!.status_code, 'REPROCESS');
  assert.equal(reprocessTrn!.sub_status_code, 'RPR-SYS-EXCEPTION-001');
  // The packet uploader's internal error is the object store's (PacketUploaderServiceImpl), a transient failure.
  assert.equal(reprocessRow.status_comment, OBJECT_STORE_EXCEPTION.message);
  assert.equal(transientFailureOf(reprocessTrn!.sub_status_code, reprocessRow.status_comment)?.mosipName, 'OBJECT_STORE_EXCEPTION');
  assert.equal(reprocessing.stats().reprocess, 1);
});

test('a data error does not go away: packet validation refuses again a packet the packet manager refused before (KER-PUT-020)', async () => {
  const [bad, good] = await insertForwarded(2);
  // Its history: refused at validation on an earlier pass.
  await db.pool.query(
    `INSERT INTO "${db.schema}".registration_transaction (id, reg_id, trn_type_code, status_code, sub_status_code, lang_code, status_comment, cr_by, cr_dtimes)
     VALUES ($1, $2, 'VALIDATE_PACKET', 'REPROCESS', $3, 'eng', $4, 'MOSIP_SYSTEM', (now() AT TIME ZONE 'UTC') - interval '2 days')`,
    [randomUUID(), bad!.rid, PACKET_MANAGER_EXCEPTION.code, KER_PUT_020_COMMENT]);
  const model = pipeline({ stageLatencyMs: 0, capacityPerSecond: Infinity });
  model.accept(messageFor(bad!));
  model.accept(messageFor(good!));
  assert.equal(await model.drain(10_000), true);
  const row = await registration(bad!.workflowInstanceId);
  assert.deepEqual([row.status_code, row.latest_trn_type_code, row.latest_trn_status_code, row.reg_stage_name, row.status_comment],
    ['REPROCESS', 'VALIDATE_PACKET', 'REPROCESS', 'PacketValidatorStage', KER_PUT_020_COMMENT]);
  const { rows: written } = await db.pool.query<{ step: string }>(
    `SELECT trn_type_code || ' ' || status_code || ' ' || sub_status_code AS step FROM "${db.schema}".registration_transaction
      WHERE reg_id = $1 AND parent_regtrn_id IS NOT NULL ORDER BY cr_dtimes, id`, [bad!.rid]);
  assert.deepEqual(written.map((w) => w.step), ['UPLOAD_PACKET SUCCESS RPR-PKU-SUCCESS-001', 'VALIDATE_PACKET REPROCESS RPR-PKV-FAILED-014']);
  assert.equal((await registration(good!.workflowInstanceId)).status_code, 'PROCESSED', 'the same stage passes a packet without the error');
});

test('a per-stage failure rate stops the packet in that stage', async () => {
  const [p] = await insertForwarded(1);
  const model = pipeline({ stageLatencyMs: 0, capacityPerSecond: Infinity, failureRate: { DemoDedupeStage: 1 }, failureMode: 'FAILED' });
  model.accept(messageFor(p!));
  assert.equal(await model.drain(10_000), true);
  const row = await registration(p!.workflowInstanceId);
  assert.deepEqual([row.status_code, row.reg_stage_name, row.latest_trn_type_code, row.last_success_stage_name],
    ['FAILED', 'DemoDedupeStage', 'DEMOGRAPHIC_VERIFICATION', 'QualityClassifierStage']);
  assert.equal((await transactionChain(p!)).length, 5);
});

test('the same seed gives the same outcomes for the same messages', async () => {
  const outcomes = async (seed: number): Promise<string[]> => {
    const packets = await insertForwarded(20);
    const model = pipeline({
      stages: DEFAULT_STAGES.slice(0, 3), stageLatencyMs: 0, capacityPerSecond: Infinity, failureRate: 0.3,
      failureMode: 'mixed', seed, maxConcurrentDbWork: 4,
    });
    for (const p of packets) model.accept(messageFor(p));
    assert.equal(await model.drain(10_000), true);
    const stats = model.stats();
    assert.equal(stats.completed + stats.failed + stats.reprocess, 20);
    return Promise.all(packets.map(async (p) => {
      const row = await registration(p.workflowInstanceId);
      return `${row.status_code}@${row.reg_stage_name}`;
    }));
  };
  const first = await outcomes(42);
  const again = await outcomes(42);
  assert.deepEqual(again, first);
  assert.ok(first.some((o) => o.startsWith('FAILED@')) && first.some((o) => o.startsWith('REPROCESS@')), first.join(' '));
  assert.ok(first.some((o) => o.startsWith('PROCESSED@')), first.join(' '));
});

test('capacity per stage is respected and a message older than the age limit is dropped with no database write (injected clock)', async () => {
  const packets = await insertForwarded(30);
  const events: PipelineStepEvent[] = [];
  const transactionsBefore = await transactionCount();
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
  let model: PipelineModel;
  try {
    // One stage consuming 10 messages a second; a message may wait at most 1.5 s in its queue.
    model = pipeline({
      stages: DEFAULT_STAGES.slice(0, 1), stageLatencyMs: 0, capacityPerSecond: 10, maxMessageAgeMs: 1500,
      now: () => Date.now(), onStep: (e) => events.push(e),
    });
    for (const p of packets) model.accept(messageFor(p)); // all sent at t = 0
    assert.equal(model.stats().admitted, 1, 'the first one at once');
    assert.equal(model.stats().perStage.PacketUploaderStage!.queued, 29);
    for (let t = 100; t <= 1000; t += 100) mock.timers.tick(100);
    assert.equal(model.stats().admitted, 11, 'one every 100 ms: 11 by t = 1 s');
    for (let t = 1100; t <= 2000; t += 100) mock.timers.tick(100);
    // At t = 1.5 s the message taken is exactly 1.5 s old (kept); at t = 1.6 s the next is older: it and every
    // message behind it (all sent at t = 0) are dropped unread, without using the stage's capacity.
    const stats = model.stats();
    assert.equal(stats.admitted, 16);
    assert.equal(stats.expired, 14);
    assert.equal(stats.perStage.PacketUploaderStage!.expired, 14);
    assert.equal(stats.backlog, 0);
  } finally {
    mock.timers.reset();
  }
  assert.equal(await model.drain(10_000), true);
  assert.equal(model.stats().completed, 16);
  const expired = new Set(events.filter((e) => e.outcome === 'expired').map((e) => e.workflowInstanceId));
  assert.equal(expired.size, 14);
  for (const p of packets) {
    const row = await registration(p.workflowInstanceId);
    if (expired.has(p.workflowInstanceId)) {
      // Nothing written: the row is where the securezone stage left it, and looks stuck.
      assert.equal(row.latest_trn_id, p.securezoneTrnId);
      assert.equal(row.latest_trn_type_code, 'SECUREZONE_NOTIFICATION');
      assert.equal(row.upd_by, null);
    } else {
      assert.equal(row.latest_trn_type_code, 'UPLOAD_PACKET');
      assert.equal(row.status_code, 'PROCESSED');
    }
  }
  assert.equal(await transactionCount(), transactionsBefore + 16, 'one transaction row per consumed message, none for a dropped one');
});

test('a message whose lastHopTimestamp is older than the limit (MOSIP: 3600 s) is dropped by the first stage, nothing written', async () => {
  const [old, fresh] = await insertForwarded(2);
  const model = pipeline({ stages: DEFAULT_STAGES.slice(0, 2), stageLatencyMs: 0, capacityPerSecond: Infinity });
  const transactionsBefore = await transactionCount();
  model.accept(forwardedMessage({
    rid: old!.rid, regType: 'NEW', source: 'REGISTRATION_CLIENT', iteration: 1, workflowInstanceId: old!.workflowInstanceId,
    at: new Date(Date.now() - 3_601_000),
  }));
  model.accept(messageFor(fresh!));
  assert.equal(await model.drain(10_000), true);
  const stats = model.stats();
  assert.deepEqual([stats.expired, stats.completed, stats.perStage.PacketUploaderStage!.expired], [1, 1, 1]);
  const row = await registration(old!.workflowInstanceId);
  assert.equal(row.latest_trn_id, old!.securezoneTrnId);
  assert.equal(row.upd_by, null);
  assert.deepEqual(await transactionChain(old!), []);
  assert.equal(await transactionCount(), transactionsBefore + 2, 'only the fresh packet wrote its two steps');
});

test('the packet uploader counts every pass in trn_retry_count and fails the packet on the pass that reaches the limit', async () => {
  const [nearLimit, atLimit] = await insertForwarded(2);
  await db.pool.query(`UPDATE "${db.schema}".registration SET trn_retry_count = $2 WHERE workflow_instance_id = $1`, [nearLimit!.workflowInstanceId, 7]);
  await db.pool.query(`UPDATE "${db.schema}".registration SET trn_retry_count = $2 WHERE workflow_instance_id = $1`, [atLimit!.workflowInstanceId, 9]);
  const model = pipeline({ stages: DEFAULT_STAGES.slice(0, 2), stageLatencyMs: 0, capacityPerSecond: Infinity, uploadRetryLimit: 10 });
  model.accept(messageFor(nearLimit!));
  model.accept(messageFor(atLimit!));
  assert.equal(await model.drain(10_000), true);

  const passed = await db.pool.query(`SELECT trn_retry_count, status_code FROM "${db.schema}".registration WHERE workflow_instance_id = $1`, [nearLimit!.workflowInstanceId]);
  assert.deepEqual(passed.rows[0], { trn_retry_count: 8, status_code: 'PROCESSED' }, 'pass 8 of 10: uploaded, the packet goes on');

  const failed = await db.pool.query(`SELECT trn_retry_count, status_code, latest_trn_type_code, latest_trn_status_code, reg_stage_name, status_comment
    FROM "${db.schema}".registration WHERE workflow_instance_id = $1`, [atLimit!.workflowInstanceId]);
  assert.deepEqual(failed.rows[0], {
    trn_retry_count: 10, status_code: 'FAILED', latest_trn_type_code: 'UPLOAD_PACKET', latest_trn_status_code: 'FAILED',
    reg_stage_name: 'PacketUploaderStage', status_comment: 'Retry count has exceeded the maximum limit specified',
  });
  const chain = await transactionChain(atLimit!);
  assert.deepEqual(chain.map((t) => [t.trn_type_code, t.status_code, t.sub_status_code]), [['UPLOAD_PACKET', 'FAILED', 'RPR-PKU-FAILED-009']]);
  const stats = model.stats();
  assert.deepEqual([stats.failed, stats.retryBudgetFailed, stats.completed], [1, 1, 1]);
});

test('stop() cancels every timer, drops the rest, and nothing changes afterwards', async () => {
  const packets = await insertForwarded(30);
  const model = pipeline({ stageLatencyMs: 40, capacityPerSecond: 10 });
  for (const p of packets) model.accept(messageFor(p));
  // Busy: a few admitted and moving through the stages (400 ms each), most still waiting (3 s of backlog).
  while (model.stats().admitted < 3) await sleep(20);
  const busy = model.stats();
  assert.ok(busy.inFlight > 0 && busy.backlog > 0 && busy.pendingTimers > 0, JSON.stringify(busy));

  await model.stop();
  const stopped = model.stats();
  assert.equal(stopped.stopped, true);
  assert.equal(stopped.pendingTimers, 0);
  assert.equal(stopped.backlog, 0);
  assert.equal(stopped.inFlight, 0);
  assert.equal(stopped.completed + stopped.failed + stopped.reprocess + stopped.superseded + stopped.dropped, 30);
  for (const counts of Object.values(stopped.perStage)) assert.equal(counts.current, 0);
  assert.equal(await model.drain(1000), true, 'a stopped model is idle');

  const transactions = await transactionCount();
  model.accept(messageFor(packets[0]!)); // ignored once stopped
  await sleep(400);
  assert.deepEqual(model.stats(), stopped);
  assert.equal(await transactionCount(), transactions, 'no step is written after stop()');
});

test('a row changed underneath (latest_trn_id moved on) is not overwritten', async () => {
  const [p] = await insertForwarded(1);
  let firstStep!: () => void;
  const firstStepDone = new Promise<void>((resolve) => { firstStep = resolve; });
  const events: PipelineStepEvent[] = [];
  const model = pipeline({
    stages: DEFAULT_STAGES.slice(0, 3), stageLatencyMs: 300, capacityPerSecond: Infinity,
    onStep: (e) => { events.push(e); if (e.outcome === 'SUCCESS') firstStep(); },
  });
  model.accept(messageFor(p!));
  await firstStepDone;

  // Meanwhile the automated reprocessor picks the packet up (docs/mosip-facts.md, "Automated reprocessor").
  const reprocessTrnId = randomUUID();
  await db.pool.query(
    `UPDATE "${db.schema}".registration SET latest_trn_id = $2, latest_trn_type_code = 'PACKET_REPROCESS',
       latest_trn_status_code = 'REPROCESS', status_comment = 'Reprocess Completed',
       reg_process_retry_count = reg_process_retry_count + 1, latest_trn_dtimes = now() AT TIME ZONE 'UTC'
     WHERE workflow_instance_id = $1`, [p!.workflowInstanceId, reprocessTrnId]);
  assert.equal(await model.drain(5000), true);

  const row = await registration(p!.workflowInstanceId);
  assert.deepEqual(
    [row.latest_trn_id, row.latest_trn_type_code, row.latest_trn_status_code, row.reg_stage_name, row.status_code, row.reg_process_retry_count],
    [reprocessTrnId, 'PACKET_REPROCESS', 'REPROCESS', 'PacketUploaderStage', 'PROCESSING', 1]);
  const chain = await transactionChain(p!);
  assert.deepEqual(chain.map((t) => t.trn_type_code), ['UPLOAD_PACKET'], 'only the step before the change was written');
  const stats = model.stats();
  assert.equal(stats.superseded, 1);
  assert.equal(stats.perStage.PacketValidatorStage!.superseded, 1);
  assert.deepEqual(events.map((e) => `${e.stage}:${e.outcome}`), ['PacketUploaderStage:SUCCESS', 'PacketValidatorStage:superseded']);
});

test('a row that is not as the securezone stage left it is not started; a repeated message runs once', async () => {
  const [moved] = await insertForwarded(1, { latestTrnTypeCode: 'PACKET_REPROCESS', latestTrnStatusCode: 'REPROCESS' });
  const [twice, byRid] = await insertForwarded(2);
  const model = pipeline({ stages: DEFAULT_STAGES.slice(0, 3), stageLatencyMs: 0, capacityPerSecond: Infinity });
  model.accept(messageFor(moved!));
  model.accept(messageFor({ rid: '10001100020000120240115100000', workflowInstanceId: randomUUID() })); // no such row
  model.accept(messageFor(twice!));
  model.accept(messageFor(twice!));
  model.accept(messageFor({ rid: byRid!.rid, workflowInstanceId: null })); // looked up by reg_id, as the stage does
  model.accept({ topic: 'securezone-notification-new-bus-out', key: null, message: { ...messageFor(twice!).message, rid: null, workflowInstanceId: null } });
  assert.equal(await model.drain(10_000), true);

  const movedRow = await registration(moved!.workflowInstanceId);
  assert.deepEqual([movedRow.latest_trn_id, movedRow.latest_trn_type_code], [moved!.securezoneTrnId, 'PACKET_REPROCESS']);
  assert.equal((await transactionChain(moved!)).length, 0);

  assert.equal((await registration(twice!.workflowInstanceId)).status_code, 'PROCESSED');
  assert.equal((await transactionChain(twice!)).length, 3, 'one chain, not two');
  assert.equal((await registration(byRid!.workflowInstanceId)).status_code, 'PROCESSED');

  const stats = model.stats();
  assert.deepEqual([stats.accepted, stats.completed, stats.superseded, stats.ignored], [6, 2, 3, 1]);
});

test('a database error stops the packet without an unhandled rejection', async () => {
  const [p] = await insertForwarded(1);
  const events: PipelineStepEvent[] = [];
  const model = startPipeline({
    pool: db.pool, schema: 'no_such_schema_here', stageLatencyMs: 0, capacityPerSecond: Infinity, onStep: (e) => events.push(e),
  });
  running.push(model);
  model.accept(messageFor(p!));
  assert.equal(await model.drain(5000), true);
  const stats = model.stats();
  assert.equal(stats.dbErrors, 1);
  assert.equal(stats.perStage.PacketUploaderStage!.dbErrors, 1);
  assert.match(stats.lastError ?? '', /no_such_schema_here/);
  assert.equal(events[0]?.outcome, 'db_error');
  // The pool is still usable: the failed transaction was rolled back and its connection released.
  assert.equal((await db.pool.query('SELECT 1 AS one')).rows[0].one, 1);
});

test('options are checked', () => {
  const base = { pool: db.pool, schema: db.schema };
  assert.throws(() => new PipelineModel({ ...base, failureRate: 1.5 }), /failureRate must be between 0 and 1/);
  assert.throws(() => new PipelineModel({ ...base, stageLatencyMs: { DemoDedupe: 5 } }), /unknown stage DemoDedupe/);
  assert.throws(() => new PipelineModel({ ...base, capacityPerSecond: 0 }), /capacityPerSecond/);
  assert.throws(() => new PipelineModel({ ...base, maxConcurrentDbWork: 0 }), /maxConcurrentDbWork/);
  assert.throws(() => new PipelineModel({ ...base, schema: 'Bad-Name' }), /schema name/);
  assert.throws(() => new PipelineModel({ ...base, hold: { share: 1.5 } }), /hold\.share must be from 0 to 1/);
  assert.throws(() => new PipelineModel({ ...base, hold: { share: 0.5, at: 'UIN_GENERATOR' as never } }), /hold\.at must be one of BIOGRAPHIC_VERIFICATION, MANUAL_ADJUDICATION/);
  assert.throws(() => new PipelineModel({ ...base, hold: { share: 0.5 }, stages: DEFAULT_STAGES.slice(0, 3) }), /hold needs the bio dedupe stage \(BioDedupeStage\)/);
  assert.throws(() => new PipelineModel({ ...base, clockSkewMs: 2 * 86_400_000 }), /clockSkewMs must be a number of ms/);
  const model = new PipelineModel({ ...base, stageLatencyMs: { '*': 10, CredentialRequestorStage: 0 } });
  assert.equal(model.stats().pendingTimers, 0, 'an idle model holds no timer');
});

test('hold at BIOGRAPHIC_VERIFICATION: the bio dedupe stage sends the packet to ABIS, writes IN_PROGRESS and keeps it; the others go on', async () => {
  const rows = await insertForwarded(12);
  const events: PipelineStepEvent[] = [];
  const model = pipeline({ stageLatencyMs: 0, capacityPerSecond: Infinity, hold: { share: 0.5 }, seed: 4, onStep: (e) => events.push(e) });
  for (const r of rows) model.accept(messageFor(r));
  assert.equal(await model.drain(10_000), true, 'held packets wait outside the queues: the model is idle');
  const stats = model.stats();
  assert.ok(stats.held > 0 && stats.held < rows.length, `some held, some not: ${stats.held}`);
  assert.equal(stats.held + stats.completed, rows.length);
  assert.equal(stats.perStage.BioDedupeStage!.held, stats.held);
  for (const r of rows) {
    const row = await registration(r.workflowInstanceId);
    if (row.status_code === 'PROCESSED') continue;
    assert.equal(row.status_code, 'PROCESSING', 'status_code is kept (the workflow engine did not move it)');
    assert.equal(row.latest_trn_type_code, 'BIOGRAPHIC_VERIFICATION');
    assert.equal(row.latest_trn_status_code, 'IN_PROGRESS');
    assert.equal(row.reg_stage_name, 'BioDedupeStage');
    assert.equal(row.status_comment, 'Biometric Deduplication In-Progress');
    assert.equal(row.last_success_stage_name, 'DemoDedupeStage', 'IN_PROGRESS is not a success');
    const chain = await transactionChain(r);
    assert.deepEqual(chain.map((t) => t.trn_type_code), DEFAULT_STAGES.slice(0, 6).map((s) => s.trnTypeCode));
    assert.deepEqual([chain.at(-1)!.status_code, chain.at(-1)!.sub_status_code], ['IN_PROGRESS', 'RPR-BDP-SUCCESS-001']);
  }
  assert.equal(events.filter((e) => e.outcome === 'IN_PROGRESS').length, stats.held);
});

test('hold at MANUAL_ADJUDICATION: a potential match (BIOGRAPHIC_VERIFICATION FAILED), then MANUAL_ADJUDICATION IN_PROGRESS, waiting for a person', async () => {
  const [p] = await insertForwarded(1);
  const model = pipeline({ stageLatencyMs: 1, capacityPerSecond: Infinity, hold: { share: 1, at: 'MANUAL_ADJUDICATION' } });
  model.accept(messageFor(p!));
  assert.equal(await model.drain(10_000), true);
  const row = await registration(p!.workflowInstanceId);
  assert.deepEqual([row.status_code, row.latest_trn_type_code, row.latest_trn_status_code, row.reg_stage_name, row.status_comment],
    ['PROCESSING', 'MANUAL_ADJUDICATION', 'IN_PROGRESS', 'ManualAdjudicationStage', 'Manual verification request sent to queue']);
  const chain = await transactionChain(p!);
  assert.deepEqual(chain.slice(-2).map((t) => [t.trn_type_code, t.status_code, t.sub_status_code, t.status_comment]), [
    ['BIOGRAPHIC_VERIFICATION', 'FAILED', 'RPR-BDP-FAILED-001', 'Potential Biometric Match Found while Processing Packet'],
    ['MANUAL_ADJUDICATION', 'IN_PROGRESS', 'RPR-MVS-002', 'Manual verification request sent to queue'],
  ]);
  const stats = model.stats();
  assert.deepEqual([stats.held, stats.failed, stats.completed, stats.inFlight], [1, 0, 0, 0], 'the potential match hands the packet on; it does not end it');
});

test('clockSkewMs: the stage pods write latest_trn_dtimes, upd_dtimes and cr_dtimes on their own clock, ahead or behind', async () => {
  for (const skewMs of [-90_000, 45_000]) {
    const [p] = await insertForwarded(1);
    const model = pipeline({ stageLatencyMs: 0, capacityPerSecond: Infinity, clockSkewMs: skewMs });
    model.accept(messageFor(p!));
    assert.equal(await model.drain(10_000), true);
    const row = await registration(p!.workflowInstanceId);
    assert.equal(row.status_code, 'PROCESSED', 'messages are aged on the pods\' clock: a skew alone drops nothing');
    const { rows } = await db.pool.query<{ db_now: Date }>(`SELECT now() AT TIME ZONE 'UTC' AS db_now`);
    const off = (d: Date | null) => d!.getTime() - rows[0]!.db_now.getTime();
    // Off by the skew, give or take how long the steps took (well under the 45 s between the two cases).
    for (const [what, at] of [['latest_trn_dtimes', row.latest_trn_dtimes], ['upd_dtimes', row.upd_dtimes], ...(await transactionChain(p!)).map((t) => ['cr_dtimes', t.cr_dtimes] as const)] as const) {
      assert.ok(Math.abs(off(at) - skewMs) < 20_000, `${what} is ${off(at)} ms off the database's clock, not ${skewMs}`);
    }
  }
});
