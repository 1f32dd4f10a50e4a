// What the runs of a scenario left in their runs directory, read as an operator (or `reprocess report`) would find
// it: every run's run.json, journal.jsonl and summary.json. Read here on its own terms (the record types docs/reference.md
// lists), not through the tool's replay code, so a mistake there cannot hide a mistake it makes.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One journal line; only the fields the invariants read. */
export interface JournalLine {
  t: string;
  at?: string;
  wf?: string;
  rid?: string;
  rids?: string[];
  outcome?: string;
  decision?: string;
  attempt?: number;
  exitCode?: number;
  stop?: string | null;
  stopKind?: string | null;
}

export interface AttemptSummary {
  sent: number;
  counts: { [outcome: string]: number };
  stop: { kind: string; message: string } | null;
  exitCode: number;
}

export interface StoredRun {
  id: string;
  dir: string;
  meta: { [key: string]: unknown } & { source?: string; name?: string };
  records: JournalLine[];
  /** A torn last line (the process died while writing it), if any. */
  tornTail: string | null;
  summary: ({ attempts?: AttemptSummary[] } & { [key: string]: unknown }) | null;
}

export function readRuns(runsDir: string): StoredRun[] {
  if (!existsSync(runsDir)) return [];
  return readdirSync(runsDir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(runsDir, e.name, 'run.json')))
    .map((e) => readRun(join(runsDir, e.name), e.name))
    .sort((a, b) => a.id.localeCompare(b.id));
}

function readRun(dir: string, id: string): StoredRun {
  const meta = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as StoredRun['meta'];
  const journalPath = join(dir, 'journal.jsonl');
  const lines = existsSync(journalPath) ? readFileSync(journalPath, 'utf8').split('\n') : [];
  const records: JournalLine[] = [];
  let tornTail: string | null = null;
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      records.push(JSON.parse(line) as JournalLine);
    } catch {
      if (i >= lines.length - 2) tornTail = line; // only the last line may be cut short by a kill
      else throw new Error(`${journalPath}:${i + 1} is not JSON: ${line.slice(0, 120)}`);
    }
  });
  const summaryPath = join(dir, 'summary.json');
  const summary = existsSync(summaryPath) ? JSON.parse(readFileSync(summaryPath, 'utf8')) as StoredRun['summary'] : null;
  return { id, dir, meta, records, tornTail, summary };
}

/** Whether the run was asked for a workflow action (`reprocess action`). */
export function isActionRun(run: StoredRun): boolean {
  return String(run.meta.source ?? '').startsWith('action ') || 'workflowAction' in ((run.meta.flags ?? {}) as object);
}

/** A run's attempts, each the records from its `start` to the next one. */
export function attemptsOf(run: StoredRun): JournalLine[][] {
  const out: JournalLine[][] = [];
  for (const r of run.records) {
    if (r.t === 'start' || out.length === 0) out.push([]);
    out[out.length - 1]!.push(r);
  }
  return out;
}

/** Finished: its last attempt wrote its end with no stop (a stop means "continue me"; a crash wrote no end). */
export function isFinished(run: StoredRun): boolean {
  const last = attemptsOf(run).at(-1) ?? [];
  const end = last.find((r) => r.t === 'end');
  return end !== undefined && (end.stop === null || end.stop === undefined || end.stopKind === 'canary_failed');
}

/** What the journals say about one packet, over every run and attempt. */
export interface PacketStory {
  sends: number;
  withdrawn: number;
  results: string[];
  inDoubt: string[];
  dropped: number;
  /** The last word: the outcome of the last result, or the last in-doubt decision after it. */
  last: string | null;
}

export function packetStories(runs: readonly StoredRun[]): Map<string, PacketStory> {
  const stories = new Map<string, PacketStory>();
  const story = (wf: string) => {
    const key = wf.toLowerCase();
    let s = stories.get(key);
    if (!s) stories.set(key, s = { sends: 0, withdrawn: 0, results: [], inDoubt: [], dropped: 0, last: null });
    return s;
  };
  for (const run of runs) {
    for (const r of run.records) {
      if (!r.wf) continue;
      const s = story(r.wf);
      if (r.t === 'send') s.sends += 1;
      else if (r.t === 'withdrawn') s.withdrawn += 1;
      else if (r.t === 'result') { s.results.push(r.outcome ?? '?'); s.last = r.outcome ?? '?'; }
      else if (r.t === 'in_doubt') { s.inDoubt.push(r.decision ?? '?'); s.last = `in_doubt:${r.decision ?? '?'}`; }
      else if (r.t === 'dropped') { s.dropped += 1; s.last = 'dropped'; }
    }
  }
  return stories;
}

/** Every RID a workflow action run sent in a request, and each RID's journaled outcomes. */
export function actionStories(runs: readonly StoredRun[]): Map<string, { requests: number; outcomes: string[] }> {
  const out = new Map<string, { requests: number; outcomes: string[] }>();
  const of = (rid: string) => {
    let s = out.get(rid);
    if (!s) out.set(rid, s = { requests: 0, outcomes: [] });
    return s;
  };
  for (const run of runs) {
    for (const r of run.records) {
      if (r.t === 'action_send') for (const rid of r.rids ?? []) of(rid).requests += 1;
      else if (r.t === 'action_result' && r.rid) of(r.rid).outcomes.push(r.outcome ?? '?');
    }
  }
  return out;
}
