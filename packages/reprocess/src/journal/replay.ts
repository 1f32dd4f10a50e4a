// Reads a journal back: what was acknowledged, what was in flight, and the counts so far. A run of millions of
// packets writes a journal of gigabytes: it is read as a stream, and what is kept per packet is small (a map
// entry pointing at a shared outcome), so a resume, `runs` and the summary fit in the Job's memory limit (k8s/manifests.ts).
import { journalLines } from './lines.js';
import type { NotifyOutcome } from '@mosip-reprocess/contract/wire.js';
import { isUnanswered } from '../domain/outcomes.js';
import type { RowBefore } from '../domain/rowVerdict.js';
import type { DroppedRecord, EndRecord, InDoubtRecord, StartRecord, JournalRecord, ResultRecord, SendRecord } from './records.js';

/** What is kept of a packet's latest result. Without `detail`, one shared object per kind of outcome. */
export interface ReplayedResult {
  readonly outcome: NotifyOutcome;
  /** No definitive answer (a 5xx, a lost reply, a transient stage error, a 401/403 before the stage ran): a resume sends it again. */
  readonly unanswered: boolean;
  /** With `detail` only (verify, the --pace auto resume): the packet and when its send started (ISO). */
  readonly wf?: string;
  readonly rid?: string;
  readonly startedAt?: string;
  /** With `detail`: the row as read before that send (its send record's `before`). */
  readonly before?: RowBefore | undefined;
}

export interface Replayed {
  /** Last result per workflow id (lower-cased). */
  results: Map<string, ReplayedResult>;
  /** Sends with no result after them: the reply never came (crash, kill -9). */
  inFlight: Map<string, SendRecord>;
  /**
   * Packets still in doubt, with their send: the last word on them is a lost reply the database could not settle
   * (a result `in_doubt`) or a resume's in_doubt record `unresolved`. Not sent again; the next resume asks the
   * database again (run/inDoubt.ts), until it answers.
   */
  inDoubt: Map<string, SendRecord>;
  /** Workflow ids a resume settled as delivered (the database showed the stage handled them). */
  settled: Set<string>;
  /** The latest in_doubt settlements (delivered or unresolved) with the send they settled (verify reads its row against it). */
  settledSends: Map<string, { send: SendRecord; record: InDoubtRecord }>;
  records: number;
  /** Whether the latest attempt wrote its end record (false: it is still running, or it crashed). */
  ended: boolean;
  /** The latest attempt's end record, if it wrote one. */
  lastEnd: EndRecord | null;
  /** Attempts begun (start records; 0 in journals written before they existed). */
  attempts: number;
  /** The latest attempt's start record. */
  lastStart: StartRecord | null;
  /**
   * Packets answered for good when an attempt last ended by reaching --max-packets (0 if none did): the budget
   * counts the packets sent since, so a resume after the budget was reached gets a new one (run/sending.ts).
   */
  answeredAtBudget: number;
  /** Forwarded packets the pipeline dropped (--pace auto) and not sent again since: --resume re-drives them. */
  dropped: Map<string, { send: SendRecord; record: DroppedRecord }>;
}

export interface ReplayOptions {
  /** Keep each result's rid and start time (one object per packet): for verify and the --pace auto resume. */
  detail?: boolean;
  /**
   * The last send of each of these workflow ids (lower-cased): a second pass over the journal, made only when
   * the pipeline dropped packets (their sends are not kept in memory during the first).
   */
  sendsOf?: (wfs: ReadonlySet<string>) => Map<string, SendRecord>;
}

/** The journal's records, one at a time (journalLines: read in blocks, never whole); torn lines are passed over. */
export function* journalRecords(path: string): Generator<JournalRecord, void, void> {
  for (const { record } of journalLines(path)) {
    // A torn last line from a crash mid-write: the send it began was not flushed, so it never went out.
    if (record) yield record as unknown as JournalRecord;
  }
}

/** The whole journal as an array: for short journals only (an action's); a run's is read with journalRecords(). */
export function readJournal(path: string): JournalRecord[] {
  return [...journalRecords(path)];
}

const SHARED_RESULTS = new Map<string, ReplayedResult>();

function keptResult(r: ResultRecord, detail: boolean, send: SendRecord | undefined): ReplayedResult {
  const unanswered = isUnanswered(r);
  if (detail) return { outcome: r.outcome, unanswered, wf: r.wf, rid: r.rid, startedAt: r.startedAt, before: send?.before };
  const key = `${r.outcome}/${unanswered}`;
  let kept = SHARED_RESULTS.get(key);
  if (!kept) SHARED_RESULTS.set(key, kept = Object.freeze({ outcome: r.outcome, unanswered }));
  return kept;
}

/** The journal read back from its records (read once, in order). */
export function replay(records: Iterable<JournalRecord>, options: ReplayOptions = {}): Replayed {
  const detail = Boolean(options.detail);
  const results = new Map<string, ReplayedResult>();
  const inFlight = new Map<string, SendRecord>();
  const inDoubt = new Map<string, SendRecord>();
  const settled = new Set<string>();
  const settledSends = new Map<string, { send: SendRecord; record: InDoubtRecord }>();
  let lastEnd: EndRecord | null = null;
  let answeredAtBudget = 0;
  let ended = false;
  let attempts = 0;
  let lastStart: StartRecord | null = null;
  /** Dropped packets, their send looked up after this pass (it was answered long before the drop). */
  const droppedRecords = new Map<string, DroppedRecord>();
  /** Dropped packets whose re-drive send was journaled, until its reply: a withdrawn one is owed again. */
  const redriven = new Map<string, DroppedRecord>();
  let count = 0;
  for (const r of records) {
    count += 1;
    if (r.t === 'dropped') {
      droppedRecords.set(r.wf.toLowerCase(), r);
    } else if (r.t === 'send') {
      const wf = r.wf.toLowerCase();
      const drop = droppedRecords.get(wf);
      if (drop) { droppedRecords.delete(wf); redriven.set(wf, drop); }
      inFlight.set(wf, r);
    } else if (r.t === 'withdrawn') {
      // Its send never left: as if not written (a dropped packet's re-drive is still owed).
      const wf = r.wf.toLowerCase();
      inFlight.delete(wf);
      const drop = redriven.get(wf);
      if (drop) droppedRecords.set(wf, drop);
    } else if (r.t === 'result') {
      // The latest word on a packet stands: a reply replaces an earlier settlement.
      const wf = r.wf.toLowerCase();
      const send = inFlight.get(wf);
      inFlight.delete(wf);
      redriven.delete(wf);
      settled.delete(wf);
      settledSends.delete(wf);
      results.set(wf, keptResult(r, detail, send));
      if (r.outcome === 'in_doubt' && send) inDoubt.set(wf, send);
      else inDoubt.delete(wf);
    } else if (r.t === 'in_doubt') {
      // A resume's decision on a send left in flight or in doubt; it replaces an earlier reply or settlement.
      const wf = r.wf.toLowerCase();
      const send = inFlight.get(wf) ?? inDoubt.get(wf);
      inFlight.delete(wf);
      inDoubt.delete(wf);
      results.delete(wf);
      settled.delete(wf);
      settledSends.delete(wf);
      if (r.decision === 'delivered') settled.add(wf);
      if (r.decision === 'unresolved' && send) inDoubt.set(wf, send);
      if (r.decision !== 'resend' && send) settledSends.set(wf, { send, record: r });
    } else if (r.t === 'start') {
      attempts += 1;
      lastStart = r;
      ended = false;
      lastEnd = null;
    } else if (r.t === 'end') {
      ended = true;
      lastEnd = r;
      if (r.stopKind === 'max_packets') answeredAtBudget = countAnswered(results);
    }
  }
  const dropped = new Map<string, { send: SendRecord; record: DroppedRecord }>();
  if (droppedRecords.size > 0 && options.sendsOf) {
    const sends = options.sendsOf(new Set(droppedRecords.keys()));
    for (const [wf, record] of droppedRecords) {
      const send = sends.get(wf);
      if (send) dropped.set(wf, { send, record });
    }
  }
  return { results, inFlight, inDoubt, settled, settledSends, records: count, ended, lastEnd, attempts, lastStart, answeredAtBudget, dropped };
}

/** Packets with a definitive answer (not unanswered, not in doubt): what a resume does not send again. */
export function countAnswered(results: ReadonlyMap<string, ReplayedResult>): number {
  let n = 0;
  for (const r of results.values()) if (!r.unanswered && r.outcome !== 'in_doubt') n += 1;
  return n;
}

/** The last send record of each of `wfs` (lower-cased workflow ids) in the journal at `path`. */
export function lastSends(path: string, wfs: ReadonlySet<string>): Map<string, SendRecord> {
  const out = new Map<string, SendRecord>();
  /** The send each packet's latest one replaced, for a withdrawn record (which always follows its own send). */
  const before = new Map<string, SendRecord | undefined>();
  for (const r of journalRecords(path)) {
    const wf = r.t === 'send' || r.t === 'withdrawn' ? r.wf.toLowerCase() : null;
    if (!wf || !wfs.has(wf)) continue;
    if (r.t === 'send') {
      before.set(wf, out.get(wf));
      out.set(wf, r);
    } else if (before.has(wf)) { // a withdrawn send never left: the one before it stands
      const earlier = before.get(wf);
      if (earlier) out.set(wf, earlier);
      else out.delete(wf);
    }
  }
  return out;
}

/** Replays the journal at `path`, streaming it (and a second pass for the sends of dropped packets). */
export function replayJournal(path: string, options: Omit<ReplayOptions, 'sendsOf'> = {}): Replayed {
  return replay(journalRecords(path), { ...options, sendsOf: (wfs) => lastSends(path, wfs) });
}
