// A run as a whole, across all its attempts (the first start and every --resume): what it notified, how each
// packet ended, and whether it is finished. `runs`, `report`, `verify` and `--resume last` read runs this way.
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { hostname } from 'node:os';
import { OUTCOMES, type NotifyOutcome } from '@mosip-reprocess/contract/wire.js';
import type { RunSummary } from '../domain/runResult.js';
import type { RowBefore } from '../domain/rowVerdict.js';
import type { EndRecord, JournalRecord, StartRecord } from './records.js';
import { journalRecords, lastSends, replay, replayJournal, type Replayed } from './replay.js';
import { listRunIds, openRun, runKindOf, type RunHandle, type RunKind } from './runStore.js';

export type RunStatus = 'finished' | 'stopped' | 'running' | 'crashed' | 'running or crashed';

/** What summary.json holds: the latest attempt's summary on top, and each attempt's own summary in `attempts`. */
export interface StoredSummary extends RunSummary {
  runId: string;
  /** Each attempt's summary, first run first (absent in runs written before resumes were tracked). */
  attempts?: RunSummary[];
}

/** A packet the run notified, as the journal last saw it. */
export interface NotifiedPacket {
  workflowInstanceId: string;
  rid: string;
  /** The reply's outcome, or how a resume settled a packet whose reply never came. */
  outcome: NotifyOutcome | 'delivered_on_resume' | 'in_doubt';
  /** When the (last) send started: the stage's write must be at or after it (for sends journaled without `before`). */
  startedAt: Date;
  /** The row as read before that send. */
  before?: RowBefore | undefined;
}

/** One attempt as the journal tells it (so a crashed attempt, which wrote no summary, is there too). */
export interface AttemptInfo {
  attempt: number;
  startedAt: string | null;
  /** null: it never wrote its end (crashed, killed, or still running). */
  endedAt: string | null;
  sent: number;
  counts: Partial<Record<NotifyOutcome, number>>;
  /** Packets in doubt this attempt settled at its start (delivered / not sent again / sent again). */
  settled: { delivered: number; unresolved: number; resend: number };
  stop: string | null;
  exitCode: number | null;
}

export interface WholeRun {
  run: RunHandle;
  replayed: Replayed;
  summary: StoredSummary | null;
  status: RunStatus;
  /** Stopped (other than by a failed canary) or crashed: `--resume` continues it. */
  unfinished: boolean;
  /** How many packets it notified in any attempt, including those a resume settled as delivered. */
  notified: number;
  /** Per outcome, over the whole run (each packet once, its latest outcome). */
  counts: Record<NotifiedPacket['outcome'], number>;
  /** Sent, no reply journaled, not yet settled (a crash): the next --resume settles them. */
  inFlight: number;
  attempts: AttemptInfo[];
}

/** Each attempt's figures, gathered while `records` is iterated (the journal is read once, as a stream). */
function attemptsOf(records: Iterable<JournalRecord>): { records: Iterable<JournalRecord>; attempts: AttemptInfo[] } {
  const out: AttemptInfo[] = [];
  const fresh = (n: number, at: string | null): AttemptInfo => ({
    attempt: n, startedAt: at, endedAt: null, sent: 0, counts: {}, settled: { delivered: 0, unresolved: 0, resend: 0 }, stop: null, exitCode: null,
  });
  let current: AttemptInfo | null = null;
  const add = (r: JournalRecord) => {
    if (r.t === 'start') {
      current = fresh(r.attempt, r.at);
      out.push(current);
      return;
    }
    if (!current) { // journals written before start records: one attempt
      current = fresh(1, null);
      out.push(current);
    }
    if (r.t === 'send') current.sent += 1;
    else if (r.t === 'withdrawn') current.sent -= 1; // written ahead, never sent
    else if (r.t === 'result') current.counts[r.outcome] = (current.counts[r.outcome] ?? 0) + 1;
    else if (r.t === 'in_doubt') current.settled[r.decision] += 1;
    else if (r.t === 'end') {
      current.endedAt = r.at;
      current.stop = r.stop;
      current.exitCode = r.exitCode;
    }
  };
  function* tee(): Generator<JournalRecord, void, void> {
    for (const r of records) {
      add(r);
      yield r;
    }
  }
  return { records: tee(), attempts: out };
}

/** The run as its journal (read as a stream) and summary tell it; `detail` keeps each packet's rid and time. */
export function readWholeRun(run: RunHandle, options: { detail?: boolean } = {}): WholeRun {
  const { records, attempts } = attemptsOf(journalRecords(run.journalPath));
  const replayed = replay(records, { detail: Boolean(options.detail), sendsOf: (wfs) => lastSends(run.journalPath, wfs) });
  const counts = { ...Object.fromEntries(OUTCOMES.map((o) => [o, 0])), delivered_on_resume: 0, in_doubt: 0 } as WholeRun['counts'];
  for (const r of replayed.results.values()) counts[r.outcome] += 1;
  for (const { record } of replayed.settledSends.values()) counts[record.decision === 'delivered' ? 'delivered_on_resume' : 'in_doubt'] += 1;
  const summary = existsSync(run.summaryPath) ? JSON.parse(readFileSync(run.summaryPath, 'utf8')) as StoredSummary : null;
  const { status, unfinished } = statusOf(replayed);
  return {
    run, replayed, summary, status, unfinished, notified: replayed.results.size + replayed.settledSends.size, counts,
    inFlight: replayed.inFlight.size, attempts,
  };
}

/**
 * Every packet the run notified in any attempt (verify checks each against the database): its latest
 * outcome, or how a resume settled it. One object per packet, so only what needs them asks.
 */
export function notifiedPackets(run: RunHandle): NotifiedPacket[] {
  const { replayed } = readWholeRun(run, { detail: true });
  const notified: NotifiedPacket[] = [];
  for (const r of replayed.results.values()) {
    notified.push({ workflowInstanceId: r.wf!, rid: r.rid!, outcome: r.outcome, startedAt: new Date(r.startedAt!), before: r.before });
  }
  for (const { send, record } of replayed.settledSends.values()) {
    notified.push({
      workflowInstanceId: send.wf, rid: send.rid, outcome: record.decision === 'delivered' ? 'delivered_on_resume' : 'in_doubt', startedAt: new Date(send.at),
      before: send.before,
    });
  }
  return notified;
}

/** How the latest attempt stands: its last start record, and its end record if it wrote one. */
interface LatestAttempt {
  ended: boolean;
  lastEnd: EndRecord | null;
  lastStart: StartRecord | null;
}

function statusOf(latest: LatestAttempt): { status: RunStatus; unfinished: boolean } {
  const status: RunStatus = latest.ended ? (latest.lastEnd?.stop ? 'stopped' : 'finished') : liveness(latest.lastStart);
  const unfinished = status === 'crashed' || status === 'running or crashed'
    || (status === 'stopped' && latest.lastEnd?.stopKind !== 'canary_failed');
  return { status, unfinished };
}

const TAIL_BYTES = 64 * 1024;

/**
 * The latest attempt read from the journal's last 64 KB: the last start or end record decides, as in replay().
 * Null when neither is there (a long attempt still going, or crashed): then only the whole journal can tell.
 */
function latestAttemptFromTail(journalPath: string): LatestAttempt | null {
  let text: string;
  try {
    const fd = openSync(journalPath, 'r');
    try {
      const size = fstatSync(fd).size;
      const length = Math.min(size, TAIL_BYTES);
      const buffer = Buffer.alloc(length);
      readSync(fd, buffer, 0, length, size - length);
      text = buffer.toString('utf8');
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { ended: false, lastEnd: null, lastStart: null };
    throw err;
  }
  const lines = text.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    let record: JournalRecord;
    try {
      record = JSON.parse(lines[i]!) as JournalRecord; // the first line may be cut by the tail, the last torn: skipped
    } catch {
      continue;
    }
    if (record.t === 'end') return { ended: true, lastEnd: record, lastStart: null };
    if (record.t === 'start') return { ended: false, lastEnd: null, lastStart: record };
  }
  return null;
}

/** An attempt without an end record is running if its process is alive on this host, crashed if not. */
function liveness(start: StartRecord | null): RunStatus {
  if (!start || start.host !== hostname()) return 'running or crashed';
  try {
    process.kill(start.pid, 0);
    return start.pid === process.pid ? 'crashed' : 'running';
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? 'running' : 'crashed';
  }
}

/**
 * The newest run of this kind in the runs directory that did not finish, or null: `--resume last` continues a
 * notification run, `action --resume last` an action run. Every new run asks (to report a crashed one), so each
 * journal's tail is read, not the whole journal of every finished run.
 */
export function latestUnfinishedRun(runsDir: string, kind: RunKind = 'run'): string | null {
  const ids = listRunIds(runsDir);
  for (let i = ids.length - 1; i >= 0; i--) {
    const run = openRun(runsDir, ids[i]!);
    if (runKindOf(run.meta) === kind && runStatus(run).unfinished) return ids[i]!;
  }
  return null;
}

/**
 * How a run stands, from its journal's tail (the whole journal only when the tail cannot tell), with the latest
 * attempt's start record when the tail holds it (it does for a run still going: its last start).
 */
export function runStatus(run: RunHandle): { status: RunStatus; unfinished: boolean; lastStart: StartRecord | null; lastEnd: EndRecord | null } {
  const latest = latestAttemptFromTail(run.journalPath) ?? replayJournal(run.journalPath);
  return { ...statusOf(latest), lastStart: latest.lastStart, lastEnd: latest.lastEnd };
}
