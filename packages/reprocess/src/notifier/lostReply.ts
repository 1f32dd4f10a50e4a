// The lost-reply rule, in one place: for sends whose reply never came (a timeout or a reset during the run, a
// gateway answering for the stage, or a process that died with requests in flight), decide from the database
// whether each took effect, and send again only what certainly did not.
//   1. Ask at once: a row written since the send (domain/rowVerdict.ts: its latest_trn_id or latest_trn_dtimes
//      differ from the row as read before the send; no clock) shows the stage handled it: delivered, never sent
//      again.
//   2. Otherwise wait until no request of these sends can still commit at the server (`settleAt`: 2 x --timeout
//      after the attempt started for a lost reply during the run; 2 x --timeout after the resume started for a
//      send the resume finds in flight, since every request of the dead run started before that), then ask again:
//      still not written means sent again; written means delivered.
//   3. When the database cannot say (the query fails after reconnecting), or the run is stopped before the wait is
//      over, the send stays in doubt: not sent again now, and a later resume asks again (journal/replay.ts). Only
//      the operator's --resend-in-doubt sends it regardless.
// The resilient notifier (resilientNotifier.ts) applies it to one packet during a run, the in-doubt step of a
// resume (run/inDoubt.ts) to every packet left in flight or in doubt.
import type { Clock } from '../clock.js';
import type { Evidence } from './deliveryEvidence.js';

export type LostReplyDecision =
  | { kind: 'delivered'; evidence: Extract<Evidence, { handled: true }> }
  | { kind: 'resend'; detail: string }
  | { kind: 'in_doubt'; detail: string };

export interface LostReplyOptions {
  /** When (clock ms) no request of these sends can still commit at the server. */
  settleAt: number;
  /** Wait at least this long before asking again (a retry's backoff). */
  minWaitMs?: number;
  clock: Clock;
  signal?: AbortSignal | undefined;
  /** Told before a wait, so the operator knows why the run pauses. */
  onWait?: (message: string, open: number) => void;
}

/** Decides each send by the rule above; `ask` reads the evidence of a batch (sql/selectRowsSinceSend.ts) and may throw. */
export async function settleLostReplies<T>(
  sends: readonly T[], ask: (sends: readonly T[]) => Promise<Evidence[]>, options: LostReplyOptions,
): Promise<LostReplyDecision[]> {
  const read = async (batch: readonly T[]): Promise<Evidence[] | Error> => {
    try {
      return await ask(batch);
    } catch (err) {
      return err instanceof Error ? err : new Error(String(err));
    }
  };
  const decisions = new Map<T, LostReplyDecision>();
  const first = await read(sends);
  let open: T[] = [...sends];
  if (!(first instanceof Error)) {
    open = [];
    sends.forEach((send, i) => {
      const e = first[i]!;
      if (e.handled) decisions.set(send, { kind: 'delivered', evidence: e });
      else open.push(send);
    });
  }
  if (open.length > 0) {
    const { clock } = options;
    const waitMs = Math.max(options.settleAt - clock.now(), options.minWaitMs ?? 0);
    let stopped = false;
    if (waitMs > 0) {
      options.onWait?.(`waiting ${Math.ceil(waitMs / 1000)} s so that no request still running at the server can commit before deciding`, open.length);
      try {
        await clock.sleep(waitMs, options.signal);
      } catch {
        stopped = true;
      }
    }
    const second = stopped ? null : await read(open);
    open.forEach((send, i) => {
      if (second === null) {
        decisions.set(send, {
          kind: 'in_doubt',
          detail: 'the run was stopped before a request still running at the server could no longer commit'
            + (first instanceof Error ? `; the database could not be read: ${first.message}` : '; the database did not show it handled yet'),
        });
      } else if (second instanceof Error) {
        decisions.set(send, { kind: 'in_doubt', detail: `the database could not be read to show whether the stage handled it: ${second.message}` });
      } else {
        const e = second[i]!;
        decisions.set(send, e.handled ? { kind: 'delivered', evidence: e } : { kind: 'resend', detail: e.detail });
      }
    });
  }
  return sends.map((send) => decisions.get(send)!);
}
