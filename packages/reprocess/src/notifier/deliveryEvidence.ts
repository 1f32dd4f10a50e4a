// Whether the database shows that the securezone stage handled a packet after a given moment: the evidence
// used when a reply was lost (a retry would make MOSIP process the packet twice) and when a resumed run finds
// a send with no journaled reply.
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import type { NotifyOutcome } from '@mosip-reprocess/contract/wire.js';
import { rowStates, type RowState } from '../sql/rowState.js';
import type { DeliveryCheck } from './resilientNotifier.js';

/** Our clock and the database's may differ a little (both NTP-synced in a MOSIP cluster). */
export const CLOCK_SKEW_MS = 1000;

export interface Evidence {
  outcome: Extract<NotifyOutcome, 'forwarded' | 'not_uploaded'>;
  reply: string;
}

/** The row was written at or after `since` (less the skew): the stage (or a later one) handled the packet. */
export function deliveryEvidence(row: RowState | undefined, since: Date): Evidence | null {
  if (!row?.latest_trn_dtimes || row.latest_trn_dtimes.getTime() < since.getTime() - CLOCK_SKEW_MS) return null;
  const what = `${row.latest_trn_type_code} ${row.latest_trn_status_code} at ${row.latest_trn_dtimes.toISOString()}`;
  if (row.latest_trn_type_code === 'SECUREZONE_NOTIFICATION' && row.latest_trn_status_code === 'REJECTED') {
    return { outcome: 'not_uploaded', reply: `database shows the stage rejected it (${what})` };
  }
  return { outcome: 'forwarded', reply: `database shows the row written after the send (${what})` };
}

export function dbDeliveryCheck(db: Queryable, schema: string): DeliveryCheck {
  return async (packet, attemptStartedAt) => {
    const rows = await rowStates(db, schema, [packet.workflowInstanceId]);
    return deliveryEvidence(rows.get(packet.workflowInstanceId.toLowerCase()), attemptStartedAt);
  };
}
