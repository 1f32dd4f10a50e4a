// `reprocess --db | --file F | --registration R`: flags in, the library's run (or dry run), lines out, an exit code.
import { resolve } from 'node:path';
import { databaseProblem } from '../db/problems.js';
import { InputError, UnreachableError } from '../errors.js';
import { renderDryRun } from '../report/dryRun.js';
import { packetJson, summaryJson } from '../report/format.js';
import { eventLines, finishedLines, plainLine, renderLine, type LogFormat, type LogLine } from '../report/logLines.js';
import { Progress } from '../report/progress.js';
import { describeAutoPace } from '../pacer/autoPacer.js';
import { dryRunReprocess } from '../run/dryRun.js';
import type { EventSink } from '../run/events.js';
import { resolveRunRequest, type RunFlags } from '../run/request.js';
import { RunInterrupted, runReprocess } from '../run/reprocess.js';
import { formatStopNotice } from './interrupt.js';

export type { RunFlags };

export interface Io {
  out(line: string): void;
  err(line: string): void;
  env: NodeJS.ProcessEnv;
  /** Fires when the operator asks to stop (Ctrl-C). */
  signal?: AbortSignal;
  /** Whether stderr is a terminal (progress bar) or not (progress lines). */
  stderrIsTTY?: boolean;
  /** Where the progress bar or lines go (stderr). */
  progress?(text: string): void;
  /** Print the stack of an unexpected error (--debug). */
  debug?: boolean;
}

/**
 * stderr in JSON (one log line per line, time, level, msg, run_id) with --json or --log-format json: every line
 * written through the returned Io's err, the CLI's own and the error reports included. `format` may change once
 * the settings are known; `runId` once the run has one.
 */
export function jsonAwareStderr(rawIo: Io, state: { format: LogFormat; runId: string | null }): Io {
  return {
    ...rawIo,
    err: (line) => rawIo.err(state.format === 'json' ? renderLine(plainLine(line, state.runId), 'json') : line),
  };
}

/** The stderr format the flags (before the settings resolve) or the settings ask for. */
export function stderrFormat(s: Record<string, unknown>, env: NodeJS.ProcessEnv): LogFormat {
  const json = s.json === true || (s.json === undefined && /^(true|1|yes|on)$/i.test(env.REPROCESS_JSON ?? ''));
  const logJson = s.logFormat === 'json' || (s.logFormat === undefined && env.REPROCESS_LOG_FORMAT === 'json');
  return json || logJson ? 'json' : 'text';
}

/** Runs the whole command and returns the exit code. Never throws. */
export async function runCommand(flags: RunFlags, rawIo: Io): Promise<number> {
  let progress: Progress | null = null;
  const stderr = { format: stderrFormat(flags, rawIo.env), runId: null as string | null };
  // A line on stderr first clears the progress bar drawn there, so the two never run into each other.
  const cleared: Io = { ...rawIo, err: (line) => { progress?.clear(); rawIo.err(line); } };
  const io = jsonAwareStderr(cleared, stderr);
  try {
    if (flags.html !== undefined && !flags.dryRun) throw new InputError('--html goes with --dry-run; for a run, `reprocess report <run-id> --html` writes its report');
    const request = resolveRunRequest(flags, io.env);
    const json = request.settings.json;
    // Results on stdout: --json's own objects, else log lines in --log-format; stderr: JSON with either.
    const outFormat: LogFormat = request.settings.logFormat;
    stderr.format = json || outFormat === 'json' ? 'json' : 'text';
    formatStopNotice(stderr.format === 'json' ? (text) => renderLine(plainLine(text, stderr.runId), 'json') : null);
    /** A line as the terminal shows it: stdout for results, stderr (already JSON-aware) for the rest. */
    const print = (line: LogLine) => {
      if (line.stream === 'out') {
        progress?.clear();
        cleared.out(renderLine(line, outFormat));
      } else cleared.err(renderLine(line, stderr.format));
    };
    if (request.flags.dryRun) {
      const report = await dryRunReprocess(request);
      io.out(json ? JSON.stringify(report) : renderDryRun(report));
      if (typeof flags.html === 'string') {
        const { writeDryRunHtml } = await import('../report/html/dryRunReport.js');
        writeDryRunHtml(report, flags.html);
        io.err(`dry run report: ${resolve(flags.html)}`);
      }
      return 0;
    }
    if (request.finished) {
      // Its own exit code, so that a Job's pod started again after the run ended reports what the run did (1: some
      // packets were not forwarded), not success.
      const { runId, name, exitCode } = request.finished;
      io.err(`run ${runId} (--run-name ${name}) has already finished with exit code ${exitCode}: nothing to do (\`reprocess report ${runId}\` shows it)`);
      return exitCode;
    }
    // Progress lines (stderr not a terminal) are log lines too; the bar on a terminal stays a bar.
    const progressWrite = (t: string) => (stderr.format === 'json' && !io.stderrIsTTY ? io.err(t.trimEnd()) : (io.progress ?? io.err)(t));
    progress = new Progress({ isTTY: Boolean(io.stderrIsTTY), write: progressWrite }, null, request.settings.progressInterval * 1000);
    const p = progress;
    const sink: EventSink = (e) => {
      if (e.type === 'started') stderr.runId = e.runId;
      else if (e.type === 'total') p.setTotal(e.packets);
      else if (e.type === 'pace') p.setDetail(describeAutoPace(e.status));
      else if (e.type === 'finished') return; // printed below from the result, the same lines
      if (e.type === 'packet' && json) {
        p.clear();
        cleared.out(JSON.stringify(packetJson(e.result)));
      } else for (const line of eventLines(e, stderr.runId)) print(line);
      if (e.type === 'packet') p.record(e.result.outcome);
    };
    const result = await runReprocess(request, sink, io.signal ? { signal: io.signal } : {});
    progress.stop();
    const { summary } = result;
    for (const line of finishedLines(summary, result.resumeCommand, result.runId)) {
      if (line.stream === 'out' && json) {
        cleared.out(JSON.stringify({ ...summaryJson(summary), runId: result.runId }));
        continue;
      }
      print(line);
      if (line.stream === 'out' && outFormat === 'text') {
        cleared.out(`  run                 ${result.runId} (journal ${result.journalPath})`);
        cleared.out(`  log                 ${result.logFiles.last} (all runs: ${result.logFiles.out})`);
      }
    }
    return result.exitCode;
  } catch (err) {
    return reportFailure(err, io);
  } finally {
    progress?.stop();
  }
}

/** Runs a subcommand's work, turning an expected failure into its message and exit code. */
export async function runReported(io: Io, work: (io: Io) => unknown): Promise<void> {
  try {
    await work(io);
  } catch (err) {
    process.exitCode = reportFailure(err, io);
  }
}

/**
 * Exit codes: 2 bad input (nothing sent), 3 database, server or authentication unreachable or refused,
 * 4 a bug in this tool (the stack with --debug). After packets went out, say how many and how to continue.
 */
export function reportFailure(err: unknown, io: Io): number {
  let cause = err;
  let after = '';
  if (err instanceof RunInterrupted) {
    cause = err.cause;
    after = `${err.sent} packet(s) had been sent in run ${err.runId} before this; its journal has them. To continue: ${err.resumeCommand}`;
  }
  // A database that refuses (a privilege, a login) is the operator's to fix, not a bug, wherever it surfaced.
  cause = databaseProblem(cause) ?? cause;
  if (cause instanceof InputError) {
    io.err(`error: ${cause.message}`);
    io.err(after || 'nothing was sent');
    return 2;
  }
  if (cause instanceof UnreachableError) {
    io.err(`error: ${cause.message}`);
    if (after) io.err(after);
    return 3;
  }
  const e = cause as Error;
  io.err(`internal error (a bug in reprocess, please report it): ${e?.message ?? String(cause)}`);
  if (io.debug || io.env.REPROCESS_DEBUG) io.err(e?.stack ?? String(cause));
  else io.err('run with --debug (or REPROCESS_DEBUG=1) for the stack');
  if (after) io.err(after);
  return 4;
}
