// Reads a journal back: what was acknowledged, what was in flight, and the counts so far.
import { readFileSync } from 'node:fs';
import type { JournalRecord, ResultRecord, SendRecord } from './records.js';

export interface Replayed {
  /** Last result per workflow id (lower-cased): acknowledged, never to be sent again in this run. */
  results: Map<string, ResultRecord>;
  /** Sends with no result after them: the reply never came (crash, kill -9). */
  inFlight: Map<string, SendRecord>;
  /** Workflow ids settled as delivered or given up on during an earlier resume. */
  settled: Set<string>;
  records: number;
  tornLines: number;
  ended: boolean;
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
  let ended = false;
  for (const r of records) {
    if (r.t === 'send') inFlight.set(r.wf.toLowerCase(), r);
    else if (r.t === 'result') {
      inFlight.delete(r.wf.toLowerCase());
      results.set(r.wf.toLowerCase(), r);
    } else if (r.t === 'in_doubt') {
      inFlight.delete(r.wf.toLowerCase());
      if (r.decision !== 'resend') settled.add(r.wf.toLowerCase());
    } else if (r.t === 'end') ended = true;
  }
  return { results, inFlight, settled, records: records.length, tornLines, ended };
}
