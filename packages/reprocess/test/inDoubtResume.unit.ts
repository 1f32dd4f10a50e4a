// The in-doubt rule on resume (run/inDoubt.ts): a send journaled without its reply is settled from the database
// by the same verdict as a lost reply, waiting until no request of the stopped run can still commit; when the
// database cannot say it is left unresolved (not sent again). The clock is injected: waits are recorded.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { settleInDoubt } from '../src/run/inDoubt.js';
import type { SendRecord } from '../src/journal/records.js';
import type { NotifierClock } from '../src/notifier/resilientNotifier.js';
import { insertRegistrations, type RegistrationRowInput } from '@mosip-reprocess/simulator/sql/registrationRows.js';
import { TRN_STATUS, TRN_TYPE } from '@mosip-reprocess/contract/enums.js';
import { freshSchema, type TestSchema } from '@mosip-reprocess/testkit/db.js';
import { stuckRow } from '@mosip-reprocess/testkit/rows.js';

let db: TestSchema;
before(async () => { db = await freshSchema('indoubt'); });
after(async () => { await db.drop(); });

const SENT_AT = new Date(Date.now() - 60_000);
const SETTLE_MS = 60_000;
const sendOf = (r: RegistrationRowInput): SendRecord => ({
  t: 'send', at: SENT_AT.toISOString(), wf: r.workflowInstanceId, rid: r.regId, process: r.process, iteration: 1, source: null, origin: 't', attempt: 1,
});

function clockWith(onSleep: () => Promise<void> = async () => undefined) {
  // Fully virtual: the rule reads the clock only to know how long to wait (the rows are compared with the journal's times).
  let now = 1_000_000;
  const sleeps: number[] = [];
  const clock: NotifierClock = { now: () => now, async sleep(ms) { sleeps.push(ms); now += ms; await onSleep(); } };
  return { clock, sleeps };
}

const stageWrites = (r: RegistrationRowInput) => db.pool.query(
  `UPDATE "${db.schema}".registration SET latest_trn_type_code = $2, latest_trn_status_code = $3, latest_trn_dtimes = now() AT TIME ZONE 'UTC'
    WHERE workflow_instance_id = $1`, [r.workflowInstanceId, TRN_TYPE.SECUREZONE_NOTIFICATION, TRN_STATUS.SUCCESS]);

test('handled: delivered at once; untouched after the wait: sent again; handled during the wait: delivered', async () => {
  const handled = stuckRow({ latestTrnTypeCode: TRN_TYPE.SECUREZONE_NOTIFICATION, latestTrnDtimes: new Date(SENT_AT.getTime() + 100) });
  const untouched = stuckRow();
  const lateCommit = stuckRow();
  await insertRegistrations(db.pool, db.schema, [handled, untouched, lateCommit]);
  // A request of the killed run still running at the server commits while the resume waits.
  const { clock, sleeps } = clockWith(async () => { await stageWrites(lateCommit); });
  const waits: string[] = [];
  const decisions = await settleInDoubt(db.pool, db.schema, [handled, untouched, lateCommit].map(sendOf), false,
    { settleAfterMs: SETTLE_MS, clock, onWait: (m) => waits.push(m) });
  assert.deepEqual(decisions.map((d) => d.decision), ['delivered', 'resend', 'delivered']);
  assert.deepEqual(sleeps, [SETTLE_MS], 'waited settleAfterMs from the start of the resume, once');
  assert.match(waits[0]!, /waiting 60 s .* 2 packet\(s\)/);
});

test('every in-doubt packet handled: no wait', async () => {
  const handled = stuckRow({ latestTrnTypeCode: TRN_TYPE.SECUREZONE_NOTIFICATION, latestTrnDtimes: new Date(SENT_AT.getTime() + 100) });
  await insertRegistrations(db.pool, db.schema, [handled]);
  const { clock, sleeps } = clockWith();
  const [d] = await settleInDoubt(db.pool, db.schema, [sendOf(handled)], false, { settleAfterMs: SETTLE_MS, clock });
  assert.equal(d!.decision, 'delivered');
  assert.deepEqual(sleeps, []);
});

test('the database cannot say (query error, or none configured): unresolved, not sent again', async () => {
  const r = stuckRow();
  await insertRegistrations(db.pool, db.schema, [r]);
  const { clock } = clockWith();
  const [failed] = await settleInDoubt(db.pool, `${db.schema}_missing`, [sendOf(r)], false, { settleAfterMs: SETTLE_MS, clock });
  assert.equal(failed!.decision, 'unresolved');
  assert.match(failed!.detail, /could not be read .*does not exist.*--resend-in-doubt/);
  const [none] = await settleInDoubt(null, db.schema, [sendOf(r)], false, { settleAfterMs: SETTLE_MS, clock });
  assert.equal(none!.decision, 'unresolved');
  const [forced] = await settleInDoubt(null, db.schema, [sendOf(r)], true, { settleAfterMs: SETTLE_MS, clock });
  assert.equal(forced!.decision, 'resend', '--resend-in-doubt is the operator\'s say-so');
});
