// The simulated reprocessor tick for RESUMABLE packets (ReprocessorVerticle, MOSIP 1.2.0.1; docs/mosip-facts.md,
// "Automated reprocessor"): how packets resumed through the workflow action API move on, on the real PostgreSQL.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { workflowActionRequest } from '@mosip-reprocess/contract/workflowAction.js';
import { freshSchema, type TestSchema } from '@mosip-reprocess/testkit/db.js';
import { messageBusAddress, reprocessorTick } from '../src/sim/reprocessor.js';
import { startSimulator, type RunningSimulator } from '../src/sim/server.js';
import { insertRegistrations, type RegistrationRowInput } from '../src/sql/registrationRows.js';
import { DAY_MS, post, SECRET, stuckRow, token } from './simFixtures.js';

let db: TestSchema;
let sim: RunningSimulator;

before(async () => {
  db = await freshSchema('simrep');
  sim = await startSimulator({ db: db.pool, schema: db.schema, clients: [{ secret: SECRET }] });
});

after(async () => {
  await sim.close();
  await db.drop();
});

async function rowOf(workflowInstanceId: string): Promise<Record<string, any>> {
  const { rows } = await db.pool.query(`SELECT * FROM "${db.schema}".registration WHERE workflow_instance_id = $1`, [workflowInstanceId]);
  return rows[0];
}

function paused(over: Partial<RegistrationRowInput> = {}): RegistrationRowInput {
  return stuckRow({
    statusCode: 'PAUSED', latestTrnTypeCode: 'INTERNAL_WORKFLOW_ACTION', latestTrnStatusCode: 'SUCCESS',
    regStageName: 'PacketClassifierStage', pauseRuleIds: 'PAUSE', defaultResumeAction: 'RESUME_PROCESSING',
    resumeTimestamp: new Date(Date.now() - DAY_MS), ...over,
  });
}

test('messageBusAddress: MosipUtil\'s camel-case split', () => {
  assert.equal(messageBusAddress('PacketUploaderStage'), 'packet-uploader');
  assert.equal(messageBusAddress('SecurezoneNotificationStage'), 'securezone-notification');
  assert.equal(messageBusAddress('CMDValidatorStage'), 'c-m-d-validator');
});

test('resumed packets move on the next tick: to their stage\'s bus-out, or bus-in from the beginning; retry +1, PACKET_REPROCESS / REPROCESS, status_code kept', async () => {
  const resume = paused({ crDtimes: new Date(Date.now() - 9 * DAY_MS) });
  const fromBeginning = paused({ crDtimes: new Date(Date.now() - 8 * DAY_MS) });
  const untouched = paused();
  await insertRegistrations(db.pool, db.schema, [resume, fromBeginning, untouched]);
  const jwt = await token(sim.url);
  const cookie = { cookie: `Authorization=${jwt}` };
  const path = `${sim.url}/registrationprocessor/v1/workflowmanager/workflowaction`;
  assert.equal((await post(path, workflowActionRequest([resume.regId], 'RESUME_PROCESSING'), cookie)).status, 200);
  assert.equal((await post(path, workflowActionRequest([fromBeginning.regId], 'RESUME_FROM_BEGINNING'), cookie)).status, 200);

  // Over HTTP, as an operator rehearsing `reprocess action` would trigger it.
  const reply = await post(`${sim.url}/sim/reprocessor-tick`, {});
  assert.equal(reply.status, 200);
  const tick = JSON.parse(reply.text) as Awaited<ReturnType<typeof reprocessorTick>>;
  assert.deepEqual(tick.reprocessFailed, []);
  assert.deepEqual(tick.sent.map((s) => [s.regId, s.message.topic]).sort(), [
    [resume.regId, 'packet-classifier-new-bus-out'],
    [fromBeginning.regId, 'packet-uploader-bus-in'],
  ].sort());
  for (const row of [resume, fromBeginning]) {
    const after = await rowOf(row.workflowInstanceId);
    assert.equal(after.status_code, 'RESUMABLE');
    assert.equal(after.latest_trn_type_code, 'PACKET_REPROCESS');
    assert.equal(after.latest_trn_status_code, 'REPROCESS');
    assert.equal(after.reg_process_retry_count, 4);
    assert.equal(after.status_comment, 'Reprocess Completed');
  }
  assert.equal((await rowOf(untouched.workflowInstanceId)).status_code, 'PAUSED', 'a PAUSED packet is not the reprocessor\'s');
  const sent = tick.sent.find((s) => s.regId === resume.regId)!.message.message;
  assert.deepEqual([sent.rid, sent.reg_type, sent.workflowInstanceId, sent.isValid], [resume.regId, 'NEW', resume.workflowInstanceId, true]);
  await db.pool.query(`UPDATE "${db.schema}".registration SET status_code = 'PROCESSING' WHERE status_code = 'RESUMABLE'`);
});

test('restart trigger sends to the securezone stage; the attempt count marks REPROCESS_FAILED and sends nothing; fetch size and upd_dtimes order', async () => {
  const old = new Date(Date.now() - 3 * DAY_MS);
  const dedupe = stuckRow({ statusCode: 'RESUMABLE', regStageName: 'BioDedupeStage', latestTrnStatusCode: 'IN_PROGRESS', latestTrnDtimes: old });
  const spent = stuckRow({ statusCode: 'RESUMABLE', regProcessRetryCount: 20, latestTrnDtimes: new Date(old.getTime() + 1000) });
  const later = stuckRow({ statusCode: 'RESUMABLE', latestTrnDtimes: new Date(old.getTime() + 2000) });
  await insertRegistrations(db.pool, db.schema, [later, dedupe, spent]);

  const tick = await reprocessorTick(db.pool, db.schema, { fetchSize: 2 });
  assert.deepEqual(tick.sent.map((s) => [s.regId, s.message.topic]), [[dedupe.regId, 'securezone-notification-bus-in']]);
  assert.deepEqual(tick.reprocessFailed, [spent.workflowInstanceId]);
  assert.equal((await rowOf(dedupe.workflowInstanceId)).status_comment, 'Reprocess restart from stage Completed');
  const failed = await rowOf(spent.workflowInstanceId);
  assert.deepEqual([failed.status_code, failed.latest_trn_status_code, failed.latest_trn_type_code, failed.reg_process_retry_count],
    ['REPROCESS_FAILED', 'REPROCESS_FAILED', 'PACKET_REPROCESS', 20]);
  assert.equal((await rowOf(later.workflowInstanceId)).latest_trn_type_code, 'UPLOAD_PACKET', 'past the fetch size');
});
