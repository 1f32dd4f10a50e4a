// --dry-run: counts and breakdowns agree with direct SQL over the guide's literal conditions, age buckets split at
// 1/7/30 days, the limit, the list variant's warnings, the rendering, and that nothing is written.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Packet } from '../src/domain/packet.js';
import { makeRid } from '@mosip-reprocess/contract/rid.js';
import { buildDbDryRun, buildListDryRun, NO_ACTIVE_ROW, renderDryRun, type DryRunReport } from '../src/report/dryRun.js';
import { eligiblePackets } from '../src/source/dbSource.js';
import { inReadOnlySnapshot } from '../src/sql/readOnlySnapshot.js';
import { insertRegistrations, type RegistrationRowInput } from '@mosip-reprocess/simulator/sql/registrationRows.js';
import { utcCutoff, type EligibilityCriteria } from '../src/sql/selectEligible.js';
import { stuckRow } from '@mosip-reprocess/testkit/rows.js';
import { freshSchema, type TestSchema } from '@mosip-reprocess/testkit/db.js';
import { renderDryRunHtml } from '../src/report/html/dryRunReport.js';
import { tableRows } from './htmlReport/tables.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
let db: TestSchema;
let seq = 0;
before(async () => { db = await freshSchema('dry'); });
after(async () => { await db.drop(); });

type LabelledRow = RegistrationRowInput & { label: string };

function row(over: Partial<RegistrationRowInput> & { label: string }): LabelledRow {
  const old = new Date(Date.now() - 40 * DAY);
  return { ...stuckRow({ regId: makeRid(10001, 10002, ++seq, old), crDtimes: old }), ...over };
}

async function withRows<T>(rows: LabelledRow[], fn: () => Promise<T>): Promise<T> {
  await db.pool.query(`TRUNCATE "${db.schema}".registration, "${db.schema}".registration_list, "${db.schema}".registration_transaction`);
  await insertRegistrations(db.pool, db.schema, rows);
  return fn();
}

/** APPROACH 1 defaults with a chosen age (the CLI builds the same through criteriaOf). */
async function criteria(olderThanSeconds = 86_400, stages: string[] | null = null): Promise<EligibilityCriteria> {
  return {
    trnStatuses: ['SUCCESS', 'REPROCESS', 'IN_PROGRESS'],
    maxRetries: 500,
    excludeStatuses: ['PROCESSED', 'FAILED', 'REJECTED'],
    stages,
    cutoffUtc: await utcCutoff(db.pool, olderThanSeconds),
  };
}

/** The guide's conditions written out literally (UTC-correct), for cross-checking. */
function guideWhere(olderThan: string): string {
  return `latest_trn_status_code IN ('SUCCESS', 'REPROCESS', 'IN_PROGRESS') AND reg_process_retry_count <= 500
    AND latest_trn_dtimes < (SELECT (NOW() AT TIME ZONE 'UTC') - INTERVAL '${olderThan}')
    AND status_code NOT IN ('PROCESSED', 'FAILED', 'REJECTED')`;
}

async function directCounts(olderThan: string, groupBy: string): Promise<Map<string, number>> {
  const { rows } = await db.pool.query(`SELECT ${groupBy} AS k, count(*)::int AS n FROM "${db.schema}".registration WHERE ${guideWhere(olderThan)} GROUP BY 1`);
  return new Map(rows.map((r) => [String(r.k), r.n]));
}

/** A fingerprint of every table the tool could touch. */
async function tableState(): Promise<string> {
  const s = `"${db.schema}"`;
  const { rows } = await db.pool.query(`SELECT
      (SELECT count(*) FROM ${s}.registration) AS regs,
      (SELECT max(upd_dtimes)::text FROM ${s}.registration) AS max_upd,
      (SELECT md5(string_agg(r::text, '|' ORDER BY workflow_instance_id)) FROM ${s}.registration r) AS reg_md5,
      (SELECT count(*) FROM ${s}.registration_transaction) AS trns,
      (SELECT md5(string_agg(l::text, '|' ORDER BY workflow_instance_id)) FROM ${s}.registration_list l) AS list_md5`);
  return JSON.stringify(rows[0]);
}

function sum(entries: { count: number }[] | null): number {
  return (entries ?? []).reduce((a, e) => a + e.count, 0);
}

function assertSumsToMatched(r: DryRunReport): void {
  for (const [name, entries] of [['byStage', r.byStage], ['byProcess', r.byProcess], ['byStatus', r.byStatus], ['byAge', r.byAge]] as const) {
    assert.equal(sum(entries), r.matched, `${name} sums to matched`);
  }
}

function ageCounts(r: DryRunReport): Record<string, number> {
  return Object.fromEntries((r.byAge ?? []).map((a) => [a.bucket, a.count]));
}

function mixedRows(): LabelledRow[] {
  const now = Date.now();
  const ago = (ms: number) => new Date(now - ms);
  return [
    // eligible (older than 1 h), at both sides of each age boundary
    row({ label: 'age 1d-2min', latestTrnDtimes: ago(DAY - 2 * MIN) }),
    row({ label: 'age 1d+2min', latestTrnDtimes: ago(DAY + 2 * MIN), process: 'UPDATE' }),
    row({ label: 'age 7d-2min', latestTrnDtimes: ago(7 * DAY - 2 * MIN), latestTrnStatusCode: 'REPROCESS' }),
    row({ label: 'age 7d+2min', latestTrnDtimes: ago(7 * DAY + 2 * MIN), latestTrnTypeCode: 'VALIDATE_PACKET' }),
    row({ label: 'age 30d-2min', latestTrnDtimes: ago(30 * DAY - 2 * MIN), statusCode: 'REPROCESS', latestTrnStatusCode: 'IN_PROGRESS' }),
    row({ label: 'age 30d+2min', latestTrnDtimes: ago(30 * DAY + 2 * MIN), process: 'LOST', latestTrnTypeCode: 'SECUREZONE_NOTIFICATION' }),
    row({ label: 'age 400d', latestTrnDtimes: ago(400 * DAY), latestTrnTypeCode: 'OSI_VALIDATE' }),
    row({ label: 'retry 500', regProcessRetryCount: 500, process: 'UPDATE' }),
    row({ label: 'age 2h', latestTrnDtimes: ago(2 * HOUR), process: 'RES_UPDATE', source: 'RESIDENT' }),
    row({ label: 'inactive but matched', isActive: false }),
    row({ label: 'deleted but matched', isDeleted: true }),
    row({ label: 'no sync row', withoutSyncRow: true }),
    // not eligible
    row({ label: 'PROCESSED', statusCode: 'PROCESSED' }),
    row({ label: 'FAILED', statusCode: 'FAILED' }),
    row({ label: 'REJECTED', statusCode: 'REJECTED' }),
    row({ label: 'retry 501', regProcessRetryCount: 501 }),
    row({ label: 'trn FAILED', latestTrnStatusCode: 'FAILED' }),
    row({ label: 'trn ERROR', latestTrnStatusCode: 'ERROR' }),
    row({ label: 'too recent (10 min)', latestTrnDtimes: ago(10 * MIN) }),
    row({ label: 'NULL latest_trn_dtimes', latestTrnDtimes: null }),
  ];
}

test('--db: counts equal a direct count over the guide\'s conditions, every breakdown sums to it, ages split at 1/7/30 d', async () => {
  const rows = mixedRows();
  await withRows(rows, async () => {
    const before = await tableState();
    // The guide's 1 day: the "<1 d" bucket is necessarily empty.
    const daily = await buildDbDryRun(db.pool, db.schema, await criteria(), 1000);
    const direct = await db.pool.query(`SELECT count(*)::int AS n FROM "${db.schema}".registration WHERE ${guideWhere('1 DAY')}`);
    assert.equal(daily.matched, direct.rows[0].n);
    assert.equal(daily.matched, 10);
    assert.equal(ageCounts(daily).lt_1d, 0);
    assertSumsToMatched(daily);

    // One hour: rows younger than a day are selected too, and each lands on its side of each boundary.
    const r = await buildDbDryRun(db.pool, db.schema, await criteria(3600), 1000);
    assert.equal(r.source, 'db');
    assert.equal(r.matched, (await directCounts('1 HOUR', `'all'`)).get('all'));
    assert.equal(r.matched, 12);
    assert.equal(r.willTake, 12);
    assertSumsToMatched(r);
    assert.deepEqual(ageCounts(r), { lt_1d: 2, '1d_7d': 2 + 4, '7d_30d': 2, gt_30d: 2, none: 0 });
    assert.deepEqual(r.byAge!.map((a) => a.bucket), ['lt_1d', '1d_7d', '7d_30d', 'gt_30d', 'none']);

    // Each breakdown equals the direct GROUP BY, sorted by count descending.
    const asMap = <T>(entries: T[], key: (e: T) => string, count: (e: T) => number) => new Map(entries.map((e) => [key(e), count(e)]));
    assert.deepEqual(asMap(r.byProcess, (e) => String(e.process), (e) => e.count), await directCounts('1 HOUR', 'process'));
    assert.deepEqual(asMap(r.byStatus!, (e) => String(e.statusCode), (e) => e.count), await directCounts('1 HOUR', 'status_code'));
    assert.deepEqual(
      asMap(r.byStage!, (e) => `${e.typeCode}/${e.statusCode}`, (e) => e.count),
      await directCounts('1 HOUR', `latest_trn_type_code || '/' || latest_trn_status_code`),
    );
    for (const list of [r.byProcess, r.byStatus!, r.byStage!]) {
      const counts = list.map((e) => e.count);
      assert.deepEqual(counts, [...counts].sort((a, b) => b - a));
    }
    assert.deepEqual(r.byStage![0], { typeCode: 'UPLOAD_PACKET', statusCode: 'SUCCESS', count: 7 });

    // What MOSIP would do with some matched rows.
    const codes = Object.fromEntries(r.warnings.map((w) => [w.code, w.count]));
    assert.deepEqual(codes, { inactive: 2, no_sync_row: 1 });

    // The sample is what the run sends first, in the same order.
    const firstSent: string[] = [];
    for await (const p of eligiblePackets(db.pool, db.schema, r.criteria!, 10)) firstSent.push(p.workflowInstanceId);
    assert.deepEqual(r.sample.map((s) => s.workflow_instance_id), firstSent);
    const byId = new Map(rows.map((x) => [x.workflowInstanceId, x]));
    for (const s of r.sample) {
      const src = byId.get(s.workflow_instance_id)!;
      assert.equal(s.reg_id, src.regId);
      assert.equal(s.latest_trn_dtimes, src.latestTrnDtimes!.toISOString());
      assert.equal(s.reg_process_retry_count, src.regProcessRetryCount);
    }

    assert.equal(await tableState(), before, 'the dry-run changed nothing');
  });
});

test('--db: a limit below the match count takes the limit, the breakdowns still cover every match', async () => {
  await withRows(mixedRows(), async () => {
    const r = await buildDbDryRun(db.pool, db.schema, await criteria(3600), 3, 10);
    assert.equal(r.matched, 12);
    assert.equal(r.limit, 3);
    assert.equal(r.willTake, 3);
    assert.equal(r.sample.length, 3);
    assertSumsToMatched(r);
    const text = renderDryRun(r);
    assert.match(text, /will take\s+3 {2}\(--limit 3; 9 left for later runs\)/);
  });
});

test('--db: APPROACH 2 breaks down only its stages; an empty selection reports zeros', async () => {
  await withRows(mixedRows(), async () => {
    const r = await buildDbDryRun(db.pool, db.schema, await criteria(3600, ['VALIDATE_PACKET', 'OSI_VALIDATE']), 1000);
    assert.deepEqual(r.byStage!.map((s) => s.typeCode).sort(), ['OSI_VALIDATE', 'VALIDATE_PACKET']);
    assert.equal(r.matched, 2);
    assertSumsToMatched(r);

    const none = await buildDbDryRun(db.pool, db.schema, await criteria(3600, ['NO_SUCH_STAGE']), 1000);
    assert.equal(none.matched, 0);
    assert.equal(none.willTake, 0);
    assert.deepEqual(none.sample, []);
    assert.deepEqual(none.byStage, []);
    assert.equal(sum(none.byAge), 0);
    assert.match(none.asOfUtc!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.match(renderDryRun(none), /Sample: nothing would be sent/);
  });
});

test('the report is one clean JSON document and renders as aligned tables', async () => {
  await withRows(mixedRows(), async () => {
    const r = await buildDbDryRun(db.pool, db.schema, await criteria(3600), 5);
    assert.deepEqual(JSON.parse(JSON.stringify(r)), r, 'plain data: survives a JSON round trip unchanged');
    const text = renderDryRun(r);
    for (const heading of ['DRY RUN', 'By stage (latest_trn_type_code x latest_trn_status_code)', 'By process', 'By status_code',
      'By age of latest_trn_dtimes', 'Sample: the first 5 packets the run would send', 'Warnings']) {
      assert.ok(text.includes(heading), `has "${heading}"`);
    }
    assert.match(text, /latest_trn_dtimes < \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ \(UTC\)/);
    assert.match(text, /\n {2}UPLOAD_PACKET +SUCCESS +7 +58\.3%\n/);
    assert.match(text, /\n {2}1-7 d +6 +50\.0%\n/);
    assert.match(text, /matched\s+12\s/);
    assert.match(text, /2 matched rows inactive or deleted/);
    // Columns line up: every line of the stage table has its COUNT column ending at the same offset.
    const lines = text.split('\n');
    const start = lines.findIndex((l) => l.includes('LATEST_TRN_TYPE_CODE'));
    const table = lines.slice(start, lines.indexOf('', start));
    const countEnd = table[0]!.indexOf('COUNT') + 'COUNT'.length;
    for (const l of table.slice(1)) assert.match(l.slice(0, countEnd), /\d$/, l);
  });
});

test('the snapshot the dry-run reads in refuses writes', async () => {
  await assert.rejects(
    inReadOnlySnapshot(db.pool, (q) => q.query(`UPDATE "${db.schema}".registration SET status_code = 'PROCESSED'`)),
    /read-only transaction/,
  );
});

function packetOf(r: RegistrationRowInput, over: Partial<Packet> = {}, line = 0): Packet {
  return {
    rid: r.regId, process: r.process, workflowInstanceId: r.workflowInstanceId, iteration: r.iteration ?? 1,
    source: r.source ?? 'REGISTRATION_CLIENT', origin: `list.txt:${line}`, ...over,
  };
}

test('--file/--registration: breakdown of the named rows, and warnings for what MOSIP would not do', async () => {
  const now = Date.now();
  const rows = [
    row({ label: 'eligible', process: 'UPDATE' }),
    row({ label: 'processed', statusCode: 'PROCESSED', latestTrnTypeCode: 'PRINT_SERVICE', latestTrnStatusCode: 'PROCESSED' }),
    row({ label: 'failed', statusCode: 'FAILED', latestTrnTypeCode: 'UIN_GENERATOR', latestTrnStatusCode: 'FAILED', latestTrnDtimes: new Date(now - 10 * DAY) }),
    row({ label: 'inactive', isActive: false }),
    row({ label: 'deleted', isDeleted: true }),
    row({ label: 'no sync row', withoutSyncRow: true }),
    row({ label: 'rid mismatch' }),
    row({ label: 'process mismatch', process: 'UPDATE' }),
    row({ label: 'NULL dtimes', latestTrnDtimes: null }),
    row({ label: 'recent', latestTrnDtimes: new Date(now - 2 * HOUR) }),
  ];
  const at = (label: string) => rows.find((r) => r.label === label)!;
  const missingWf = randomUUID();
  const packets: Packet[] = [
    ...rows.map((r, i) => packetOf(r, {}, i + 1)),
    { rid: makeRid(10001, 10002, 99, new Date(now - DAY)), process: 'NEW', workflowInstanceId: missingWf, iteration: 1, source: null, origin: 'list.txt:11' },
    packetOf(at('eligible'), {}, 12),
  ];
  packets[6] = packetOf(at('rid mismatch'), { rid: makeRid(20002, 10002, 7, new Date(now - DAY)) }, 7);
  packets[7] = packetOf(at('process mismatch'), { process: 'NEW' }, 8);

  await withRows(rows, async () => {
    const before = await tableState();
    const r = await buildListDryRun(db.pool, db.schema, packets, await criteria(), 10, 1000);
    assert.equal(r.source, 'list');
    assert.equal(r.checkedAgainstDb, true);
    assert.equal(r.matched, 11, 'distinct packets');
    assert.equal(r.willTake, 11);
    assertSumsToMatched(r);
    const codes = Object.fromEntries(r.warnings.map((w) => [w.code, w.count]));
    assert.deepEqual(codes, {
      not_found: 1, inactive: 2, rid_mismatch: 1, no_sync_row: 1, not_eligible: 4, process_mismatch: 1, duplicate: 1,
    });
    const warning = (code: string) => r.warnings.find((w) => w.code === code)!;
    assert.deepEqual(warning('not_found').examples, [`list.txt:11: ${missingWf}`]);
    assert.match(warning('not_eligible').message, /4 packets that the --db criteria would NOT select.*status_code PROCESSED: 1/);
    assert.match(warning('not_eligible').message, /latest_trn_dtimes too recent: 1/);
    assert.match(warning('not_eligible').message, /latest_trn_dtimes NULL: 1/);
    assert.ok(warning('not_eligible').examples.some((e) => e.includes(at('failed').workflowInstanceId) && e.includes('status_code FAILED')));
    assert.ok(warning('duplicate').examples[0]!.startsWith('list.txt:12: '));

    assert.deepEqual(ageCounts(r), { lt_1d: 1, '1d_7d': 5, '7d_30d': 1, gt_30d: 0, none: 1, no_row: 3 });
    assert.equal(r.byStatus!.find((s) => s.statusCode === NO_ACTIVE_ROW)!.count, 3);
    assert.deepEqual(r.byProcess, [{ process: 'NEW', count: 10 }, { process: 'UPDATE', count: 1 }], 'the process each packet is sent with');

    assert.equal(r.sample.length, 10);
    assert.deepEqual(r.sample.map((s) => s.workflow_instance_id), packets.slice(0, 10).map((p) => p.workflowInstanceId));
    assert.equal(r.sample[1]!.status_code, 'PROCESSED');
    assert.equal(r.sample[3]!.status_code, null, 'inactive: no row the stage would see');

    const limited = await buildListDryRun(db.pool, db.schema, packets, await criteria(), 10, 4);
    assert.equal(limited.willTake, 4);
    assert.equal(limited.sample.length, 4);
    assert.equal(limited.matched, 11);

    const text = renderDryRun(r);
    assert.match(text, /By process \(as it will be sent\)/);
    assert.match(text, /! 1 packet without a registration row for the workflow id: the stage replies null/);
    assert.ok(text.includes(`list.txt:11: ${missingWf}`));
    assert.ok(text.includes(NO_ACTIVE_ROW));
    assert.equal(await tableState(), before, 'the dry-run changed nothing');
  });
});

test('--file: lookups are batched; 2,500 listed packets are all accounted for', async () => {
  const rows = Array.from({ length: 1500 }, (_, i) => row({ label: `r${i}`, statusCode: i % 10 === 0 ? 'PROCESSED' : 'PROCESSING' }));
  const packets = [...rows.map((r, i) => packetOf(r, {}, i + 1)), ...Array.from({ length: 1000 }, (_, i) => ({
    rid: makeRid(10001, 10003, i, new Date(Date.now() - DAY)), process: 'NEW', workflowInstanceId: randomUUID(),
    iteration: 1, source: null, origin: `list.txt:${1501 + i}`,
  }))];
  await withRows(rows, async () => {
    const r = await buildListDryRun(db.pool, db.schema, packets, await criteria(), 10, 1000);
    assert.equal(r.matched, 2500);
    assert.equal(r.willTake, 1000);
    assertSumsToMatched(r);
    const codes = Object.fromEntries(r.warnings.map((w) => [w.code, w.count]));
    assert.deepEqual(codes, { not_found: 1000, not_eligible: 150 });
    assert.equal(r.warnings[0]!.examples.length, 5, 'examples are bounded');
  });
});

test('--file without a database: the count, the processes and a sample of the packets themselves', async () => {
  const packets = [row({ label: 'a' }), row({ label: 'b', process: 'LOST' }), row({ label: 'c' })].map((r, i) => packetOf(r, {}, i + 1));
  const r = await buildListDryRun(null, 'regprc', packets, null, 10, 2);
  assert.equal(r.checkedAgainstDb, false);
  assert.equal(r.matched, 3);
  assert.equal(r.willTake, 2);
  assert.deepEqual(r.byProcess, [{ process: 'NEW', count: 2 }, { process: 'LOST', count: 1 }]);
  assert.equal(r.byStage, null);
  assert.equal(r.byAge, null);
  assert.deepEqual(r.sample.map((s) => s.reg_id), packets.slice(0, 2).map((p) => p.rid));
  assert.deepEqual(r.warnings.map((w) => w.code), ['not_checked']);
  const text = renderDryRun(r);
  assert.match(text, /no database configured/);
  assert.ok(!text.includes('By stage'));
});

test('the dry run\'s HTML has the held-back table and the reprocessor line of the text dry run, in the same words', async () => {
  const rows = [row({ label: 'a' }), row({ label: 'b' }), row({ label: 'paused', statusCode: 'PAUSED' }), row({ label: 'paused2', statusCode: 'PAUSED' })];
  await withRows(rows, async () => {
    await db.pool.query(
      `INSERT INTO "${db.schema}".registration_transaction (id, reg_id, trn_type_code, status_code, sub_status_code, lang_code, cr_by, cr_dtimes, upd_dtimes)
       VALUES ($1, $2, 'PACKET_REPROCESS', 'REPROCESS', 'RPR-RPR-001', 'eng', 'MOSIP_SYSTEM', now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC')`,
      [randomUUID(), rows[0]!.regId],
    );
    const r = await buildDbDryRun(db.pool, db.schema, await criteria(3600), 5);
    const text = renderDryRun(r);
    const html = renderDryRunHtml(r).replace(/&#39;/g, "'");
    assert.match(text, /Held back: 2 packets of the rows the guide's query would take left out, 0 sent anyway/);
    assert.ok(html.includes("Held back: 2 packets of the rows the guide's query would take left out, 0 sent anyway"), 'the same headline');
    // The table's rows are the text table's rows.
    const textRow = text.split('\n').find((l) => /^\s*paused\s+PAUSED\s/.test(l))!.trim().split(/\s{2,}/);
    assert.deepEqual(tableRows(html, 'held-back'), [textRow]);
    const reprocessor = text.split('\n').find((l) => l.startsWith("MOSIP's reprocessor"))!;
    assert.match(reprocessor, /ACTIVE, 1 PACKET_REPROCESS transactions in the last 60 min/);
    assert.ok(html.includes(reprocessor), 'the same reprocessor line');
    assert.match(html, /pause the reprocessor for the night/);
  });
});
