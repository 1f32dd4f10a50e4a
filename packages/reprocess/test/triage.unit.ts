// Issue #20 at the library level, on the real PostgreSQL with MOSIP's columns: cohorts and counts from a known history
// (registration_transaction), the numbers adding up to the selection and agreeing with what a run takes, the
// default hold-back of repeating packets and its flags, the dry run's cohorts, `explain` of each kind of packet,
// ids stable across runs, --cohort checks, and the text / JSON / HTML renderings.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { insertRegistrations } from '@mosip-reprocess/simulator/sql/registrationRows.js';
import {
  abisDown, dataError, historyPacket, insertHistoryPackets, ok, received, reprocessorPass, type HistoryPacket,
} from '@mosip-reprocess/testkit/history.js';
import { freshSchema, type TestSchema } from '@mosip-reprocess/testkit/db.js';
import { packetOf, stuckRow } from '@mosip-reprocess/testkit/rows.js';
import { eligiblePackets } from '../src/source/dbSource.js';
import { selectionCounts, utcCutoff, type EligibilityCriteria } from '../src/sql/selectEligible.js';
import { DEFAULT_HOLD_BACK, type HoldBackRules } from '../src/domain/holdBack.js';
import { holdBackListed, type HeldPacket } from '../src/filter/holdBackListed.js';
import { buildDbDryRun, renderDryRun } from '../src/report/dryRun.js';
import { renderDryRunHtml } from '../src/report/html/dryRunReport.js';
import { triageReprocess } from '../src/triage/triage.js';
import { resolveTriageRequest } from '../src/triage/request.js';
import { explainPacket } from '../src/triage/explain.js';
import { cohortId, normaliseComment, type CohortKey } from '../src/domain/cohort.js';
import { renderTriage } from '../src/triage/triageText.js';
import { renderTriageHtml } from '../src/triage/triageHtml.js';
import { renderExplain } from '../src/triage/explainText.js';
import { createRun } from '../src/journal/runStore.js';
import { resolveRunRequest } from '../src/run/request.js';
import { openCohortStage } from '../src/run/cohortStage.js';
import { createPool } from '../src/db/connect.js';
import { InputError } from '../src/errors.js';
import { ignoreEvents } from '../src/run/events.js';

let db: TestSchema;
let runsDir: string;
const HOUR = 3_600_000;

before(async () => {
  db = await freshSchema('triage');
  runsDir = mkdtempSync(join(tmpdir(), 'triage-runs-'));
  await seed();
});
after(async () => {
  await db.drop();
  rmSync(runsDir, { recursive: true, force: true });
});

type Packet = HistoryPacket;
const packet = historyPacket;
const pass = reprocessorPass;
const apiDown = abisDown;

let packets: Packet[];
const byLabel = (label: string) => packets.find((p) => p.label === label)!;

async function seed(): Promise<void> {
  const start = received();
  packets = [
    ...[1, 2, 3].map((i) => packet(`loop${i}`, [...start, dataError(), pass, dataError(), pass, dataError()], { statusCode: 'REPROCESS', regStageName: 'PacketValidatorStage' })),
    ...[1, 2].map((i) => packet(`twice${i}`, [...start, dataError(), pass, dataError()], { statusCode: 'REPROCESS' })),
    ...[1, 2].map((i) => packet(`api${i}`, [...start, ok('VALIDATE_PACKET'), apiDown])),
    // MOSIP's reprocessor passes are the workflow engine's rows, never failures.
    ...[1, 2].map((i) => packet(`quiet${i}`, [...start, pass, pass, pass, ok('UPLOAD_PACKET')])),
    // Failed three times the same way, then the stage succeeded: resolved, not repeating.
    packet('resolved', [ok('PACKET_RECEIVER'), ['UPLOAD_PACKET', 'REPROCESS', 'RPR-SYS-EXCEPTION-001', 'Object store exception occured'],
      ['UPLOAD_PACKET', 'REPROCESS', 'RPR-SYS-EXCEPTION-001', 'Object store exception occured'],
      ['UPLOAD_PACKET', 'REPROCESS', 'RPR-SYS-EXCEPTION-001', 'Object store exception occured'], ok('UPLOAD_PACKET'), ok('QUALITY_CLASSIFIER')]),
    packet('paused', [ok('PACKET_RECEIVER'), ['INTERNAL_WORKFLOW_ACTION', 'SUCCESS', 'RPR-WIA-001', 'Packet paused because of pause settings match']], { statusCode: 'PAUSED', pauseRuleIds: 'PAUSE' }),
    // Paused and repeating: the hold-back gives the first reason (paused); its cohort is a repeating one.
    packet('pausedLooper', [...start, dataError(), pass, dataError(), pass, dataError(), ['INTERNAL_WORKFLOW_ACTION', 'REPROCESS', 'RPR-WIA-001', 'paused']], { statusCode: 'PAUSED', pauseRuleIds: 'PAUSE' }),
    // Not in the selection: finished, or inside the window.
    packet('processed', [...start, ok('PRINT_SERVICE')], { statusCode: 'PROCESSED' }),
    packet('recent', [...start, dataError(), pass, dataError(), pass, dataError()], { latestTrnDtimes: new Date(Date.now() - HOUR) }),
  ];
  const s = `"${db.schema}"`;
  await db.pool.query(`TRUNCATE ${s}.registration, ${s}.registration_list, ${s}.registration_transaction`);
  await insertHistoryPackets(db.pool, db.schema, packets);
}

const SELECTED = ['loop1', 'loop2', 'loop3', 'twice1', 'twice2', 'api1', 'api2', 'quiet1', 'quiet2', 'resolved', 'paused', 'pausedLooper'];

async function criteria(holdBack?: HoldBackRules): Promise<EligibilityCriteria> {
  return {
    trnStatuses: ['SUCCESS', 'REPROCESS', 'IN_PROGRESS'], maxRetries: 500, excludeStatuses: ['PROCESSED', 'FAILED', 'REJECTED'],
    stages: null, cutoffUtc: await utcCutoff(db.pool, 86_400), ...(holdBack ? { holdBack } : {}),
  };
}

async function selectedLabels(c: EligibilityCriteria): Promise<string[]> {
  const ids = new Set<string>();
  for await (const p of eligiblePackets(db.pool, db.schema, c, 1_000_000)) ids.add(p.workflowInstanceId);
  return packets.filter((p) => ids.has(p.row.workflowInstanceId)).map((p) => p.label).sort();
}

const triage = (flags: Record<string, unknown> = {}) =>
  triageReprocess(resolveTriageRequest({ db: true, dbUrl: db.url, schema: db.schema, runsDir, ...flags }, {}));

test('triage: cohorts by stage and last failure, their verdicts, and numbers that add up to the selection and agree with a run', async () => {
  // This tool notified loop1 once before (its journal in --runs-dir).
  const run = createRun(runsDir, { flags: {}, configFile: null, settings: {}, source: 'db (APPROACH 1)' });
  const journal = run.openJournal();
  const loop1 = byLabel('loop1').row;
  journal.append({ t: 'send', at: new Date().toISOString(), wf: loop1.workflowInstanceId, rid: loop1.regId, process: 'NEW', iteration: 1, source: null, origin: 'db', attempt: 1, stage: 'VALIDATE_PACKET' });
  journal.append({ t: 'result', at: new Date().toISOString(), wf: loop1.workflowInstanceId, rid: loop1.regId, attempt: 1, outcome: 'forwarded', http: 200, reply: 'forwarded', latencyMs: 3, startedAt: new Date().toISOString() });
  await journal.close();

  const r = await triage();
  assert.equal(r.selected, SELECTED.length);
  assert.equal(r.cohorts.reduce((n, c) => n + c.count, 0) + r.notFound, r.selected, 'the cohorts add up to the selection');
  const guide = await db.pool.query(`SELECT count(*)::int AS n FROM "${db.schema}".registration r WHERE r.latest_trn_status_code IN ('SUCCESS','REPROCESS','IN_PROGRESS')
    AND r.status_code NOT IN ('PROCESSED','FAILED','REJECTED') AND r.latest_trn_dtimes < (now() AT TIME ZONE 'UTC') - interval '1 day'`);
  assert.equal(r.selected, guide.rows[0].n, 'the same rows as the guide\'s query');
  const counts = await selectionCounts(db.pool, db.schema, await criteria());
  assert.equal(r.runWouldSend, counts.taken, 'triage and the run agree on what is sent');
  assert.equal(r.runWouldSend + Object.values(r.heldBack).reduce((n, x) => n + x, 0), r.selected);
  assert.deepEqual(r.heldBack, { repeating: 3, paused: 2 });

  const summary = r.cohorts.map((c) => `${c.verdict} ${c.stage} ${c.failureStage ?? '-'} ${c.count}`).sort();
  assert.deepEqual(summary, [
    'quiet INTERNAL_WORKFLOW_ACTION - 1', 'quiet QUALITY_CLASSIFIER - 1', 'quiet UPLOAD_PACKET - 2',
    'repeating INTERNAL_WORKFLOW_ACTION VALIDATE_PACKET 1', 'repeating VALIDATE_PACKET VALIDATE_PACKET 3',
    'transient BIOGRAPHIC_VERIFICATION BIOGRAPHIC_VERIFICATION 2', 'unknown VALIDATE_PACKET VALIDATE_PACKET 2',
  ]);
  assert.deepEqual(Object.fromEntries(Object.entries(r.byVerdict).map(([v, x]) => [v, x.packets])), { repeating: 4, unknown: 2, transient: 2, quiet: 4 });

  const looping = r.cohorts.find((c) => c.verdict === 'repeating' && c.stage === 'VALIDATE_PACKET')!;
  assert.equal(looping.comment, 'Exception occured in packet manager.KER-PUT-020 --> Packet Validation exception occured. request <uuid>');
  assert.deepEqual([looping.status, looping.subStatus, looping.timesMin, looping.timesMax], ['REPROCESS', 'RPR-PKV-FAILED-014', 3, 3]);
  assert.deepEqual(looping.heldBack, { repeating: 3 });
  assert.equal(looping.runWouldSend, 0);
  assert.deepEqual(looping.reprocessor, { passes: 6, packets: 3, failedAgain: 3 });
  assert.deepEqual(looping.tool, { sends: 1, packets: 1, lastOutcomes: { forwarded: 1 } });
  assert.deepEqual(r.journals, { runsDir, packetsNotified: 1 });
  assert.equal(looping.byAge['1d_7d'], 3);

  const transient = r.cohorts.find((c) => c.verdict === 'transient')!;
  assert.equal(transient.transient?.mosipName, 'API_RESOUCE_ACCESS_FAILED');
  assert.equal(transient.runWouldSend, 2);
  const quiet = r.cohorts.find((c) => c.verdict === 'quiet' && c.stage === 'UPLOAD_PACKET')!;
  assert.deepEqual(quiet.reprocessor, { passes: 6, packets: 2, failedAgain: 0 });
  assert.equal(r.cohorts.find((c) => c.verdict === 'unknown')!.timesMax, 2);
  assert.deepEqual(r.cohorts.find((c) => c.stage === 'INTERNAL_WORKFLOW_ACTION' && c.verdict === 'repeating')!.heldBack, { paused: 1 });

  // Stable ids: the same on a second run, and a hash of the key alone (the same on any machine).
  const again = await triage();
  assert.deepEqual(again.cohorts.map((c) => c.id), r.cohorts.map((c) => c.id));
  const key: CohortKey = { stage: 'VALIDATE_PACKET', failureStage: 'VALIDATE_PACKET', status: 'REPROCESS', subStatus: 'RPR-PKV-FAILED-014', comment: looping.comment, repeating: true };
  assert.equal(cohortId(key), looping.id);
  assert.equal(cohortId({ stage: 'UPLOAD_PACKET', failureStage: null, status: null, subStatus: null, comment: null, repeating: false }), 'c4d317745');

  // --repeat-failures 2: the packets that failed twice repeat too (and a run holds them back).
  const stricter = await triage({ repeatFailures: '2' });
  assert.equal(stricter.heldBack.repeating, 5);
  assert.equal(stricter.byVerdict.unknown.packets, 0);
  // --include-repeat-failures: same cohorts, but a run sends them.
  const included = await triage({ includeRepeatFailures: true });
  assert.deepEqual(included.cohorts.map((c) => c.id), r.cohorts.map((c) => c.id));
  assert.equal(included.runWouldSend, r.runWouldSend + 3);

  // Renderings: text names every cohort; JSON is the report; HTML is self-contained with the chart.
  const text = renderTriage(r);
  for (const c of r.cohorts) assert.ok(text.includes(c.id), c.id);
  assert.match(text, /packets   12 selected: 12 in 7 cohorts/);
  assert.match(text, /a run     would send 7, hold back (3 repeating failure, 2 paused|2 paused, 3 repeating failure)/);
  assert.deepEqual(JSON.parse(JSON.stringify(r)), r);
  const html = renderTriageHtml(r);
  assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
  assert.match(html, /<svg class="chart"[^>]*aria-label="cohorts by size and age"/);
  assert.ok(html.includes(looping.id) && html.includes('API_RESOUCE_ACCESS_FAILED'));
  assert.doesNotMatch(html, /<script src=|<link /);
});

test('repeating packets are held back by every selection by default, with the failure and how many times; --include-repeat-failures sends them', async () => {
  assert.deepEqual(await selectedLabels(await criteria()), ['api1', 'api2', 'quiet1', 'quiet2', 'resolved', 'twice1', 'twice2']);
  assert.deepEqual(await selectedLabels(await criteria({ ...DEFAULT_HOLD_BACK, includeRepeatFailures: true })),
    ['api1', 'api2', 'loop1', 'loop2', 'loop3', 'quiet1', 'quiet2', 'resolved', 'twice1', 'twice2']);
  assert.deepEqual(await selectedLabels(await criteria({ ...DEFAULT_HOLD_BACK, repeatFailures: 2 })), ['api1', 'api2', 'quiet1', 'quiet2', 'resolved']);

  const listed = packets.filter((p) => SELECTED.includes(p.label)).map((p, i) => ({ ...packetOf(p.row), origin: `list.txt:${i + 1}` }));
  const held: HeldPacket[] = [];
  for await (const _ of holdBackListed(listed, db.pool, db.schema, DEFAULT_HOLD_BACK, (h) => held.push(h))) { /* kept */ }
  const repeating = held.filter((h) => h.facts.reason === 'repeating');
  assert.equal(repeating.length, 3);
  assert.match(repeating[0]!.message, /^list\.txt:1: \d{29} [0-9a-f-]{36}: skipped: VALIDATE_PACKET REPROCESS RPR-PKV-FAILED-014 3 times \(--repeat-failures 3\): a re-drive will not fix it/);
  assert.match(repeating[0]!.message, /--include-repeat-failures/);

  // The dry run: held back by reason, and the repeating ones by cohort (the ids the triage prints).
  const dry = await buildDbDryRun(db.pool, db.schema, await criteria(), 1000);
  const triaged = await triage();
  assert.equal(dry.matched, triaged.runWouldSend);
  assert.deepEqual(dry.heldBack!.repeatingCohorts.map((c) => [c.id, c.count]),
    triaged.cohorts.filter((c) => c.verdict === 'repeating' && c.heldBack.repeating).map((c) => [c.id, c.count]));
  const [cohort] = dry.heldBack!.repeatingCohorts;
  assert.equal(cohort!.sampleRid, [1, 2, 3].map((i) => byLabel(`loop${i}`).row.regId).sort()[0]);
  const text = renderDryRun(dry);
  assert.match(text, /repeating failure\s+REPROCESS\s+\(null\)\s+3\s+left out/);
  assert.ok(text.includes(`Repeating failures by cohort (left out;`) && text.includes(cohort!.id));
  assert.ok(renderDryRunHtml(dry).includes(cohort!.id));
});

test('explain: the rows, the history in time order, this tool\'s sends, and why a run would or would not select each kind of packet', async () => {
  const explain = async (label: string, flags: Record<string, unknown> = {}) =>
    (await explainPacket(byLabel(label).row.regId, { dbUrl: db.url, schema: db.schema, runsDir, ...flags }, {})).explain;

  const loop = await explain('loop1');
  assert.equal(loop.rows.length, 1);
  assert.equal(loop.historyTotal, 8);
  assert.deepEqual(loop.history.map((h) => h.trn_type_code), ['PACKET_RECEIVER', 'SECUREZONE_NOTIFICATION', 'UPLOAD_PACKET', 'VALIDATE_PACKET', 'PACKET_REPROCESS', 'VALIDATE_PACKET', 'PACKET_REPROCESS', 'VALIDATE_PACKET']);
  const [row] = loop.rows;
  assert.equal(row!.selected, false);
  assert.equal(row!.cohort?.verdict, 'repeating');
  assert.match(row!.why[0]!, /held back \(repeating\): VALIDATE_PACKET REPROCESS RPR-PKV-FAILED-014 3 times/);
  assert.match(row!.todo, new RegExp(`--include-repeat-failures --cohort ${row!.cohort!.id}`));
  assert.equal(loop.tool.length, 1);
  assert.deepEqual([loop.tool[0]!.outcome, loop.tool[0]!.stage, loop.tool[0]!.attempts], ['forwarded', 'VALIDATE_PACKET', 1]);
  const text = renderExplain(loop);
  assert.match(text, /a run now: would NOT select it/);
  assert.match(text, /PACKET_REPROCESS\s+REPROCESS\s+RPR-RPS-SUCCESS-001/);

  const api = (await explain('api1')).rows[0]!;
  assert.equal(api.selected, true);
  assert.match(api.todo, /a run would send it \(cohort c[0-9a-f]{8}, transient: API_RESOUCE_ACCESS_FAILED\)/);
  const quiet = (await explain('quiet1')).rows[0]!;
  assert.deepEqual([quiet.selected, quiet.cohort?.verdict], [true, 'quiet']);
  const resolved = (await explain('resolved')).rows[0]!;
  assert.deepEqual([resolved.selected, resolved.cohort?.verdict, resolved.times, resolved.resolved], [true, 'quiet', 3, true]);
  const paused = (await explain('paused')).rows[0]!;
  assert.equal(paused.selected, false);
  assert.match(paused.todo, /reprocess action RESUME_PROCESSING --registration \d{29} \(pause rule PAUSE/);
  const sentAnyway = (await explain('paused', { includePaused: true })).rows[0]!;
  assert.equal(sentAnyway.selected, true);
  assert.match(sentAnyway.why[0]!, /sent anyway \(paused/);
  const recent = (await explain('recent')).rows[0]!;
  assert.equal(recent.selected, false);
  assert.match(recent.why.join(' '), /inside the window \(--older-than\)/);
  assert.match(recent.todo, /wait/);
  const processed = (await explain('processed')).rows[0]!;
  assert.match(processed.todo, /MOSIP finished it/);

  // An inactive row of the same RID is shown too, and never selected.
  const loop2 = byLabel('loop2').row;
  await insertRegistrations(db.pool, db.schema, [stuckRow({ regId: loop2.regId, isActive: false })]);
  const two = await explain('loop2');
  assert.equal(two.rows.length, 2);
  const inactive = two.rows.find((r) => !r.active)!;
  assert.equal(inactive.selected, false);
  assert.match(inactive.why[0]!, /inactive/);
  await db.pool.query(`DELETE FROM "${db.schema}".registration WHERE workflow_instance_id = $1`, [inactive.workflow_instance_id]);

  await assert.rejects(explainPacket('12345', { dbUrl: db.url, schema: db.schema, runsDir }, {}), (e: unknown) => e instanceof InputError && /is not a RID/.test(e.message));
  await assert.rejects(explainPacket('10001100010000120200101000000', { dbUrl: db.url, schema: db.schema, runsDir }, {}),
    (e: unknown) => e instanceof InputError && /no registration row and no history/.test(e.message));
});

test('triage of a list: each packet once, those without an active row counted apart; shards add up to the whole', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'triage-list-'));
  try {
    const file = join(dir, 'list.txt');
    const lines = [...['loop1', 'api1', 'quiet1', 'loop1'].map((l) => { const r = byLabel(l).row; return `${r.regId}, ${r.process}, ${r.workflowInstanceId}`; }),
      `10001100010000120200101000000, NEW, ${randomUUID()}`];
    writeFileSync(file, lines.join('\n'));
    const r = await triageReprocess(resolveTriageRequest({ file, dbUrl: db.url, schema: db.schema, runsDir }, {}));
    assert.deepEqual([r.selected, r.notFound, r.cohorts.reduce((n, c) => n + c.count, 0)], [4, 1, 3]);
    assert.equal(r.criteria, null);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const whole = await triage();
  const halves = [await triage({ shard: '1/2' }), await triage({ shard: '2/2' })];
  assert.equal(halves[0]!.selected + halves[1]!.selected, whole.selected);
  assert.throws(() => resolveTriageRequest({ file: 'x.txt' }, {}), /configure it/);
});

test('--cohort: ids are checked before anything is sent; an id no packet of the selection has is bad input; the filter passes only its packets', async () => {
  const env = { REGPROC_CLIENT_PWD: 'x' };
  const base = { db: true, dbUrl: db.url, schema: db.schema, runsDir, server: 'http://127.0.0.1:9' };
  assert.throws(() => resolveRunRequest({ ...base, cohort: ['nope'] }, env), (e: unknown) => e instanceof InputError && /--cohort "nope": not a cohort id/.test(e.message));
  assert.throws(() => resolveRunRequest({ ...base, byCohort: true }, env), /--by-cohort sends one canary per cohort: use it with --canary/);
  assert.throws(() => resolveRunRequest({ ...base, cohort: ['c12345678'], dryRun: true }, env), /--cohort with --dry-run/);

  const r = await triage();
  const transient = r.cohorts.find((c) => c.verdict === 'transient')!;
  const looping = r.cohorts.find((c) => c.verdict === 'repeating' && c.stage === 'VALIDATE_PACKET')!;
  const pool = createPool({ url: db.url });
  try {
    const unknown = resolveRunRequest({ ...base, cohort: ['c00000000'] }, env);
    await assert.rejects(openCohortStage(unknown, pool, ignoreEvents, new Set()),
      (e: unknown) => e instanceof InputError && /--cohort c00000000: no packet of this selection is in that cohort/.test(e.message));

    const warnings: string[] = [];
    const request = resolveRunRequest({ ...base, cohort: [transient.id, looping.id.toUpperCase()] }, env);
    const stage = (await openCohortStage(request, pool, (e) => { if (e.type === 'warning') warnings.push(e.message); }, new Set()))!;
    assert.deepEqual([...stage.chosen!].sort(), [transient.id, looping.id].sort());
    assert.match(warnings.join('\n'), new RegExp(`--cohort ${looping.id} \\(repeating.*holds all its packets back; --include-repeat-failures sends them`));
    const seen = new Set<string>();
    const passed: string[] = [];
    const all = packets.map((p) => packetOf(p.row));
    for await (const p of stage.wrap((async function* () { yield* all; })(), seen)) passed.push(packets.find((x) => x.row.workflowInstanceId === p.workflowInstanceId)!.label);
    assert.deepEqual(passed.sort(), ['api1', 'api2', 'loop1', 'loop2', 'loop3', 'recent']);
    assert.equal(seen.size, all.length - passed.length, 'what the filter passed over is marked seen (an --all batch does not read it again)');
  } finally {
    await pool.end();
  }
});

test('normaliseComment: ids, numbers and times become placeholders; white space and length are bounded', () => {
  assert.equal(normaliseComment(null), null);
  assert.equal(normaliseComment('  '), null);
  assert.equal(normaliseComment('UIN Generation failed - IDR-IDC-012 rid 10001100010000120240101000000  uin 1234567'), 'UIN Generation failed - IDR-IDC-012 rid <n> uin <n>');
  assert.equal(normaliseComment('x 2d7c8f0e-1a2b-4c3d-8e9f-0a1b2c3d4e5f y 2026-03-01 10:00:01.123 z deadbeef00112233aa'), 'x <uuid> y <time> z <hex>');
  assert.equal(normaliseComment('a'.repeat(300))!.length, 160);
});
