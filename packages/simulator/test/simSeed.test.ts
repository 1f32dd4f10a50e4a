// Test and seed rows: the batch insert's defaults and chunking, and a seeded backlog that looks like MOSIP's
// (valid RIDs, matching sync rows, duplicate resends the simulator rejects), repeatable from its seed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { isUuid, ridProblem } from '@mosip-reprocess/contract/rid.js';
import { seedScenario, type SeedSummary } from '../src/sim/seed.js';
import { KER_PUT_020_COMMENT } from '@mosip-reprocess/contract/history.js';
import { selectionCounts } from 'mosip-reprocess/sql/selectionCounts.js';
import { startSimulator } from '../src/sim/server.js';
import { insertRegistrations } from '../src/sql/registrationRows.js';
import { freshSchema, TEST_DB_URL, type TestSchema } from '@mosip-reprocess/testkit/db.js';
import { createSchema, schemaDdl } from '@mosip-reprocess/contract/schema.js';
import { createSchemaCommand, seedCommand } from '../src/sim/cli.js';
import { DAY_MS, notify, notifyBody, SECRET, stuckRow, token } from './simFixtures.js';

let rowsDb: TestSchema;
let seeded: TestSchema;
let summary: SeedSummary;
const NOW = new Date('2025-03-10T08:00:00.000Z');
const COUNT = 6000;

before(async () => {
  rowsDb = await freshSchema('simrows');
  seeded = await freshSchema('simseed');
  summary = await seedScenario(seeded.pool, seeded.schema, { count: COUNT, seed: 42, now: NOW, chunkSize: 1500 });
});

after(async () => {
  await rowsDb.drop();
  await seeded.drop();
});

test('insertRegistrations: chunks, NOT NULL defaults, UTC timestamps, and a sync row unless withoutSyncRow', async () => {
  const crDtimes = new Date('2024-02-29T23:59:58.123Z');
  const rows = Array.from({ length: 2345 }, (_, i) => ({
    regId: `1000110002${String(i).padStart(5, '0')}20240229235900`,
    workflowInstanceId: randomUUID(),
    process: i % 2 ? 'NEW' : 'RES_UPDATE',
    crDtimes,
    withoutSyncRow: i % 100 === 0,
  }));
  const counts = await insertRegistrations(rowsDb.pool, rowsDb.schema, rows);
  assert.deepEqual(counts, { registrations: 2345, syncRows: 2345 - 24 });

  const s = `"${rowsDb.schema}"`;
  const { rows: [sample] } = await rowsDb.pool.query(`SELECT * FROM ${s}.registration WHERE workflow_instance_id = $1`, [rows[1]!.workflowInstanceId]);
  assert.equal(sample.status_code, 'PROCESSING');
  assert.equal(sample.lang_code, 'eng');
  assert.equal(sample.cr_by, 'MOSIP_SYSTEM');
  assert.equal(sample.is_active, true);
  assert.equal(sample.is_deleted, false);
  assert.equal(sample.latest_trn_type_code, 'PACKET_RECEIVER');
  assert.equal(sample.latest_trn_status_code, 'SUCCESS');
  assert.equal(sample.reg_stage_name, 'PacketReceiverStage');
  assert.equal(sample.reg_process_retry_count, 0);
  assert.equal(sample.iteration, 1);
  assert.ok(isUuid(sample.latest_trn_id));
  assert.equal(sample.source, 'REGISTRATION_CLIENT');
  assert.equal(sample.cr_dtimes.toISOString(), crDtimes.toISOString(), 'stored as UTC wall-clock time');
  assert.equal(sample.latest_trn_dtimes.toISOString(), crDtimes.toISOString());

  const { rows: [resident] } = await rowsDb.pool.query(`SELECT source FROM ${s}.registration WHERE workflow_instance_id = $1`, [rows[2]!.workflowInstanceId]);
  assert.equal(resident.source, 'RESIDENT');
  const { rows: [sync] } = await rowsDb.pool.query(`SELECT * FROM ${s}.registration_list WHERE workflow_instance_id = $1`, [rows[1]!.workflowInstanceId]);
  assert.equal(sync.reg_id, rows[1]!.regId);
  assert.equal(sync.process, 'NEW');
  assert.equal(sync.additional_info_req_id, null);
  assert.equal(sync.is_deleted, false);
  const { rows: [missing] } = await rowsDb.pool.query(`SELECT count(*)::int AS n FROM ${s}.registration_list WHERE workflow_instance_id = $1`, [rows[0]!.workflowInstanceId]);
  assert.equal(missing.n, 0);

  await insertRegistrations(rowsDb.pool, rowsDb.schema, [stuckRow({ source: null })]);
  const { rows: [migrated] } = await rowsDb.pool.query(`SELECT count(*)::int AS n FROM ${s}.registration WHERE source IS NULL`);
  assert.equal(migrated.n, 1, 'an explicit null source is stored as NULL');
});

test('seedScenario: valid RIDs older than cr_dtimes, UUID workflow ids, one matching sync row per registration', async () => {
  assert.equal(summary.registrations, COUNT);
  assert.equal(summary.syncRows, COUNT);
  const s = `"${seeded.schema}"`;
  const { rows } = await seeded.pool.query(`
    SELECT r.reg_id, r.workflow_instance_id, r.cr_dtimes, r.process, r.source, l.reg_id AS sync_reg_id,
           l.process AS sync_process, l.source AS sync_source
    FROM ${s}.registration r LEFT JOIN ${s}.registration_list l USING (workflow_instance_id)`);
  assert.equal(rows.length, COUNT);
  for (const r of rows) {
    assert.equal(ridProblem(r.reg_id), null, r.reg_id);
    const ts = r.reg_id.slice(15);
    const ridTime = Date.UTC(+ts.slice(0, 4), +ts.slice(4, 6) - 1, +ts.slice(6, 8), +ts.slice(8, 10), +ts.slice(10, 12), +ts.slice(12, 14));
    assert.ok(ridTime < r.cr_dtimes.getTime(), `RID ${r.reg_id} is not older than cr_dtimes ${r.cr_dtimes.toISOString()}`);
    assert.ok(r.cr_dtimes.getTime() <= NOW.getTime());
    assert.ok(isUuid(r.workflow_instance_id));
    assert.deepEqual([r.sync_reg_id, r.sync_process, r.sync_source], [r.reg_id, r.process, r.source]);
  }
});

test('seedScenario: the mix an upgraded deployment has, and a summary that matches the rows', async () => {
  const s = `"${seeded.schema}"`;
  const q = async (sql: string): Promise<number> => (await seeded.pool.query(sql)).rows[0].n;

  assert.ok(summary.byProcess.NEW! > COUNT / 2, 'mostly NEW');
  for (const process of ['UPDATE', 'LOST', 'RES_UPDATE']) assert.ok((summary.byProcess[process] ?? 0) > 0, process);
  assert.ok(summary.byStatusCode.PROCESSING! > COUNT / 2, 'mostly PROCESSING');
  for (const status of ['PROCESSED', 'FAILED', 'REJECTED', 'REPROCESS', 'PAUSED']) assert.ok((summary.byStatusCode[status] ?? 0) > 0, status);
  for (const legacy of ['QUALITY_CHECK', 'OSI_VALIDATE', 'MANUAL_VERIFICATION']) assert.ok((summary.byLatestTrnTypeCode[legacy] ?? 0) > 0, legacy);

  assert.equal(await q(`SELECT count(*)::int AS n FROM ${s}.registration WHERE source IS NULL`), summary.migrated);
  assert.ok(summary.migrated > 0);
  assert.equal(await q(`SELECT count(*)::int AS n FROM ${s}.registration WHERE reg_process_retry_count > 500`), summary.retryCountOver500);
  assert.ok(summary.retryCountOver500 > 0);
  const dayAgo = new Date(NOW.getTime() - DAY_MS).toISOString().replace('T', ' ').replace('Z', '');
  assert.equal(await q(`SELECT count(*)::int AS n FROM ${s}.registration WHERE latest_trn_dtimes >= '${dayAgo}'`), summary.touchedLastDay);
  assert.ok(summary.touchedLastDay > 0 && summary.touchedLastDay < COUNT / 4, 'some, not most, touched in the last day');

  // The guide's APPROACH 1 query, with "now" pinned to the scenario's.
  assert.equal(await q(`SELECT count(*)::int AS n FROM ${s}.registration WHERE latest_trn_status_code IN ('SUCCESS','REPROCESS','IN_PROGRESS')
      AND reg_process_retry_count <= 500 AND latest_trn_dtimes < '${dayAgo}' AND status_code NOT IN ('PROCESSED','FAILED','REJECTED')`),
    summary.approach1Eligible);

  // Duplicates: a later active packet whose RID already has an earlier active, synced main-process packet.
  assert.ok(summary.duplicates > 0);
  assert.equal(await q(`SELECT count(*)::int AS n FROM ${s}.registration later WHERE EXISTS (
      SELECT 1 FROM ${s}.registration earlier JOIN ${s}.registration_list l USING (workflow_instance_id)
      WHERE earlier.reg_id = later.reg_id AND earlier.cr_dtimes < later.cr_dtimes AND earlier.is_active
        AND l.additional_info_req_id IS NULL)`), summary.duplicates);
});

test('seedScenario: paused packets as MOSIP leaves them, some under the hotlisted-operator rule, and the guide\'s query takes them', async () => {
  const s = `"${seeded.schema}"`;
  const { rows } = await seeded.pool.query(`SELECT status_code, pause_rule_ids, default_resume_action, latest_trn_type_code,
      latest_trn_status_code, reg_stage_name, status_comment, round(extract(epoch FROM resume_timestamp - latest_trn_dtimes))::int AS pause_s
    FROM ${s}.registration WHERE status_code IN ('PAUSED', 'PAUSED_FOR_ADDITIONAL_INFO', 'RESUMABLE')`);
  const byRule: Record<string, number> = {};
  for (const r of rows) {
    if (r.status_code === 'PAUSED') {
      byRule[r.pause_rule_ids] = (byRule[r.pause_rule_ids] ?? 0) + 1;
      assert.equal(r.latest_trn_type_code, 'INTERNAL_WORKFLOW_ACTION');
      const hotlisted = r.pause_rule_ids.split(',').includes('HOTLISTED_OPERATOR');
      // The longest matched pause decides: HOTLISTED_OPERATOR 432000 s then STOP_PROCESSING, PAUSE 180 s then RESUME_PROCESSING.
      assert.equal(r.default_resume_action, hotlisted ? 'STOP_PROCESSING' : 'RESUME_PROCESSING', r.pause_rule_ids);
      assert.equal(r.pause_s, hotlisted ? 432000 : 180);
      assert.match(r.status_comment, /^Packet paused because of pause settings match\(.+\)$/);
      if (r.pause_rule_ids === 'PAUSE') assert.equal(r.reg_stage_name, 'PacketClassifierStage');
    } else if (r.status_code === 'PAUSED_FOR_ADDITIONAL_INFO') {
      assert.deepEqual([r.pause_rule_ids, r.default_resume_action, r.latest_trn_type_code], [null, 'STOP_PROCESSING', 'INTERNAL_WORKFLOW_ACTION']);
    } else {
      assert.deepEqual([r.pause_rule_ids, r.default_resume_action, r.pause_s, r.latest_trn_type_code], [null, null, null, 'WORKFLOW_RESUME']);
      assert.ok(['SUCCESS', 'REPROCESS'].includes(r.latest_trn_status_code));
    }
  }
  assert.deepEqual(byRule, summary.byPauseRuleIds);
  for (const rule of ['PAUSE', 'HOTLISTED_OPERATOR']) assert.ok((byRule[rule] ?? 0) > 0, rule);
  for (const status of ['PAUSED_FOR_ADDITIONAL_INFO', 'RESUMABLE']) assert.ok((summary.byStatusCode[status] ?? 0) > 0, status);

  const dayAgo = new Date(NOW.getTime() - DAY_MS).toISOString().replace('T', ' ').replace('Z', '');
  const { rows: [taken] } = await seeded.pool.query(`SELECT count(*)::int AS n FROM ${s}.registration
    WHERE latest_trn_status_code IN ('SUCCESS','REPROCESS','IN_PROGRESS') AND reg_process_retry_count <= 500
      AND latest_trn_dtimes < '${dayAgo}' AND status_code IN ('PAUSED', 'PAUSED_FOR_ADDITIONAL_INFO', 'RESUMABLE')`);
  assert.equal(taken.n, summary.approach1Paused);
  assert.ok(summary.approach1Paused > rows.length / 2, 'most paused packets are what a naive re-drive would take');
});

test('seedScenario writes each row\'s history with MOSIP\'s codes, ending at its latest transaction; some packets loop on a data error', async () => {
  const s = `"${seeded.schema}"`;
  const { rows: [counts] } = await seeded.pool.query(`SELECT count(*)::int AS n FROM ${s}.registration_transaction`);
  assert.equal(counts.n, summary.historyRows);
  assert.ok(summary.historyRows >= COUNT, 'at least one history row per packet');
  // latest_trn_id is the newest history row of the RID written for that row: same type, status and time.
  const { rows: [mismatch] } = await seeded.pool.query(`
    SELECT count(*)::int AS n FROM ${s}.registration r
      LEFT JOIN ${s}.registration_transaction t ON t.id = r.latest_trn_id
     WHERE t.id IS NULL OR t.reg_id <> r.reg_id OR t.trn_type_code <> r.latest_trn_type_code
        OR t.status_code <> r.latest_trn_status_code OR t.cr_dtimes <> r.latest_trn_dtimes`);
  assert.equal(mismatch.n, 0);
  const { rows: [blank] } = await seeded.pool.query(`SELECT count(*)::int AS n FROM ${s}.registration_transaction WHERE sub_status_code !~ '^RPR-'`);
  assert.equal(blank.n, 0, 'every sub status is one of MOSIP\'s RPR- codes');

  assert.ok(summary.repeating > COUNT * 0.01, `${summary.repeating} looping packets`);
  assert.ok(summary.approach1Repeating > 0 && summary.approach1Repeating <= summary.repeating);
  const { rows: loops } = await seeded.pool.query<{ reg_id: string; failures: number; passes: number; comment: string }>(`
    SELECT r.reg_id, count(*) FILTER (WHERE t.sub_status_code = 'RPR-PKV-FAILED-014')::int AS failures,
           count(*) FILTER (WHERE t.trn_type_code = 'PACKET_REPROCESS')::int AS passes, min(t.status_comment) FILTER (WHERE t.sub_status_code = 'RPR-PKV-FAILED-014') AS comment
      FROM ${s}.registration r JOIN ${s}.registration_transaction t ON t.reg_id = r.reg_id
     WHERE r.status_comment = $1 GROUP BY r.reg_id`, [KER_PUT_020_COMMENT]);
  assert.ok(loops.length >= summary.repeating);
  for (const l of loops) {
    assert.ok(l.failures >= 3 && l.failures <= 6, `${l.reg_id}: ${l.failures} failures`);
    assert.ok(l.passes >= l.failures - 1, 'MOSIP\'s reprocessor sent it back between the failures');
    assert.equal(l.comment, KER_PUT_020_COMMENT);
  }
  // The tool's hold-back sees them as repeating: the guide's query selects approach1Repeating of them (and any later
  // resend of the same RID shares its history).
  const counts2 = await selectionCounts(seeded.pool, seeded.schema, {
    trnStatuses: ['SUCCESS', 'REPROCESS', 'IN_PROGRESS'], maxRetries: 500, excludeStatuses: ['PROCESSED', 'FAILED', 'REJECTED'], stages: null,
    cutoffUtc: new Date(NOW.getTime() - DAY_MS).toISOString().replace('T', ' ').replace('Z', ''),
  });
  const heldRepeating = counts2.held.filter((h) => h.reason === 'repeating').reduce((n, h) => n + h.count, 0);
  assert.ok(heldRepeating >= summary.approach1Repeating, `${heldRepeating} held as repeating, ${summary.approach1Repeating} seeded`);
  assert.ok(counts2.repeating.every((g) => g.failureStage === 'VALIDATE_PACKET' && g.subStatus === 'RPR-PKV-FAILED-014'));
});

test('seeded history: a packet refused at securezone as a duplicate carries what MOSIP writes (RPR-SEN-SUCCESS-001), never the audit code RPR-SEZ-002', async () => {
  const s = `"${seeded.schema}"`;
  const { rows } = await seeded.pool.query<{ sub_status_code: string; status_comment: string }>(`
    SELECT t.sub_status_code, t.status_comment FROM ${s}.registration r JOIN ${s}.registration_transaction t ON t.id = r.latest_trn_id
     WHERE r.latest_trn_type_code = 'SECUREZONE_NOTIFICATION' AND r.latest_trn_status_code = 'REJECTED'`);
  assert.ok(rows.length > 0, 'the seed has packets refused at securezone');
  for (const r of rows) {
    assert.deepEqual(r, { sub_status_code: 'RPR-SEN-SUCCESS-001', status_comment: 'Duplicate Packet against same additional info request Id.' });
  }
  const { rows: [audit] } = await seeded.pool.query(`SELECT count(*)::int AS n FROM ${s}.registration_transaction WHERE sub_status_code = 'RPR-SEZ-002'`);
  assert.equal(audit.n, 0);
});

test('seeded stage names: a 1.2.0.1 packet that reached the last stage says CredentialRequestorStage; only migrated rows say PrintingStage', async () => {
  const s = `"${seeded.schema}"`;
  const { rows } = await seeded.pool.query<{ migrated: boolean; reg_stage_name: string; n: number }>(`
    SELECT source IS NULL AS migrated, reg_stage_name, count(*)::int AS n FROM ${s}.registration
     WHERE latest_trn_type_code = 'PRINT_SERVICE' GROUP BY 1, 2 ORDER BY 1, 2`);
  assert.deepEqual(rows.map((r) => `${r.migrated ? 'migrated' : '1.2.0.1'} ${r.reg_stage_name}`),
    ['1.2.0.1 CredentialRequestorStage', 'migrated PrintingStage']);
  const { rows: [elsewhere] } = await seeded.pool.query(`SELECT count(*)::int AS n FROM ${s}.registration
     WHERE (reg_stage_name = 'PrintingStage' OR last_success_stage_name = 'PrintingStage') AND source IS NOT NULL`);
  assert.equal(elsewhere.n, 0, 'no 1.2.0.1 packet carries 1.1.5\'s class name');
});

test('seedScenario is repeatable: the same seed and now give the same rows', async () => {
  const again = await freshSchema('simseed2');
  try {
    await seedScenario(again.pool, again.schema, { count: 500, seed: 42, now: NOW });
    const columns = 'workflow_instance_id, reg_id, process, status_code, latest_trn_dtimes, reg_process_retry_count';
    const first = await seeded.pool.query(`SELECT ${columns} FROM "${seeded.schema}".registration`);
    const byId = new Map(first.rows.map((r) => [r.workflow_instance_id, r]));
    const { rows } = await again.pool.query(`SELECT ${columns} FROM "${again.schema}".registration`);
    assert.equal(rows.length, 500);
    for (const r of rows) assert.deepEqual(r, byId.get(r.workflow_instance_id), 'the first 500 rows of seed 42 again');
  } finally {
    await again.drop();
  }
});

test('the simulator rejects a seeded duplicate and forwards its original', async () => {
  const s = `"${seeded.schema}"`;
  const { rows: [pair] } = await seeded.pool.query(`
    SELECT later.reg_id, later.process, later.workflow_instance_id AS later_wf, earlier.workflow_instance_id AS earlier_wf
    FROM ${s}.registration later JOIN ${s}.registration earlier
      ON earlier.reg_id = later.reg_id AND earlier.cr_dtimes < later.cr_dtimes
    WHERE later.is_active AND earlier.is_active LIMIT 1`);
  assert.ok(pair, 'the seed made a duplicate resend');
  const sim = await startSimulator({ db: seeded.pool, schema: seeded.schema, clients: [{ secret: SECRET }] });
  try {
    const jwt = await token(sim.url);
    const later = await notify(sim.url, jwt, notifyBody({ regId: pair.reg_id, process: pair.process, workflowInstanceId: pair.later_wf }));
    assert.equal(later.text, JSON.stringify(`Packet with registrationId '${pair.reg_id}' has not been uploaded to file System`));
    const earlier = await notify(sim.url, jwt, notifyBody({ regId: pair.reg_id, process: pair.process, workflowInstanceId: pair.earlier_wf }));
    assert.equal(earlier.text, JSON.stringify(`Packet with registrationId '${pair.reg_id}' has been forwarded to next stage`));
  } finally {
    await sim.close();
  }
});

test('sim seed on an existing MOSIP schema leaves its tables\' indexes alone (no second copy under another name); a fresh one gets MOSIP\'s', async () => {
  const schema = `mosipdb_${process.pid}_${Date.now() % 100000}`;
  const pool = rowsDb.pool;
  const indexes = async () => (await pool.query<{ t: string; i: string }>(
    'SELECT tablename AS t, indexname AS i FROM pg_indexes WHERE schemaname = $1 ORDER BY 1, 2', [schema])).rows.map((r) => `${r.t}.${r.i}`);
  try {
    // The tables as a MOSIP database has them: its own DDL (the columns of schemaDdl), its own index names,
    // here one a newer MOSIP adds and without one an older MOSIP lacks.
    const tablesOnly = schemaDdl(schema).split('\n').filter((line) => !/^CREATE INDEX/.test(line)).join('\n');
    await pool.query(tablesOnly);
    await pool.query(`CREATE INDEX idx_rgstrn_ltstrbcode_ltststscode ON "${schema}".registration (latest_trn_dtimes, latest_trn_status_code);
      CREATE INDEX idx_registration_workflow_instance_id ON "${schema}".registration (workflow_instance_id);
      CREATE INDEX idx_reg_trn_reg_id ON "${schema}".registration_transaction (reg_id);
      CREATE INDEX idx_rgstrnlst_pcktid ON "${schema}".registration_list (packet_id);
      CREATE INDEX idx_rgstrnlst_aireqid ON "${schema}".registration_list (additional_info_req_id);`);
    const before = await indexes();
    const lines: string[] = [];
    await seedCommand({ dbUrl: TEST_DB_URL, schema, count: 20, seed: 7 }, { out: (l) => lines.push(l), env: {} });
    assert.match(lines.join('\n'), /Seeded 20 registration rows/);
    assert.deepEqual(await indexes(), before);

    // A schema without the tables gets them with MOSIP's own index names.
    await pool.query(`DROP SCHEMA "${schema}" CASCADE`);
    await createSchema(pool, schema);
    const fresh = await indexes();
    for (const name of ['registration.idx_reg_latest_trn_dtimes', 'registration_transaction.idx_reg_trn_reg_id', 'registration_list.idx_rgstrnlst_pcktid', 'registration_list.idx_rgstrnlst_aireqid']) {
      assert.ok(fresh.includes(name), `${name} in ${fresh.join(', ')}`);
    }
  } finally {
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  }
});

// MOSIP's DDL at v1.2.0.1, read column by column (mosip/registration db_scripts/mosip_regprc/ddl/
// regprc-registration.sql l.2-36, regprc-registration_list.sql l.2-35, regprc-registration_transaction.sql l.6-31):
// name, type, NOT NULL and default as PostgreSQL reports them, then the primary key and the indexes by MOSIP's names.
const MOSIP_DDL: Record<string, string[]> = {
  registration: [
    'reg_id character varying(39) NOT NULL', 'process character varying(36) NOT NULL', 'ref_reg_id character varying(39)',
    'applicant_type character varying(36)', 'status_code character varying(36) NOT NULL', 'lang_code character varying(3) NOT NULL',
    'status_comment character varying(256)', 'latest_trn_id character varying(36)', 'latest_trn_type_code character varying(36)',
    'latest_trn_status_code character varying(36)', 'latest_trn_dtimes timestamp without time zone', 'reg_process_retry_count smallint',
    'reg_stage_name character varying(36)', 'trn_retry_count smallint', 'pkt_cr_dtimes timestamp without time zone',
    'is_active boolean NOT NULL', 'cr_by character varying(256) NOT NULL', 'cr_dtimes timestamp without time zone NOT NULL',
    'upd_by character varying(256)', 'upd_dtimes timestamp without time zone', 'is_deleted boolean DEFAULT false',
    'del_dtimes timestamp without time zone', 'resume_timestamp timestamp without time zone', 'default_resume_action character varying(50)',
    'pause_rule_ids character varying(256)', 'last_success_stage_name character varying(50)',
    'workflow_instance_id character varying(36) NOT NULL', 'source character varying', 'iteration integer DEFAULT 1',
    'index pk_reg_id UNIQUE (workflow_instance_id)',
    'index idx_rgstrn_ltstrbcode_ltststscode (latest_trn_dtimes, latest_trn_status_code)',
    'index idx_reg_latest_trn_dtimes (latest_trn_dtimes)',
  ],
  registration_list: [
    'workflow_instance_id character varying(36) NOT NULL', 'reg_id character varying(39) NOT NULL', 'process character varying(64)',
    'packet_checksum character varying(128) NOT NULL DEFAULT \'0\'::character varying', 'packet_size bigint NOT NULL DEFAULT 0',
    'client_status_code character varying(36)', 'client_status_comment character varying(256)', 'additional_info bytea',
    'status_code character varying(36)', 'status_comment character varying(256)', 'lang_code character varying(3) NOT NULL',
    'cr_by character varying(256) NOT NULL', 'cr_dtimes timestamp without time zone NOT NULL', 'upd_by character varying(256)',
    'upd_dtimes timestamp without time zone', 'is_deleted boolean DEFAULT false', 'del_dtimes timestamp without time zone',
    'name character varying', 'phone character varying', 'email character varying', 'center_id character varying',
    'registration_date date', 'location_code character varying', 'additional_info_req_id character varying(256)',
    'packet_id character varying', 'ref_id character varying(512)', 'source character varying',
    'index pk_reglist_id UNIQUE (workflow_instance_id)',
    'index idx_rgstrnlst_pcktid (packet_id)', 'index idx_rgstrnlst_aireqid (additional_info_req_id)', 'index idx_reglist_reg_id (reg_id)',
  ],
  registration_transaction: [
    'id character varying(36) NOT NULL', 'reg_id character varying(39) NOT NULL', 'trn_type_code character varying(64) NOT NULL',
    'remarks character varying(256)', 'parent_regtrn_id character varying(36)', 'ref_id character varying(64)',
    'ref_id_type character varying(64)', 'status_code character varying(36) NOT NULL', 'sub_status_code character varying(36) NOT NULL',
    'lang_code character varying(3) NOT NULL', 'status_comment character varying(256)', 'cr_by character varying(256) NOT NULL',
    'cr_dtimes timestamp without time zone NOT NULL', 'upd_by character varying(256)', 'upd_dtimes timestamp without time zone',
    'is_deleted boolean DEFAULT false', 'del_dtimes timestamp without time zone',
    'index pk_regtrn_id UNIQUE (id)',
    'index idx_reg_trn_reg_id (reg_id)', 'index idx_reg_trn_status_code (status_code)', 'index idx_reg_trn_trntypecode (trn_type_code)',
    'index idx_reg_trn_upd_dtimes (upd_dtimes)',
  ],
};

test('sim schema creates the three tables exactly as MOSIP 1.2.0.1\'s DDL: every column\'s type, length, NOT NULL and default, the keys and indexes by MOSIP\'s names', async () => {
  const schema = `simddl_${process.pid}`;
  const pool = rowsDb.pool;
  try {
    const lines: string[] = [];
    await createSchemaCommand({ dbUrl: TEST_DB_URL, schema }, { out: (l) => lines.push(l), env: {} });
    assert.match(lines.join('\n'), /with registration, registration_transaction and registration_list is ready/);
    const { rows: columns } = await pool.query<{ table_name: string; line: string }>(`
      SELECT table_name, column_name || ' ' || data_type
               || coalesce('(' || character_maximum_length || ')', '')
               || CASE WHEN is_nullable = 'NO' THEN ' NOT NULL' ELSE '' END
               || coalesce(' DEFAULT ' || column_default, '') AS line
        FROM information_schema.columns WHERE table_schema = $1 ORDER BY table_name, ordinal_position`, [schema]);
    const { rows: indexes } = await pool.query<{ tablename: string; line: string }>(`
      SELECT tablename, 'index ' || indexname || CASE WHEN indexdef LIKE 'CREATE UNIQUE%' THEN ' UNIQUE' ELSE '' END
               || ' ' || substring(indexdef from '\\(.*\\)$') AS line
        FROM pg_indexes WHERE schemaname = $1 ORDER BY tablename, indexname LIKE 'pk%' DESC, indexname`, [schema]);
    const created: Record<string, string[]> = {};
    for (const c of columns) (created[c.table_name] ??= []).push(c.line);
    for (const i of indexes) (created[i.tablename] ??= []).push(i.line);
    const sortIndexes = (t: Record<string, string[]>) => Object.fromEntries(Object.entries(t).map(([name, l]) => [name,
      [...l.filter((x) => !x.startsWith('index ')), ...l.filter((x) => x.startsWith('index ')).sort()]]));
    assert.deepEqual(sortIndexes(created), sortIndexes(MOSIP_DDL));
  } finally {
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  }
});
