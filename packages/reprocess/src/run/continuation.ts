// Never twice: what an attempt of a run may still send, given what its earlier attempts did. Every continuation
// (--resume <id>, --resume last, --run-name, a Kubernetes pod replaced) goes through these three steps, before
// anything is sent:
//   1. planContinuation: the packets with a definitive answer are done; a 5xx or a reply the database showed
//      unhandled is not (sent again); --limit counts what earlier attempts took. A resumed --pace auto run also
//      looks for packets the pipeline dropped after the earlier attempt ended.
//   2. settleUndecided: packets whose reply never came, or that were left in doubt, are decided by the lost-reply
//      rule (run/inDoubt.ts): delivered and still-in-doubt ones are done for this attempt.
//   3. redriveDropped: packets the pipeline dropped are sent again first, unless their row moved since.
import type pg from 'pg';
import type { Packet } from '../domain/packet.js';
import type { Journal } from '../journal/journal.js';
import type { DroppedRecord, SendRecord } from '../journal/records.js';
import { lastSends, type Replayed } from '../journal/replay.js';
import { settleAfterMsFor } from '../notifier/resilientNotifier.js';
import { findDropped, type SentPacket } from '../pacer/pipelineWatch.js';
import { withDb } from '../db/runDatabase.js';
import type { EventSink } from './events.js';
import { settleInDoubt } from './inDoubt.js';
import type { RunRequest } from './request.js';

export interface Continuation {
  /** Workflow ids (lower-cased) this attempt must not send; settleUndecided and redriveDropped add to it. */
  done: Set<string>;
  /** Packets earlier attempts got a definitive answer for (or a resume settled as delivered). */
  alreadyDone: number;
  /** Of those, the definitive replies since an attempt last reached --max-packets (that budget of an --all run counts them). */
  acknowledged: number;
  /** --limit is the whole run's size: what this attempt may still take (before the undecided are settled). */
  remaining: number;
  /** Drops found since the earlier attempt ended, journaled by this one. */
  lateDrops: DroppedRecord[];
}

/** A journaled send as the pipeline watcher knows a sent packet. */
export function sentPacketOf(send: SendRecord): SentPacket {
  return { workflowInstanceId: send.wf, rid: send.rid, sentAt: new Date(send.at), before: send.before };
}

export async function planContinuation(request: RunRequest, pool: pg.Pool | null): Promise<Continuation> {
  const { settings, flags } = request;
  const replayed = request.resume?.replayed ?? null;
  const done = new Set<string>();
  if (!replayed) return { done, alreadyDone: 0, acknowledged: 0, remaining: settings.limit, lateDrops: [] };
  const lateDrops = settings.pace === 'auto' && pool ? await findLateDrops(request, replayed, pool) : [];
  // A 5xx, a 401/403 before the stage ran, or a reply the database showed unhandled is no answer: sent again. In doubt: decided by settleUndecided.
  // Dropped by the pipeline: sent again, first (redriveDropped).
  for (const [wf, r] of replayed.results) {
    if (!r.unanswered && r.outcome !== 'in_doubt' && !replayed.dropped.has(wf)) done.add(wf);
  }
  // --max-packets counts what was answered since an attempt last reached it: that attempt spent its budget, and the
  // command it printed to continue the run must send more (a crash or a stop before the budget spends none of it).
  const acknowledged = Math.max(0, done.size - replayed.answeredAtBudget);
  for (const wf of replayed.settled) done.add(wf);
  return {
    done, acknowledged, alreadyDone: done.size, lateDrops,
    remaining: Math.max(0, settings.limit - (flags.all ? 0 : done.size)),
  };
}

/** Forwarded packets of the earlier attempts the pipeline has dropped since (their watcher could not see it). */
async function findLateDrops(request: RunRequest, replayed: Replayed, pool: pg.Pool): Promise<DroppedRecord[]> {
  const { settings } = request;
  // The resume of a --pace auto run replays with `detail` (request.ts): each result's rid, start and row before it.
  const forwarded = [...replayed.results].filter(([wf, r]) => r.outcome === 'forwarded' && !replayed.dropped.has(wf))
    .map(([, r]) => ({ workflowInstanceId: r.wf!, rid: r.rid!, sentAt: new Date(r.startedAt!), before: r.before }));
  const drops = await withDb(settings, () => findDropped(pool, settings.dbSchema, forwarded, settings.messageMaxAge * 1000));
  if (drops.length === 0) return [];
  const sends = lastSends(request.resume!.run.journalPath, new Set(drops.map((d) => d.workflowInstanceId.toLowerCase())));
  const records: DroppedRecord[] = [];
  for (const d of drops) {
    const send = sends.get(d.workflowInstanceId.toLowerCase());
    if (!send) continue;
    const record: DroppedRecord = {
      t: 'dropped', at: new Date().toISOString(), wf: d.workflowInstanceId, rid: d.rid, sentAt: d.sentAt.toISOString(),
      lastMoved: d.lastMoved?.toISOString() ?? null, stalledSeconds: Math.round(d.stalledMs / 1000),
    };
    records.push(record);
    replayed.dropped.set(d.workflowInstanceId.toLowerCase(), { send, record });
  }
  return records;
}

/**
 * Decides the packets whose reply never came or was left in doubt (run/inDoubt.ts) and journals each decision;
 * those not sent again are done for this attempt. Returns how many.
 */
export async function settleUndecided(
  request: RunRequest, pool: pg.Pool | null, continuation: Continuation, journal: Journal, emit: EventSink, signal: AbortSignal,
): Promise<number> {
  const { settings, flags } = request;
  const replayed = request.resume?.replayed;
  const undecided = replayed ? [...replayed.inFlight.values(), ...replayed.inDoubt.values()] : [];
  if (undecided.length === 0) return 0;
  const decisions = await withDb(settings, () => settleInDoubt(pool, settings.dbSchema, undecided, Boolean(flags.resendInDoubt), {
    settleAfterMs: settleAfterMsFor(settings.timeout), signal,
    onWait: (message) => emit({ type: 'note', message }),
  }));
  let notSent = 0;
  for (const d of decisions) {
    journal.append({ t: 'in_doubt', at: new Date().toISOString(), wf: d.send.wf, rid: d.send.rid, decision: d.decision, detail: d.detail });
    if (d.decision !== 'resend') {
      continuation.done.add(d.send.wf.toLowerCase());
      notSent += 1;
    }
    emit({ type: 'note', message: `in doubt: ${d.send.rid} ${d.send.wf} (sent ${d.send.at}; its reply was lost or never journaled): ${d.decision === 'resend' ? 'will be sent again' : d.decision === 'delivered' ? 'delivered, not sent again' : 'still in doubt: NOT sent again, asked about again by the next resume'}; ${d.detail}` });
  }
  return notSent;
}

/** Packets the pipeline dropped in an earlier attempt, to send again first; a row written since is left alone (done). */
export async function redriveDropped(request: RunRequest, pool: pg.Pool | null, continuation: Continuation, emit: EventSink): Promise<Packet[]> {
  const { settings } = request;
  const replayed = request.resume?.replayed;
  if (!replayed || replayed.dropped.size === 0) return [];
  const entries = [...replayed.dropped.values()];
  // Still as the notification left it (the rule of the run itself): a row written since was taken after all.
  const stillDropped = pool
    ? new Map((await withDb(settings, () => findDropped(pool, settings.dbSchema, entries.map(({ send }) => sentPacketOf(send)), settings.messageMaxAge * 1000)))
      .map((d) => [d.workflowInstanceId.toLowerCase(), d]))
    : null;
  const redrive: Packet[] = [];
  for (const { send, record } of entries) {
    const wf = send.wf.toLowerCase();
    if (stillDropped && !stillDropped.has(wf)) {
      continuation.done.add(wf);
      emit({ type: 'note', message: `dropped earlier: ${send.rid} ${send.wf} has moved since; not sent again` });
      continue;
    }
    // The row as it is now is what the re-drive's send must change (its first send already changed the old one).
    const rowNow = stillDropped?.get(wf)?.rowNow;
    redrive.push({
      rid: send.rid, process: send.process, workflowInstanceId: send.wf, iteration: send.iteration, source: send.source,
      origin: `${send.origin} (dropped by the pipeline at ${record.at}; re-driven)`, ...(rowNow ? { before: rowNow } : {}),
    });
  }
  if (redrive.length > 0) emit({ type: 'note', message: `resume: ${redrive.length} packet(s) the pipeline dropped are sent again first` });
  return redrive;
}
