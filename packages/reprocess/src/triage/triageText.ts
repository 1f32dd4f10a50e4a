// `reprocess triage` as text for a terminal: the selection, the verdicts, then each cohort in a few lines (largest
// first). --json prints the report itself; --html the page of report/html/triageReport.ts.
import type { HoldBackReason } from '../domain/holdBack.js';
import { VERDICT_TEXT, VERDICTS, type Verdict } from '../domain/cohort.js';
import type { Cohort, TriageReport } from './triage.js';
import { cell, percent, plural, renderTable } from '../report/table.js';
import { REASON_LABELS } from '../report/dryRun.js';

/** Cohorts shown in full in the text; --json and --html have them all. */
export const TEXT_COHORTS = 40;

/**
 * `details: false` leaves out the few lines per cohort and `tableRows` shortens the table of cohorts (the demo, whose
 * page has them all).
 */
export function renderTriage(r: TriageReport, options: { details?: boolean; tableRows?: number } = {}): string {
  const out: string[] = ['TRIAGE: nothing is sent; the selection and its history (registration_transaction) are only read.', ''];
  out.push(`Selection: ${r.source}`);
  if (r.criteria) {
    const c = r.criteria;
    out.push(`  latest_trn_status_code IN (${c.trnStatuses.join(', ')}), reg_process_retry_count <= ${c.maxRetries}, status_code NOT IN (${c.excludeStatuses.join(', ')})`);
    out.push(`  latest_trn_dtimes < ${c.cutoffUtc} (UTC); latest_trn_type_code ${c.stages === null ? 'any (APPROACH 1)' : `IN (${c.stages.join(', ')})`}`);
  }
  out.push(`  database state as of  ${r.asOfUtc} (UTC)`);
  const inCohorts = r.selected - r.notFound;
  out.push(`  packets   ${r.selected} selected: ${inCohorts} in ${plural(r.cohorts.length, 'cohort')}${r.notFound ? `, ${r.notFound} without an active row (the stage would not find them; in no cohort)` : ''}`);
  const held = heldText(r.heldBack);
  out.push(`  a run     would send ${r.runWouldSend}${held ? `, hold back ${held}` : ', hold back none'}`);
  out.push(`  repeating = the same failure ${r.rules.repeatFailures} times or more (--repeat-failures), the stage never past it${r.rules.includeRepeatFailures ? '; --include-repeat-failures: a run SENDS them' : ''}`);
  out.push(`  journals  ${r.journals.runsDir}: ${plural(r.journals.packetsNotified, 'packet')} notified by earlier runs`);
  if (r.skippedRows) out.push(`  skipped   ${r.skippedRows} query rows with a NULL reg_id, process or workflow_instance_id`);

  out.push('', 'By verdict');
  out.push(...renderTable(
    [{ header: 'VERDICT' }, { header: 'COHORTS', align: 'right' }, { header: 'PACKETS', align: 'right' }, { header: '%', align: 'right' }, { header: 'MEANING' }],
    VERDICTS.map((v) => [v, String(r.byVerdict[v].cohorts), String(r.byVerdict[v].packets), percent(r.byVerdict[v].packets, inCohorts), VERDICT_TEXT[v].meaning]),
  ));

  if (r.cohorts.length === 0) {
    out.push('', 'Cohorts: none (nothing selected)');
    return out.join('\n');
  }
  out.push('', `Cohorts, largest first (ids are stable: a run takes them with --cohort <id>)`);
  out.push(...renderTable(
    [
      { header: 'ID' }, { header: 'VERDICT' }, { header: 'PACKETS', align: 'right' }, { header: 'STUCK FOR' }, { header: 'STUCK AT' },
      { header: 'LAST FAILURE (STAGE STATUS SUB_STATUS)' }, { header: 'TIMES', align: 'right' }, { header: 'RUN' },
    ],
    r.cohorts.slice(0, options.tableRows ?? Infinity).map((c) => [
      c.id, c.verdict, String(c.count), ageRange(c, r.asOfUtc), cell(c.stage),
      c.failureStage ? `${c.failureStage} ${c.status} ${c.subStatus}` : '-', timesText(c), runText(c),
    ]),
  ));
  if (r.cohorts.length > (options.tableRows ?? Infinity)) out.push(`  ... and ${r.cohorts.length - options.tableRows!} smaller cohorts`);
  if (options.details === false) return out.join('\n');
  out.push('', 'Each cohort');
  for (const c of r.cohorts.slice(0, TEXT_COHORTS)) out.push(...cohortLines(c, r.asOfUtc));
  if (r.cohorts.length > TEXT_COHORTS) out.push(`  ... and ${r.cohorts.length - TEXT_COHORTS} more cohorts (--json or --html lists them all)`);
  return out.join('\n');
}

function cohortLines(c: Cohort, asOfUtc: string): string[] {
  const lines = [`  ${c.id}  ${c.verdict.toUpperCase()}  ${plural(c.count, 'packet')}, at ${cell(c.stage)}, stuck for ${ageRange(c, asOfUtc)}`];
  if (c.failureStage) {
    lines.push(`    last failure  ${c.failureStage} ${c.status} ${c.subStatus}, ${timesText(c)} time(s) in a packet's history: "${c.comment ?? ''}"`);
  } else {
    lines.push('    last failure  none (or its stage succeeded since)');
  }
  if (c.transient) lines.push(`    transient     MOSIP ${c.transient.mosipName}: ${c.transient.what}`);
  lines.push(`    re-driven     MOSIP's reprocessor: ${reprocessorText(c)}; this tool: ${toolText(c)}`);
  lines.push(`    a run         ${runText(c)}`);
  lines.push(`    verdict       ${VERDICT_TEXT[c.verdict].meaning}`);
  lines.push(`    to do         ${VERDICT_TEXT[c.verdict].action.replace('<id>', c.id)}`);
  lines.push(`    sample        ${c.sample.rid} (workflow ${c.sample.workflowInstanceId}): reprocess explain ${c.sample.rid}`);
  return lines;
}

export function reprocessorText(c: Cohort): string {
  const p = c.reprocessor;
  if (p.passes === 0) return 'never';
  return `${plural(p.passes, 'pass', 'passes')} over ${plural(p.packets, 'packet')}, ${p.failedAgain} failed again after it`;
}

export function toolText(c: Cohort): string {
  const t = c.tool;
  if (t.sends === 0) return 'never';
  const outcomes = Object.entries(t.lastOutcomes).map(([o, n]) => `${o} ${n}`).join(', ');
  return `${plural(t.sends, 'notification')} to ${plural(t.packets, 'packet')} (last replies: ${outcomes}); all still selected`;
}

export function runText(c: Cohort): string {
  const held = heldText(c.heldBack);
  if (!held) return `sends all ${c.count}`;
  return c.runWouldSend === 0 ? `holds all back (${held})` : `sends ${c.runWouldSend}, holds back ${held}`;
}

function heldText(h: Partial<Record<HoldBackReason, number>>): string {
  return (Object.entries(h) as [HoldBackReason, number][]).filter(([, n]) => n > 0).map(([r, n]) => `${n} ${REASON_LABELS[r]}`).join(', ');
}

export function timesText(c: Cohort): string {
  if (c.timesMin === null || c.timesMax === null) return '-';
  return c.timesMin === c.timesMax ? String(c.timesMin) : `${c.timesMin}-${c.timesMax}`;
}

/** "3 d - 40 d" from the cohort's newest and oldest latest_trn_dtimes. */
export function ageRange(c: Pick<Cohort, 'oldestUtc' | 'newestUtc'>, asOfUtc: string): string {
  if (c.oldestUtc === null || c.newestUtc === null) return '(no time)';
  const young = ageText(asOfUtc, c.newestUtc);
  const old = ageText(asOfUtc, c.oldestUtc);
  return young === old ? old : `${young} - ${old}`;
}

export function ageText(asOfUtc: string, atUtc: string): string {
  const seconds = Math.max(0, (Date.parse(asOfUtc) - Date.parse(atUtc)) / 1000);
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86400)} d`;
}

export function verdictOrder(v: Verdict): number {
  return VERDICTS.indexOf(v);
}
