// Very large runs: 1,000,000 packets give a report file of a few hundred KB, with exact numbers (about 14 s of
// CPU), and a journal past 512 MB is read as a stream in bounded memory. Both run in the soak suite.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openRun } from '../src/journal/runStore.js';
import { buildRunReport } from '../src/report/html/buildRunReport.js';
import { syntheticRun } from './htmlReport/synthetic.js';
import { runCli } from '@mosip-reprocess/testkit/cli.js';
import { countsOf, tableRows } from './htmlReport/tables.js';

const SECRET = 'report-secret-7f3a';
let work: string;
before(() => { work = mkdtempSync(join(tmpdir(), 'report-soak-')); });
after(() => { rmSync(work, { recursive: true, force: true }); });

test('a 1,000,000-packet journal gives a report of a few hundred KB (aggregated, the list capped) and its numbers are exact', async () => {
  const runsDir = join(work, 'million');
  const id = syntheticRun(runsDir, 1_000_000, SECRET);
  const started = performance.now();
  const built = await buildRunReport(openRun(runsDir, id), { db: null, schema: 'regprc', csvCommand: 'reprocess report x --csv' });
  const seconds = (performance.now() - started) / 1000;
  const bytes = Buffer.byteLength(built.html);
  console.log(`1,000,000 packets: report ${(bytes / 1024).toFixed(0)} KB, journal read in ${seconds.toFixed(1)} s, rss ${Math.round(process.memoryUsage().rss / 1048576)} MB`);
  assert.ok(bytes < 3 * 1024 * 1024, `${bytes} bytes`);
  const totals = countsOf(built.html, 'totals');
  assert.deepEqual(totals, { forwarded: 700_000, not_found: 100_000, not_uploaded: 100_000, stage_error: 100_000 });
  assert.equal(tableRows(built.html, 'not-forwarded').length, 1000);
  assert.match(built.html, /The first 1,000 of 300,000 are listed/);
  assert.ok(tableRows(built.html, 'timeline').length <= 240);
  // Latencies are (i * 7) % 900 for i < 1,000,000: the exact quantile from the journal's own values.
  const all = Array.from({ length: 1_000_000 }, (_, i) => (i * 7) % 900).sort((a, b) => a - b);
  assert.equal(countsOf(built.html, 'latency-quantiles').p95, all[Math.ceil(0.95 * all.length) - 1]);
  assert.deepEqual(countsOf(built.html, 'by-process', 5), { NEW: 750_000, UPDATE: 250_000 });
  assert.equal(built.html.includes(SECRET), false, 'the password in a database URL setting is hidden');
  assert.match(built.html, /postgres:\/\/regprc:\(hidden\)@db/);
});

test('a run of 1,200,000 packets (a journal over 512 MB) is listed and reported within a 256 MB heap', async () => {
  // The journal used to be read into one string: past about 900,000 packets that is longer than a JavaScript
  // string may be, and `runs`, `report`, `verify`, --resume and the end-of-run summary failed; before that,
  // holding every record took over 1 GB (a Kubernetes Job is limited to 320 MiB).
  const logDir = join(work, 'huge');
  const runsDir = join(logDir, 'runs'); // where runCli points `runs` and `report`
  const id = syntheticRun(runsDir, 1_200_000, SECRET);
  assert.ok(statSync(join(runsDir, id, 'journal.jsonl')).size > 512 * 1024 * 1024);
  const env = { NODE_OPTIONS: '--max-old-space-size=256' };
  const runs = await runCli(['runs', '--json'], { env, logDir });
  assert.equal(runs.code, 0, runs.stderr);
  const [listed] = JSON.parse(runs.stdout) as { notified: number; counts: Record<string, number>; status: string }[];
  assert.equal(listed!.notified, 1_200_000);
  assert.equal(listed!.counts.forwarded, 840_000);
  assert.equal(listed!.status, 'finished');
  const report = await runCli(['report', id], { env, logDir });
  assert.equal(report.code, 0, report.stderr);
  assert.match(report.stdout, /packets notified\s+1200000/);
  rmSync(join(runsDir, id), { recursive: true, force: true });
});
