// The morning-after report of a very large run: 1,000,000 packets give a file of a few hundred KB, with exact
// numbers (about 14 s of CPU, so it runs in the soak suite).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openRun } from '../src/journal/runStore.js';
import { buildRunReport } from '../src/report/html/buildRunReport.js';
import { syntheticRun } from './htmlReport/synthetic.js';
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
