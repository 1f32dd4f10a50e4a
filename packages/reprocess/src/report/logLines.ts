// One line of a run's log, in the two forms it is written: the text a person reads on the terminal, and a JSON
// object for a log shipper (fluentd to Elasticsearch or Loki parse one object per line). Every line has `time`,
// `level`, `msg` and `run_id` (null before the run has one); a packet's line also has `rid`, `workflow_id`,
// `outcome`, `http_status` and `ms`. The terminal and the log files render the same lines, so whatever the
// operator saw is in the log too (report/logFiles.ts, cli/runCommand.ts).
import { hideUrlPasswords } from '../config/redact.js';
import type { RunEvent } from '../domain/runEvents.js';
import type { PacketResult, RunSummary } from '../domain/runResult.js';
import { packetLine, summaryText } from './format.js';

export type LogFormat = 'text' | 'json';
export const LOG_FORMATS: readonly LogFormat[] = ['text', 'json'];
export type LogLevel = 'info' | 'warn' | 'error';

export interface LogRecord {
  /** ISO 8601, UTC, when the line was written. */
  time: string;
  level: LogLevel;
  msg: string;
  run_id: string | null;
  [field: string]: unknown;
}

/** A line in both forms: `text` exactly as the terminal shows it, `record` as JSON writes it. */
export interface LogLine {
  record: LogRecord;
  text: string;
  /** Where the terminal shows it: results on stdout, everything else on stderr. */
  stream: 'out' | 'err';
}

/** The line as the format wants it (no trailing newline). JSON lines never contain a newline. */
export function renderLine(line: LogLine, format: LogFormat): string {
  return format === 'json' ? JSON.stringify(line.record) : line.text;
}

/**
 * A message line. The text form is the message with "warning: " or "error: " in front, as the terminal has always
 * printed it; `fields` add structured detail to the JSON form only. URL passwords are hidden in both forms.
 */
export function messageLine(level: LogLevel, msg: string, runId: string | null, fields: Record<string, unknown> = {}, time = new Date()): LogLine {
  const safe = hideUrlPasswords(msg);
  return {
    record: { time: time.toISOString(), level, msg: safe, run_id: runId, ...hideUrlPasswords(fields) },
    text: level === 'warn' ? `warning: ${safe}` : level === 'error' ? `error: ${safe}` : safe,
    stream: 'err',
  };
}

/**
 * A line printed as plain text (an error report, a note of the CLI's own) as a log line: its level from how it
 * starts ("warning: ", "error: ", "internal error"), the prefix left out of `msg`.
 */
export function plainLine(text: string, runId: string | null, time = new Date()): LogLine {
  const warning = /^warning: /.exec(text);
  if (warning) return messageLine('warn', text.slice(warning[0].length), runId, {}, time);
  const error = /^error: /.exec(text);
  if (error) return messageLine('error', text.slice(error[0].length), runId, {}, time);
  return messageLine(/^internal error/.test(text) ? 'error' : 'info', text, runId, {}, time);
}

/** A packet's final result: info when forwarded, warn otherwise (not moved on, or in doubt). */
export function packetLogLine(r: PacketResult, runId: string | null, time = new Date()): LogLine {
  const text = packetLine(r);
  return {
    record: {
      time: time.toISOString(),
      level: r.outcome === 'forwarded' ? 'info' : 'warn',
      msg: `${r.packet.rid} ${r.outcome}${r.httpStatus === null ? ' (no reply)' : ` (HTTP ${r.httpStatus})`}`,
      run_id: runId,
      rid: r.packet.rid,
      workflow_id: r.packet.workflowInstanceId,
      process: r.packet.process,
      outcome: r.outcome,
      http_status: r.httpStatus,
      ms: r.latencyMs,
      attempts: r.attempts,
      started_at: r.startedAt,
      ...(r.outcome === 'forwarded' ? {} : { reply: r.reply }),
    },
    text,
    stream: 'out',
  };
}

/** The run's summary: one line in JSON (the whole summary under `summary`), the usual block in text. */
export function summaryLogLine(s: RunSummary, runId: string | null, time = new Date()): LogLine {
  const counts = Object.entries(s.counts).filter(([, n]) => n > 0).map(([o, n]) => `${o} ${n}`).join(', ') || 'none';
  return {
    record: {
      time: time.toISOString(),
      level: s.exitCode === 0 ? 'info' : s.exitCode === 1 || s.exitCode > 128 ? 'warn' : 'error',
      msg: `summary: ${s.sent} sent (${counts})${s.stop ? `; stopped: ${s.stop.message}` : ''}; exit code ${s.exitCode}`,
      run_id: runId,
      exit_code: s.exitCode,
      summary: hideUrlPasswords(s),
    },
    text: summaryText(s),
    stream: 'out',
  };
}

/**
 * The lines an event stands for, as the terminal shows them and the log files keep them (the same lines, so that
 * nothing reaches one and not the other). Events that only carry figures (the total, the pace, a packet leaving,
 * held-back counts) have none: the progress line and the metrics show those.
 */
export function eventLines(e: RunEvent, runId: string | null, time = new Date()): LogLine[] {
  switch (e.type) {
    case 'started':
      return [messageLine('info', `run ${e.runId} ${e.resumed ? 'resumed' : 'started'}: ${e.source}; journal ${e.journalPath}`, e.runId, { source: e.source, journal: e.journalPath, resumed: e.resumed }, time)];
    case 'packet':
      return [packetLogLine(e.result, runId, e.at ? new Date(e.at) : time)];
    case 'note':
      return [messageLine('info', e.message, runId, {}, time)];
    case 'warning':
      return [messageLine('warn', e.message, runId, {}, time)];
    case 'breaker':
      return [messageLine('warn', e.message, runId, { breaker: e.state }, time)];
    case 'finished':
      return finishedLines(e.summary, e.resumeCommand, e.runId, time);
    default:
      return [];
  }
}

/** The end of a run: "nothing to do" when nothing matched, the summary, why it stopped and how to continue it. */
export function finishedLines(s: RunSummary, resumeCommand: string | null, runId: string | null, time = new Date()): LogLine[] {
  const lines: LogLine[] = [];
  if (s.sent === 0 && !s.stop) lines.push(messageLine('info', 'nothing to do: no packet matched', runId, {}, time));
  lines.push(summaryLogLine(s, runId, time));
  if (s.stop) {
    const stopped = messageLine(s.exitCode === 3 ? 'error' : 'warn', `stopped: ${s.stop.message}`, runId, { stop: s.stop.kind }, time);
    lines.push({ ...stopped, text: stopped.record.msg }); // the terminal has always shown it without a "warning: " prefix
  }
  if (resumeCommand) lines.push(messageLine('info', `to continue this run: ${resumeCommand} (with the same environment)`, runId, { resume_command: resumeCommand }, time));
  return lines;
}
