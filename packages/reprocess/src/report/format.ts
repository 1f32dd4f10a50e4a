// Text and JSON renderings of packet results and run summaries, shared by the console and the log files.
import { OUTCOMES } from '@mosip-reprocess/contract/wire.js';
import type { PacketResult, RunSummary } from '../domain/runResult.js';

export const OUTCOME_LABELS: Record<(typeof OUTCOMES)[number], string> = {
  forwarded: 'forwarded to the next stage',
  not_uploaded: 'refused: duplicate packet or RID mismatch',
  not_found: 'null reply: workflow id not found (DB untouched)',
  stage_error: 'stage error (other reply text)',
  unauthorized: '401 unauthorized',
  forbidden: '403 forbidden (client lacks REGISTRATION_PROCESSOR)',
  server_error: 'server error (5xx or unexpected status)',
  network_error: 'no reply (network error or timeout)',
  in_doubt: 'IN DOUBT: reply lost, the database could not say; not sent again',
};

export function packetLine(r: PacketResult): string {
  const status = r.httpStatus === null ? 'no reply' : `HTTP ${r.httpStatus}`;
  const retry = r.attempts > 1 ? ', re-authenticated' : '';
  const detail = r.outcome === 'forwarded' ? '' : `  ${JSON.stringify(r.reply)}`;
  return `${r.startedAt}  ${r.packet.rid}  ${r.packet.workflowInstanceId}  ${r.packet.process}  ${r.outcome}  (${status}, ${r.latencyMs} ms${retry})${detail}`;
}

export function packetJson(r: PacketResult): Record<string, unknown> {
  return {
    type: 'packet',
    rid: r.packet.rid,
    workflowInstanceId: r.packet.workflowInstanceId,
    process: r.packet.process,
    iteration: r.packet.iteration,
    source: r.packet.source,
    origin: r.packet.origin,
    outcome: r.outcome,
    httpStatus: r.httpStatus,
    reply: r.reply,
    latencyMs: r.latencyMs,
    attempts: r.attempts,
    startedAt: r.startedAt,
  };
}

export function summaryText(s: RunSummary): string {
  const lines: string[] = [];
  const seconds = s.durationMs / 1000;
  lines.push('', 'Summary');
  lines.push(`  packets sent        ${s.sent}`);
  for (const outcome of OUTCOMES) {
    if (s.counts[outcome] > 0 || outcome === 'forwarded') {
      lines.push(`  ${outcome.padEnd(18)}  ${String(s.counts[outcome]).padStart(6)}  ${OUTCOME_LABELS[outcome]}`);
    }
  }
  if (s.counts.in_doubt > 0) {
    lines.push(`  in doubt            ${s.counts.in_doubt} packet(s) whose reply was lost may or may not have been handled by the stage;`);
    lines.push('                      they were not sent again: check their rows (reprocess verify <run-id>) before sending them');
  }
  if (s.duplicatesSkipped > 0) lines.push(`  duplicates skipped  ${s.duplicatesSkipped} (same workflow id listed twice; sent once)`);
  if (s.rowsSkipped > 0) lines.push(`  rows skipped        ${s.rowsSkipped} (missing reg_id, process or workflow id)`);
  lines.push(`  duration            ${seconds.toFixed(1)} s${s.sent > 0 && seconds > 0 ? `, ${(s.sent / seconds).toFixed(2)} packets/s` : ''}`);
  const r = s.resilience;
  if (r.retries + r.settledFromDb + r.breakerTrips + r.reauthentications > 0) {
    lines.push(`  resilience          ${r.retries} retries, ${r.settledFromDb} lost replies settled from the database, ${r.breakerTrips} circuit breaker trips, ${r.reauthentications} new tokens`);
  }
  if (s.pipeline) {
    const p = s.pipeline;
    lines.push(`  pace auto           last rate ${p.finalRate.toFixed(1)}/s; at the end ${p.exited} out of the pipeline, ${p.inside + p.unseen} still inside (verify later)`);
    if (p.redriven > 0) lines.push(`  re-driven           ${p.redriven} dropped by the pipeline in an earlier attempt, sent again`);
    if ((p.held ?? 0) > 0) lines.push(`  held by a stage     ${p.held} (a later stage holds them, IN_PROGRESS, or left them past --message-max-age: not dropped, never sent again)`);
    lines.push(`  dropped by the pipeline  ${p.dropped}${p.dropped > 0 ? ' (still as the notification left them past --message-max-age: MOSIP dropped the message unread; listed in the journal and by verify; --resume sends them again)' : ''}`);
  }
  lines.push(`  peak memory         ${s.peakRssMb} MB`);
  if (s.stop) lines.push(`  STOPPED: ${s.stop.message}`);
  lines.push(`  exit code           ${s.exitCode}`);
  return lines.join('\n');
}

export function summaryJson(s: RunSummary): Record<string, unknown> {
  return { type: 'summary', ...s };
}
