// The lines of `reprocess action` (report/logLines.ts has the run's, and the line format): one per RID's outcome, the notes and
// warnings, the end. The terminal (cli/actionCommand.ts) and the action run's log files print the same lines.
import type { ActionEvent, ActionResult } from './runAction.js';
import { messageLine, type LogLine } from '../report/logLines.js';

export function actionEventLines(e: ActionEvent, runId: string | null, time = new Date()): LogLine[] {
  switch (e.type) {
    case 'rid': {
      const at = e.at ? new Date(e.at) : time;
      const status = e.http === null ? 'no reply' : `HTTP ${e.http}`;
      return [{
        record: {
          time: at.toISOString(), level: e.outcome === 'applied' ? 'info' : 'warn', msg: `${e.rid} ${e.outcome} (${status})`, run_id: runId,
          rid: e.rid, workflow_id: null, outcome: e.outcome, http_status: e.http, ms: e.ms ?? null, origin: e.origin,
          ...(e.detail ? { detail: e.detail } : {}),
        },
        text: `${at.toISOString()}  ${e.rid}  ${e.outcome.padEnd(15)}  ${status}${e.detail ? `  ${e.detail}` : ''}  (${e.origin})`,
        stream: 'out',
      }];
    }
    case 'started':
      return [messageLine('info', `action run ${e.runId} started: journal ${e.journalPath}`, e.runId, { journal: e.journalPath }, time)];
    case 'note':
      return [messageLine('info', e.message, runId, {}, time)];
    case 'warning':
      return [messageLine('warn', e.message, runId, {}, time)];
    case 'finished':
      return actionFinishedLines(e.action, e.result, time);
    default:
      return [];
  }
}

/** The end of an action run: its counts (stdout), why it stopped and how to continue it. */
export function actionFinishedLines(action: string, r: ActionResult, time = new Date()): LogLine[] {
  const counts = Object.entries(r.counts).map(([o, n]) => `${o} ${n}`).join(', ') || 'nothing sent';
  const summary = messageLine(r.exitCode === 0 ? 'info' : r.exitCode === 1 ? 'warn' : 'error', `action ${action}: ${counts}${r.skipped ? `; skipped ${r.skipped}` : ''}; run ${r.runId}`, r.runId, { exit_code: r.exitCode, counts: r.counts, skipped: r.skipped }, time);
  const lines: LogLine[] = [{ ...summary, text: summary.record.msg, stream: 'out' }];
  if (r.stop) {
    const stopped = messageLine(r.exitCode === 3 ? 'error' : 'warn', `stopped: ${r.stop.message}`, r.runId, { stop: r.stop.kind }, time);
    lines.push({ ...stopped, text: stopped.record.msg });
  }
  if (r.resumeCommand) lines.push(messageLine('info', `to continue: ${r.resumeCommand}`, r.runId, { resume_command: r.resumeCommand }, time));
  return lines;
}
