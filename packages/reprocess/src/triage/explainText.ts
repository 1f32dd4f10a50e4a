// `reprocess explain <rid>` as text: the rows, the history in time order, this tool's notifications, the verdict.
import type { ExplainReport } from './explain.js';
import { cell, plural, renderTable } from '../report/table.js';

export function renderExplain(r: ExplainReport): string {
  const out: string[] = [`RID ${r.rid}: ${plural(r.rows.length, 'registration row')}, ${plural(r.historyTotal, 'history row')} (database state as of ${r.asOfUtc} UTC)`];
  out.push('', 'Rows (one per workflow instance; the securezone stage finds only the active one)');
  if (r.rows.length === 0) out.push('  none: the RID has history but no registration row');
  for (const row of r.rows) {
    out.push(`  ${row.workflow_instance_id}  ${row.active ? 'ACTIVE' : 'inactive'}  ${row.process}, iteration ${cell(row.iteration)}, source ${cell(row.source)}, created ${row.cr_dtimes}`);
    out.push(`    status_code ${cell(row.status_code)}; latest ${cell(row.latest_trn_type_code)} ${cell(row.latest_trn_status_code)} at ${cell(row.latest_trn_dtimes)}; stage ${cell(row.reg_stage_name)} (last success ${cell(row.last_success_stage_name)})`);
    out.push(`    retries: reg_process_retry_count ${cell(row.reg_process_retry_count)}, trn_retry_count ${cell(row.trn_retry_count)}; registration_list row ${row.synced ? 'yes' : 'NO (the stage cannot handle it: an error reply, nothing written)'}`);
    if (row.pause_rule_ids || row.resume_timestamp || row.default_resume_action) {
      out.push(`    pause: rules ${cell(row.pause_rule_ids)}, resume at ${cell(row.resume_timestamp)}, then ${cell(row.default_resume_action)}`);
    }
    if (row.status_comment) out.push(`    comment: ${row.status_comment}`);
    if (row.cohort) {
      out.push(`    cohort ${row.cohort.id} (${row.cohort.verdict}): ${row.cohort.failureStage ? `${row.cohort.failureStage} ${row.cohort.status} ${row.cohort.subStatus}, ${row.times} time(s)` : 'no failure (or its stage succeeded since)'}; ${row.cohort.meaning}`);
    }
    out.push(`    a run now: ${row.selected ? 'WOULD select it' : 'would NOT select it'}`);
    for (const w of row.why) out.push(`      - ${w}`);
    out.push(`    to do: ${row.todo}`);
  }

  out.push('', `History, in time order${r.historyTotal > r.history.length ? ` (the newest ${r.history.length} of ${r.historyTotal})` : ''}`);
  if (r.history.length === 0) out.push('  none');
  else {
    out.push(...renderTable(
      [{ header: 'CR_DTIMES (UTC)' }, { header: 'TRN_TYPE_CODE' }, { header: 'STATUS' }, { header: 'SUB_STATUS_CODE' }, { header: 'STATUS_COMMENT' }],
      r.history.map((h) => [h.cr_dtimes, h.trn_type_code, h.status_code, h.sub_status_code, cell(h.status_comment)]),
    ));
  }

  out.push('', `This tool (journals in ${r.runsDir})`);
  if (r.tool.length === 0) out.push('  never notified');
  else {
    out.push(...renderTable(
      [{ header: 'RUN' }, { header: 'SENT (UTC)' }, { header: 'WORKFLOW_INSTANCE_ID' }, { header: 'STUCK AT' }, { header: 'OUTCOME' }, { header: 'ATTEMPTS', align: 'right' }, { header: 'HTTP', align: 'right' }, { header: 'REPLY' }],
      r.tool.map((t) => [t.runId, t.sentAt, t.wf, cell(t.stage), t.outcome ?? 'no reply journaled', cell(t.attempts), cell(t.http), t.reply ?? '']),
    ));
  }
  return out.join('\n');
}
