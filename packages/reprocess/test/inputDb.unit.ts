// RID-only input lines completed from the registration table: one live row, none, several, dead rows ignored.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { freshSchema, type TestSchema } from '@mosip-reprocess/testkit/db.js';
import { makeRid } from '@mosip-reprocess/contract/rid.js';
import { InputError } from '../src/errors.js';
import { completeFromDb } from '../src/source/completeFromDb.js';
import { loadPacketsFromArg, loadPacketsFromFile, takenFromRowMessage } from '../src/source/loadPackets.js';
import { findRegistrationsByRid } from '../src/sql/findRegistrationsByRid.js';
import { dryRunInProcess } from '@mosip-reprocess/testkit/inProcess.js';

let db: TestSchema;
let dir: string;
before(async () => {
  db = await freshSchema('input');
  dir = await mkdtemp(join(tmpdir(), 'input-db-'));
});
after(async () => {
  await db.drop();
  await rm(dir, { recursive: true, force: true });
});

let ridCounter = 0;
function newRid(): string {
  return makeRid(10011, 10022, ridCounter++, new Date(Date.UTC(2022, 7, 9, 11, 37, 48)));
}

interface RowSpec {
  rid: string;
  process?: string;
  iteration?: number | null;
  source?: string | null;
  isActive?: boolean;
  isDeleted?: boolean | null;
}

/** Inserts a registration row with the NOT NULL columns filled; returns its workflow_instance_id. */
async function insertRegistration(spec: RowSpec): Promise<string> {
  const wf = randomUUID();
  await db.pool.query(
    `INSERT INTO "${db.schema}".registration
       (reg_id, process, status_code, lang_code, is_active, is_deleted, cr_by, cr_dtimes, workflow_instance_id, iteration, source)
     VALUES ($1, $2, 'PROCESSING', 'eng', $3, $4, 'MOSIP_SYSTEM', now() AT TIME ZONE 'UTC', $5, $6, $7)`,
    [spec.rid, spec.process ?? 'NEW', spec.isActive ?? true, spec.isDeleted === undefined ? false : spec.isDeleted, wf,
      spec.iteration === undefined ? 1 : spec.iteration, spec.source ?? null],
  );
  return wf;
}

let fileCounter = 0;
async function fileWith(content: string): Promise<string> {
  const path = join(dir, `rids-${fileCounter++}.txt`);
  await writeFile(path, content);
  return path;
}

async function inputError(promise: Promise<unknown>): Promise<string> {
  let message = '';
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof InputError, `expected InputError, got ${String(err)}`);
    assert.equal(err.exitCode, 2);
    message = err.message;
    return true;
  });
  return message;
}

test('one live row: the RID-only line becomes a full packet from it (NULL iteration -> 1, NULL source -> null)', async () => {
  const ridUpdate = newRid();
  const ridMigrated = newRid();
  const wfUpdate = await insertRegistration({ rid: ridUpdate, process: 'UPDATE', iteration: 3, source: 'REGISTRATION_CLIENT' });
  const wfMigrated = await insertRegistration({ rid: ridMigrated, process: 'LOST', iteration: null, source: null });
  const path = await fileWith(`# two rids\n${ridUpdate}\n'${ridMigrated}'\n`);

  const { packets, duplicates } = await loadPacketsFromFile(path, db.pool, db.schema);
  assert.equal(duplicates, 0);
  assert.deepEqual(packets, [
    { rid: ridUpdate, process: 'UPDATE', workflowInstanceId: wfUpdate, iteration: 3, source: 'REGISTRATION_CLIENT', origin: `${path}:2` },
    { rid: ridMigrated, process: 'LOST', workflowInstanceId: wfMigrated, iteration: 1, source: null, origin: `${path}:3` },
  ]);
});

test('inactive and deleted rows are ignored: the one live row wins, all-dead is "not found"', async () => {
  const rid = newRid();
  await insertRegistration({ rid, process: 'NEW', isActive: false });
  await insertRegistration({ rid, process: 'NEW', isDeleted: true });
  const live = await insertRegistration({ rid, process: 'UPDATE', isDeleted: null }); // NULL is_deleted counts as not deleted
  const { packets } = await loadPacketsFromArg(rid, db.pool, db.schema);
  assert.deepEqual(packets.map((p) => [p.workflowInstanceId, p.process, p.origin]), [[live, 'UPDATE', '--registration']]);

  const deadRid = newRid();
  await insertRegistration({ rid: deadRid, isActive: false });
  await insertRegistration({ rid: deadRid, isDeleted: true });
  const message = await inputError(loadPacketsFromArg(deadRid, db.pool, db.schema));
  assert.match(message, new RegExp(`--registration: reg_id: ${deadRid} not found`));
});

test('zero rows and several live rows are reported with file:line, listing the candidate workflow ids; nothing is returned', async () => {
  const good = newRid();
  await insertRegistration({ rid: good });
  const missing = newRid();
  const ambiguous = newRid();
  const wf1 = await insertRegistration({ rid: ambiguous, process: 'NEW' });
  const wf2 = await insertRegistration({ rid: ambiguous, process: 'UPDATE' });
  const path = await fileWith(`${good}\n${missing}\n\n${ambiguous}\n`);

  const message = await inputError(loadPacketsFromFile(path, db.pool, db.schema));
  assert.match(message, /2 problems; nothing was sent/);
  assert.match(message, new RegExp(`${path}:2: reg_id: ${missing} not found: no active, not deleted registration row`));
  assert.match(message, new RegExp(`${path}:4: reg_id: ${ambiguous} is ambiguous: 2 active registration rows`));
  assert.ok(message.includes(`${wf1} (NEW)`) && message.includes(`${wf2} (UPDATE)`), message);
  assert.doesNotMatch(message, new RegExp(`${path}:1:`));
});

test('an ambiguous RID is fine once the line names the workflow instance', async () => {
  const rid = newRid();
  await insertRegistration({ rid, process: 'NEW' });
  const wf2 = await insertRegistration({ rid, process: 'UPDATE' });
  const { packets } = await loadPacketsFromArg(`${rid}, UPDATE, ${wf2}`, db.pool, db.schema);
  assert.deepEqual(packets, [{ rid, process: 'UPDATE', workflowInstanceId: wf2, iteration: 1, source: null, origin: '--registration' }]);
});

test('a RID-only line resolving to a workflow instance a full line already names is a duplicate; a different process is a conflict', async () => {
  const rid = newRid();
  const wf = await insertRegistration({ rid, process: 'NEW', iteration: 2, source: 'REGISTRATION_CLIENT' });
  const same = await fileWith(`${rid}\n${rid}, NEW, ${wf}\n`);
  const result = await loadPacketsFromFile(same, db.pool, db.schema);
  assert.equal(result.duplicates, 1);
  assert.deepEqual(result.packets, [
    { rid, process: 'NEW', workflowInstanceId: wf, iteration: 2, source: 'REGISTRATION_CLIENT', origin: `${same}:1` },
  ]);

  const clash = await fileWith(`${rid}, LOST, ${wf}\n${rid}\n`);
  const message = await inputError(loadPacketsFromFile(clash, db.pool, db.schema));
  assert.match(message, new RegExp(`${clash}:2: process: workflow instance ${wf} has process LOST at ${clash}:1 but NEW here`));
});

test('several --registration values: each validated, duplicates dropped, origins numbered', async () => {
  const rid = newRid();
  const wf = await insertRegistration({ rid, process: 'RES_UPDATE', source: 'RESIDENT' });
  const { packets, duplicates } = await loadPacketsFromArg([rid, `'${rid}'`], db.pool, db.schema);
  assert.equal(duplicates, 1);
  assert.deepEqual(packets, [
    { rid, process: 'RES_UPDATE', workflowInstanceId: wf, iteration: 1, source: 'RESIDENT', origin: '--registration #1' },
  ]);
  const message = await inputError(loadPacketsFromArg([rid, `${rid}, NEW`, 'abc'], db.pool, db.schema));
  assert.match(message, /--registration #2: has 2 fields/);
  assert.match(message, /--registration #3: reg_id: "abc"/);
});

test('findRegistrationsByRid batches the lookup and returns every live row of each RID', async () => {
  const rids = Array.from({ length: 7 }, () => newRid());
  for (const rid of rids) await insertRegistration({ rid });
  await insertRegistration({ rid: rids[0]!, process: 'UPDATE' });
  const rows = await findRegistrationsByRid(db.pool, db.schema, [...rids, rids[3]!, newRid()], 3);
  assert.equal(rows.length, 8);
  assert.deepEqual(new Set(rows.map((r) => r.reg_id)), new Set(rids));
  assert.ok(rows.every((r) => r.iteration === 1 && r.source === null));
});

test('completeFromDb needs no database when every entry is full: the line\'s values, iteration 1 by default', async () => {
  const rid = newRid();
  const wf = randomUUID();
  const { packets } = await completeFromDb(null, db.schema, [
    { kind: 'full', rid, process: 'NEW', workflowInstanceId: wf, iteration: null, source: null, origin: 'x:1' },
  ]);
  assert.deepEqual(packets, [{ rid, process: 'NEW', workflowInstanceId: wf, iteration: 1, source: null, origin: 'x:1' }]);
});

test('with a database, full lines send their row\'s iteration and source (MOSIP routes by source); a line that disagrees is named', async () => {
  const crvs = newRid();
  const client = newRid();
  const wfCrvs = await insertRegistration({ rid: crvs, process: 'NEW', iteration: 2, source: 'OPENCRVS' });
  const wfClient = await insertRegistration({ rid: client, process: 'NEW', iteration: 1, source: 'REGISTRATION_CLIENT' });
  const unknownWf = randomUUID();
  const path = await fileWith(`${crvs}, NEW, ${wfCrvs}\n${client}, NEW, ${wfClient}, 3, RESIDENT\n${newRid()}, NEW, ${unknownWf}, 4\n`);
  const { packets, takenFromRow } = await loadPacketsFromFile(path, db.pool, db.schema);
  assert.deepEqual(packets.map((p) => [p.workflowInstanceId, p.iteration, p.source]), [
    [wfCrvs, 2, 'OPENCRVS'], // the line left them out: the row's, not source null
    [wfClient, 1, 'REGISTRATION_CLIENT'], // the line disagreed: the row's, and it is said
    [unknownWf, 4, null], // no row: the line's (the stage will not find it; the dry run and hold-back checks say so)
  ]);
  assert.equal(takenFromRow.count, 1);
  assert.deepEqual(takenFromRow.examples, [`${path}:2: ${wfClient}: the line gives iteration 3, the row 1; source RESIDENT, the row REGISTRATION_CLIENT`]);
  assert.match(takenFromRowMessage(takenFromRow)!, /1 listed packet\(s\) give an iteration or source other than their registration row's: the row's are sent/);

  // The dry run says so too.
  const report = await dryRunInProcess({ file: path }, { REPROCESS_DB_URL: db.url, DB_SCHEMA: db.schema, REPROCESS_SERVER: 'http://127.0.0.1:9', REGPROC_CLIENT_PWD: 'x' });
  const warning = report.warnings.find((w) => w.code === 'taken_from_row');
  assert.equal(warning?.count, 1);
  assert.match(warning!.examples[0]!, new RegExp(`:2: ${wfClient}: the line gives iteration 3`));

  // --registration alike; without a database the line's values stand (nothing to compare with).
  const arg = await loadPacketsFromArg(`${crvs}, NEW, ${wfCrvs}`, db.pool, db.schema);
  assert.equal(arg.packets[0]!.source, 'OPENCRVS');
  const noDb = await loadPacketsFromArg(`${crvs}, NEW, ${wfCrvs}`, null, db.schema);
  assert.deepEqual([noDb.packets[0]!.iteration, noDb.packets[0]!.source, noDb.takenFromRow.count], [1, null, 0]);
});
