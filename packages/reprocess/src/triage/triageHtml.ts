// `reprocess triage --html <file>`: the triage as one self-contained page (page.ts: inline CSS and SVG, loads
// nothing), with a chart of the cohorts by size and age, every cohort in a sortable table, and the rules behind the
// verdicts with their MOSIP sources. The numbers are the triage report's (triage/triage.ts), unchanged.
import { renameSync, writeFileSync } from 'node:fs';
import { TRANSIENT_FAILURES } from '@mosip-reprocess/contract/history.js';
import { VERDICT_TEXT, VERDICTS, type Verdict } from '../domain/cohort.js';
import type { TriageReport } from './triage.js';
import { AGE_LABELS } from '../report/dryRun.js';
import { ageRange, reprocessorText, runText, timesText, toolText } from './triageText.js';
import { escapeHtml as esc } from '../report/html/escape.js';
import { chartWithTable, colorAt, criteriaFacts, page, section, table } from '../report/html/page.js';
import { barChart, formatNumber } from '../report/html/svg.js';
import { AGE_BUCKETS } from '../sql/rowFacts.js';

export const VERDICT_COLORS: Record<Verdict, string> = {
  repeating: '#c62828',
  unknown: '#ef6c00',
  transient: '#1565c0',
  quiet: '#2e7d32',
};

/** Cohorts drawn in the chart (all are in the table). */
const CHART_COHORTS = 30;

export function renderTriageHtml(r: TriageReport, generatedAt = new Date()): string {
  const body: string[] = [];
  const inCohorts = r.selected - r.notFound;
  const held = Object.entries(r.heldBack).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${formatNumber(n)}`).join(', ') || 'none';
  const facts: [string, string][] = [
    ['source', r.source],
    ['database state as of (UTC)', r.asOfUtc],
    ['packets selected', `${formatNumber(r.selected)}: ${formatNumber(inCohorts)} in ${formatNumber(r.cohorts.length)} cohorts${r.notFound ? `, ${formatNumber(r.notFound)} without an active row` : ''}`],
    ['a run would send', formatNumber(r.runWouldSend)],
    ['a run would hold back', held],
    ['repeating means', `the same failure ${r.rules.repeatFailures} times or more (--repeat-failures), the stage never past it${r.rules.includeRepeatFailures ? ' (--include-repeat-failures: a run sends them)' : ''}`],
    ['journals read', `${r.journals.runsDir}: ${formatNumber(r.journals.packetsNotified)} packets notified by earlier runs`],
  ];
  if (r.criteria) facts.push(...criteriaFacts(r.criteria));
  body.push(section('selection', 'The selection', `<p class="note">TRIAGE: nothing was sent; the selection and its history (registration_transaction) were only read.</p>`
    + `<div class="kpi">${VERDICTS.map((v) => `<div><b style="color:${VERDICT_COLORS[v]}">${formatNumber(r.byVerdict[v].packets)}</b>${esc(v)} (${r.byVerdict[v].cohorts} cohorts)</div>`).join('')}</div>`
    + `<table class="facts">${facts.map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(v)}</td></tr>`).join('')}</table>`));

  body.push(section('verdicts', 'By verdict', chartWithTable(
    barChart({ title: 'packets by verdict', categories: [...VERDICTS], xLabel: 'packets', series: VERDICTS.map((v, i) => ({ name: v, color: VERDICT_COLORS[v], values: VERDICTS.map((_, j) => (i === j ? r.byVerdict[v].packets : 0)) })) }),
    table(['verdict', 'cohorts', 'packets', 'meaning', 'what to do'], VERDICTS.map((v) => [v, r.byVerdict[v].cohorts, r.byVerdict[v].packets, VERDICT_TEXT[v].meaning, VERDICT_TEXT[v].action]), { id: 'by-verdict' }),
  )));

  const shown = r.cohorts.slice(0, CHART_COHORTS);
  body.push(section('cohorts-chart', `Cohorts by size and age${r.cohorts.length > CHART_COHORTS ? ` (the ${CHART_COHORTS} largest)` : ''}`, shown.length === 0 ? '<p>none</p>' : chartWithTable(
    barChart({
      title: 'cohorts by size and age', xLabel: 'packets, by age of latest_trn_dtimes',
      categories: shown.map((c) => `${c.id} ${c.verdict}`),
      series: AGE_BUCKETS.map((b, i) => ({ name: AGE_LABELS[b], color: colorAt(i), values: shown.map((c) => c.byAge[b]) })),
    }),
    table(['cohort', 'verdict', ...AGE_BUCKETS.map((b) => AGE_LABELS[b]), 'packets'], shown.map((c) => [c.id, c.verdict, ...AGE_BUCKETS.map((b) => c.byAge[b]), c.count]), { id: 'cohort-ages' }),
  )));

  body.push(section('cohorts', `Every cohort (${r.cohorts.length})`, r.cohorts.length === 0 ? '<p>none</p>' : `<div class="scroll">${table(
    ['id', 'verdict', 'packets', 'stuck for', 'stuck at', 'last failure', 'times', 'comment (normalised)', "MOSIP's reprocessor", 'this tool', 'a run', 'sample RID'],
    r.cohorts.map((c) => [
      c.id, c.verdict, c.count, ageRange(c, r.asOfUtc), c.stage ?? '(null)', c.failureStage ? `${c.failureStage} ${c.status} ${c.subStatus}` : '-',
      timesText(c), c.comment ?? '', reprocessorText(c), toolText(c), runText(c), c.sample.rid,
    ]),
    { sortable: true, id: 'cohort-table' },
  )}</div>`));

  body.push(section('rules', 'The rules and their sources', `<ul>
<li><b>cohort</b>: the stage a packet is at (latest_trn_type_code) and its last failure in registration_transaction (the stage that wrote it, status, sub_status_code, status_comment with ids, numbers and times replaced), unless that stage wrote SUCCESS or PROCESSED since; plus whether it repeats. The id is a hash of that: stable across runs and machines.</li>
<li><b>failure</b>: a history row with status FAILED, ERROR, REPROCESS, REJECTED or REPROCESS_FAILED written by a stage (not PACKET_REPROCESS, INTERNAL_WORKFLOW_ACTION or WORKFLOW_RESUME, the workflow engine's own rows). MOSIP 1.2.0.1: RegistrationTransactionStatusCode, RegistrationExceptionMapperUtil, ReprocessorVerticle, WorkflowInternalActionVerticle.</li>
${VERDICTS.map((v) => `<li><b>${esc(v)}</b>: ${esc(VERDICT_TEXT[v].meaning)}; ${esc(VERDICT_TEXT[v].action)}.</li>`).join('\n')}
</ul>
<h3>Transient failures (MOSIP's codes, from its source, mosip/registration v1.2.0.1)</h3>
${table(['sub_status_code', 'status_comment starts with', 'MOSIP name', 'what', 'where MOSIP writes it'], TRANSIENT_FAILURES.map((t) => [t.subStatusCode, t.commentPrefix ?? '(any)', t.mosipName, t.what, t.source]), { id: 'transient-table' })}`));
  return page('Triage: why the packets are stuck', `${formatNumber(r.selected)} packets, ${formatNumber(r.cohorts.length)} cohorts · generated ${generatedAt.toISOString().slice(0, 19).replace('T', ' ')} UTC`, body.join('\n'));
}

/** Writes the page to `path` (through a temporary file, renamed when complete). */
export function writeTriageHtml(r: TriageReport, path: string): void {
  writeFileSync(`${path}.tmp-${process.pid}`, renderTriageHtml(r));
  renameSync(`${path}.tmp-${process.pid}`, path);
}
