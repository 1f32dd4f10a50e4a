// Issue #10 points 1-3 at the library level, on the real PostgreSQL: paused packets and spent retry budgets are
// held back from every selection (and taken with the --include-* rules), the dry run shows them by status and
// pause rule, listed packets are reported by line, the window floor, and the reprocessor-activity check.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { insertRegistrations, type RegistrationRowInput } from '@mosip-reprocess/simulator/sql/registrationRows.js';
import { freshSchema, type TestSchema } from '@mosip-reprocess/testkit/db.js';
import { packetOf, stuckRow } from '@mosip-reprocess/testkit/rows.js';
import { eligiblePackets } from '../src/source/dbSource.js';
import { selectionCounts, utcCutoff, type EligibilityCriteria } from '../src/sql/selectEligible.js';
import { DEFAULT_HOLD_BACK, type HoldBackRules } from '../src/domain/holdBack.js';
import { holdBackListed, type HeldPacket } from '../src/filter/holdBackListed.js';
import { buildDbDryRun, buildListDryRun, renderDryRun } from '../src/report/dryRun.js';
import { checkWindowFloor, MOSIP_MIN_WINDOW_SECONDS } from '../src/config/safety.js';
import { loadSettings } from '../src/config/load.js';
import { InputError } from '../src/errors.js';
import { reprocessorActivity } from '../src/sql/reprocessorActivity.js';

let db: TestSchema;
before(async () => { db = await freshSchema('hold'); });
after(async () => { await db.drop(); });

type Labelled = RegistrationRowInput & { label: string; rule?: string };

async function withRows(rows: Labelled[]): Promise<void> {
  const s = `"${db.schema}"`;
  await db.pool.query(`TRUNCATE ${s}.registration, ${s}.registration_list, ${s}.registration_transaction`);
  await insertRegistrations(db.pool, db.schema, rows);
  for (const r of rows) {
    if (r.rule) {
      await db.pool.query(`UPDATE ${s}.registration SET pause_rule_ids = $1 WHERE workflow_instance_id = $2`, [r.rule, r.workflowInstanceId]);
    }
  }
}

async function criteria(holdBack?: HoldBackRules): Promise<EligibilityCriteria> {
  return {
    trnStatuses: ['SUCCESS', 'REPROCESS', 'IN_PROGRESS'], maxRetries: 500, excludeStatuses: ['PROCESSED', 'FAILED', 'REJECTED'],
    stages: null, cutoffUtc: await utcCutoff(db.pool, 86_400), ...(holdBack ? { holdBack } : {}),
  };
}

async function selectedLabels(rows: Labelled[], c: EligibilityCriteria): Promise<string[]> {
  const ids: string[] = [];
  for await (const p of eligiblePackets(db.pool, db.schema, c, 1_000_000)) ids.push(p.workflowInstanceId);
  return rows.filter((r) => ids.includes(r.workflowInstanceId)).map((r) => r.label).sort();
}

const rowsUnderTest = (): Labelled[] => [
  { ...stuckRow(), label: 'plain' },
  { ...stuckRow({ statusCode: 'PAUSED' }), label: 'paused', rule: 'PAUSE' },
  { ...stuckRow({ statusCode: 'PAUSED' }), label: 'hotlisted', rule: 'HOTLISTED_OPERATOR' },
  { ...stuckRow({ statusCode: 'PAUSED_FOR_ADDITIONAL_INFO' }), label: 'additional info' },
  { ...stuckRow({ statusCode: 'RESUMABLE' }), label: 'resumable' },
  { ...stuckRow({ trnRetryCount: 8 }), label: 'trn 8' },
  { ...stuckRow({ trnRetryCount: 9 }), label: 'trn 9' },
  { ...stuckRow({ trnRetryCount: null }), label: 'trn NULL' },
  { ...stuckRow({ regProcessRetryCount: 19 }), label: 'reprocess 19' },
  { ...stuckRow({ regProcessRetryCount: 20 }), label: 'reprocess 20' },
  { ...stuckRow({ regProcessRetryCount: 21 }), label: 'reprocess 21' },
];

test('the --db selection leaves out paused packets and spent retry budgets, at MOSIP\'s exact boundaries', async () => {
  const rows = rowsUnderTest();
  await withRows(rows);
  const c = await criteria();
  assert.deepEqual(await selectedLabels(rows, c), ['plain', 'reprocess 19', 'reprocess 21', 'trn 8', 'trn NULL']);
  assert.equal((await selectionCounts(db.pool, db.schema, c)).taken, 5);
  // The guide's query takes all eleven; the same criteria without holdBack are MOSIP's defaults (safe side).
  const { holdBack: _, ...noRules } = c;
  assert.deepEqual(await selectedLabels(rows, noRules), ['plain', 'reprocess 19', 'reprocess 21', 'trn 8', 'trn NULL']);
});

test('--include-paused and --include-exhausted take them back, each only its own reason', async () => {
  const rows = rowsUnderTest();
  await withRows(rows);
  const paused = await selectedLabels(rows, await criteria({ ...DEFAULT_HOLD_BACK, includePaused: true }));
  assert.deepEqual(paused, ['additional info', 'hotlisted', 'paused', 'plain', 'reprocess 19', 'reprocess 21', 'resumable', 'trn 8', 'trn NULL']);
  const exhausted = await selectedLabels(rows, await criteria({ ...DEFAULT_HOLD_BACK, includeExhausted: true }));
  assert.deepEqual(exhausted, ['plain', 'reprocess 19', 'reprocess 20', 'reprocess 21', 'trn 8', 'trn 9', 'trn NULL']);
  // The progress total counts exactly what is taken, included reasons too.
  assert.equal((await selectionCounts(db.pool, db.schema, await criteria({ ...DEFAULT_HOLD_BACK, includePaused: true }))).taken, paused.length);
  assert.equal((await selectionCounts(db.pool, db.schema, await criteria({ ...DEFAULT_HOLD_BACK, includeExhausted: true }))).taken, exhausted.length);
  // The limits are the deployment's settings.
  const stricter = await selectedLabels(rows, await criteria({ ...DEFAULT_HOLD_BACK, uploaderMaxRetry: 9, reprocessAttemptCount: 19 }));
  assert.deepEqual(stricter, ['plain', 'reprocess 20', 'reprocess 21', 'trn NULL']);
});

test('a row held for two reasons stays held when the operator includes only one of them: --db, the count, listed packets, the dry run', async () => {
  const hour = 3_600_000;
  const rows: Labelled[] = [
    { ...stuckRow(), label: 'plain' },
    // Past the uploader's budget and written 10 minutes ago (it may still be inside ABIS): --include-exhausted alone must not send it.
    { ...stuckRow({ trnRetryCount: 9, latestTrnDtimes: new Date(Date.now() - hour / 6) }), label: 'exhausted+recent' },
    // Paused and past the reprocessor's budget: --include-paused alone must not send it.
    { ...stuckRow({ statusCode: 'PAUSED', regProcessRetryCount: 20 }), label: 'paused+budget', rule: 'PAUSE' },
  ];
  await withRows(rows);
  const packets = rows.map((r, i) => ({ ...packetOf(r), origin: `list.txt:${i + 1}` }));
  const listed = async (rules: HoldBackRules): Promise<{ kept: string[]; held: HeldPacket[] }> => {
    const held: HeldPacket[] = [];
    const kept: string[] = [];
    for await (const p of holdBackListed(packets, db.pool, db.schema, rules, (h) => held.push(h))) kept.push(rows[Number(p.origin.split(':')[1]) - 1]!.label);
    return { kept, held };
  };

  const exhausted = { ...DEFAULT_HOLD_BACK, includeExhausted: true };
  const e = await listed(exhausted);
  assert.deepEqual(e.kept, ['plain'], 'neither is sent: each is also held for a reason not included');
  assert.match(e.held.find((h) => h.packet.origin === 'list.txt:2')!.message, /skipped: latest_trn_dtimes .* is within 6300 s/);
  assert.match(e.held.find((h) => h.packet.origin === 'list.txt:3')!.message, /skipped: status_code PAUSED/);

  const paused = { ...DEFAULT_HOLD_BACK, includePaused: true };
  assert.deepEqual((await listed(paused)).kept, ['plain']);
  assert.match((await listed(paused)).held.find((h) => h.packet.origin === 'list.txt:3')!.message, /skipped: reg_process_retry_count 20/);
  // Both reasons included: sent, named for the first.
  const both = await listed({ ...DEFAULT_HOLD_BACK, includePaused: true, includeExhausted: true });
  assert.deepEqual(both.kept.sort(), ['paused+budget', 'plain']);
  assert.match(both.held.find((h) => h.packet.origin === 'list.txt:3')!.message, /sent anyway: status_code PAUSED/);

  // The --db selection and its count (the recent row is not old enough for it anyway: the paused one decides).
  assert.deepEqual(await selectedLabels(rows, await criteria(paused)), ['plain']);
  assert.equal((await selectionCounts(db.pool, db.schema, await criteria(paused))).taken, 1);
  const dry = await buildDbDryRun(db.pool, db.schema, await criteria(paused), 1000);
  assert.equal(dry.heldBack?.sentAnyway, 0, 'the dry run does not say the paused packet goes');
  assert.deepEqual(dry.heldBack!.counts.map((c) => `${c.reason}|${c.count}`), ['reprocess_budget|1']);
});

test('the dry run counts what the guide\'s query would have taken and was left out, by status and pause rule', async () => {
  const rows = rowsUnderTest();
  await withRows(rows);
  const report = await buildDbDryRun(db.pool, db.schema, await criteria(), 1000);
  assert.equal(report.matched, 5);
  assert.equal(report.heldBack?.skipped, 6);
  assert.equal(report.heldBack?.sentAnyway, 0);
  const key = (c: { reason: string; statusCode: string | null; pauseRuleIds: string | null; count: number }) => `${c.reason}|${c.statusCode}|${c.pauseRuleIds}|${c.count}`;
  assert.deepEqual(report.heldBack!.counts.map(key).sort(), [
    'paused|PAUSED_FOR_ADDITIONAL_INFO|null|1', 'paused|PAUSED|HOTLISTED_OPERATOR|1', 'paused|PAUSED|PAUSE|1', 'paused|RESUMABLE|null|1',
    'reprocess_budget|PROCESSING|null|1', 'uploader_budget|PROCESSING|null|1',
  ]);
  const text = renderDryRun(report);
  assert.match(text, /Held back: 6 packets of the rows the guide's query would take left out, 0 sent anyway/);
  assert.match(text, /HOTLISTED_OPERATOR/);
  const included = await buildDbDryRun(db.pool, db.schema, await criteria({ ...DEFAULT_HOLD_BACK, includePaused: true }), 1000);
  assert.equal(included.matched, 9);
  assert.equal(included.heldBack?.sentAnyway, 4);
  assert.ok(included.warnings.some((w) => w.code === 'sent_anyway' && w.count === 4));
});

test('listed packets that are held back are reported by their line and skipped, not silently dropped', async () => {
  const rows = rowsUnderTest();
  await withRows(rows);
  const packets = rows.map((r, i) => ({ ...packetOf(r), origin: `list.txt:${i + 1}` }));
  const held: HeldPacket[] = [];
  const kept: string[] = [];
  for await (const p of holdBackListed(packets, db.pool, db.schema, DEFAULT_HOLD_BACK, (h) => held.push(h), 4)) kept.push(p.origin);
  assert.deepEqual(kept, ['list.txt:1', 'list.txt:6', 'list.txt:8', 'list.txt:9', 'list.txt:11']);
  assert.deepEqual(held.map((h) => h.packet.origin), ['list.txt:2', 'list.txt:3', 'list.txt:4', 'list.txt:5', 'list.txt:7', 'list.txt:10']);
  assert.ok(held.every((h) => !h.included));
  assert.match(held[1]!.message, /^list\.txt:3: \d{29} [0-9a-f-]{36}: skipped: status_code PAUSED \(pause rule HOTLISTED_OPERATOR\)/);
  assert.match(held[4]!.message, /trn_retry_count 9: the packet uploader fails it on its next pass \(registration.processor.max.retry 10\)/);
  assert.match(held[5]!.message, /reg_process_retry_count 20 = registration.processor.reprocess.attempt.count 20/);

  const withPaused: string[] = [];
  const heldAnyway: HeldPacket[] = [];
  for await (const p of holdBackListed(packets, db.pool, db.schema, { ...DEFAULT_HOLD_BACK, includePaused: true }, (h) => heldAnyway.push(h))) withPaused.push(p.origin);
  assert.equal(withPaused.length, 9);
  assert.equal(heldAnyway.filter((h) => h.included).length, 4);
  assert.match(heldAnyway[0]!.message, /sent anyway: status_code PAUSED/);

  const report = await buildListDryRun(db.pool, db.schema, packets, await criteria(), 10, 1000);
  assert.equal(report.matched, 11);
  assert.equal(report.willTake, 5);
  assert.equal(report.sample.length, 5);
  const w = report.warnings.find((x) => x.code === 'held_back');
  assert.equal(w?.count, 6);
  assert.match(w!.examples[0]!, /^list\.txt:2: /);

  const unchecked = await buildListDryRun(null, db.schema, packets, null, 10, 1000);
  assert.match(renderDryRun(unchecked), /pauses and retry budgets could not be checked/);
});

test('the window floor: 6300 s or less is refused with the reason (MOSIP\'s validators call the bound itself invalid), unless --allow-short-window', () => {
  const { settings } = loadSettings({ flags: { olderThan: '90m' }, env: {} });
  assert.throws(() => checkWindowFloor(settings), (err: unknown) => {
    assert.ok(err instanceof InputError);
    assert.match(err.message, /--older-than 5400 s is not above 6300 s/);
    assert.match(err.message, /ABIS/);
    assert.match(err.message, /manual adjudication/);
    assert.match(err.message, /duplicate UINs were issued before 1\.2\.0\.1 \(MOSIP-26697\)/);
    assert.match(err.message, /--allow-short-window/);
    return true;
  });
  checkWindowFloor(loadSettings({ flags: { olderThan: '90m', allowShortWindow: true }, env: {} }).settings);
  assert.throws(() => checkWindowFloor(loadSettings({ flags: { olderThan: `${MOSIP_MIN_WINDOW_SECONDS}s` }, env: {} }).settings), /6300 s is not above 6300 s/);
  checkWindowFloor(loadSettings({ flags: { olderThan: `${MOSIP_MIN_WINDOW_SECONDS + 1}s` }, env: {} }).settings);
  checkWindowFloor(loadSettings({ flags: {}, env: {} }).settings);
});

test('reprocessor activity: PACKET_REPROCESS transactions of the last hour only', async () => {
  await withRows([]);
  const s = `"${db.schema}"`;
  const insert = (type: string, minutesAgo: number) => db.pool.query(
    `INSERT INTO ${s}.registration_transaction (id, reg_id, trn_type_code, status_code, sub_status_code, lang_code, cr_by, cr_dtimes, upd_dtimes)
     VALUES ($1, '10001100010000120240101000000', $2, 'REPROCESS', 'RPR-RPS-SUCCESS-001', 'eng', 'MOSIP_SYSTEM',
             (now() AT TIME ZONE 'UTC') - make_interval(mins => $3), (now() AT TIME ZONE 'UTC') - make_interval(mins => $3))`,
    [randomUUID(), type, minutesAgo]);
  assert.equal((await reprocessorActivity(db.pool, db.schema)).transactions, 0);
  await insert('PACKET_REPROCESS', 90);
  await insert('SECUREZONE_NOTIFICATION', 5);
  assert.equal((await reprocessorActivity(db.pool, db.schema)).transactions, 0);
  await insert('PACKET_REPROCESS', 10);
  await insert('PACKET_REPROCESS', 2);
  const seen = await reprocessorActivity(db.pool, db.schema, 3600, 1);
  assert.equal(seen.transactions, 1);
  assert.equal(seen.capped, true);
  assert.equal((await reprocessorActivity(db.pool, db.schema)).transactions, 2);
  const report = await buildDbDryRun(db.pool, db.schema, await criteria(), 10);
  assert.match(renderDryRun(report), /MOSIP's reprocessor: ACTIVE, 2 PACKET_REPROCESS transactions in the last 60 min/);
});
