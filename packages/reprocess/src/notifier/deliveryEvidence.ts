// What the database says about a packet after a send whose reply never came: whether the send took effect
// (the securezone stage, or a later one, wrote its row at or after the send's start). The evidence behind the
// lost-reply rule (resilientNotifier.ts) and the in-doubt rule on resume (run/inDoubt.ts). The row is read with
// the statement `verify` and the canary use and judged by the same verdict (domain/rowVerdict.ts).
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import type { NotifyOutcome } from '@mosip-reprocess/contract/wire.js';
import { rowsNowForSentPackets, type PacketRowNow } from '../sql/selectRowsSinceSend.js';
import { CLOCK_SKEW_MS, handledSinceSend, rowVerdict } from '../domain/rowVerdict.js';
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
  db: Queryable, schema: string, sends: readonly { workflowInstanceId: string; startedAt: Date }[],
): Promise<Evidence[]> {
  const rows = await withReconnect(() => rowsNowForSentPackets(db, schema, sends.map((s) => ({
    workflowInstanceId: s.workflowInstanceId, startedAt: new Date(s.startedAt.getTime() - CLOCK_SKEW_MS),
  }))));
  return rows.map((row) => evidenceOf(row));
}

/** What the database says about one packet after an attempt that started at `attemptStartedAt`. Throws when it cannot say. */
export type DeliveryCheck = (packet: { workflowInstanceId: string }, attemptStartedAt: Date) => Promise<Evidence>;

export function dbDeliveryCheck(db: Queryable, schema: string): DeliveryCheck {
  return async (packet, attemptStartedAt) => (await evidenceForSends(db, schema, [{ workflowInstanceId: packet.workflowInstanceId, startedAt: attemptStartedAt }]))[0]!;
}
