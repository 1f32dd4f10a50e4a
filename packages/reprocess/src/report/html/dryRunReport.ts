// `reprocess --db --dry-run --html <file>`: the dry run's breakdowns as one self-contained HTML file, for the
// change request before the night. The numbers are those of the dry-run report (report/dryRun.ts), unchanged.
import { renameSync, writeFileSync } from 'node:fs';
import { AGE_LABELS, heldBackView, NO_ACTIVE_ROW, reprocessorLines, type DryRunReport } from '../dryRun.js';
import { escapeHtml as esc } from './escape.js';
import { chartWithTable, colorAt, criteriaFacts, page, section, table, type CellLike } from './page.js';
import { barChart, columnChart, formatNumber } from './svg.js';

const pct = (n: number, of: number): CellLike => ({ text: of > 0 ? `${((100 * n) / of).toFixed(1)}%` : '-', sort: of > 0 ? n / of : 0, num: true });
const orNull = (v: string | number | null | undefined) => (v === null || v === undefined ? '(null)' : String(v));

export function renderDryRunHtml(r: DryRunReport, generatedAt = new Date()): string {
  const body: string[] = [];
  const facts: [string, string][] = [
    ['source', r.source === 'db' ? 'the --db selection' : 'packets listed (--file / --registration)'],
    ['checked against the database', r.checkedAgainstDb ? 'yes' : 'no (no database configured)'],
    ['database state as of (UTC)', r.asOfUtc ?? '-'],
    ['matched', `${formatNumber(r.matched)} ${r.source === 'db' ? 'rows (all of them, not capped by --limit)' : 'distinct packets'}`],
    ['will take', `${formatNumber(r.willTake)} (--limit ${r.limit}${r.willTake < r.matched ? `; ${formatNumber(r.matched - r.willTake)} left for later runs` : ''})`],
  ];
  if (r.criteria) facts.push(...criteriaFacts(r.criteria));
  body.push(section('selection', 'The selection', `<p class="note">DRY RUN: nothing was sent and no token was fetched.</p><table class="facts">${facts.map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(v)}</td></tr>`).join('')}</table>`));

  const total = r.matched;
  const bars = (id: string, title: string, header: string, rows: { label: string; count: number }[]) => section(id, title, rows.length === 0 ? '<p>none</p>' : chartWithTable(
    barChart({ title, categories: rows.map((x) => x.label), xLabel: 'packets', series: [{ name: 'packets', color: colorAt(0), values: rows.map((x) => x.count) }] }),
    table([header, 'packets', '%'], rows.map((x) => [x.label, x.count, pct(x.count, total)]), { id }),
  ));
  if (r.byStage) {
    body.push(bars('by-stage', 'By stage (latest_trn_type_code / latest_trn_status_code)', 'stage / status',
      r.byStage.map((e) => ({ label: e.typeCode === NO_ACTIVE_ROW ? NO_ACTIVE_ROW : `${orNull(e.typeCode)} / ${orNull(e.statusCode)}`, count: e.count }))));
  }
  body.push(bars('by-process', r.source === 'db' ? 'By process' : 'By process (as it will be sent)', 'process', r.byProcess.map((e) => ({ label: orNull(e.process), count: e.count }))));
  if (r.byStatus) body.push(bars('by-status', 'By status_code', 'status_code', r.byStatus.map((e) => ({ label: orNull(e.statusCode), count: e.count }))));
  if (r.byAge) {
    const rows = r.byAge.map((e) => ({ label: AGE_LABELS[e.bucket], count: e.count }));
    body.push(section('by-age', `By age of latest_trn_dtimes${r.asOfUtc ? ` (as of ${r.asOfUtc} UTC)` : ''}`, chartWithTable(
      columnChart({ title: 'by age', categories: rows.map((x) => x.label), labelEvery: 1, yLabel: 'packets', width: 520, series: [{ name: 'packets', color: colorAt(0), values: rows.map((x) => x.count) }] }),
      table(['age', 'packets', '%'], rows.map((x) => [x.label, x.count, pct(x.count, total)]), { id: 'by-age' }),
    )));
  }
  if (r.heldBack) {
    // The same words and rows as the text dry run (heldBackView).
    const v = heldBackView(r.heldBack, r.source);
    const counts = (t: { header: string[]; rows: string[][] }) => t.rows.map((row) => row.map((c, i) => (t.header[i] === 'COUNT' ? Number(c) : c)));
    body.push(section('held-back', 'Held back (MOSIP would not move these now)', `<p>${esc(v.headline)}</p>`
      + (v.explain.length > 0 ? `<p class="note">${v.explain.map(esc).join('<br>')}</p>` : '')
      + (v.rows.length > 0 ? table(v.header, counts(v), { id: 'held-back' }) : '')
      + (v.cohorts ? `<h3>${esc(v.cohorts.title)}</h3>${table(v.cohorts.header, counts(v.cohorts), { sortable: true, id: 'repeating-cohorts' })}` : '')));
  }
  if (r.reprocessor) {
    const [headline, ...more] = reprocessorLines(r.reprocessor);
    body.push(section('reprocessor', "MOSIP's reprocessor (the last hour)", `<p${r.reprocessor.transactions > 0 ? ' class="warn"' : ''}>${esc(headline!)}</p>`
      + (more.length > 0 ? `<p class="note">${more.map((line) => esc(line.trim())).join('<br>')}</p>` : '')));
  }
  body.push(section('sample', r.sample.length > 0 ? `Sample: the first ${r.sample.length} packets the run would send` : 'Sample: nothing would be sent', r.sample.length === 0 ? '' : `<div class="scroll">${table(
    ['reg_id', 'workflow_instance_id', 'process', 'status_code', 'latest_trn_type', 'latest_trn_status', 'latest_trn_dtimes (UTC)', 'retries', 'iteration', 'source'],
    r.sample.map((s) => [s.reg_id, s.workflow_instance_id, s.process, orNull(s.status_code), orNull(s.latest_trn_type_code), orNull(s.latest_trn_status_code), orNull(s.latest_trn_dtimes), orNull(s.reg_process_retry_count), orNull(s.iteration), orNull(s.source)]),
    { sortable: true, id: 'sample' },
  )}</div>`));
  if (r.warnings.length > 0) {
    body.push(section('warnings', 'Warnings', `<ul>${r.warnings.map((w) => `<li class="warn">${esc(w.message)}${w.examples.length ? `<br><span class="note">${w.examples.map(esc).join('<br>')}${w.count > w.examples.length ? `<br>... and ${w.count - w.examples.length} more` : ''}</span>` : ''}</li>`).join('')}</ul>`));
  }
  return page('Re-drive dry run', `${formatNumber(r.matched)} matched, ${formatNumber(r.willTake)} would be sent · generated ${generatedAt.toISOString().slice(0, 19).replace('T', ' ')} UTC`, body.join('\n'));
}

/** Writes the dry run's HTML to `path` (through a temporary file, renamed when complete). */
export function writeDryRunHtml(r: DryRunReport, path: string): void {
  writeFileSync(`${path}.tmp-${process.pid}`, renderDryRunHtml(r));
  renameSync(`${path}.tmp-${process.pid}`, path);
}
