// What the database says about a packet after a send whose reply never came: whether the send took effect
// (the securezone stage, or a later one, wrote its row since the send). The evidence behind the lost-reply rule
// (lostReply.ts). The row is read with the statement `verify` and the canary use and judged by the same verdict
// (domain/rowVerdict.ts): against the row as read before the send, with no clock involved.
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import type { NotifyOutcome } from '@mosip-reprocess/contract/wire.js';
import { rowsNowForSentPackets, type PacketRowNow } from '../sql/selectRowsSinceSend.js';
import { handledSinceSend, rowVerdict, type RowBefore } from '../domain/rowVerdict.js';
import { withReconnect } from '../db/reconnect.js';

/** The database's answer for one packet. */
export type Evidence =
  | { handled: true; outcome: Extract<NotifyOutcome, 'forwarded' | 'not_uploaded'>; reply: string }
  | { handled: false; detail: string };

/** The evidence in a row read relative to the send (null: no row has the workflow id). */
export function evidenceOf(row: PacketRowNow | null): Evidence {
  const verdict = rowVerdict(row);
  if (!handledSinceSend(row)) {
    return { handled: false, detail: row === null ? 'no row with this workflow id' : verdict === 'missing' ? 'the row is inactive or deleted' : 'row unchanged since the send' };
  }
  const what = `${row!.latestTrnTypeCode} ${row!.latestTrnStatusCode} at ${row!.latestTrnDtimes}; ${verdict}`;
  if (verdict === 'rejected_duplicate') return { handled: true, outcome: 'not_uploaded', reply: `database shows the stage rejected it (${what})` };
  return { handled: true, outcome: 'forwarded', reply: `database shows the row written after the send (${what})` };
}

/**
 * Asks the database about sends (workflow id, start). A lost connection is re-established (db/reconnect.ts, as
 * for every read of a run); throws when the database still cannot be read.
 */
export async function evidenceForSends(
  db: Queryable, schema: string, sends: readonly SentForEvidence[], signal?: AbortSignal,
): Promise<Evidence[]> {
  const rows = await withReconnect(() => rowsNowForSentPackets(db, schema, sends), signal ? { signal } : {});
  return rows.map((row) => evidenceOf(row));
}

/** A send as the evidence needs it: the row as read before it, and its start (only for sends without that row). */
export interface SentForEvidence {
  workflowInstanceId: string;
  startedAt: Date;
  before?: RowBefore | null | undefined;
}

/** What the database says about sends. Throws when it cannot say. */
export type DeliveryCheck = (sends: readonly SentForEvidence[]) => Promise<Evidence[]>;

export function dbDeliveryCheck(db: Queryable, schema: string, signal?: AbortSignal): DeliveryCheck {
  return (sends) => evidenceForSends(db, schema, sends, signal);
}
