// What a resume does with the packets an earlier attempt left undecided: sends whose reply was never journaled
// (kill -9, power loss, a second Ctrl-C) and packets left in doubt (a lost reply the database could not settle,
// or a settlement cut short by a stop). They are decided by the lost-reply rule (notifier/lostReply.ts), the
// wait ending 2 x --timeout after this resume started (every request of the dead run started before it):
// - --resend-in-doubt: sent again (the operator's say-so);
// - the row was written since the send: delivered, not sent again;
// - still not written after the wait: sent again;
// - the database cannot say (none configured: --file/--registration with full lines; or the query fails), or the
//   resume is stopped during the wait: still in doubt. Not sent, and asked about again by the next resume
//   (journal/replay.ts keeps them in doubt until the database answers), so nothing reaches MOSIP twice without
//   the operator's say-so.
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import type { SendRecord } from '../journal/records.js';
import { evidenceForSends } from '../notifier/deliveryEvidence.js';
import { settleLostReplies } from '../notifier/lostReply.js';
import { wallClock, type Clock } from '../clock.js';

export interface InDoubtDecision {
  send: SendRecord;
  /** unresolved: still in doubt (not sent; the next resume asks again). */
  decision: 'delivered' | 'resend' | 'unresolved';
  detail: string;
}

export interface InDoubtOptions {
  /** How long after a request's start it could still commit at the server (settleAfterMsFor(--timeout)). */
  settleAfterMs: number;
  clock?: Clock;
  signal?: AbortSignal | undefined;
  /** Told before the wait, so the operator knows why the resume pauses. */
  onWait?: (message: string) => void;
}

const RESEND_HINT = 'not sent again (use --resend-in-doubt to send it)';

export async function settleInDoubt(
  db: Queryable | null, schema: string, undecided: readonly SendRecord[], resendAll: boolean, options: InDoubtOptions,
): Promise<InDoubtDecision[]> {
  if (undecided.length === 0) return [];
  if (resendAll) return undecided.map((send) => ({ send, decision: 'resend', detail: '--resend-in-doubt' }));
  if (!db) return undecided.map((send) => ({ send, decision: 'unresolved', detail: `no database to check; ${RESEND_HINT}` }));
  const clock = options.clock ?? wallClock;
  const decisions = await settleLostReplies(undecided, (sends) => evidenceForSends(db, schema, sends.map((s) => ({
    workflowInstanceId: s.wf, startedAt: new Date(s.at), before: s.before,
  })), options.signal), {
    settleAt: clock.now() + options.settleAfterMs, clock, signal: options.signal,
    onWait: (message, open) => options.onWait?.(`in doubt: ${message} on ${open} packet(s) of the stopped run`),
  });
  return undecided.map((send, i) => {
    const d = decisions[i]!;
    if (d.kind === 'delivered') return { send, decision: 'delivered', detail: d.evidence.reply };
    if (d.kind === 'resend') return { send, decision: 'resend', detail: `${d.detail}, ${Math.round(options.settleAfterMs / 1000)} s after the resume started` };
    return { send, decision: 'unresolved', detail: `${d.detail}; ${RESEND_HINT}` };
  });
}
