// The simulated workflow action API (WorkflowActionApi + WorkflowActionService, MOSIP 1.2.0.1) over real HTTP on
// the real PostgreSQL: every reply and code path, the rows it writes, and the contract's classifier of each reply.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { createPool } from 'mosip-reprocess/db/connect.js';
import {
  classifyWorkflowActionReply, workflowActionRequest, type WorkflowAction,
} from '@mosip-reprocess/contract/workflowAction.js';
import { freshSchema, TEST_DB_URL, type TestSchema } from '@mosip-reprocess/testkit/db.js';
import { startSimulator, type RunningSimulator } from '../src/sim/server.js';
import { insertRegistrations, type RegistrationRowInput } from '../src/sql/registrationRows.js';
import { DAY_MS, post, SECRET, stuckRow, token, type Reply } from './simFixtures.js';

const ACTION = '/registrationprocessor/v1/workflowmanager/workflowaction';

let db: TestSchema;
let simPool: pg.Pool;
let sim: RunningSimulator;
let jwt: string;

before(async () => {
  db = await freshSchema('simwa');
  simPool = createPool({ url: TEST_DB_URL, max: 4 });
  simPool.on('connect', (client) => void client.query(`SET TIME ZONE 'Pacific/Kiritimati'`)); // UTC+14
  sim = await startSimulator({
    db: simPool, schema: db.schema,
    clients: [
      { secret: SECRET },
      { clientId: 'mosip-admin-client', secret: SECRET, roles: ['GLOBAL_ADMIN'] },
      { clientId: 'mosip-resident-client', secret: SECRET, roles: ['RESIDENT', 'REGISTRATION_ADMIN'] },
    ],
  });
  jwt = await token(sim.url);
});

after(async () => {
  await sim.close();
  await simPool.end();
  await db.drop();
});

/** A packet paused by a rule at the classifier, as the camel bridge leaves it. */
function pausedRow(over: Partial<RegistrationRowInput> = {}): RegistrationRowInput {
  return stuckRow({
    statusCode: 'PAUSED',
    latestTrnTypeCode: 'PACKET_CLASSIFICATION',
    latestTrnStatusCode: 'SUCCESS',
    regStageName: 'PacketClassifierStage',
    lastSuccessStageName: 'PacketClassifierStage',
    pauseRuleIds: 'PAUSE',
    defaultResumeAction: 'RESUME_PROCESSING',
    resumeTimestamp: new Date(Date.now() + DAY_MS),
    ...over,
  });
}

async function given(...rows: RegistrationRowInput[]): Promise<void> {
  await insertRegistrations(db.pool, db.schema, rows);
}

async function rowOf(workflowInstanceId: string): Promise<Record<string, any>> {
  const { rows } = await db.pool.query(`SELECT * FROM "${db.schema}".registration WHERE workflow_instance_id = $1`, [workflowInstanceId]);
  assert.equal(rows.length, 1);
  return rows[0];
}

async function transactionsOf(regId: string): Promise<Record<string, any>[]> {
  const { rows } = await db.pool.query(`SELECT * FROM "${db.schema}".registration_transaction WHERE reg_id = $1`, [regId]);
  return rows;
}

function act(body: unknown, bearer: string | null = jwt): Promise<Reply> {
  return post(sim.url + ACTION, body, bearer === null ? {} : { cookie: `Authorization=${bearer}` });
}

function request(rids: string[], action: string, over: Record<string, unknown> = {}) {
  return {
    id: 'mosip.registration.processor.workflow.action', version: '1.0', requesttime: new Date().toISOString(),
    request: { workflowIds: rids, workflowAction: action }, ...over,
  };
}

/** The pretty-printed envelope MOSIP sends (Jackson DefaultPrettyPrinter), responsetime masked. */
function expectedEnvelope(response: string | null, error: [string, string] | null): string {
  const resp = response === null ? 'null' : `{\n    "statusMessage" : ${JSON.stringify(response)}\n  }`;
  const errors = error === null ? 'null'
    : `[ {\n    "errorCode" : ${JSON.stringify(error[0])},\n    "message" : ${JSON.stringify(error[1])}\n  } ]`;
  return `{\n  "id" : "mosip.registration.processor.workflow.action",\n  "version" : "1.0",\n  "responsetime" : "<T>",\n`
    + `  "response" : ${resp},\n  "errors" : ${errors}\n}`;
}

function masked(reply: Reply): string {
  return reply.text.replace(/"responsetime" : "\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"/, '"responsetime" : "<T>"');
}

function assertRecent(at: Date, what: string): void {
  assert.ok(at instanceof Date, what);
  assert.ok(Math.abs(at.getTime() - Date.now()) < 60_000, `${what} is ${at.toISOString()}, not now (UTC)`);
}

async function assertUntouched(rows: RegistrationRowInput[], before: Record<string, any>[]): Promise<void> {
  for (const [i, row] of rows.entries()) {
    assert.deepEqual(await rowOf(row.workflowInstanceId), before[i]);
    assert.deepEqual(await transactionsOf(row.regId), []);
  }
}

async function snapshot(rows: RegistrationRowInput[]): Promise<Record<string, any>[]> {
  return Promise.all(rows.map((r) => rowOf(r.workflowInstanceId)));
}

test('RESUME_PROCESSING: 200 text/plain envelope, RESUMABLE, pause columns cleared, WORKFLOW_RESUME transaction; classified applied', async () => {
  const a = pausedRow({ crDtimes: new Date(Date.now() - 5 * DAY_MS) });
  const b = pausedRow({ pauseRuleIds: 'PAUSE,HOTLISTED_OPERATOR', defaultResumeAction: 'STOP_PROCESSING' });
  await given(a, b);
  const beforeA = await rowOf(a.workflowInstanceId);
  const reply = await act(workflowActionRequest([a.regId, b.regId], 'RESUME_PROCESSING'));

  assert.equal(reply.status, 200);
  assert.equal(reply.headers.get('content-type'), 'text/plain');
  assert.equal(reply.headers.get('set-cookie'), `Authorization=${jwt}`);
  assert.equal(masked(reply), expectedEnvelope(`Process the workflowIds '[${a.regId}, ${b.regId}]' successfully`, null));

  for (const row of [a, b]) {
    const after = await rowOf(row.workflowInstanceId);
    assert.equal(after.status_code, 'RESUMABLE');
    assert.equal(after.resume_timestamp, null);
    assert.equal(after.default_resume_action, null);
    assert.equal(after.pause_rule_ids, null);
    assert.equal(after.latest_trn_type_code, 'WORKFLOW_RESUME');
    assert.equal(after.latest_trn_status_code, 'SUCCESS'); // kept
    assert.equal(after.reg_stage_name, 'PacketClassifierStage'); // kept
    assert.equal(after.status_comment, 'Processed the workflow action - RESUME_PROCESSING');
    assert.equal(after.upd_by, 'MOSIP_SYSTEM');
    assert.equal(after.reg_process_retry_count, 3); // kept
    assertRecent(after.latest_trn_dtimes, 'latest_trn_dtimes');
    const [trn, ...more] = await transactionsOf(row.regId);
    assert.deepEqual(more, []);
    assert.equal(trn!.id, after.latest_trn_id);
    assert.equal(trn!.parent_regtrn_id, row.latestTrnId);
    assert.equal(trn!.trn_type_code, 'WORKFLOW_RESUME');
    assert.equal(trn!.status_code, 'SUCCESS');
    assert.equal(trn!.sub_status_code, 'RPR-WAS-001');
    assert.equal(trn!.status_comment, 'Processed the workflow action - RESUME_PROCESSING');
    assert.equal(trn!.ref_id, row.regId);
  }
  assert.equal((await rowOf(a.workflowInstanceId)).cr_dtimes.getTime(), beforeA.cr_dtimes.getTime());

  const classified = classifyWorkflowActionReply(reply.status, reply.text, [a.regId, b.regId]);
  assert.deepEqual([...classified.outcomes.values()], ['applied', 'applied']);
  assert.equal(classified.error, null);
});

test('RESUME_FROM_BEGINNING: RESUMABLE, latest status REPROCESS, stage PacketUploaderStage, last success stage kept', async () => {
  const row = pausedRow();
  await given(row);
  const reply = await act(workflowActionRequest([row.regId], 'RESUME_FROM_BEGINNING'));
  assert.equal(masked(reply), expectedEnvelope(`Process the workflowIds '[${row.regId}]' successfully`, null));
  const after = await rowOf(row.workflowInstanceId);
  assert.equal(after.status_code, 'RESUMABLE');
  assert.equal(after.latest_trn_status_code, 'REPROCESS');
  assert.equal(after.reg_stage_name, 'PacketUploaderStage');
  assert.equal(after.last_success_stage_name, 'PacketClassifierStage');
  assert.equal(after.pause_rule_ids, null);
  const [trn] = await transactionsOf(row.regId);
  assert.equal(trn!.status_code, 'REPROCESS');
});

test('STOP_PROCESSING: REJECTED for good, stage and latest status kept, one WorkflowCompletedEvent', async () => {
  const row = pausedRow({ pauseRuleIds: 'HOTLISTED_OPERATOR', defaultResumeAction: 'STOP_PROCESSING' });
  await given(row);
  const events = sim.stats().workflowActions.completedEvents;
  const reply = await act(workflowActionRequest([row.regId], 'STOP_PROCESSING'));
  assert.equal(masked(reply), expectedEnvelope(`Process the workflowIds '[${row.regId}]' successfully`, null));
  const after = await rowOf(row.workflowInstanceId);
  assert.equal(after.status_code, 'REJECTED');
  assert.equal(after.latest_trn_status_code, 'SUCCESS');
  assert.equal(after.reg_stage_name, 'PacketClassifierStage');
  assert.equal(after.status_comment, 'Processed the workflow action - STOP_PROCESSING');
  assert.equal(after.pause_rule_ids, null);
  assert.equal(sim.stats().workflowActions.completedEvents, events + 1);
});

test('RESUME on a PAUSED row whose latest status is REPROCESS_FAILED: status_code REPROCESS_FAILED, the reply still says success', async () => {
  const row = pausedRow({ latestTrnStatusCode: 'REPROCESS_FAILED', latestTrnTypeCode: 'PACKET_REPROCESS' });
  await given(row);
  const reply = await act(workflowActionRequest([row.regId], 'RESUME_FROM_BEGINNING'));
  assert.equal(masked(reply), expectedEnvelope(`Process the workflowIds '[${row.regId}]' successfully`, null));
  const after = await rowOf(row.workflowInstanceId);
  assert.equal(after.status_code, 'REPROCESS_FAILED');
  assert.equal(after.latest_trn_status_code, 'REPROCESS_FAILED');
  assert.equal(after.reg_stage_name, 'PacketClassifierStage');
});

test('RPR-WAA-004: one RID not PAUSED refuses the whole request before any write; classified not_paused / held_back', async () => {
  for (const status of ['PAUSED_FOR_ADDITIONAL_INFO', 'RESUMABLE', 'PROCESSING']) {
    const paused = pausedRow({ crDtimes: new Date(Date.now() - 6 * DAY_MS) });
    const other = pausedRow({ statusCode: status });
    await given(paused, other);
    const before = await snapshot([paused, other]);
    const reply = await act(workflowActionRequest([other.regId, paused.regId], 'RESUME_PROCESSING'));
    assert.equal(reply.status, 200);
    assert.equal(masked(reply), expectedEnvelope(null, ['RPR-WAA-004', `Workflow id  ${other.regId} is not PAUSED`]), status);
    await assertUntouched([paused, other], before);
    const classified = classifyWorkflowActionReply(reply.status, reply.text, [other.regId, paused.regId]);
    assert.equal(classified.outcomes.get(other.regId), 'not_paused');
    assert.equal(classified.outcomes.get(paused.regId), 'held_back');
  }
});

test('RPR-WAA-003: a RID without an active row refuses the whole request; inactive rows do not count', async () => {
  const paused = pausedRow();
  const inactive = pausedRow({ isActive: false });
  await given(paused, inactive);
  const before = await snapshot([paused, inactive]);
  for (const missing of [inactive.regId, '10001100020000920250101000000']) {
    const reply = await act(workflowActionRequest([paused.regId, missing], 'STOP_PROCESSING'));
    assert.equal(masked(reply), expectedEnvelope(null, ['RPR-WAA-003', `Workflow id  ${missing}  not found in registration table`]));
    const classified = classifyWorkflowActionReply(reply.status, reply.text, [paused.regId, missing]);
    assert.equal(classified.outcomes.get(missing), 'not_found');
    assert.equal(classified.outcomes.get(paused.regId), 'held_back');
  }
  await assertUntouched([paused, inactive], before);
});

test('MOSIP quirk: a RID sent twice skips the PAUSED check, so a PROCESSING row is resumed; the contract refuses to build such a request', async () => {
  const processing = stuckRow();
  await given(processing);
  const reply = await act(request([processing.regId, processing.regId], 'RESUME_PROCESSING'));
  assert.equal(masked(reply), expectedEnvelope(`Process the workflowIds '[${processing.regId}, ${processing.regId}]' successfully`, null));
  assert.equal((await rowOf(processing.workflowInstanceId)).status_code, 'RESUMABLE');
  assert.throws(() => workflowActionRequest([processing.regId, processing.regId], 'RESUME_PROCESSING'), /twice/);

  // The same with a RID that has two active rows, one of them not PAUSED: both are resumed.
  const pausedOne = pausedRow();
  const processingTwin = { ...stuckRow(), regId: pausedOne.regId };
  await given(pausedOne, processingTwin);
  const twin = await act(workflowActionRequest([pausedOne.regId], 'RESUME_PROCESSING'));
  assert.equal(masked(twin), expectedEnvelope(`Process the workflowIds '[${pausedOne.regId}]' successfully`, null));
  assert.equal((await rowOf(processingTwin.workflowInstanceId)).status_code, 'RESUMABLE');
});

test('MOSIP quirk: a RID with two active rows and a RID without any balance the count: both rows move, the missing RID "succeeds" too', async () => {
  const twice = pausedRow();
  const second = { ...pausedRow(), regId: twice.regId }; // another active workflow instance of the same RID
  await given(twice, second);
  const missing = '10001100020009920250101000000';
  const reply = await act(workflowActionRequest([twice.regId, missing], 'STOP_PROCESSING'));
  assert.equal(masked(reply), expectedEnvelope(`Process the workflowIds '[${twice.regId}, ${missing}]' successfully`, null));
  assert.equal((await rowOf(twice.workflowInstanceId)).status_code, 'REJECTED');
  assert.equal((await rowOf(second.workflowInstanceId)).status_code, 'REJECTED');
  // The reply cannot tell: the classifier says applied for both, and only the rows show what happened.
  const classified = classifyWorkflowActionReply(reply.status, reply.text, [twice.regId, missing]);
  assert.deepEqual([...classified.outcomes.values()], ['applied', 'applied']);
});

test('request validation: RPR-WAA-000/001 for id, version, requesttime in that order; RPR-WAA-002 for unreadable bodies; RPR-WAS-000 for an unknown action; nothing written', async () => {
  const row = pausedRow();
  await given(row);
  const before = await snapshot([row]);
  const rids = [row.regId];
  const cases: [unknown, string, string, string][] = [
    [request(rids, 'RESUME_PROCESSING', { id: undefined, version: undefined }), 'RPR-WAA-000', 'Missing Request Value - id', 'invalid_request'],
    [request(rids, 'RESUME_PROCESSING', { id: 'mosip.registration.processor.workflow.search' }), 'RPR-WAA-001', 'Invalid Request Value - id', 'invalid_request'],
    [request(rids, 'RESUME_PROCESSING', { id: 'MOSIP.REGISTRATION.PROCESSOR.WORKFLOW.ACTION', version: null }), 'RPR-WAA-000', 'Missing Request Value - version', 'invalid_request'],
    [request(rids, 'RESUME_PROCESSING', { version: 'v1' }), 'RPR-WAA-001', 'Invalid Request Value - version', 'invalid_request'],
    [request(rids, 'RESUME_PROCESSING', { requesttime: undefined }), 'RPR-WAA-000', 'Missing Request Value - requesttime', 'invalid_request'],
    [request(rids, 'RESUME_PROCESSING', { requesttime: '2026-11-30T04:00:00Z' }), 'RPR-WAA-001', 'Invalid Request Value - requesttime', 'invalid_request'],
    [request(rids, 'RESUME_PROCESSING', { requesttime: '2026-02-30T04:00:00.000Z' }), 'RPR-WAA-001', 'Invalid Request Value - requesttime', 'invalid_request'],
    [request(rids, 'RESUME_PROCESSING_AND_REMOVE_HOTLISTED_TAG'), 'RPR-WAS-000', 'Workflow Action not supported', 'invalid_request'],
    [{ id: 'mosip.registration.processor.workflow.action', version: '1.0', requesttime: new Date().toISOString() }, 'RPR-WAA-002', 'Unknown Exception', 'in_doubt'],
    ['{not json', 'RPR-WAA-002', 'Unknown Exception', 'in_doubt'],
    [request(rids, 'RESUME_PROCESSING', { request: { workflowIds: row.regId, workflowAction: 'RESUME_PROCESSING' } }), 'RPR-WAA-002', 'Unknown Exception', 'in_doubt'],
    [request([], 'RESUME_PROCESSING'), 'RPR-WAA-002', 'Unknown Exception', 'in_doubt'],
    [request(rids, 'RESUME_PROCESSING', { request: { workflowIds: rids } }), 'RPR-WAA-002', 'Unknown Exception', 'in_doubt'],
  ];
  for (const [body, code, message, outcome] of cases) {
    const reply = await act(body);
    assert.equal(reply.status, 200);
    assert.equal(masked(reply), expectedEnvelope(null, [code, message]), `${code} ${message}`);
    const classified = classifyWorkflowActionReply(reply.status, reply.text, rids);
    assert.equal(classified.outcomes.get(row.regId), outcome, `${code} ${message}`);
    assert.deepEqual(classified.error, { errorCode: code, message });
  }
  await assertUntouched([row], before);
});

test('auth: no cookie 401 and a token without the roles 403, envelopes echoing the request id; GLOBAL_ADMIN alone may act', async () => {
  const row = pausedRow();
  await given(row);
  const body = workflowActionRequest([row.regId], 'RESUME_PROCESSING');

  const anonymous = await act(body, null);
  assert.equal(anonymous.status, 401);
  assert.equal(anonymous.headers.get('content-type'), 'application/json');
  const env401 = JSON.parse(anonymous.text);
  assert.equal(env401.id, 'mosip.registration.processor.workflow.action');
  assert.equal(env401.version, '1.0');
  assert.deepEqual(env401.errors, [{ errorCode: 'KER-ATH-401', message: 'Authentication Failed' }]);
  assert.equal(classifyWorkflowActionReply(anonymous.status, anonymous.text, [row.regId]).outcomes.get(row.regId), 'unauthorized');

  const resident = await act(body, await token(sim.url, { clientId: 'mosip-resident-client' }));
  assert.equal(resident.status, 403);
  assert.deepEqual(JSON.parse(resident.text).errors, [{ errorCode: 'KER-ATH-403', message: 'Forbidden' }]);
  assert.equal(classifyWorkflowActionReply(resident.status, resident.text, [row.regId]).outcomes.get(row.regId), 'forbidden');
  assert.equal((await rowOf(row.workflowInstanceId)).status_code, 'PAUSED');

  const admin = await act(body, await token(sim.url, { clientId: 'mosip-admin-client' }));
  assert.equal(admin.status, 200);
  assert.equal((await rowOf(row.workflowInstanceId)).status_code, 'RESUMABLE');
});

test('a row that fails part-way: the rows before it (by creation time) stay moved, it and later ones do not; classified in_doubt', async () => {
  const first = pausedRow({ crDtimes: new Date(Date.now() - 9 * DAY_MS) });
  const failing = pausedRow({ crDtimes: new Date(Date.now() - 8 * DAY_MS) });
  const last = pausedRow({ crDtimes: new Date(Date.now() - 7 * DAY_MS) });
  await given(first, failing, last);
  // A real database failure on one row's update (what TablenotAccessibleException stands for).
  const fn = `"${db.schema}".fail_${randomUUID().replaceAll('-', '')}`;
  await db.pool.query(`CREATE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN IF NEW.reg_id = '${failing.regId}' THEN RAISE EXCEPTION 'disk full'; END IF; RETURN NEW; END $$`);
  await db.pool.query(`CREATE TRIGGER fail_one BEFORE UPDATE ON "${db.schema}".registration FOR EACH ROW EXECUTE FUNCTION ${fn}()`);
  try {
    const rids = [last.regId, failing.regId, first.regId];
    const reply = await act(workflowActionRequest(rids, 'RESUME_PROCESSING' satisfies WorkflowAction));
    assert.equal(masked(reply), expectedEnvelope(null, ['RPR-RGS-001 ', 'Unable to Access Registration Table']));
    assert.equal((await rowOf(first.workflowInstanceId)).status_code, 'RESUMABLE');
    assert.equal((await rowOf(failing.workflowInstanceId)).status_code, 'PAUSED');
    assert.deepEqual(await transactionsOf(failing.regId), []); // its transaction row rolled back with it
    assert.equal((await rowOf(last.workflowInstanceId)).status_code, 'PAUSED');
    const classified = classifyWorkflowActionReply(reply.status, reply.text, rids);
    assert.deepEqual([...classified.outcomes.values()], ['in_doubt', 'in_doubt', 'in_doubt']);
    assert.deepEqual(classified.error, { errorCode: 'RPR-RGS-001', message: 'Unable to Access Registration Table' });
  } finally {
    await db.pool.query(`DROP TRIGGER fail_one ON "${db.schema}".registration`);
  }
});

test('classifier: a success text for other RIDs, a 200 that is not an envelope, and a 5xx are never applied', () => {
  const rids = ['10001100020000120250101000000'];
  const other = JSON.stringify({ id: 'x', version: '1.0', responsetime: null, response: { statusMessage: "Process the workflowIds '[1]' successfully" }, errors: null });
  assert.equal(classifyWorkflowActionReply(200, other, rids).outcomes.get(rids[0]!), 'in_doubt');
  assert.equal(classifyWorkflowActionReply(200, '"The token was expected to have 3 parts, but got 1."', rids).outcomes.get(rids[0]!), 'in_doubt');
  assert.equal(classifyWorkflowActionReply(503, 'no healthy upstream', rids).outcomes.get(rids[0]!), 'server_error');
  const unknownCode = JSON.stringify({ response: null, errors: [{ errorCode: 'RPR-PKM-001', message: 'packet manager down' }] });
  assert.equal(classifyWorkflowActionReply(200, unknownCode, rids).outcomes.get(rids[0]!), 'in_doubt');
});
