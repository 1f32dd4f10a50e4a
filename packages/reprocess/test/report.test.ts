// The morning-after report (`report <run-id> --html`, `--csv`, `--db --dry-run --html`): its numbers are the
// journal's and the database's, it names no secret, loads nothing, and renders in a real browser with every
// chart drawn; whole-run totals across resumes; a 1,000,000-packet journal gives a small file in flat memory.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startSimulator } from '@mosip-reprocess/simulator/sim/server.js';
import { insertRegistrations, type RegistrationRowInput } from '@mosip-reprocess/simulator/sql/registrationRows.js';
import { runCli as runCliBinary, type CliOptions, type CliRun } from '@mosip-reprocess/testkit/cli.js';
import { freshSchema, TEST_DB_URL, type TestSchema } from '@mosip-reprocess/testkit/db.js';
import { runInProcess, verifyInProcess } from '@mosip-reprocess/testkit/inProcess.js';
import { stuckRow } from '@mosip-reprocess/testkit/rows.js';
import { openRun } from '../src/journal/runStore.js';
import { buildRunReport } from '../src/report/html/buildRunReport.js';
import { writeRunCsv } from '../src/report/csv.js';
import { CHART_PROBE, NO_CHROMIUM, visit } from './htmlReport/chromium.js';
import { syntheticRun } from './htmlReport/synthetic.js';
import { countsOf, externalReferences, parseCsv, tableRows, tally } from './htmlReport/tables.js';

const SECRET = 'report-secret-7f3a';
let db: TestSchema;
let work: string;
before(async () => { db = await freshSchema('rep'); work = mkdtempSync(join(tmpdir(), 'report-test-')); });
after(async () => { await db.drop(); rmSync(work, { recursive: true, force: true }); });

const env = () => ({ REGPROC_CLIENT_PWD: SECRET, REPROCESS_DB_URL: TEST_DB_URL, DB_SCHEMA: db.schema });
function runCli(args: string[], over: Partial<CliOptions> = {}): Promise<CliRun> {
  return runCliBinary(args, { ...over, env: { ...env(), ...over.env } });
}

interface JournalLine { t: string; wf: string; outcome?: string; latencyMs?: number }
/** The whole-run outcome per packet, computed the plain way: the last reply journaled for each workflow id. */
function lastOutcomes(journalPath: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of readFileSync(journalPath, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const r = JSON.parse(line) as JournalLine;
    if (r.t === 'result') out.set(r.wf, r.outcome!);
  }
  return out;
}

let realRun: { html: string; htmlPath: string; dryPath: string } | null = null;

test('--dry-run --html has the dry run\'s numbers; report --html and --csv: totals equal the journal and summary, "where now" equals verify and the rows; no secret; nothing to load', async () => {
  const first = stuckRow({ crDtimes: new Date(Date.now() - 10 * 86_400_000) });
  const rows: RegistrationRowInput[] = [
    ...Array.from({ length: 12 }, () => stuckRow()),
    ...Array.from({ length: 3 }, () => stuckRow({ process: 'UPDATE', latestTrnTypeCode: 'QUALITY_CHECK' })),
    first, stuckRow({ regId: first.regId }), // the second is refused as a duplicate: not_uploaded
    stuckRow({ isActive: false }), stuckRow({ isActive: false }), // null reply: not_found
  ];
  await insertRegistrations(db.pool, db.schema, rows);

  // Before the night: the dry run as HTML has the dry run's numbers; --html without --dry-run is refused.
  const dryPath = join(work, 'dry.html');
  const dry = await runCli(['--db', '--dry-run', '--json', '--html', dryPath]);
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stderr, /dry run report: .*dry\.html/);
  const dryReport = JSON.parse(dry.stdout) as { matched: number; byProcess: { process: string; count: number }[]; byStage: { typeCode: string; statusCode: string; count: number }[]; byAge: unknown[] };
  const dryHtml = readFileSync(dryPath, 'utf8');
  assert.deepEqual(countsOf(dryHtml, 'by-process'), Object.fromEntries(dryReport.byProcess.map((e) => [e.process, e.count])));
  assert.deepEqual(countsOf(dryHtml, 'by-stage'), Object.fromEntries(dryReport.byStage.map((e) => [`${e.typeCode} / ${e.statusCode}`, e.count])));
  assert.equal(Object.values(countsOf(dryHtml, 'by-age')).reduce((a, b) => a + b, 0), dryReport.matched);
  assert.deepEqual(externalReferences(dryHtml), []);
  assert.equal(dryHtml.includes(SECRET), false);
  const refused = await runCli(['--db', '--html', join(work, 'no.html'), '--server', 'http://127.0.0.1:9']);
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(refused.stderr, /--html goes with --dry-run/);

  const sim = await startSimulator({ db: db.pool, schema: db.schema, clients: [{ secret: SECRET }] });
  let id: string;
  let runsDir: string;
  let logDir: string;
  try {
    // The night's run, as the CLI makes it, in this process (the report is what is tested here, by the binary).
    const run = await runInProcess({ db: true, server: sim.url, delay: '0', limit: '100' }, env());
    assert.equal(run.result.exitCode, 1, run.notes);
    id = run.result.runId;
    runsDir = run.runsDir;
    logDir = run.logDir;
  } finally {
    await sim.close();
  }
  const htmlPath = join(work, 'night.html');
  const csvPath = join(work, 'night.csv');
  const rep = await runCli(['report', id, '--html', htmlPath, '--csv', csvPath], { logDir });
  assert.equal(rep.code, 0, rep.stderr);
  assert.match(rep.stdout, new RegExp(`report: ${htmlPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(19 packets, 3 not forwarded\\)`));
  const html = readFileSync(htmlPath, 'utf8');
  const csv = parseCsv(readFileSync(csvPath, 'utf8'));
  const journalPath = join(runsDir, id, 'journal.jsonl');

  // Totals: the journal's last reply per packet, and summary.json.
  const last = lastOutcomes(journalPath);
  const expected = tally(last.values(), (o) => o);
  assert.deepEqual(expected, { forwarded: 16, not_uploaded: 1, not_found: 2 });
  const totals = countsOf(html, 'totals');
  for (const [outcome, n] of Object.entries(expected)) assert.equal(totals[outcome], n, `totals: ${outcome}`);
  assert.equal(Object.values(totals).reduce((a, b) => a + b, 0), last.size);
  const summary = JSON.parse(readFileSync(join(runsDir, id, 'summary.json'), 'utf8')) as { counts: Record<string, number> };
  for (const [outcome, n] of Object.entries(summary.counts)) if (n > 0) assert.equal(totals[outcome], n, `summary: ${outcome}`);

  // Latency quantiles: those of the journal's latencies, sorted.
  const latencies = readFileSync(journalPath, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as JournalLine)
    .filter((r) => r.t === 'result').map((r) => r.latencyMs!).sort((a, b) => a - b);
  const q = countsOf(html, 'latency-quantiles');
  assert.equal(q.p50, latencies[Math.ceil(0.5 * latencies.length) - 1]);
  assert.equal(q.p99, latencies[Math.ceil(0.99 * latencies.length) - 1]);
  assert.equal(Object.values(countsOf(html, 'latency-histogram')).reduce((a, b) => a + b, 0), latencies.length);

  // Timeline: the sends per interval add up to the replies journaled.
  const timeline = tableRows(html, 'timeline');
  const sendsCol = tableRows(html, 'timeline')[0]!.length - 2;
  assert.equal(timeline.reduce((a, r) => a + Number(r[sendsCol]!.replace(/,/g, '')), 0), latencies.length);

  // By process (the journal's send records) and by stage.
  const byProcess = tableRows(html, 'by-process');
  const total = (r: string[]) => Number(r[r.length - 1]!.replace(/,/g, ''));
  assert.equal(total(byProcess.find((r) => r[0] === 'UPDATE')!), 3);
  assert.equal(total(byProcess.find((r) => r[0] === 'NEW')!), 16);
  const byStage = tableRows(html, 'by-stage');
  assert.deepEqual(Object.fromEntries(byStage.map((r) => [r[0], total(r)])), { UPLOAD_PACKET: 16, QUALITY_CHECK: 3 }, 'the stage each was stuck in, from the journal');

  // Where now: equal to `verify`, and to the rows themselves.
  const verified = await verifyInProcess(id, runsDir, env());
  const now = countsOf(html, 'where-now');
  for (const [cls, n] of Object.entries(verified.counts)) assert.equal(now[cls], n, `where now: ${cls}`);
  const atSecurezone = await db.pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM "${db.schema}".registration WHERE workflow_instance_id = ANY($1) AND latest_trn_type_code = 'SECUREZONE_NOTIFICATION' AND latest_trn_status_code = 'SUCCESS'`,
    [[...last.keys()]],
  );
  assert.equal(now.at_securezone, atSecurezone.rows[0]!.n);
  assert.equal(now.at_securezone, 16);
  assert.equal(now.rejected_duplicate, 1);
  assert.equal(now.missing, 2);

  // Not forwarded: every one listed, with its reply.
  const failures = tableRows(html, 'not-forwarded');
  assert.equal(failures.length, 3);
  assert.deepEqual(failures.map((r) => r[4]).sort(), ['not_found', 'not_found', 'not_uploaded']);

  // CSV: one line per packet, the same outcomes, and where each is now.
  assert.equal(csv.length, last.size);
  for (const row of csv) assert.equal(row.outcome, last.get(row.workflow_instance_id!), row.workflow_instance_id);
  assert.deepEqual(tally(csv, (r) => r.now_class!), Object.fromEntries(Object.entries(verified.counts).filter(([, n]) => n > 0)));
  assert.equal(csv.filter((r) => r.process === 'UPDATE').every((r) => r.now_latest_trn_type_code === 'SECUREZONE_NOTIFICATION' && r.stage_before === 'QUALITY_CHECK'), true);

  // No secret (the client secret, a token) and nothing that would load anything.
  for (const text of [html, readFileSync(csvPath, 'utf8')]) {
    assert.equal(text.includes(SECRET), false, 'the client secret is not in the file');
    assert.doesNotMatch(text, /eyJ[A-Za-z0-9_-]{10,}/, 'no JWT in the file');
  }
  assert.deepEqual(externalReferences(html), []);
  assert.ok(Buffer.byteLength(html) < 300_000);
  realRun = { html, htmlPath, dryPath };
});

test('the report opens in headless Chromium: no console error, no request but the file itself, every chart drawn, the table sorts', async (t) => {
  if (NO_CHROMIUM) return t.skip(NO_CHROMIUM);
  if (!realRun) return t.skip('the report of the first test was not written');
  // The real run's report, and a resumed --pace auto run's (pipeline and waiting-time charts, markers).
  const paced = join(work, 'paced.html');
  const runsDir = join(work, 'paced-runs');
  const run = syntheticRun(runsDir, 3000, SECRET, { pace: true });
  const built = await buildRunReport(openRun(runsDir, run), { db: null, schema: db.schema, csvCommand: 'reprocess report x --csv' });
  writeFileSync(paced, built.html);
  // The dry run's report too (4 charts, no list of packets).
  const paths = [realRun.htmlPath, paced, realRun.dryPath];
  const minCharts = [8, 8, 4];
  const visits = await visit(paths.map((p) => pathToFileURL(p).href), `(async () => {
      const before = ${CHART_PROBE};
      const table = document.getElementById('not-forwarded');
      const ths = table ? table.querySelectorAll('th') : [];
      let sorted = null;
      if (table) {
        ths[0].click(); const asc = [...table.tBodies[0].rows].map((r) => r.cells[0].textContent);
        ths[0].click(); const desc = [...table.tBodies[0].rows].map((r) => r.cells[0].textContent);
        const f = table.previousElementSibling; f.value = asc[0]; f.dispatchEvent(new Event('input'));
        const visible = [...table.tBodies[0].rows].filter((r) => r.style.display !== 'none').length;
        sorted = { asc, desc, visible };
      }
      return { ...before, sorted };
    })()`) as { consoleErrors: string[]; exceptions: string[]; requests: string[]; value: { charts: { label: string; marks: number; drawn: number }[]; sorted: { asc: string[]; desc: string[]; visible: number } | null } }[];
  for (const [i, seen] of visits.entries()) {
    const path = paths[i]!;
    assert.deepEqual(seen.consoleErrors, [], path);
    assert.deepEqual(seen.exceptions, [], path);
    assert.deepEqual(seen.requests.filter((u) => u !== pathToFileURL(path).href), [], `${path}: no request but the file`);
    const charts = seen.value.charts;
    assert.ok(charts.length >= minCharts[i]!, `${path}: ${charts.length} charts`);
    for (const c of charts) {
      assert.ok(c.marks > 0, `${path}: chart "${c.label}" has marks`);
      assert.equal(c.drawn, c.marks, `${path}: every mark of "${c.label}" has a size`);
    }
    if (path === paced) {
      const labels = charts.map((c) => c.label);
      for (const l of ['in pipeline', 'waiting time', 'send rate', 'sends per interval by outcome']) assert.ok(labels.includes(l), l);
    }
    const s = seen.value.sorted;
    if (path === realRun.dryPath) continue;
    assert.ok(s, `${path}: the list of packets not forwarded`);
    assert.deepEqual(s.asc, [...s.asc].sort());
    assert.deepEqual(s.desc, [...s.asc].reverse());
    assert.ok(s.visible >= 1 && s.visible < s.asc.length || s.asc.length === 1);
  }
});


test('a resumed run: whole-run totals count each packet once (a 5xx then forwarded; in doubt then delivered); every attempt listed', async () => {
  const runsDir = join(work, 'resumed');
  const id = '20261130-020000-beef';
  const dir = join(runsDir, id);
  mkdirSync(dir, { recursive: true });
  const at = (s: number) => new Date(Date.parse('2026-11-30T02:00:00Z') + s * 1000).toISOString();
  writeFileSync(join(dir, 'run.json'), JSON.stringify({ id, createdAt: at(0), flags: {}, configFile: null, settings: {}, source: 'file list.txt', resumes: [at(100)] }));
  const wf = (k: number) => `11111111-0000-4000-8000-00000000000${k}`;
  const send = (k: number, s: number) => ({ t: 'send', at: at(s), wf: wf(k), rid: `1000110001000000000000000000${k}`, process: 'NEW', iteration: 1, source: null, origin: 'list.txt', attempt: 1 });
  const result = (k: number, s: number, outcome: string, http: number | null) => ({ t: 'result', at: at(s), wf: wf(k), rid: `1000110001000000000000000000${k}`, attempt: 1, outcome, http, reply: outcome === 'server_error' ? 'Bad Gateway' : 'x', latencyMs: 40, startedAt: at(s) });
  const lines = [
    send(1, 1), result(1, 1, 'forwarded', 200),
    send(2, 2), result(2, 2, 'server_error', 502),
    send(3, 3), // killed while packet 3 was in flight
  ].map((r) => JSON.stringify(r)).join('\n') + '\n{"t":"result","at":"2026-11-3' // a torn line
    + '\n' + [
    { t: 'in_doubt', at: at(101), wf: wf(3), rid: '10001100010000000000000000003', decision: 'delivered', detail: 'row written after the send' },
    send(2, 102), result(2, 102, 'forwarded', 200),
    send(4, 103), result(4, 103, 'not_found', 200),
    { t: 'dropped', at: at(104), wf: wf(1), rid: '10001100010000000000000000001', sentAt: at(1), lastMoved: at(1), stalledSeconds: 3601 },
    { t: 'end', at: at(104), exitCode: 1, stop: null },
  ].map((r) => JSON.stringify(r)).join('\n') + '\n';
  writeFileSync(join(dir, 'journal.jsonl'), lines);
  const run = openRun(runsDir, id);
  const built = await buildRunReport(run, { db: null, schema: 'regprc', csvCommand: 'x' });
  const totals = countsOf(built.html, 'totals');
  assert.deepEqual(totals, { forwarded: 2, not_found: 1, delivered_on_resume: 1 });
  assert.equal(built.packets, 4);
  assert.equal(built.notForwarded, 1);
  assert.deepEqual(tableRows(built.html, 'not-forwarded').map((r) => r[4]), ['not_found']);
  const attempts = tableRows(built.html, 'attempts');
  assert.equal(attempts.length, 2);
  assert.deepEqual(attempts.map((r) => r[3]), ['2', '2'], 'replies per attempt');
  assert.equal(attempts[0]![2], 'no end record');
  assert.match(built.html, /torn journal lines<\/td><td>1 /);
  assert.match(built.html, /dropped by the pipeline \(--pace auto\)<\/td><td>1 forwarded packets/);
  assert.ok(tableRows(built.html, 'events').some((r) => r[1] === 'dropped by the pipeline' && r[2]!.includes(wf(1))));
  assert.match(built.whereNowNote, /No database configured/);

  const csvPath = join(work, 'resumed.csv');
  const r = await writeRunCsv(run.journalPath, csvPath, null, 'regprc', run.meta.resumes);
  assert.equal(r.packets, 4);
  const csv = parseCsv(readFileSync(csvPath, 'utf8'));
  assert.deepEqual(Object.fromEntries(csv.map((c) => [c.workflow_instance_id, c.outcome])), {
    [wf(1)]: 'forwarded', [wf(2)]: 'forwarded', [wf(3)]: 'delivered_on_resume', [wf(4)]: 'not_found',
  });
  assert.equal(csv.find((c) => c.workflow_instance_id === wf(2))!.sent_at_utc, at(102));
});
