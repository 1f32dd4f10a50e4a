// `reprocess verify`: rows in each end state a notified packet can reach, written the way the securezone stage,
// later stages, the workflow engine and the reprocessor write them, are each classified as documented; the
// boundary at startedAt; chunked input with a bounded attention list; the rendering.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { makeRid } from '@mosip-reprocess/contract/rid.js';
import { classifyPacket, renderVerify, verifyPackets, VERIFY_CLASSES, type VerifyClass, type VerifyEntry } from '../src/report/verify.js';
import { insertRegistrations, type RegistrationRowInput } from '@mosip-reprocess/simulator/sql/registrationRows.js';
import { utcTimestampText } from '@mosip-reprocess/contract/sql/utcText.js';
import { freshSchema, type TestSchema } from '@mosip-reprocess/testkit/db.js';

const SECOND = 1000;
const DAY = 86_400_000;
let db: TestSchema;
let seq = 0;
before(async () => { db = await freshSchema('ver'); });
after(async () => { await db.drop(); });

/** The send of every packet in these tests started at this instant (within the 3600 s message age limit). */
const SENT_AT = new Date(Date.now() - 1_800_000);
const after_ = (ms: number) => new Date(SENT_AT.getTime() + ms);

interface Case { label: string; expected: VerifyClass; row: Partial<RegistrationRowInput> | null; outcome?: string }

function regRow(label: string, over: Partial<RegistrationRowInput>): RegistrationRowInput & { label: string } {
  return {
    label,
    regId: makeRid(10001, 10004, ++seq, new Date(SENT_AT.getTime() - 5 * DAY)),
    workflowInstanceId: randomUUID(),
    process: 'NEW',
    statusCode: 'PROCESSING',
    latestTrnTypeCode: 'UPLOAD_PACKET',
    latestTrnStatusCode: 'SUCCESS',
    latestTrnDtimes: new Date(SENT_AT.getTime() - 2 * DAY),
    regStageName: 'PacketUploaderStage',
    crDtimes: new Date(SENT_AT.getTime() - 5 * DAY),
    ...over,
  };
}

const securezone = (status: string, at: Date) => ({
  latestTrnTypeCode: 'SECUREZONE_NOTIFICATION', latestTrnStatusCode: status, latestTrnDtimes: at, regStageName: 'SecurezoneNotificationStage',
});

// Each end state, as the row looks after the component that wrote it last (docs/mosip-facts.md, "What the stage
// writes", "Automated reprocessor").
const CASES: Case[] = [
  { label: 'a later stage succeeded after the send', expected: 'moved_on',
    row: { latestTrnTypeCode: 'VALIDATE_PACKET', latestTrnStatusCode: 'SUCCESS', latestTrnDtimes: after_(20 * SECOND), regStageName: 'PacketValidatorStage' } },
  { label: 're-driven FAILED packet moving on (stages keep status_code)', expected: 'moved_on',
    row: { statusCode: 'FAILED', latestTrnTypeCode: 'DEMOGRAPHIC_VERIFICATION', latestTrnStatusCode: 'SUCCESS', latestTrnDtimes: after_(60 * SECOND), regStageName: 'DemoDedupeStage' } },
  { label: 'a later stage holds it (in progress, waiting for ABIS)', expected: 'held',
    row: { latestTrnTypeCode: 'BIOGRAPHIC_VERIFICATION', latestTrnStatusCode: 'IN_PROGRESS', latestTrnDtimes: after_(90 * SECOND), regStageName: 'BioDedupeStage' } },
  { label: 'completed after the send', expected: 'processed',
    row: { statusCode: 'PROCESSED', latestTrnTypeCode: 'PRINT_SERVICE', latestTrnStatusCode: 'PROCESSED', latestTrnDtimes: after_(300 * SECOND), regStageName: 'PrintingStage' } },
  { label: 'already PROCESSED and untouched', expected: 'processed',
    row: { statusCode: 'PROCESSED', latestTrnTypeCode: 'PRINT_SERVICE', latestTrnStatusCode: 'PROCESSED', regStageName: 'PrintingStage' } },
  { label: 'securezone SUCCESS after the send, never left', expected: 'at_securezone', row: securezone('SUCCESS', after_(SECOND)) },
  { label: 'securezone SUCCESS exactly at startedAt', expected: 'at_securezone', row: securezone('SUCCESS', SENT_AT) },
  { label: 'securezone SUCCESS 1 ms before startedAt (an earlier notification)', expected: 'untouched', row: securezone('SUCCESS', after_(-1)) },
  { label: 're-driven FAILED packet accepted by securezone', expected: 'at_securezone', row: { statusCode: 'FAILED', ...securezone('SUCCESS', after_(SECOND)) } },
  { label: 'duplicate rejected by securezone', expected: 'rejected_duplicate', row: securezone('REJECTED', after_(SECOND)), outcome: 'not_uploaded' },
  { label: 'securezone exception (RPR-SEZ-001)', expected: 'failed', row: securezone('FAILED', after_(SECOND)), outcome: 'stage_error' },
  { label: 'securezone DB error (RPR-RGS-001)', expected: 'failed', row: securezone('ERROR', after_(SECOND)) },
  { label: 'a later stage failed', expected: 'failed',
    row: { statusCode: 'FAILED', latestTrnTypeCode: 'UIN_GENERATOR', latestTrnStatusCode: 'FAILED', latestTrnDtimes: after_(200 * SECOND), regStageName: 'UinGeneratorStage' } },
  { label: 'complete-as-failed by the workflow engine', expected: 'failed',
    row: { statusCode: 'FAILED', latestTrnTypeCode: 'INTERNAL_WORKFLOW_ACTION', latestTrnStatusCode: 'SUCCESS', latestTrnDtimes: after_(30 * SECOND) } },
  { label: 'reprocessor gave up (REPROCESS_FAILED)', expected: 'failed',
    row: { statusCode: 'REPROCESS_FAILED', latestTrnTypeCode: 'PACKET_REPROCESS', latestTrnStatusCode: 'REPROCESS_FAILED', latestTrnDtimes: after_(600 * SECOND) } },
  { label: 'rejected by a later stage', expected: 'failed',
    row: { statusCode: 'REJECTED', latestTrnTypeCode: 'INTERNAL_WORKFLOW_ACTION', latestTrnStatusCode: 'REJECTED', latestTrnDtimes: after_(400 * SECOND) } },
  { label: 'picked up by the automated reprocessor', expected: 'reprocess',
    row: { latestTrnTypeCode: 'PACKET_REPROCESS', latestTrnStatusCode: 'REPROCESS', latestTrnDtimes: after_(600 * SECOND), regProcessRetryCount: 1 } },
  { label: 'mark-as-reprocess by the workflow engine', expected: 'reprocess',
    row: { statusCode: 'REPROCESS', latestTrnTypeCode: 'INTERNAL_WORKFLOW_ACTION', latestTrnStatusCode: 'SUCCESS', latestTrnDtimes: after_(30 * SECOND) } },
  { label: 'stuck, nothing since the send (null reply)', expected: 'untouched', row: {}, outcome: 'not_found' },
  { label: 'FAILED before the send and nothing since', expected: 'untouched',
    row: { statusCode: 'FAILED', latestTrnTypeCode: 'UIN_GENERATOR', latestTrnStatusCode: 'FAILED', regStageName: 'UinGeneratorStage' } },
  { label: 'latest_trn_dtimes NULL', expected: 'untouched', row: { latestTrnDtimes: null } },
  { label: 'no row at all', expected: 'missing', row: null, outcome: 'not_found' },
  { label: 'inactive row', expected: 'missing', row: { isActive: false, ...securezone('SUCCESS', after_(SECOND)) } },
  { label: 'deleted row', expected: 'missing', row: { isDeleted: true, latestTrnTypeCode: 'VALIDATE_PACKET', latestTrnDtimes: after_(SECOND) } },
];

async function reset(): Promise<void> {
  await db.pool.query(`TRUNCATE "${db.schema}".registration, "${db.schema}".registration_list, "${db.schema}".registration_transaction`);
}

function entryOf(r: { regId: string; workflowInstanceId: string }, startedAt = SENT_AT, outcome = 'forwarded'): VerifyEntry {
  return { rid: r.regId, workflowInstanceId: r.workflowInstanceId, outcome, startedAt };
}

test('each end state a notified packet can reach gets its class', async () => {
  await reset();
  const rows = CASES.map((c) => regRow(c.label, c.row ?? {}));
  await insertRegistrations(db.pool, db.schema, rows.filter((_, i) => CASES[i]!.row !== null));
  const entries = rows.map((r, i) => entryOf(r, SENT_AT, CASES[i]!.outcome));
  const report = await verifyPackets(db.pool, db.schema, entries, { clockSkewMs: 0 });

  const attentionClass = new Map(report.attention.map((a) => [a.workflowInstanceId, a.class]));
  const got = CASES.map((c, i) => `${c.label}: ${attentionClass.get(rows[i]!.workflowInstanceId) ?? '(no attention)'}`);
  const want = CASES.map((c) => `${c.label}: ${['moved_on', 'processed', 'held'].includes(c.expected) ? '(no attention)' : c.expected}`);
  assert.deepEqual(got, want);

  const expectedCounts = Object.fromEntries(VERIFY_CLASSES.map((k) => [k, CASES.filter((c) => c.expected === k).length]));
  assert.deepEqual(report.counts, expectedCounts);
  assert.equal(report.total, CASES.length);
  assert.equal(report.needingAttention, CASES.filter((c) => !['moved_on', 'processed', 'held'].includes(c.expected)).length);
  assert.deepEqual(report.byOutcome.not_found, { untouched: 1, missing: 1 });
  assert.deepEqual(report.byOutcome.not_uploaded, { rejected_duplicate: 1 });

  // Attention items carry the row as it is now.
  const failed = report.attention.find((a) => a.workflowInstanceId === rows[12]!.workflowInstanceId)!;
  assert.deepEqual(
    [failed.rid, failed.class, failed.statusCode, failed.latestTrnTypeCode, failed.latestTrnStatusCode, failed.regStageName, failed.latestTrnDtimes],
    [rows[12]!.regId, 'failed', 'FAILED', 'UIN_GENERATOR', 'FAILED', 'UinGeneratorStage', after_(200 * SECOND).toISOString()],
  );
  const noRow = report.attention.find((a) => a.class === 'missing' && !a.rowFound)!;
  assert.equal(noRow.detail, 'no row with this workflow id');
  assert.equal(report.attention.filter((a) => a.class === 'missing' && a.rowFound).length, 2);
});

test('the startedAt boundary is exact to the microsecond the database stores', async () => {
  await reset();
  const exact = regRow('exact', securezone('SUCCESS', SENT_AT));
  const before = regRow('1 us before', securezone('SUCCESS', SENT_AT));
  const later = regRow('1 us after', securezone('SUCCESS', SENT_AT));
  await insertRegistrations(db.pool, db.schema, [exact, before, later]);
  const shift = `UPDATE "${db.schema}".registration SET latest_trn_dtimes = $2::timestamp + $3::interval WHERE workflow_instance_id = $1`;
  await db.pool.query(shift, [before.workflowInstanceId, utcTimestampText(SENT_AT), '-1 microsecond']);
  await db.pool.query(shift, [later.workflowInstanceId, utcTimestampText(SENT_AT), '1 microsecond']);
  const report = await verifyPackets(db.pool, db.schema, [exact, before, later].map((r) => entryOf(r)), { clockSkewMs: 0 });
  const classOf = (wf: string) => report.attention.find((a) => a.workflowInstanceId === wf)!.class;
  assert.equal(classOf(exact.workflowInstanceId), 'at_securezone');
  assert.equal(classOf(before.workflowInstanceId), 'untouched');
  assert.equal(classOf(later.workflowInstanceId), 'at_securezone');

  // With an allowance for the operator's clock running ahead, the row written just before counts.
  const lenient = await verifyPackets(db.pool, db.schema, [entryOf(before)], { clockSkewMs: 5 });
  assert.equal(lenient.attention[0]!.class, 'at_securezone');
  // By default the allowance is the one the canary and the lost-reply rule use (CLOCK_SKEW_MS).
  const byDefault = await verifyPackets(db.pool, db.schema, [entryOf(before)]);
  assert.equal(byDefault.attention[0]!.class, 'at_securezone');
});

test('a real sequence: stuck row, send, securezone writes, then a later stage', async () => {
  await reset();
  const stuck = regRow('stuck', { latestTrnDtimes: new Date(Date.now() - 3 * DAY) });
  await insertRegistrations(db.pool, db.schema, [stuck]);
  const entry = entryOf(stuck, new Date());
  const classNow = async () => (await verifyPackets(db.pool, db.schema, [entry])).attention[0]?.class ?? 'moved_on';

  assert.equal(await classNow(), 'untouched');
  // What SecurezoneNotificationStage writes (docs/mosip-facts.md, "What the stage writes"): time from the database
  // clock, in UTC.
  const s = `"${db.schema}".registration`;
  await db.pool.query(`UPDATE ${s} SET latest_trn_type_code = 'SECUREZONE_NOTIFICATION', latest_trn_status_code = 'SUCCESS',
      reg_stage_name = 'SecurezoneNotificationStage', latest_trn_dtimes = now() AT TIME ZONE 'UTC', upd_dtimes = now() AT TIME ZONE 'UTC'
    WHERE workflow_instance_id = $1`, [stuck.workflowInstanceId]);
  assert.equal(await classNow(), 'at_securezone');
  await db.pool.query(`UPDATE ${s} SET latest_trn_type_code = 'UPLOAD_PACKET', latest_trn_status_code = 'SUCCESS',
      reg_stage_name = 'PacketUploaderStage', latest_trn_dtimes = now() AT TIME ZONE 'UTC' WHERE workflow_instance_id = $1`, [stuck.workflowInstanceId]);
  assert.equal(await classNow(), 'moved_on');
});

test('a stream of 2,500 entries is verified in chunks; the attention list is bounded, the counts are not', async () => {
  await reset();
  const moving = Array.from({ length: 700 }, (_, i) => regRow(`m${i}`, { latestTrnTypeCode: 'VALIDATE_PACKET', latestTrnDtimes: after_(SECOND) }));
  const stuck = Array.from({ length: 300 }, (_, i) => regRow(`s${i}`, securezone('SUCCESS', after_(SECOND))));
  await insertRegistrations(db.pool, db.schema, [...moving, ...stuck]);
  let statements = 0;
  const counting = { query: (text: string, values?: unknown[]) => { statements += 1; return db.pool.query(text, values); } };
  async function* journal(): AsyncGenerator<VerifyEntry> {
    for (const r of [...moving, ...stuck]) yield entryOf(r);
    for (let i = 0; i < 1500; i += 1) yield { rid: makeRid(10001, 10005, i, SENT_AT), workflowInstanceId: randomUUID(), outcome: 'not_found', startedAt: SENT_AT };
  }
  const report = await verifyPackets(counting as never, db.schema, journal(), { chunkSize: 1000, maxAttentionItems: 25 });
  assert.equal(statements, 3, 'one statement per chunk of 1000');
  assert.equal(report.total, 2500);
  assert.equal(report.counts.moved_on, 700);
  assert.equal(report.counts.at_securezone, 300);
  assert.equal(report.counts.missing, 1500);
  assert.equal(report.needingAttention, 1800);
  assert.equal(report.attention.length, 25);
  assert.ok(report.attention.every((a) => a.class === 'at_securezone'), 'the first ones, in entry order');
  assert.deepEqual(report.byOutcome, { forwarded: { moved_on: 700, at_securezone: 300 }, not_found: { missing: 1500 } });

  const text = renderVerify(report);
  assert.match(text, /Verification of 2500 notified packets/);
  assert.match(text, /\n {2}at_securezone +300 +12\.0% +securezone accepted it but it never left: securezone\.routing\.enabled=false/);
  assert.match(text, /\n {2}missing +1500 +60\.0% /);
  assert.match(text, /Needs attention: 1800 packets \(first 25 listed\)/);
  assert.match(text, /REPLY +moved_on +at_securezone +missing\n {2}forwarded +700 +300 +0\n {2}not_found +0 +0 +1500/);
  assert.deepEqual(JSON.parse(JSON.stringify(report)), report, 'plain data');
});

test('an empty run verifies to zeros', async () => {
  const report = await verifyPackets(db.pool, db.schema, []);
  assert.equal(report.total, 0);
  assert.equal(report.needingAttention, 0);
  assert.match(renderVerify(report), /Needs attention: none/);
});

test('classifyPacket follows the documented precedence', () => {
  const row = { regId: 'r', statusCode: 'PROCESSING', latestTrnTypeCode: 'SECUREZONE_NOTIFICATION', latestTrnStatusCode: 'SUCCESS',
    regStageName: 'SecurezoneNotificationStage', latestTrnDtimes: '2024-01-01T00:00:00.000Z', latestTrnDtimesExact: '2024-01-01T00:00:00.000000Z',
    latestTrnId: 'trn-1', active: true, writtenSinceSend: true, idleSeconds: 60 };
  assert.equal(classifyPacket(null), 'missing');
  assert.equal(classifyPacket({ ...row, active: false, statusCode: 'PROCESSED' }), 'missing', 'missing before processed');
  assert.equal(classifyPacket({ ...row, statusCode: 'PROCESSED', writtenSinceSend: false }), 'processed', 'processed before untouched');
  assert.equal(classifyPacket({ ...row, statusCode: 'FAILED', latestTrnStatusCode: 'FAILED', writtenSinceSend: false }), 'untouched', 'untouched before failed');
  assert.equal(classifyPacket({ ...row, latestTrnStatusCode: 'REJECTED' }), 'rejected_duplicate', 'rejected_duplicate before failed');
  assert.equal(classifyPacket({ ...row, latestTrnTypeCode: 'PACKET_REPROCESS', latestTrnStatusCode: 'REPROCESS', statusCode: 'FAILED' }), 'reprocess',
    'a stale FAILED does not hide a reprocess');
  assert.equal(classifyPacket(row), 'at_securezone');
  assert.equal(classifyPacket({ ...row, latestTrnTypeCode: 'PACKET_RECEIVER' }), 'moved_on');
  assert.equal(classifyPacket({ ...row, idleSeconds: 3601 }), 'dropped', 'stalled past the age limit at securezone');
  assert.equal(classifyPacket({ ...row, latestTrnTypeCode: 'PACKET_RECEIVER', idleSeconds: 3601 }), 'stalled',
    'a later stage wrote it: stalled past the age limit, never dropped (nor re-driven)');
  assert.equal(classifyPacket({ ...row, latestTrnTypeCode: 'MANUAL_ADJUDICATION', latestTrnStatusCode: 'IN_PROGRESS', idleSeconds: 99_999 }), 'held',
    'a stage holding it (waiting for a person) is held, whatever its age');
  assert.equal(classifyPacket({ ...row, latestTrnTypeCode: 'INTERNAL_WORKFLOW_ACTION', statusCode: 'PAUSED' }), 'paused', 'paused after the send');
  assert.equal(classifyPacket({ ...row, statusCode: 'PAUSED' }), 'at_securezone', 'an --include-paused packet keeps its old PAUSED while it moves');
  assert.equal(classifyPacket({ ...row, idleSeconds: 3601 }, 7200), 'at_securezone', 'with a longer --message-max-age');
  assert.equal(classifyPacket({ ...row, latestTrnStatusCode: 'FAILED', idleSeconds: 9999 }), 'failed', 'an ended packet is not dropped');
});

test('a packet whose row has not moved for longer than the message age limit: dropped at securezone, stalled after a later stage', async () => {
  await reset();
  const sentAt = new Date(Date.now() - 2 * 3_600_000);
  const atEntry = regRow('dropped at the entry', securezone('SUCCESS', new Date(sentAt.getTime() + SECOND)));
  const later = regRow('dropped later', { latestTrnTypeCode: 'VALIDATE_PACKET', latestTrnDtimes: new Date(sentAt.getTime() + 60 * SECOND), regStageName: 'PacketValidatorStage' });
  const moving = regRow('still moving', { latestTrnTypeCode: 'VALIDATE_PACKET', latestTrnDtimes: new Date(Date.now() - 60 * SECOND), regStageName: 'PacketValidatorStage' });
  await insertRegistrations(db.pool, db.schema, [atEntry, later, moving]);
  const entries = [atEntry, later, moving].map((r) => entryOf(r, sentAt));
  const report = await verifyPackets(db.pool, db.schema, entries);
  assert.deepEqual([report.counts.dropped, report.counts.stalled, report.counts.moved_on], [1, 1, 1]);
  assert.deepEqual(report.attention.map((a) => [a.workflowInstanceId, a.class]),
    [[atEntry.workflowInstanceId, 'dropped'], [later.workflowInstanceId, 'stalled']]);
  assert.match(renderVerify(report), /dropped +1 /);
  const longer = await verifyPackets(db.pool, db.schema, entries, { messageMaxAgeSeconds: 3 * 3600 });
  assert.deepEqual([longer.counts.dropped, longer.counts.at_securezone, longer.counts.moved_on], [0, 1, 2]);
});
