// Reads a journal back: what was acknowledged, what was in flight, and the counts so far.
import { readFileSync } from 'node:fs';
import type { DroppedRecord, EndRecord, InDoubtRecord, StartRecord, JournalRecord, ResultRecord, SendRecord } from './records.js';

export interface Replayed {
  /** Last result per workflow id (lower-cased): acknowledged, never to be sent again in this run. */
  results: Map<string, ResultRecord>;
  /** Sends with no result after them: the reply never came (crash, kill -9). */
  inFlight: Map<string, SendRecord>;
  /** Workflow ids settled as delivered or given up on during an earlier resume. */
  settled: Set<string>;
  /** Those settlements with the send they settled (its time is what verify compares the row with). */
  settledSends: Map<string, { send: SendRecord; record: InDoubtRecord }>;
  records: number;
  tornLines: number;
  /** Whether the latest attempt wrote its end record (false: it is still running, or it crashed). */
  ended: boolean;
  /** The latest attempt's end record, if it wrote one. */
  lastEnd: EndRecord | null;
  /** Attempts begun (start records; 0 in journals written before they existed). */
  attempts: number;
  /** The latest attempt's start record. */
  lastStart: StartRecord | null;
  /** Forwarded packets the pipeline dropped (--pace auto) and not sent again since: --resume re-drives them. */
  dropped: Map<string, { send: SendRecord; record: DroppedRecord }>;
  /** The last send of each workflow id (lower-cased). */
  sends: Map<string, SendRecord>;
}

export function readJournal(path: string): JournalRecord[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: JournalRecord[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as JournalRecord);
    } catch {
      // A torn last line from a crash mid-write: the send it began was not flushed, so it never went out.
    }
  }
  return out;
}

export function replay(records: JournalRecord[], tornLines = 0): Replayed {
  const results = new Map<string, ResultRecord>();
  const inFlight = new Map<string, SendRecord>();
  const settled = new Set<string>();
  const settledSends = new Map<string, { send: SendRecord; record: InDoubtRecord }>();
  const sends = new Map<string, SendRecord>();
  let lastEnd: EndRecord | null = null;
  let ended = false;
  let attempts = 0;
  let lastStart: StartRecord | null = null;
  const dropped = new Map<string, { send: SendRecord; record: DroppedRecord }>();
  for (const r of records) {
    if (r.t === 'dropped') {
      const send = sends.get(r.wf.toLowerCase());
      if (send) dropped.set(r.wf.toLowerCase(), { send, record: r });
    } else if (r.t === 'send') {
      dropped.delete(r.wf.toLowerCase());
      inFlight.set(r.wf.toLowerCase(), r);
      sends.set(r.wf.toLowerCase(), r);
    } else if (r.t === 'result') {
      inFlight.delete(r.wf.toLowerCase());
      results.set(r.wf.toLowerCase(), r);
    } else if (r.t === 'in_doubt') {
      const wf = r.wf.toLowerCase();
      inFlight.delete(wf);
      const send = sends.get(wf);
      if (r.decision !== 'resend') {
        settled.add(wf);
        if (send) settledSends.set(wf, { send, record: r });
      }
    } else if (r.t === 'start') {
      attempts += 1;
      lastStart = r;
      ended = false;
      lastEnd = null;
    } else if (r.t === 'end') {
      ended = true;
      lastEnd = r;
    }
  }
  // A packet answered in a later attempt is no longer "settled" by an earlier one.
  for (const wf of results.keys()) settledSends.delete(wf);
  return { results, inFlight, settled, settledSends, records: records.length, tornLines, ended, lastEnd, attempts, lastStart, dropped, sends };
}
