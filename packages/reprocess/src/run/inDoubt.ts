// The documented rule for a packet whose send was journaled but whose reply never was (kill -9, power loss).
// It is the lost-reply rule of notifier/resilientNotifier.ts, applied on resume:
// - --resend-in-doubt: send it again (the operator's say-so).
// - the database shows its row written at or after the send (domain/rowVerdict.ts, handledSinceSend): the stage
//   handled it; it counts as delivered and is not sent again.
// - otherwise it is sent again only once a request of the dead run still running at the server could no longer
//   commit: the database is asked again `settleAfterMs` after this resume started (every request of the dead
//   run started before it died, so before now), and only a row still not written means "sent again".
// - the database cannot say (no database configured: --file/--registration with full lines; or the query fails):
//   it is not sent again, and is listed as unresolved, so that nothing reaches MOSIP twice without the
//   operator's say-so.
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import type { SendRecord } from '../journal/records.js';
import { evidenceForSends, type Evidence } from '../notifier/deliveryEvidence.js';
import { wallClock } from '../clock.js';
import type { NotifierClock } from '../notifier/resilientNotifier.js';

export interface InDoubtDecision {
  send: SendRecord;
  decision: 'delivered' | 'resend' | 'unresolved';
  detail: string;
}

export interface InDoubtOptions {
  /** How long after a request's start it could still commit at the server (settleAfterMsFor(--timeout)). */
  settleAfterMs: number;
  clock?: NotifierClock;
  signal?: AbortSignal | undefined;
  /** Told before the wait, so the operator knows why the resume pauses. */
  onWait?: (message: string) => void;
}

const RESEND_HINT = 'not sent again (use --resend-in-doubt to send it)';

export async function settleInDoubt(
  db: Queryable | null, schema: string, inFlight: readonly SendRecord[], resendAll: boolean, options: InDoubtOptions,
): Promise<InDoubtDecision[]> {
  if (inFlight.length === 0) return [];
  if (resendAll) return inFlight.map((send) => ({ send, decision: 'resend', detail: '--resend-in-doubt' }));
  if (!db) return inFlight.map((send) => ({ send, decision: 'unresolved', detail: `no database to check; ${RESEND_HINT}` }));
  const clock = options.clock ?? wallClock;
  const waitUntil = clock.now() + options.settleAfterMs;
  const ask = async (sends: readonly SendRecord[]): Promise<Evidence[] | Error> => {
    try {
      return await evidenceForSends(db, schema, sends.map((s) => ({ workflowInstanceId: s.wf, startedAt: new Date(s.at) })));
    } catch (err) {
      return err instanceof Error ? err : new Error(String(err));
    }
  };
  const decisions = new Map<SendRecord, InDoubtDecision>();
  const first = await ask(inFlight);
  let open: SendRecord[] = [...inFlight];
  if (!(first instanceof Error)) {
    open = [];
    inFlight.forEach((send, i) => {
      const e = first[i]!;
      if (e.handled) decisions.set(send, { send, decision: 'delivered', detail: e.reply });
      else open.push(send);
    });
  }
  if (open.length > 0) {
    const waitMs = waitUntil - clock.now();
    let stopped = false;
    if (waitMs > 0) {
      options.onWait?.(`in doubt: waiting ${Math.ceil(waitMs / 1000)} s so that no request of the stopped run can still commit at the server before deciding on ${open.length} packet(s)`);
      try {
        await clock.sleep(waitMs, options.signal);
      } catch {
        stopped = true;
      }
    }
    const second = stopped ? new Error('stopped by the operator before the wait was over') : await ask(open);
    open.forEach((send, i) => {
      if (second instanceof Error) {
        decisions.set(send, { send, decision: 'unresolved', detail: `the database could not say whether the stage handled it (${second.message}); ${RESEND_HINT}` });
        return;
      }
      const e = second[i]!;
      decisions.set(send, e.handled
        ? { send, decision: 'delivered', detail: e.reply }
        : { send, decision: 'resend', detail: `${e.detail}, ${Math.round(options.settleAfterMs / 1000)} s after the resume started` });
    });
  }
  return inFlight.map((send) => decisions.get(send)!);
}
