// Numbers that add up: an attempt's summary is made from what the runner counted (each packet sent is one result
// or one withdrawal), what the continuation skipped, and what the pacer saw, and is stored with the earlier
// attempts' in summary.json; the journal's end record carries the same exit code and stop.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { RunHandle } from '../journal/runStore.js';
import type { StoredSummary } from '../journal/wholeRun.js';
import type { AutoPaceStatus } from '../pacer/autoPacer.js';
import type { ResilientNotifier } from '../notifier/resilientNotifier.js';
import type { CircuitBreaker } from '../notifier/breaker.js';
import { exitCodeOf, type RunOutcome } from './runner.js';
import type { RunSummary } from '../domain/runResult.js';

export interface SummaryParts {
  startedAt: Date;
  outcome: RunOutcome;
  skipped: { duplicates: number; rows: number; batches: number };
  /** Packets not sent because an earlier attempt had them (or a resume settled them). */
  alreadyDone: number;
  notifier: ResilientNotifier;
  breaker: CircuitBreaker;
  authentications: number;
  reason: string | null;
  heldBack: number | null;
  pace: AutoPaceStatus | null;
  redriven: number;
  /** --canary --by-cohort: cohorts left unsent because their canary failed. */
  cohortsNotSent: number;
}

export function summarize(p: SummaryParts): RunSummary {
  const finished = new Date();
  const summary: RunSummary = {
    startedAt: p.startedAt.toISOString(),
    finishedAt: finished.toISOString(),
    durationMs: finished.getTime() - p.startedAt.getTime(),
    sent: p.outcome.sent,
    counts: p.outcome.counts,
    duplicatesSkipped: p.skipped.duplicates,
    rowsSkipped: p.skipped.rows,
    alreadyDone: p.alreadyDone,
    batches: p.skipped.batches,
    stop: p.outcome.stop,
    exitCode: exitCodeOf(p.outcome, p.skipped.rows),
    resilience: {
      retries: p.notifier.retriesMade, settledFromDb: p.notifier.settledFromDb, breakerTrips: p.breaker.trips,
      reauthentications: p.authentications - 1,
    },
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    reason: p.reason,
    ...(p.heldBack !== null ? { heldBack: p.heldBack } : {}),
    ...(p.pace ? {
      pipeline: {
        dropped: p.pace.dropped, held: p.pace.held, inside: p.pace.inside, unseen: p.pace.unseen, exited: p.pace.exited,
        redriven: p.redriven, finalRate: p.pace.rate,
      },
    } : {}),
  };
  // A packet the pipeline dropped was not reprocessed, a cohort whose canary failed was not sent: the run did not
  // do all it was asked.
  if (((p.pace?.dropped ?? 0) > 0 || p.cohortsNotSent > 0) && summary.exitCode === 0) summary.exitCode = 1;
  return summary;
}

/**
 * summary.json: the latest attempt's summary on top (what this process did, its exit code), and every attempt's own
 * summary in `attempts`. The whole run, each packet once at its latest outcome, is `reprocess report` / `runs --json`
 * (journal/wholeRun.ts): adding attempts' counts would count a packet retried by a resume twice.
 */
export function writeSummary(run: RunHandle, attemptSummary: RunSummary): void {
  // Only the earlier attempts' summary is needed here, not the journal (gigabytes after millions of packets).
  const earlier = existsSync(run.summaryPath) ? JSON.parse(readFileSync(run.summaryPath, 'utf8')) as StoredSummary : null;
  const attempts = [...(earlier?.attempts ?? (earlier ? [stripStored(earlier)] : [])), attemptSummary];
  const stored: StoredSummary = { runId: run.id, ...attemptSummary, attempts };
  writeFileSync(run.summaryPath, JSON.stringify(stored, null, 2) + '\n');
}

function stripStored(s: StoredSummary): RunSummary {
  const { runId: _runId, attempts: _attempts, ...rest } = s;
  return rest;
}
