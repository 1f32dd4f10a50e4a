// `reprocess --db | --file F | --registration R`: flags in, the library's run (or dry run), lines out, an exit code.
import { resolve } from 'node:path';
import { databaseProblem } from '../db/problems.js';
import { InputError, UnreachableError } from '../errors.js';
import { renderDryRun } from '../report/dryRun.js';
import { packetJson, packetLine, summaryJson, summaryText } from '../report/format.js';
import { Progress } from '../report/progress.js';
import { describeAutoPace } from '../pacer/autoPacer.js';
import { dryRunReprocess } from '../run/dryRun.js';
import type { EventSink } from '../run/events.js';
import { resolveRunRequest, type RunFlags } from '../run/request.js';
import { RunInterrupted, runReprocess } from '../run/reprocess.js';

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

/** Runs the whole command and returns the exit code. Never throws. */
export async function runCommand(flags: RunFlags, rawIo: Io): Promise<number> {
  let progress: Progress | null = null;
  // A line on stderr first clears the progress bar drawn there, so the two never run into each other.
  const io: Io = { ...rawIo, err: (line) => { progress?.clear(); rawIo.err(line); } };
  try {
    if (flags.html !== undefined && !flags.dryRun) throw new InputError('--html goes with --dry-run; for a run, `reprocess report <run-id> --html` writes its report');
    const request = resolveRunRequest(flags, io.env);
    const json = request.settings.json;
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
    progress = new Progress({ isTTY: Boolean(io.stderrIsTTY), write: (t) => (io.progress ?? io.err)(t) }, null, request.settings.progressInterval * 1000);
    const p = progress;
    const sink: EventSink = (e) => {
      switch (e.type) {
        case 'started':
          io.err(`run ${e.runId} ${e.resumed ? 'resumed' : 'started'}: ${e.source}; journal ${e.journalPath}`);
          break;
        case 'packet':
          p.clear();
          io.out(json ? JSON.stringify(packetJson(e.result)) : packetLine(e.result));
          p.record(e.result.outcome);
          break;
        case 'total':
          p.setTotal(e.packets);
          break;
        case 'note':
          io.err(e.message);
          break;
        case 'warning':
          io.err(`warning: ${e.message}`);
          break;
        case 'pace':
          p.setDetail(describeAutoPace(e.status));
          break;
      }
    };
    const result = await runReprocess(request, sink, io.signal ? { signal: io.signal } : {});
    progress.stop();
    const { summary } = result;
    if (summary.sent === 0 && !summary.stop) io.err('nothing to do: no packet matched');
    io.out(json ? JSON.stringify({ ...summaryJson(summary), runId: result.runId }) : summaryText(summary));
    if (!json) {
      io.out(`  run                 ${result.runId} (journal ${result.journalPath})`);
      io.out(`  log                 ${result.logFiles.last} (all runs: ${result.logFiles.out})`);
    }
    if (summary.stop) io.err(`stopped: ${summary.stop.message}`);
    if (result.resumeCommand) io.err(`to continue this run: ${result.resumeCommand} (with the same environment)`);
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
