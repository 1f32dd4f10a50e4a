// One verdict of a packet's row: the canary and `verify` judge the same rows the same way, a re-driven FAILED
// packet included (stages never change status_code, so FAILED alone fails neither), and the lost-reply evidence
// reads the same verdict.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { makeRid } from '@mosip-reprocess/contract/rid.js';
import { STATUS, TRN_STATUS, TRN_TYPE } from '@mosip-reprocess/contract/enums.js';
import { insertRegistrations, type RegistrationRowInput } from '@mosip-reprocess/simulator/sql/registrationRows.js';
import { statusTransactionInserter } from '@mosip-reprocess/simulator/sql/statusTransaction.js';
import { freshSchema, type TestSchema } from '@mosip-reprocess/testkit/db.js';
import { watchCanary } from '../src/run/canary.js';
import { verifyPackets } from '../src/report/verify.js';
import { MOVED_ON_VERDICTS, ROW_VERDICT_MEANINGS, type RowVerdict } from '../src/domain/rowVerdict.js';
import { evidenceForSends } from '../src/notifier/deliveryEvidence.js';
import type { PacketResult } from '../src/domain/runResult.js';

let db: TestSchema;
before(async () => { db = await freshSchema('verdict'); });
after(async () => { await db.drop(); });

// Ten minutes ago: far inside verify's --message-max-age (3600 s), so the rows left at securezone stay
// at_securezone however long the tests wait before reading them (an hour ago made that a one-second margin).
const SENT_AT = new Date(Date.now() - 600_000);
const later = (s: number) => new Date(SENT_AT.getTime() + s * 1000);
let seq = 0;

interface Case { label: string; verdict: RowVerdict; row: Partial<RegistrationRowInput> }

const CASES: Case[] = [
  { label: 'moved on to the uploader', verdict: 'moved_on',
    row: { latestTrnTypeCode: TRN_TYPE.UPLOAD_PACKET, latestTrnStatusCode: TRN_STATUS.SUCCESS, latestTrnDtimes: later(20), regStageName: 'PacketUploaderStage' } },
  { label: 're-driven FAILED packet moving on (status_code stays FAILED)', verdict: 'moved_on',
    row: { statusCode: STATUS.FAILED, latestTrnTypeCode: TRN_TYPE.VALIDATE_PACKET, latestTrnStatusCode: TRN_STATUS.SUCCESS, latestTrnDtimes: later(40), regStageName: 'PacketValidatorStage' } },
  { label: 're-driven REJECTED packet in progress at a later stage', verdict: 'moved_on',
    row: { statusCode: STATUS.REJECTED, latestTrnTypeCode: TRN_TYPE.BIOGRAPHIC_VERIFICATION, latestTrnStatusCode: TRN_STATUS.IN_PROGRESS, latestTrnDtimes: later(90), regStageName: 'BioDedupeStage' } },
  { label: 'processed', verdict: 'processed',
    row: { statusCode: STATUS.PROCESSED, latestTrnTypeCode: TRN_TYPE.PRINT_SERVICE, latestTrnStatusCode: TRN_STATUS.PROCESSED, latestTrnDtimes: later(300), regStageName: 'PrintingStage' } },
  { label: 'the next stage failed it', verdict: 'failed',
    row: { latestTrnTypeCode: TRN_TYPE.UPLOAD_PACKET, latestTrnStatusCode: TRN_STATUS.FAILED, latestTrnDtimes: later(20), regStageName: 'PacketUploaderStage' } },
  { label: 'the workflow engine completed it as failed', verdict: 'failed',
    row: { statusCode: STATUS.FAILED, latestTrnTypeCode: TRN_TYPE.INTERNAL_WORKFLOW_ACTION, latestTrnStatusCode: TRN_STATUS.SUCCESS, latestTrnDtimes: later(30) } },
  { label: 'marked for reprocessing', verdict: 'reprocess',
    row: { statusCode: STATUS.REPROCESS, latestTrnTypeCode: TRN_TYPE.INTERNAL_WORKFLOW_ACTION, latestTrnStatusCode: TRN_STATUS.SUCCESS, latestTrnDtimes: later(30) } },
  { label: 'a later stage asked for a retry', verdict: 'reprocess',
    row: { latestTrnTypeCode: TRN_TYPE.VALIDATE_PACKET, latestTrnStatusCode: TRN_STATUS.REPROCESS, latestTrnDtimes: later(30), regStageName: 'PacketValidatorStage' } },
  { label: 'the duplicate check rejected it', verdict: 'rejected_duplicate',
    row: { latestTrnTypeCode: TRN_TYPE.SECUREZONE_NOTIFICATION, latestTrnStatusCode: TRN_STATUS.REJECTED, latestTrnDtimes: later(1), regStageName: 'SecurezoneNotificationStage' } },
  { label: 'never left securezone', verdict: 'at_securezone',
    row: { latestTrnTypeCode: TRN_TYPE.SECUREZONE_NOTIFICATION, latestTrnStatusCode: TRN_STATUS.SUCCESS, latestTrnDtimes: later(1), regStageName: 'SecurezoneNotificationStage' } },
];

function rowOf(c: Case): RegistrationRowInput {
  return {
    regId: makeRid(10001, 10009, ++seq, new Date(SENT_AT.getTime() - 5 * 86_400_000)),
    workflowInstanceId: randomUUID(),
    process: 'NEW',
    statusCode: STATUS.PROCESSING,
    latestTrnTypeCode: TRN_TYPE.UPLOAD_PACKET,
    latestTrnStatusCode: TRN_STATUS.SUCCESS,
    latestTrnDtimes: new Date(SENT_AT.getTime() - 2 * 86_400_000),
    regStageName: 'PacketUploaderStage',
    crDtimes: new Date(SENT_AT.getTime() - 5 * 86_400_000),
    ...c.row,
  };
}

test('the canary passes exactly the rows verify classes moved_on, processed or reprocess, a re-driven FAILED packet included', async () => {
  const rows = CASES.map(rowOf);
  await insertRegistrations(db.pool, db.schema, rows);
  // The securezone stage's own record of accepting each send (written now, after SENT_AT).
  const insertTrn = statusTransactionInserter(db.schema);
  for (const r of rows) {
    await insertTrn(db.pool, {
      id: randomUUID(), regId: r.regId, parentRegtrnId: null, trnTypeCode: TRN_TYPE.SECUREZONE_NOTIFICATION,
      statusCode: TRN_STATUS.SUCCESS, subStatusCode: 'RPR-SEN-SUCCESS-001', statusComment: 'Notification received to securezone', refId: r.regId,
    });
  }
  const report = await verifyPackets(db.pool, db.schema, rows.map((r) => ({ workflowInstanceId: r.workflowInstanceId, rid: r.regId, outcome: 'forwarded', startedAt: SENT_AT })));
  const verifyClass = new Map<string, RowVerdict>(rows.map((r) => [r.workflowInstanceId, 'moved_on']));
  for (const a of report.attention) verifyClass.set(a.workflowInstanceId, a.class);
  assert.equal(report.counts.processed, 1);

  for (const [i, c] of CASES.entries()) {
    const r = rows[i]!;
    const cls = verifyClass.get(r.workflowInstanceId)!;
    // moved_on and processed are both outside the attention list; the count above tells processed apart.
    assert.equal(cls === 'processed' ? 'moved_on' : cls, c.verdict === 'processed' ? 'moved_on' : c.verdict, `verify: ${c.label}`);
    const result: PacketResult = {
      packet: { rid: r.regId, process: r.process, workflowInstanceId: r.workflowInstanceId, iteration: 1, source: null, origin: 'test' },
      outcome: 'forwarded', httpStatus: 200, reply: '', latencyMs: 1, attempts: 1, startedAt: SENT_AT.toISOString(),
    };
    // timeoutMs 0: one look at the database, no waiting.
    const canary = await watchCanary(db.pool, db.schema, result, { timeoutMs: 0, pollMs: 1 });
    assert.equal(canary.ok, MOVED_ON_VERDICTS.has(c.verdict), `canary and verify agree: ${c.label}: ${canary.detail}`);
    if (c.verdict === 'failed') assert.match(canary.detail, /left securezone but .* ended/);
  }
});

test('the lost-reply evidence is the same verdict: written since the send means handled, whatever status_code says', async () => {
  const redriven = rowOf(CASES[1]!);
  const untouchedFailed = rowOf({ label: 'FAILED, untouched', verdict: 'untouched', row: { statusCode: STATUS.FAILED } });
  const rejected = rowOf({ label: 'duplicate', verdict: 'rejected_duplicate',
    row: { latestTrnTypeCode: TRN_TYPE.SECUREZONE_NOTIFICATION, latestTrnStatusCode: TRN_STATUS.REJECTED, latestTrnDtimes: later(1) } });
  await insertRegistrations(db.pool, db.schema, [redriven, untouchedFailed, rejected]);
  const [a, b, c, d] = await evidenceForSends(db.pool, db.schema, [redriven, untouchedFailed, rejected, { ...redriven, workflowInstanceId: randomUUID() }]
    .map((r) => ({ workflowInstanceId: r.workflowInstanceId, startedAt: SENT_AT })));
  assert.deepEqual([a!.handled, b!.handled, c!.handled, d!.handled], [true, false, true, false]);
  assert.equal(a!.handled && a!.outcome, 'forwarded');
  assert.equal(c!.handled && c!.outcome, 'not_uploaded');
  assert.equal(!d!.handled && d!.detail, 'no row with this workflow id');
});

test('a duplicate is explained with what MOSIP writes: sub status RPR-SEN-SUCCESS-001, not the audit code RPR-SEZ-002', () => {
  const meaning = ROW_VERDICT_MEANINGS.rejected_duplicate;
  assert.match(meaning, /sub status RPR-SEN-SUCCESS-001/);
  assert.match(meaning, /Duplicate Packet against same additional info request Id\./);
  assert.doesNotMatch(meaning, /RPR-SEZ-002/);
});
