// The second pass over a journal: one record per packet with its whole-run outcome (the reply that stands after
// every resume, or the in-doubt settlement), in journal order, streamed. The first pass (journalStats.ts) found
// the replies a later one replaced; this pass skips them, so nothing per packet is held here either.
import { OUTCOMES, type NotifyOutcome } from '@mosip-reprocess/contract/wire.js';
import { isUnanswered } from '../../domain/outcomes.js';
import { journalLines } from '../../journal/lines.js';
import type { PacketFinal } from './journalStats.js';
import type { RowBefore } from '../../domain/rowVerdict.js';

export type { PacketFinal } from './journalStats.js';

interface Send { rid: string; wf: string; process: string; stage: string | null; at: string; before: RowBefore | null }

export async function* packetFinals(journalPath: string, superseded: ReadonlySet<number>): AsyncGenerator<PacketFinal> {
  const pending = new Map<string, Send>();
  /** Packets yielded with a transient reply: a send left pending at the end after it does not replace it. */
  const transientYielded = new Set<string>();
  /** Sends whose reply was replaced by a later one, kept until that reply (only packets sent again: few). */
  const stash = new Map<string, Send>();
  const str = (v: unknown): string => (typeof v === 'string' ? v : '');
  for (const { line, record: r } of journalLines(journalPath)) {
    if (!r) continue;
    if (r.t === 'send') {
      pending.set(str(r.wf).toLowerCase(), {
        rid: str(r.rid), wf: str(r.wf), process: str(r.process), stage: typeof r.stage === 'string' && r.stage ? r.stage : null, at: str(r.at),
        before: beforeOf(r.before),
      });
    } else if (r.t === 'withdrawn') {
      pending.delete(str(r.wf).toLowerCase()); // written ahead, never sent
    } else if (r.t === 'result') {
      const wf = str(r.wf).toLowerCase();
      const send = pending.get(wf);
      pending.delete(wf);
      const outcome = str(r.outcome) as NotifyOutcome;
      if (!OUTCOMES.includes(outcome)) continue;
      // A replaced reply keeps its send's process for the one that replaces it.
      if (superseded.has(line)) {
        if (send) stash.set(wf, send);
        continue;
      }
      const from = send ?? stash.get(wf);
      stash.delete(wf);
      if (isUnanswered({ outcome, reply: str(r.reply) })) transientYielded.add(wf);
      yield {
        rid: str(r.rid), wf: str(r.wf), process: from?.process ?? '', stage: from?.stage ?? null, outcome,
        http: typeof r.http === 'number' ? r.http : null, reply: str(r.reply),
        attempts: typeof r.attempt === 'number' ? r.attempt : 1, startedAt: str(r.startedAt) || str(r.at), before: from?.before ?? null,
      };
    } else if (r.t === 'in_doubt') {
      const wf = str(r.wf).toLowerCase();
      const send = pending.get(wf);
      pending.delete(wf);
      const decision = str(r.decision);
      // Sent again, or decided again by a later resume (a packet still in doubt): a later line stands for it.
      if (decision === 'resend' || superseded.has(line)) {
        if (send) stash.set(wf, send);
        continue;
      }
      const from = send ?? stash.get(wf);
      stash.delete(wf);
      yield {
        rid: str(r.rid), wf: str(r.wf), process: from?.process ?? '', stage: from?.stage ?? null,
        outcome: decision === 'delivered' ? 'delivered_on_resume' : 'in_doubt', http: null, reply: str(r.detail),
        attempts: 1, startedAt: from?.at ?? str(r.at), before: from?.before ?? null,
      };
    }
  }
  for (const [wf, send] of pending) {
    if (transientYielded.has(wf)) continue;
    yield { rid: send.rid, wf: send.wf, process: send.process, stage: send.stage, outcome: 'sent_no_reply', http: null, reply: '', attempts: 1, startedAt: send.at, before: send.before };
  }
}

/** A send record's `before`, read defensively (journals are read as plain JSON). */
function beforeOf(v: unknown): RowBefore | null {
  if (!v || typeof v !== 'object') return null;
  const b = v as Record<string, unknown>;
  const text = (x: unknown) => (typeof x === 'string' ? x : null);
  return { trnId: text(b.trnId), dtimes: text(b.dtimes) };
}
