// The simulated SecurezoneNotificationStage over real HTTP, asserting on the rows it writes (docs/mosip-facts.md,
// "Securezone notification endpoint", "What the stage writes"). The simulator's own database sessions run in
// a far-from-UTC TimeZone, so a timestamp written as local time instead of UTC would be 14 hours off.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { createPool } from 'mosip-reprocess/db/connect.js';
import { startSimulator, type RunningSimulator } from '../src/sim/server.js';
import { insertRegistrations, type RegistrationRowInput } from '../src/sql/registrationRows.js';
import { freshSchema, TEST_DB_URL, type TestSchema } from '@mosip-reprocess/testkit/db.js';
import { DAY_MS, notify, notifyBody, post, NOTIFY, SECRET, stuckRow, token } from './simFixtures.js';

let db: TestSchema;
let simPool: pg.Pool;
let sim: RunningSimulator;
let jwt: string;

before(async () => {
  db = await freshSchema('simsz');
  simPool = createPool({ url: TEST_DB_URL, max: 4 });
  simPool.on('connect', (client) => void client.query(`SET TIME ZONE 'Pacific/Kiritimati'`)); // UTC+14
  sim = await startSimulator({ db: simPool, schema: db.schema, clients: [{ secret: SECRET }] });
  jwt = await token(sim.url);
});

after(async () => {
  await sim.close();
  await simPool.end();
  await db.drop();
});

const FORWARDED = (rid: string) => JSON.stringify(`Packet with registrationId '${rid}' has been forwarded to next stage`);
const NOT_UPLOADED = (rid: string) => JSON.stringify(`Packet with registrationId '${rid}' has not been uploaded to file System`);

async function rowOf(workflowInstanceId: string): Promise<Record<string, any>> {
  const { rows } = await db.pool.query(`SELECT * FROM "${db.schema}".registration WHERE workflow_instance_id = $1`, [workflowInstanceId]);
  assert.equal(rows.length, 1);
  return rows[0];
}

async function transactionsOf(regId: string): Promise<Record<string, any>[]> {
  const { rows } = await db.pool.query(`SELECT * FROM "${db.schema}".registration_transaction WHERE reg_id = $1 ORDER BY cr_dtimes`, [regId]);
  return rows;
}

async function given(...rows: RegistrationRowInput[]): Promise<void> {
  await insertRegistrations(db.pool, db.schema, rows);
}

function forwardedFor(workflowInstanceId: string) {
  return sim.stats().forwarded.filter((m) => m.message.workflowInstanceId === workflowInstanceId);
}

function assertRecent(at: Date, what: string): void {
  assert.ok(at instanceof Date, what);
  assert.ok(Math.abs(at.getTime() - Date.now()) < 60_000, `${what} is ${at.toISOString()}, not now (UTC)`);
}

/** The stage's refusal paths that must leave the database exactly as it was. */
async function assertUntouched(row: RegistrationRowInput, before: Record<string, any>): Promise<void> {
  assert.deepEqual(await rowOf(row.workflowInstanceId), before);
  assert.deepEqual(await transactionsOf(row.regId), []);
  assert.deepEqual(forwardedFor(row.workflowInstanceId), []);
}

test('success: forwarded reply, latest_trn_* rewritten in UTC, one transaction row, status_code and retries kept, one Kafka message', async () => {
  const row = stuckRow({ regProcessRetryCount: 7 });
  await given(row);
  const reply = await notify(sim.url, jwt, notifyBody(row, { source: 'REGISTRATION_CLIENT' }));

  assert.equal(reply.status, 200);
  assert.equal(reply.text, FORWARDED(row.regId));
  assert.equal(reply.headers.get('content-type'), 'text/plain');
  assert.equal(reply.headers.get('access-control-allow-origin'), '*');
  assert.equal(reply.headers.get('access-control-allow-methods'), 'GET, POST');
  assert.equal(reply.headers.get('set-cookie'), `Authorization=${jwt}`);

  const [trn, ...more] = await transactionsOf(row.regId);
  assert.ok(trn);
  assert.equal(more.length, 0);
  assert.equal(trn.parent_regtrn_id, row.latestTrnId);
  assert.equal(trn.trn_type_code, 'SECUREZONE_NOTIFICATION');
  assert.equal(trn.status_code, 'SUCCESS');
  assert.equal(trn.sub_status_code, 'RPR-SEN-SUCCESS-001');
  assert.equal(trn.status_comment, 'Notification received to securezone');
  assert.equal(trn.remarks, 'updated registration status record');
  assert.equal(trn.ref_id, row.regId);
  assert.equal(trn.ref_id_type, 'updated registration record');
  assert.equal(trn.lang_code, 'eng');
  assert.equal(trn.cr_by, 'MOSIP_SYSTEM');
  assertRecent(trn.cr_dtimes, 'registration_transaction.cr_dtimes');

  const after = await rowOf(row.workflowInstanceId);
  assert.equal(after.latest_trn_id, trn.id);
  assert.equal(after.latest_trn_type_code, 'SECUREZONE_NOTIFICATION');
  assert.equal(after.latest_trn_status_code, 'SUCCESS');
  assert.equal(after.reg_stage_name, 'SecurezoneNotificationStage');
  assert.equal(after.last_success_stage_name, 'SecurezoneNotificationStage');
  assert.equal(after.status_comment, 'Notification received to securezone');
  assert.equal(after.status_code, 'PROCESSING', 'status_code is never changed by this path');
  assert.equal(after.reg_process_retry_count, 7);
  assertRecent(after.latest_trn_dtimes, 'latest_trn_dtimes');
  assertRecent(after.upd_dtimes, 'upd_dtimes');

  assert.equal(sim.stats().notificationsByWorkflowId[row.workflowInstanceId], 1);
  const [sent, ...others] = forwardedFor(row.workflowInstanceId);
  assert.ok(sent);
  assert.equal(others.length, 0);
  assert.equal(sent.topic, 'securezone-notification-new-bus-out');
  assert.equal(sent.key, row.regId);
  const { lastHopTimestamp, ...message } = sent.message;
  assert.deepEqual(message, {
    reg_type: 'NEW', rid: row.regId, isValid: true, internalError: false,
    messageBusAddress: { address: 'securezone-notification-bus-out' }, retryCount: null, tags: {},
    source: 'REGISTRATION_CLIENT', iteration: 1, workflowInstanceId: row.workflowInstanceId,
  });
  assertRecent(new Date(lastHopTimestamp), 'lastHopTimestamp');
});

test('the stage ignores status_code: a FAILED UPDATE packet is forwarded on the update topic and stays FAILED', async () => {
  const row = stuckRow({ process: 'UPDATE', statusCode: 'FAILED', latestTrnStatusCode: 'FAILED', lastSuccessStageName: null });
  await given(row);
  const reply = await notify(sim.url, jwt, notifyBody(row, { iteration: 2 }));
  assert.equal(reply.text, FORWARDED(row.regId));
  const after = await rowOf(row.workflowInstanceId);
  assert.equal(after.status_code, 'FAILED');
  assert.equal(after.latest_trn_status_code, 'SUCCESS');
  const [sent] = forwardedFor(row.workflowInstanceId);
  assert.equal(sent?.topic, 'securezone-notification-update-bus-out');
  assert.equal(sent?.message.iteration, 2);
});

test('rid is compared case-insensitively and the lookup uses only the workflow id (reg_type ignored)', async () => {
  const row = stuckRow({ regId: `legacy-abc-${randomUUID().slice(0, 8)}` });
  await given(row);
  const upper = row.regId.toUpperCase();
  const reply = await notify(sim.url, jwt, notifyBody(row, { rid: upper, reg_type: 'LOST' }));
  assert.equal(reply.text, FORWARDED(upper), 'the reply names the rid as sent');
  assert.equal((await rowOf(row.workflowInstanceId)).latest_trn_status_code, 'SUCCESS');
  assert.equal(forwardedFor(row.workflowInstanceId)[0]?.topic, 'securezone-notification-lost-bus-out');
});

test('unknown or inactive workflow id: body null, nothing written', async () => {
  const inactive = stuckRow({ isActive: false });
  await given(inactive);
  const before = await rowOf(inactive.workflowInstanceId);
  const { rows: [{ n: transactionsBefore }] } = await db.pool.query(`SELECT count(*)::int AS n FROM "${db.schema}".registration_transaction`);

  const unknown = await notify(sim.url, jwt, notifyBody({ ...stuckRow(), workflowInstanceId: randomUUID() }));
  assert.equal(unknown.status, 200);
  assert.equal(unknown.text, 'null');
  assert.equal(unknown.headers.get('content-type'), 'text/plain');
  assert.equal((await notify(sim.url, jwt, notifyBody(inactive))).text, 'null');

  await assertUntouched(inactive, before);
  const { rows: [{ n: transactionsAfter }] } = await db.pool.query(`SELECT count(*)::int AS n FROM "${db.schema}".registration_transaction`);
  assert.equal(transactionsAfter, transactionsBefore);
});

test('missing or null iteration: body null before any lookup, row untouched', async () => {
  const row = stuckRow();
  await given(row);
  const before = await rowOf(row.workflowInstanceId);
  const { iteration: _dropped, ...withoutIteration } = notifyBody(row);
  assert.equal((await notify(sim.url, jwt, withoutIteration)).text, 'null');
  assert.equal((await notify(sim.url, jwt, notifyBody(row, { iteration: null }))).text, 'null');
  await assertUntouched(row, before);
  assert.equal(sim.stats().notificationsByWorkflowId[row.workflowInstanceId], 2, 'both reached the stage');
});

test('duplicate resend of a RID: REJECTED + not uploaded, status_code kept, no Kafka message; the original still goes through', async () => {
  const now = Date.now();
  const original = stuckRow({ crDtimes: new Date(now - 5 * DAY_MS) });
  const resend = stuckRow({ regId: original.regId, crDtimes: new Date(now - 3 * DAY_MS) });
  await given(original, resend);

  const reply = await notify(sim.url, jwt, notifyBody(resend));
  assert.equal(reply.status, 200);
  assert.equal(reply.text, NOT_UPLOADED(resend.regId));
  const after = await rowOf(resend.workflowInstanceId);
  assert.equal(after.latest_trn_status_code, 'REJECTED');
  assert.equal(after.latest_trn_type_code, 'SECUREZONE_NOTIFICATION');
  assert.equal(after.status_comment, 'Duplicate Packet against same additional info request Id.');
  assert.equal(after.status_code, 'PROCESSING', 'left PROCESSING with latest status REJECTED');
  assert.equal(after.last_success_stage_name, 'PacketUploaderStage', 'kept on a non-success');
  const trns = await transactionsOf(resend.regId);
  assert.equal(trns.length, 1);
  assert.equal(trns[0]?.status_code, 'REJECTED');
  assert.equal(trns[0]?.sub_status_code, 'RPR-SEN-SUCCESS-001', 'the success sub status; RPR-SEZ-002 is only the audit code');
  assert.equal(trns[0]?.status_comment, 'Duplicate Packet against same additional info request Id.');
  assert.equal(trns[0]?.parent_regtrn_id, resend.latestTrnId);
  assert.deepEqual(forwardedFor(resend.workflowInstanceId), []);

  assert.equal((await notify(sim.url, jwt, notifyBody(original))).text, FORWARDED(original.regId));
  assert.equal(forwardedFor(original.workflowInstanceId).length, 1);
});

test('sub-process packets: duplicates are found by additional_info_req_id, never by reg_id alone', async () => {
  const now = Date.now();
  const first = stuckRow({ process: 'BIOMETRIC_CORRECTION', additionalInfoReqId: 'REQ-1', crDtimes: new Date(now - 3 * DAY_MS) });
  const second = stuckRow({ process: 'BIOMETRIC_CORRECTION', additionalInfoReqId: 'REQ-1', crDtimes: new Date(now - 2 * DAY_MS) });
  const sameRidA = stuckRow({ process: 'BIOMETRIC_CORRECTION', crDtimes: new Date(now - 3 * DAY_MS) });
  const sameRidB = stuckRow({ process: 'BIOMETRIC_CORRECTION', regId: sameRidA.regId, crDtimes: new Date(now - 2 * DAY_MS) });
  await given(first, second, sameRidA, sameRidB);

  assert.equal((await notify(sim.url, jwt, notifyBody(second))).text, NOT_UPLOADED(second.regId));
  assert.equal((await notify(sim.url, jwt, notifyBody(first))).text, FORWARDED(first.regId));
  assert.equal((await notify(sim.url, jwt, notifyBody(sameRidB))).text, FORWARDED(sameRidB.regId));
});

test('rid mismatch: the NOT NULL sub_status_code insert fails, failure-handler text, database unchanged', async () => {
  const row = stuckRow();
  const other = stuckRow();
  await given(row);
  const before = await rowOf(row.workflowInstanceId);
  const reply = await notify(sim.url, jwt, notifyBody(row, { rid: other.regId }));
  assert.equal(reply.status, 200);
  assert.equal(reply.headers.get('content-type'), 'text/plain');
  const message = JSON.parse(reply.text) as string;
  assert.match(message, /^could not execute statement; .*constraint \[sub_status_code\]/);
  await assertUntouched(row, before);
  assert.equal(sim.stats().stagePaths.rid_mismatch, 1);
});

test('no sync row, or no workflow id (lookup by rid): RPR-SEZ-001 path, failure text, database unchanged', async () => {
  const unsynced = stuckRow({ withoutSyncRow: true });
  const byRid = stuckRow();
  await given(unsynced, byRid);
  const beforeUnsynced = await rowOf(unsynced.workflowInstanceId);
  const beforeByRid = await rowOf(byRid.workflowInstanceId);

  const reply = await notify(sim.url, jwt, notifyBody(unsynced));
  assert.match(JSON.parse(reply.text), /could not execute statement/);
  const { workflowInstanceId: _none, ...withoutWorkflowId } = notifyBody(byRid);
  const replyByRid = await notify(sim.url, jwt, withoutWorkflowId);
  assert.match(JSON.parse(replyByRid.text), /could not execute statement/);

  await assertUntouched(unsynced, beforeUnsynced);
  await assertUntouched(byRid, beforeByRid);
});

test('two commits, as MOSIP: the transaction row is committed before the registration row, and stays when the registration update fails', async () => {
  const row = stuckRow();
  await given(row);
  const before = await rowOf(row.workflowInstanceId);
  // The registration update of this one row fails (as a constraint would), after the transaction insert went through.
  const s = `"${db.schema}"`;
  await db.pool.query(`CREATE FUNCTION ${s}.refuse_update() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'refused by the test' USING ERRCODE = 'check_violation', CONSTRAINT = 'test_refusal'; END $$`);
  await db.pool.query(`CREATE TRIGGER refuse_update BEFORE UPDATE ON ${s}.registration FOR EACH ROW
    WHEN (OLD.workflow_instance_id = '${row.workflowInstanceId}') EXECUTE FUNCTION ${s}.refuse_update()`);
  try {
    const reply = await notify(sim.url, jwt, notifyBody(row));
    assert.equal(reply.status, 200);
    assert.equal(JSON.parse(reply.text), 'RPR-RGS-001  --> Unable to Access Registration Table; \nnested exception is '
      + 'org.springframework.dao.DataIntegrityViolationException: could not execute statement; SQL [n/a]; constraint [test_refusal]; '
      + 'nested exception is org.hibernate.exception.ConstraintViolationException: could not execute statement');
  } finally {
    await db.pool.query(`DROP TRIGGER refuse_update ON ${s}.registration; DROP FUNCTION ${s}.refuse_update()`);
  }
  const trns = await transactionsOf(row.regId);
  assert.equal(trns.length, 1, 'the first commit stays');
  assert.equal(trns[0]?.trn_type_code, 'SECUREZONE_NOTIFICATION');
  assert.equal(trns[0]?.sub_status_code, 'RPR-SEN-SUCCESS-001');
  assert.equal(trns[0]?.parent_regtrn_id, row.latestTrnId);
  assert.deepEqual(await rowOf(row.workflowInstanceId), before, 'the registration row is as it was: latest_trn_id does not point at it');
  assert.deepEqual(forwardedFor(row.workflowInstanceId), [], 'nothing forwarded: the exception left process() first');
});

test('routing disabled: still the forwarded reply and the row update, but no Kafka message', async () => {
  const row = stuckRow();
  await given(row);
  sim.setRoutingEnabled(false);
  try {
    const reply = await notify(sim.url, jwt, notifyBody(row));
    assert.equal(reply.text, FORWARDED(row.regId));
    assert.equal((await rowOf(row.workflowInstanceId)).latest_trn_status_code, 'SUCCESS');
    assert.deepEqual(forwardedFor(row.workflowInstanceId), []);
  } finally {
    sim.setRoutingEnabled(true);
  }
  await notify(sim.url, jwt, notifyBody(row));
  assert.equal(forwardedFor(row.workflowInstanceId).length, 1, 'sent again once routing is back on');
});

test('the body is read as JSON whatever the content type; a null reg_type NPEs in the Kafka send after the update', async () => {
  const row = stuckRow();
  await given(row);
  const asText = await post(sim.url + NOTIFY, JSON.stringify(notifyBody(row)), { 'content-type': 'text/plain', cookie: `Authorization=${jwt}` });
  assert.equal(asText.text, FORWARDED(row.regId));

  const noType = stuckRow();
  await given(noType);
  const reply = await notify(sim.url, jwt, notifyBody(noType, { reg_type: null }));
  assert.equal(reply.text, 'null');
  assert.equal((await rowOf(noType.workflowInstanceId)).latest_trn_status_code, 'SUCCESS', 'committed before the send');
  assert.deepEqual(forwardedFor(noType.workflowInstanceId), []);

  const notJson = await notify(sim.url, jwt, 'rid=1');
  assert.equal(notJson.status, 200);
  assert.match(JSON.parse(notJson.text), /^Failed to decode:/);
});

test('onForward receives each message sent; resetStats clears counts', async () => {
  const received: string[] = [];
  const own = await startSimulator({
    db: db.pool, schema: db.schema, clients: [{ secret: SECRET }],
    onForward: (m) => { received.push(m.message.workflowInstanceId ?? ''); },
  });
  try {
    const row = stuckRow();
    await given(row);
    await notify(own.url, await token(own.url), notifyBody(row));
    assert.deepEqual(received, [row.workflowInstanceId]);
    assert.equal(own.stats().outcomes.forwarded, 1);
    own.resetStats();
    assert.equal(own.stats().outcomes.forwarded, 0);
    assert.deepEqual(own.stats().notificationsByWorkflowId, {});
  } finally {
    await own.close();
  }
});

test('clockSkewMs: the pods write on their own clock (stage, workflow manager, reprocessor) and stamp lastHopTimestamp with it', async () => {
  const skewMs = -120_000;
  const skewed = await startSimulator({ db: simPool, schema: db.schema, clients: [{ secret: SECRET }], clockSkewMs: skewMs });
  try {
    const skewedJwt = await token(skewed.url);
    const dbNow = async () => (await db.pool.query<{ now: Date }>(`SELECT now() AT TIME ZONE 'UTC' AS now`)).rows[0]!.now.getTime();
    // Off by the skew, give or take the time the test takes (well under the two minutes of skew).
    const assertSkewed = (at: Date, now: number, what: string) =>
      assert.ok(Math.abs(at.getTime() - now - skewMs) < 30_000, `${what} ${at.toISOString()} is not ${skewMs / 1000} s off the database's clock`);

    const row = stuckRow();
    const paused = stuckRow({ statusCode: 'PAUSED', pauseRuleIds: 'PAUSE' });
    await given(row, paused);
    assert.equal((await notify(skewed.url, skewedJwt, notifyBody(row))).text, FORWARDED(row.regId));
    let now = await dbNow();
    const after = await rowOf(row.workflowInstanceId);
    assertSkewed(after.latest_trn_dtimes, now, 'latest_trn_dtimes');
    assertSkewed(after.upd_dtimes, now, 'upd_dtimes');
    assertSkewed((await transactionsOf(row.regId))[0]!.cr_dtimes, now, 'cr_dtimes');
    const sent = skewed.stats().forwarded.find((m) => m.message.workflowInstanceId === row.workflowInstanceId)!;
    assertSkewed(new Date(sent.message.lastHopTimestamp), Date.now(), 'lastHopTimestamp');

    const action = await post(`${skewed.url}/registrationprocessor/v1/workflowmanager/workflowaction`, {
      id: 'mosip.registration.processor.workflow.action', version: '1.0', requesttime: new Date().toISOString(),
      request: { workflowIds: [paused.regId], workflowAction: 'RESUME_PROCESSING' },
    }, { cookie: `Authorization=${skewedJwt}` });
    assert.match(action.text, /successfully/);
    now = await dbNow();
    assertSkewed((await rowOf(paused.workflowInstanceId)).latest_trn_dtimes, now, 'latest_trn_dtimes after the workflow action');
    const tick = await skewed.reprocessorTick();
    assert.equal(tick.sent.length, 1);
    now = await dbNow();
    const ticked = await rowOf(paused.workflowInstanceId);
    assert.equal(ticked.latest_trn_type_code, 'PACKET_REPROCESS');
    assertSkewed(ticked.upd_dtimes, now, 'upd_dtimes after the reprocessor tick');
    assertSkewed(new Date(tick.sent[0]!.message.message.lastHopTimestamp), Date.now(), 'the reprocessor\'s lastHopTimestamp');
  } finally {
    await skewed.close();
  }
});
