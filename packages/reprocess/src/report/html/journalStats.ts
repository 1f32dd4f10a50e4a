// The numbers of a run's morning-after report, read from its journal line by line (never the whole file in
// memory) into aggregates whose size does not grow with the number of packets: counts, a timeline of a bounded
// number of intervals, a latency histogram with one bucket per millisecond, capped lists. What is kept per packet
// is only what a later line can still change: sends awaiting their reply, and packets whose last reply was
// transient (a resume sends those again, and the new reply replaces the old one in the whole-run totals).
//
// Journal records this reader understands (records.ts holds the ones every run writes):
//   send, result, in_doubt, note, start, end              (records.ts; journals written before start records
//                                                         existed are split into attempts by run.json's resumes)
//   send.stage (optional string)                          the stage (latest_trn_type_code) the packet was stuck
//                                                         in when selected; the "by stage" breakdown needs it
//   pace     { t:'pace', at, ratePerSec?, inPipeline?, waitingMs?, maxWaitMs?, notSeen? }  --pace auto's view of
//            the pipeline at one poll (drawn when present: in-pipeline count, waiting time against --max-wait)
//   breaker  { t:'breaker', at, state: 'open'|'closed'|'probe'|string, detail? }  circuit breaker pauses
//   token    { t:'token', at, reason? }                   a new client token (refresh before expiry, or after 401)
//   dropped  { t:'dropped', at, wf, rid, sentAt, lastMoved, stalledSeconds }  --pace auto: a forwarded packet the
//            pipeline dropped (its row stalled past --message-max-age); counted, and marked on the timeline
// Unknown record types are counted and otherwise ignored, so a newer journal still gives a report.
import type { RowBefore } from '../../domain/rowVerdict.js';
import { journalLines } from '../../journal/lines.js';
import { OUTCOMES, type NotifyOutcome } from '@mosip-reprocess/contract/wire.js';
import { isUnanswered } from '../../domain/outcomes.js';

/** Latencies are kept per millisecond up to this; longer ones go in one overflow bucket (their max is kept). */
export const LATENCY_EXACT_MS = 120_000;
/** The timeline never has more intervals than this: the interval doubles when the run outgrows it. */
export const MAX_BINS = 240;
/** Packets not forwarded listed in the HTML (all are counted, and all are in the CSV). */
export const DEFAULT_LISTED_FAILURES = 1000;
const MAX_EVENTS = 500;

/** Whole-run outcome of a packet: a reply class, or a packet settled without one on resume. */
export type FinalOutcome = NotifyOutcome | 'delivered_on_resume' | 'in_doubt' | 'sent_no_reply';
/** The reply classes, then (as `reprocess report` names them) packets whose reply a crash lost: settled as
 * delivered from the database, settled without a database (not sent again), or not settled yet. */
export const FINAL_OUTCOMES: readonly FinalOutcome[] = [...new Set<FinalOutcome>([...OUTCOMES, 'delivered_on_resume', 'in_doubt', 'sent_no_reply'])];

export interface TimelineEvent {
  at: string;
  kind: 'start' | 'resume' | 'stop' | 'end' | 'breaker' | 'token' | 'canary' | 'dropped' | 'note';
  text: string;
}

export interface Bin {
  /** Sends (replies journaled, by the time the send started) per outcome; every attempt counts. */
  sends: Partial<Record<NotifyOutcome, number>>;
  /** --pace auto: the largest in-pipeline count, waiting time and the last rate polled in this interval. */
  inPipeline?: number;
  waitingMs?: number;
  maxWaitMs?: number;
  paceRate?: number;
}

export interface Attempt {
  n: number;
  startedAt: string;
  endedAt: string | null;
  exitCode: number | null;
  stop: string | null;
  /** Replies journaled in this attempt. */
  replies: number;
}

/** A packet with its whole-run outcome: a row of the report's "not forwarded" list and of the CSV. */
export interface PacketFinal {
  rid: string;
  wf: string;
  process: string;
  /** The stage the packet was stuck in when selected, when the journal recorded it. */
  stage: string | null;
  outcome: FinalOutcome;
  http: number | null;
  reply: string;
  attempts: number;
  /** When the (last) send started, ISO. */
  startedAt: string;
  /** Its row as read before that send, when the journal kept it (domain/rowVerdict.ts). */
  before?: RowBefore | null;
}

export interface JournalStats {
  records: number;
  tornLines: number;
  /** Hosts the attempts ran on (start records). */
  hosts: string[];
  unknownRecords: number;
  firstAt: string | null;
  lastAt: string | null;
  /** Distinct packets with a whole-run outcome (the last reply counts; in-doubt settlements included). */
  packets: number;
  /** Every reply journaled, retries across resumes included. */
  replies: number;
  totals: Record<FinalOutcome, number>;
  /** process -> outcome -> packets. */
  byProcess: Record<string, Partial<Record<FinalOutcome, number>>>;
  /** Stage the packet was stuck in when selected (the send record's `stage`), -> outcome -> packets. */
  byStage: Record<string, Partial<Record<FinalOutcome, number>>>;
  /** Sends with a stage recorded; 0 for journals written before the send record carried it. */
  stageRecorded: number;
  timeline: { originMs: number; binMs: number; bins: Bin[] };
  /** hist[i] = replies with latencyMs === i (i < LATENCY_EXACT_MS); overflow counted apart. */
  latency: { hist: Uint32Array; overflow: number; overflowMaxMs: number; count: number; sumMs: number; maxMs: number };
  events: TimelineEvent[];
  eventsDropped: number;
  attempts: Attempt[];
  /** Packets not forwarded (whole run), the first `listedLimit` of them. */
  failures: PacketFinal[];
  failuresTotal: number;
  /** Journal line numbers (1-based) of replies that a later reply for the same packet replaced. */
  superseded: Set<number>;
  paceRecords: number;
  /** --pace auto: forwarded packets the pipeline dropped (dropped records; a resume may have sent them again). */
  dropped: number;
  ended: boolean;
}

interface PendingSend { process: string; stage: string | null; at: string; rid: string; wf: string }
interface Latest { outcome: FinalOutcome; process: string; stage: string | null; line: number }

export interface ReadStatsOptions {
  /** Resume times from run.json (used to split attempts when the journal has no attempt records). */
  resumes?: readonly string[];
  createdAt?: string;
  listedFailures?: number;
}

const NO_STAGE = '(not recorded)';

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export async function readJournalStats(path: string, options: ReadStatsOptions = {}): Promise<JournalStats> {
  const listedLimit = options.listedFailures ?? DEFAULT_LISTED_FAILURES;
  const totals = Object.fromEntries(FINAL_OUTCOMES.map((o) => [o, 0])) as Record<FinalOutcome, number>;
  const s: JournalStats = {
    records: 0, tornLines: 0, hosts: [], unknownRecords: 0, firstAt: null, lastAt: null, packets: 0, replies: 0, totals,
    byProcess: {}, byStage: {}, stageRecorded: 0,
    timeline: { originMs: NaN, binMs: 1000, bins: [] },
    latency: { hist: new Uint32Array(LATENCY_EXACT_MS), overflow: 0, overflowMaxMs: 0, count: 0, sumMs: 0, maxMs: 0 },
    events: [], eventsDropped: 0, attempts: [], failures: [], failuresTotal: 0, superseded: new Set(), paceRecords: 0, dropped: 0, ended: false,
  };
  const pending = new Map<string, PendingSend>();
  /** Packets whose last outcome a later line may still replace (transient replies). */
  const replaceable = new Map<string, Latest>();
  /** Packets listed in `failures`, by workflow id, so a later forward removes them. */
  const listed = new Map<string, PacketFinal>();
  const resumes = [...(options.resumes ?? [])].sort();
  let explicitAttempts = false;

  const event = (e: TimelineEvent) => {
    if (s.events.length < MAX_EVENTS) s.events.push(e);
    else s.eventsDropped += 1;
  };
  const startAttempt = (at: string, kind: 'start' | 'resume') => {
    s.attempts.push({ n: s.attempts.length + 1, startedAt: at, endedAt: null, exitCode: null, stop: null, replies: 0 });
    event({ at, kind, text: kind === 'start' ? 'run started' : `resumed (attempt ${s.attempts.length})` });
  };
  const currentAttempt = (at: string): Attempt => {
    if (!explicitAttempts) {
      while (resumes.length > 0 && resumes[0]! <= at) startAttempt(resumes.shift()!, 'resume');
    }
    if (s.attempts.length === 0) startAttempt(options.createdAt && options.createdAt <= at ? options.createdAt : at, 'start');
    return s.attempts[s.attempts.length - 1]!;
  };
  const tally = (wf: string, outcome: FinalOutcome, process: string, stage: string | null, sign: 1 | -1) => {
    s.totals[outcome] += sign;
    const p = (s.byProcess[process || '(none)'] ??= {});
    p[outcome] = (p[outcome] ?? 0) + sign;
    const g = (s.byStage[stage ?? NO_STAGE] ??= {});
    g[outcome] = (g[outcome] ?? 0) + sign;
    if (outcome !== 'forwarded' && outcome !== 'delivered_on_resume') {
      s.failuresTotal += sign;
      if (sign < 0) listed.delete(wf);
    }
  };
  const bin = (atMs: number): Bin => {
    const t = s.timeline;
    if (Number.isNaN(t.originMs)) t.originMs = Math.floor(atMs / 1000) * 1000;
    let i = Math.max(0, Math.floor((atMs - t.originMs) / t.binMs));
    while (i >= MAX_BINS) {
      // Double the interval: merge neighbouring intervals pairwise.
      const merged: Bin[] = [];
      for (let k = 0; k < t.bins.length; k += 2) merged.push(mergeBins(t.bins[k], t.bins[k + 1]));
      t.bins = merged;
      t.binMs *= 2;
      i = Math.floor((atMs - t.originMs) / t.binMs);
    }
    while (t.bins.length <= i) t.bins.push({ sends: {} });
    return t.bins[i]!;
  };

  for (const { line, record: r } of journalLines(path)) {
    if (!r) { s.tornLines += 1; continue; }
    s.records += 1;
    const at = str(r.at);
    if (at) {
      if (!s.firstAt || at < s.firstAt) s.firstAt = at;
      if (!s.lastAt || at > s.lastAt) s.lastAt = at;
    }
    switch (r.t) {
      case 'start': {
        explicitAttempts = true;
        startAttempt(at, s.attempts.length > 0 ? 'resume' : 'start');
        if (typeof r.host === 'string' && !s.hosts.includes(r.host) && s.hosts.length < 20) s.hosts.push(r.host);
        break;
      }
      case 'send': {
        currentAttempt(at);
        const stage = typeof r.stage === 'string' && r.stage ? r.stage : null;
        if (stage) s.stageRecorded += 1;
        pending.set(str(r.wf).toLowerCase(), { process: str(r.process), stage, at, rid: str(r.rid), wf: str(r.wf) });
        break;
      }
      case 'withdrawn': { // written ahead, never sent
        const wf = str(r.wf).toLowerCase();
        if (pending.get(wf)?.stage) s.stageRecorded -= 1;
        pending.delete(wf);
        break;
      }
      case 'result': {
        const attempt = currentAttempt(at);
        const wf = str(r.wf).toLowerCase();
        const outcome = str(r.outcome) as NotifyOutcome;
        if (!OUTCOMES.includes(outcome)) { s.unknownRecords += 1; break; }
        const send = pending.get(wf);
        pending.delete(wf);
        const previous = replaceable.get(wf);
        const process = send?.process ?? previous?.process ?? '';
        const stage = send?.stage ?? previous?.stage ?? null;
        if (previous) {
          tally(wf, previous.outcome, previous.process, previous.stage, -1);
          s.superseded.add(previous.line);
          replaceable.delete(wf);
        } else s.packets += 1;
        tally(wf, outcome, process, stage, 1);
        // A transient reply is replaced by the resend's; one in doubt by the next resume's decision (replay.ts).
        if (isUnanswered({ outcome, reply: str(r.reply) }) || outcome === 'in_doubt') replaceable.set(wf, { outcome, process, stage, line });
        s.replies += 1;
        attempt.replies += 1;
        const latency = num(r.latencyMs) ?? 0;
        const L = s.latency;
        L.count += 1;
        L.sumMs += latency;
        if (latency > L.maxMs) L.maxMs = latency;
        if (latency < LATENCY_EXACT_MS) L.hist[Math.max(0, Math.round(latency))]! += 1;
        else { L.overflow += 1; if (latency > L.overflowMaxMs) L.overflowMaxMs = latency; }
        const startedMs = Date.parse(str(r.startedAt) || at);
        if (!Number.isNaN(startedMs)) {
          const b = bin(startedMs);
          b.sends[outcome] = (b.sends[outcome] ?? 0) + 1;
        }
        if (outcome !== 'forwarded') {
          const row: PacketFinal = {
            rid: str(r.rid), wf: str(r.wf), process, stage, outcome, http: num(r.http), reply: str(r.reply),
            attempts: num(r.attempt) ?? 1, startedAt: str(r.startedAt) || at,
          };
          if (listed.has(wf)) listed.set(wf, row);
          else if (listed.size < listedLimit) listed.set(wf, row);
        }
        if (outcome === 'unauthorized' || outcome === 'forbidden') event({ at, kind: 'note', text: `${outcome} reply (HTTP ${num(r.http) ?? '-'})` });
        break;
      }
      case 'in_doubt': {
        currentAttempt(at);
        const wf = str(r.wf).toLowerCase();
        const send = pending.get(wf);
        pending.delete(wf);
        const decision = str(r.decision);
        if (decision === 'resend') break; // sent again later: its reply decides
        const outcome: FinalOutcome = decision === 'delivered' ? 'delivered_on_resume' : 'in_doubt';
        const previous = replaceable.get(wf);
        if (previous) { tally(wf, previous.outcome, previous.process, previous.stage, -1); s.superseded.add(previous.line); replaceable.delete(wf); }
        else s.packets += 1;
        const process = send?.process ?? previous?.process ?? '';
        const stage = send?.stage ?? previous?.stage ?? null;
        tally(wf, outcome, process, stage, 1);
        if (outcome === 'in_doubt') replaceable.set(wf, { outcome, process, stage, line });
        if (outcome !== 'delivered_on_resume' && listed.size < listedLimit) {
          listed.set(wf, { rid: str(r.rid), wf: str(r.wf), process, stage, outcome, http: null, reply: str(r.detail), attempts: 0, startedAt: send?.at ?? at });
        }
        break;
      }
      case 'end': {
        const attempt = currentAttempt(at);
        attempt.endedAt = at;
        attempt.exitCode = num(r.exitCode);
        attempt.stop = typeof r.stop === 'string' ? r.stop : null;
        s.ended = true;
        event({ at, kind: attempt.stop ? 'stop' : 'end', text: attempt.stop ? `stopped: ${attempt.stop}` : `ended, exit code ${attempt.exitCode ?? '?'}` });
        break;
      }
      case 'note': {
        const message = str(r.message);
        event({ at, kind: message.startsWith('canary') ? 'canary' : 'note', text: message });
        break;
      }
      case 'breaker': {
        event({ at, kind: 'breaker', text: `circuit breaker ${str(r.state) || 'event'}${r.detail ? `: ${str(r.detail)}` : ''}` });
        break;
      }
      case 'token': {
        event({ at, kind: 'token', text: `new token${r.reason ? ` (${str(r.reason)})` : ''}` });
        break;
      }
      case 'dropped': {
        s.dropped += 1;
        event({ at, kind: 'dropped', text: `dropped by the pipeline: ${str(r.rid)} ${str(r.wf)} (stalled ${num(r.stalledSeconds) ?? '?'} s)` });
        break;
      }
      case 'pace': {
        s.paceRecords += 1;
        const ms = Date.parse(at);
        if (Number.isNaN(ms)) break;
        const b = bin(ms);
        const inPipeline = num(r.inPipeline);
        const waiting = num(r.waitingMs);
        const maxWait = num(r.maxWaitMs);
        const rate = num(r.ratePerSec);
        if (inPipeline !== null) b.inPipeline = Math.max(b.inPipeline ?? 0, inPipeline);
        if (waiting !== null) b.waitingMs = Math.max(b.waitingMs ?? 0, waiting);
        if (maxWait !== null) b.maxWaitMs = maxWait;
        if (rate !== null) b.paceRate = rate;
        break;
      }
      default:
        s.unknownRecords += 1;
    }
  }
  // A send with neither a reply nor an in-doubt settlement: the run crashed and was not resumed.
  for (const [wf, send] of pending) {
    const previous = replaceable.get(wf);
    if (previous) continue; // its earlier reply stands
    s.packets += 1;
    tally(wf, 'sent_no_reply', send.process, send.stage, 1);
    if (listed.size < listedLimit) {
      listed.set(wf, { rid: send.rid, wf: send.wf, process: send.process, stage: send.stage, outcome: 'sent_no_reply', http: null, reply: 'sent, no reply journaled (crash); settled by --resume', attempts: 1, startedAt: send.at });
    }
  }
  // Resumes after the last journal line (a resume that sent nothing) are attempts too.
  if (!explicitAttempts) for (const at of resumes) startAttempt(at, 'resume');
  s.failures = [...listed.values()];
  return s;
}

function mergeBins(a: Bin | undefined, b: Bin | undefined): Bin {
  const out: Bin = { sends: { ...(a?.sends ?? {}) } };
  for (const [k, v] of Object.entries(b?.sends ?? {})) out.sends[k as NotifyOutcome] = (out.sends[k as NotifyOutcome] ?? 0) + v;
  const max = (x?: number, y?: number) => (x === undefined ? y : y === undefined ? x : Math.max(x, y));
  const inPipeline = max(a?.inPipeline, b?.inPipeline);
  const waitingMs = max(a?.waitingMs, b?.waitingMs);
  const maxWaitMs = b?.maxWaitMs ?? a?.maxWaitMs;
  const paceRate = b?.paceRate ?? a?.paceRate;
  if (inPipeline !== undefined) out.inPipeline = inPipeline;
  if (waitingMs !== undefined) out.waitingMs = waitingMs;
  if (maxWaitMs !== undefined) out.maxWaitMs = maxWaitMs;
  if (paceRate !== undefined) out.paceRate = paceRate;
  return out;
}

/** The latency at quantile q (0..1) from the histogram: the smallest latency with at least q of the replies at or below it. */
export function latencyQuantile(l: JournalStats['latency'], q: number): number | null {
  if (l.count === 0) return null;
  const rank = Math.max(1, Math.ceil(q * l.count));
  let seen = 0;
  for (let i = 0; i < l.hist.length; i++) {
    seen += l.hist[i]!;
    if (seen >= rank) return i;
  }
  return l.overflowMaxMs;
}
