// The --db selection: exactly the guide's query, its boundaries, APPROACH 2, a non-UTC server, paging, and
// the READ ONLY custom query.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPool } from '../src/db/connect.js';
import { InputError } from '../src/errors.js';
import { allEligiblePackets, customQueryPackets, eligiblePackets, keysetPages } from '../src/source/dbSource.js';
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import type pg from 'pg';
import { insertRegistrations, type RegistrationRowInput } from '@mosip-reprocess/simulator/sql/registrationRows.js';
import { selectionCounts, utcCutoff, type EligibilityCriteria } from '../src/sql/selectEligible.js';
import { criteriaOf } from '../src/source/openSource.js';
import { loadSettings } from '../src/config/load.js';
import { freshSchema, TEST_DB_URL, type TestSchema } from '@mosip-reprocess/testkit/db.js';
import { stuckRow } from '@mosip-reprocess/testkit/rows.js';

const DAY = 86_400_000;
let db: TestSchema;
before(async () => { db = await freshSchema('sel'); });
after(async () => { await db.drop(); });

function row(over: Partial<RegistrationRowInput> & { label: string }): RegistrationRowInput & { label: string } {
  return { ...stuckRow(), ...over };
}

async function selected(criteria: EligibilityCriteria, limit = 1_000_000, pageSize?: number): Promise<string[]> {
  const out: string[] = [];
  for await (const p of eligiblePackets(db.pool, db.schema, criteria, limit, pageSize)) out.push(p.workflowInstanceId);
  return out;
}

async function approach(n: 1 | 2, extra: Record<string, unknown> = {}): Promise<EligibilityCriteria> {
  const { settings } = loadSettings({ flags: { approach: String(n), ...extra }, env: {} });
  return criteriaOf(settings, await utcCutoff(db.pool, settings.olderThan));
}

async function withRows<T>(rows: (RegistrationRowInput & { label: string })[], fn: () => Promise<T>): Promise<T> {
  await db.pool.query(`TRUNCATE "${db.schema}".registration, "${db.schema}".registration_list`);
  await insertRegistrations(db.pool, db.schema, rows);
  return fn();
}

function labelsOf(rows: (RegistrationRowInput & { label: string })[], ids: string[]): string[] {
  return rows.filter((r) => ids.includes(r.workflowInstanceId)).map((r) => r.label).sort();
}

test('APPROACH 1 takes exactly what the guide\'s default query takes, at each boundary', async () => {
  const now = Date.now();
  const rows = [
    row({ label: 'eligible' }),
    row({ label: 'retry 500', regProcessRetryCount: 500 }),
    row({ label: 'retry 501', regProcessRetryCount: 501 }),
    row({ label: 'age 1d+2min', latestTrnDtimes: new Date(now - DAY - 120_000) }),
    row({ label: 'age 1d-2min', latestTrnDtimes: new Date(now - DAY + 120_000) }),
    row({ label: 'status PROCESSED', statusCode: 'PROCESSED' }),
    row({ label: 'status FAILED', statusCode: 'FAILED' }),
    row({ label: 'status REJECTED', statusCode: 'REJECTED' }),
    row({ label: 'status REPROCESS', statusCode: 'REPROCESS' }),
    row({ label: 'trn REPROCESS', latestTrnStatusCode: 'REPROCESS' }),
    row({ label: 'trn IN_PROGRESS', latestTrnStatusCode: 'IN_PROGRESS' }),
    row({ label: 'trn FAILED', latestTrnStatusCode: 'FAILED' }),
    row({ label: 'trn ERROR', latestTrnStatusCode: 'ERROR' }),
    row({ label: 'no latest_trn_dtimes', latestTrnDtimes: null }),
    row({ label: 'legacy stage', latestTrnTypeCode: 'OSI_VALIDATE' }),
    row({ label: 'securezone stage', latestTrnTypeCode: 'SECUREZONE_NOTIFICATION' }),
  ];
  await withRows(rows, async () => {
    const criteria = await approach(1);
    const ids = await selected(criteria);
    assert.deepEqual(labelsOf(rows, ids), [
      'age 1d+2min', 'eligible', 'legacy stage', 'retry 500', 'securezone stage', 'status REPROCESS', 'trn IN_PROGRESS', 'trn REPROCESS',
    ].sort());
    // The guide's literal query agrees (the test server runs in UTC, where the guide's query is right).
    const guide = await db.pool.query(`SELECT workflow_instance_id FROM "${db.schema}".registration WHERE latest_trn_status_code IN ('SUCCESS', 'REPROCESS', 'IN_PROGRESS') AND reg_process_retry_count <= 500 AND latest_trn_dtimes < (SELECT (NOW() AT TIME ZONE 'UTC') - INTERVAL '1 DAY') AND status_code NOT IN ('PROCESSED', 'FAILED', 'REJECTED') LIMIT 1000`);
    assert.deepEqual(guide.rows.map((r) => r.workflow_instance_id).sort(), [...ids].sort());
    assert.equal((await selectionCounts(db.pool, db.schema, criteria)).taken, ids.length);
  });
});

test('APPROACH 2 keeps only the guide\'s nine stages, plus a country\'s own with --stages', async () => {
  const stages = ['UPLOAD_PACKET', 'VALIDATE_PACKET', 'QUALITY_CHECK', 'OSI_VALIDATE', 'BIOMETRIC_AUTHENTICATION',
    'DEMOGRAPHIC_VERIFICATION', 'BIOGRAPHIC_VERIFICATION', 'MANUAL_VERIFICATION', 'UIN_GENERATOR'];
  const rows = [
    ...stages.map((s) => row({ label: s, latestTrnTypeCode: s })),
    row({ label: 'SECUREZONE_NOTIFICATION', latestTrnTypeCode: 'SECUREZONE_NOTIFICATION' }),
    row({ label: 'PACKET_RECEIVER', latestTrnTypeCode: 'PACKET_RECEIVER' }),
    row({ label: 'CUSTOM_STAGE_A', latestTrnTypeCode: 'CUSTOM_STAGE_A' }),
    row({ label: 'UIN_GENERATOR but FAILED', latestTrnTypeCode: 'UIN_GENERATOR', statusCode: 'FAILED' }),
  ];
  await withRows(rows, async () => {
    assert.deepEqual(labelsOf(rows, await selected(await approach(2))), [...stages].sort());
    assert.deepEqual(labelsOf(rows, await selected(await approach(2, { stages: 'CUSTOM_STAGE_A' }))), [...stages, 'CUSTOM_STAGE_A'].sort());
  });
});

test('the age window is right when the database server\'s TimeZone is not UTC', async () => {
  const now = Date.now();
  const rows = [
    row({ label: 'old enough (1d+10min)', latestTrnDtimes: new Date(now - DAY - 600_000) }),
    row({ label: 'too recent (1d-10min)', latestTrnDtimes: new Date(now - DAY + 600_000) }),
    row({ label: 'too recent (2h)', latestTrnDtimes: new Date(now - 2 * 3600_000) }),
  ];
  for (const zone of ['Pacific/Kiritimati', 'America/Los_Angeles', 'Asia/Kolkata']) {
    const pool = createPool({ url: TEST_DB_URL, max: 1 });
    pool.on('connect', (c) => { void c.query(`SET TimeZone = '${zone}'`); });
    try {
      await withRows(rows, async () => {
        const { settings } = loadSettings({ flags: {}, env: {} });
        const criteria = criteriaOf(settings, await utcCutoff(pool, settings.olderThan));
        const ids: string[] = [];
        for await (const p of eligiblePackets(pool, db.schema, criteria, 100)) ids.push(p.workflowInstanceId);
        assert.deepEqual(labelsOf(rows, ids), ['old enough (1d+10min)'], `TimeZone ${zone}`);
        const shown = await pool.query('SHOW TimeZone');
        assert.equal(shown.rows[0].TimeZone, zone);
      });
    } finally {
      await pool.end();
    }
  }
});

test('--limit caps the run, paging returns every row once, and row fields are passed through', async () => {
  const rows = Array.from({ length: 57 }, (_, i) => row({
    label: `r${i}`, process: i % 3 === 0 ? 'UPDATE' : 'NEW', iteration: (i % 4) + 1, source: i % 5 === 0 ? null : 'RESIDENT',
  }));
  await withRows(rows, async () => {
    const criteria = await approach(1);
    const all = await selected(criteria, 1_000_000, 10);
    assert.equal(all.length, 57);
    assert.equal(new Set(all).size, 57);
    assert.equal((await selected(criteria, 1, 10)).length, 1);
    assert.equal((await selected(criteria, 25, 10)).length, 25);
    const byId = new Map(rows.map((r) => [r.workflowInstanceId, r]));
    for await (const p of eligiblePackets(db.pool, db.schema, criteria, 100, 7)) {
      const r = byId.get(p.workflowInstanceId)!;
      assert.equal(p.rid, r.regId);
      assert.equal(p.process, r.process);
      assert.equal(p.iteration, r.iteration);
      assert.equal(p.source, r.source);
    }
  });
});

test('--all goes on from where the last batch read: every row of this shard once, and at most two passes over the table', async () => {
  // 100 eligible rows, 10 of them this run's (the rest another shard's): batches of 2, pages of 5.
  const rows = Array.from({ length: 100 }, (_, i) => row({ label: `r${i}` }));
  await withRows(rows, async () => {
    const ours = new Set(rows.filter((_, i) => i % 10 === 3).map((r) => r.workflowInstanceId));
    let rowsRead = 0;
    const counting = { query: async (text: string, values?: unknown[]) => {
      const result = await db.pool.query(text, values);
      if (/ORDER BY r\.workflow_instance_id/.test(text)) rowsRead += result.rows.length;
      return result;
    } } satisfies Queryable;
    const seen = new Set<string>();
    const taken: string[] = [];
    let batches = 0;
    const criteria = await approach(1);
    for await (const p of allEligiblePackets(counting as unknown as pg.Pool, db.schema, async () => criteria, 2, seen, () => { batches += 1; }, 5, {}, (wf) => ours.has(wf))) {
      taken.push(p.workflowInstanceId);
      seen.add(p.workflowInstanceId.toLowerCase());
    }
    assert.deepEqual([...taken].sort(), [...ours].sort(), 'each of this shard\'s rows once');
    assert.equal(batches, 5);
    // The first pass reads the table once, taking all ten; a second finds nothing new and ends the run. A batch
    // that ends mid-page leaves that page's rest and the page read ahead to the next one: at most two pages each.
    // (Starting every batch from the first key read about 400 rows here.)
    assert.ok(rowsRead <= 2 * rows.length + batches * 2 * 5, `read ${rowsRead} rows for a table of ${rows.length}`);
  });
});

test('an operator\'s query slower than the short-read timeout is not cut off (pg arms that timeout for a cursor and never disarms it)', async () => {
  const rows = [row({ label: 'a' }), row({ label: 'b' }), row({ label: 'c' })];
  const dir = mkdtempSync(join(tmpdir(), 'reprocess-q-'));
  await withRows(rows, async () => {
    const slow = join(dir, 'slow.sql');
    writeFileSync(slow, `SELECT reg_id, process, workflow_instance_id FROM "${db.schema}".registration WHERE pg_sleep(0.15) IS NOT NULL`);
    // The run's settings, with a short-read timeout far below the query's 0.45 s: pg arms it for a cursor and never
    // disarms it, which cut the read off ("Query read timeout") and kept a finished run's process alive.
    const got: string[] = [];
    for await (const p of customQueryPackets({ url: TEST_DB_URL, queryTimeoutMs: 200, statementTimeoutMs: 10_000 }, slow, 100, () => undefined)) got.push(p.rid);
    assert.deepEqual(got.sort(), rows.map((r) => r.regId).sort());
  });
});

test('a custom query runs READ ONLY: one that writes fails clearly and changes nothing', async () => {
  const rows = [row({ label: 'a' }), row({ label: 'b' })];
  const dir = mkdtempSync(join(tmpdir(), 'reprocess-q-'));
  await withRows(rows, async () => {
    const writing = join(dir, 'writing.sql');
    writeFileSync(writing, `WITH x AS (UPDATE "${db.schema}".registration SET status_code = 'PROCESSED' RETURNING reg_id, process, workflow_instance_id) SELECT * FROM x;\n`);
    await assert.rejects(async () => {
      for await (const _ of customQueryPackets(db.pool, writing, 100, () => undefined)) void _;
    }, (err: unknown) => err instanceof InputError && /read-only/.test(err.message) && err.message.includes(writing));
    const { rows: after } = await db.pool.query(`SELECT count(*)::int AS n FROM "${db.schema}".registration WHERE status_code = 'PROCESSED'`);
    assert.equal(after[0].n, 0);

    const lifting = join(dir, 'lifting.sql');
    writeFileSync(lifting, `SELECT set_config('transaction_read_only', 'off', true), reg_id, process, workflow_instance_id FROM "${db.schema}".registration`);
    await assert.rejects(async () => {
      for await (const _ of customQueryPackets(db.pool, lifting, 100, () => undefined)) void _;
    });

    const good = join(dir, 'good.sql');
    writeFileSync(good, `-- mine\nSELECT reg_id, process, workflow_instance_id, iteration FROM "${db.schema}".registration ORDER BY reg_id;`);
    const got: string[] = [];
    for await (const p of customQueryPackets(db.pool, good, 100, () => undefined)) got.push(p.rid);
    assert.deepEqual(got, rows.map((r) => r.regId).sort());

    const missing = join(dir, 'missing.sql');
    writeFileSync(missing, `SELECT reg_id FROM "${db.schema}".registration`);
    await assert.rejects(async () => {
      for await (const _ of customQueryPackets(db.pool, missing, 100, () => undefined)) void _;
    }, /missing process, workflow_instance_id/);
  });
});

test('pages are read ahead: the next page is asked for before the current one is sent, and a short page ends the reading', async () => {
  // On a large table a page takes tens of milliseconds; read one at a time, the sender waited for each.
  const ids = Array.from({ length: 23 }, (_, i) => String(i).padStart(3, '0'));
  const asked: string[] = [];
  const read = async (after: string, size: number) => {
    asked.push(`${after || 'start'}+${size}`);
    return ids.filter((id) => id > after).slice(0, size).map((id) => ({ reg_id: id, process: 'NEW', workflow_instance_id: id, iteration: 1, source: null }));
  };
  const seen: string[] = [];
  for await (const page of keysetPages(read, 10)) {
    // Before the first row of this page is handed on, the page after it has been asked for.
    seen.push(`page of ${page.length}, ${asked.length} asked`);
  }
  assert.deepEqual(asked, ['start+10', '009+10', '019+10'], 'no query after the short last page');
  assert.deepEqual(seen, ['page of 10, 2 asked', 'page of 10, 3 asked', 'page of 3, 3 asked']);

  asked.length = 0;
  let rows = 0;
  for await (const page of keysetPages(read, 10, 15)) rows += page.length;
  assert.equal(rows, 15);
  assert.deepEqual(asked, ['start+10', '009+5'], 'the limit trims the last page and nothing is read past it');
});

test('the run\'s whole-table count reads without parallel workers (a guest on MOSIP\'s database), read only', async () => {
  const { inBackgroundRead } = await import('../src/sql/backgroundRead.js');
  const setting = await inBackgroundRead(db.pool, async (reader) => (await reader.query<{ v: string }>('SELECT current_setting(\'max_parallel_workers_per_gather\') AS v')).rows[0]!.v);
  assert.equal(setting, '0');
  await assert.rejects(inBackgroundRead(db.pool, (reader) => reader.query(`CREATE TABLE "${db.schema}".nope (x int)`)), /read-only transaction/);
  const after = (await db.pool.query<{ v: string }>('SELECT current_setting(\'max_parallel_workers_per_gather\') AS v')).rows[0]!.v;
  assert.notEqual(after, '0', 'the setting ends with the transaction: the pool\'s other connections keep the server\'s default');
});
