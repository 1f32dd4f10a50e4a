// The documented rule for a packet whose send was journaled but whose reply never was (kill -9, power loss):
// - --resend-in-doubt: send it again.
// - with the database: if its row was written at or after the send (the stage handled it), it counts as
//   delivered and is not sent again; otherwise the request never took effect and it is sent again.
// - without the database (--file/--registration with full lines): it is not sent again, and is listed, so
//   that nothing reaches MOSIP twice without the operator's say-so.
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import type { SendRecord } from '../journal/records.js';
import { rowStates } from '../sql/rowState.js';
import { deliveryEvidence } from '../notifier/deliveryEvidence.js';

export interface InDoubtDecision {
  send: SendRecord;
  decision: 'delivered' | 'resend' | 'unresolved';
  detail: string;
}

export async function settleInDoubt(
  db: Queryable | null, schema: string, inFlight: readonly SendRecord[], resendAll: boolean,
): Promise<InDoubtDecision[]> {
  if (inFlight.length === 0) return [];
  if (resendAll) return inFlight.map((send) => ({ send, decision: 'resend', detail: '--resend-in-doubt' }));
  if (!db) {
    return inFlight.map((send) => ({
      send, decision: 'unresolved', detail: 'no database to check; not sent again (use --resend-in-doubt to send it)',
    }));
  }
  const states = await rowStates(db, schema, inFlight.map((s) => s.wf));
  return inFlight.map((send): InDoubtDecision => {
    const row = states.get(send.wf.toLowerCase());
    const evidence = deliveryEvidence(row, new Date(send.at));
    if (evidence) return { send, decision: 'delivered', detail: evidence.reply };
    return { send, decision: 'resend', detail: row ? 'row unchanged since the send' : 'no row with this workflow id' };
  });
}
