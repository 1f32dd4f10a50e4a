// The registration_transaction rows of a RID written since a notification: how a cohort's canary sees whether it got
// past the stage where its cohort fails (run/cohortCanary.ts; the table has no workflow id, so it is found by RID).
// "Since" is read on MOSIP's own clock: the rows after the one the registration row pointed at before the send
// (latest_trn_id, stamped latest_trn_dtimes by the same pod clocks), not after this host's time of the send.
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import { quoteSchema } from '@mosip-reprocess/contract/sql/ident.js';
import { utcTimestampText } from '@mosip-reprocess/contract/sql/utcText.js';

export interface TransactionRow {
  trn_type_code: string;
  status_code: string;
  sub_status_code: string;
  cr_dtimes: Date;
}

/** Where the history stood before the send: the row's latest transaction (id and time), or a time on this host's clock. */
export type HistoryMark = { trnId: string | null; dtimes: string } | { at: Date };

/**
 * registration_transaction rows of a RID written after the mark, oldest first: stamped at or after the latest
 * transaction's time and not that transaction itself (or, without one, at or after a time given in UTC).
 */
export async function selectTransactionsSince(db: Queryable, schema: string, regId: string, mark: HistoryMark): Promise<TransactionRow[]> {
  const since = 'at' in mark ? utcTimestampText(mark.at) : mark.dtimes;
  const except = 'at' in mark ? null : mark.trnId;
  const { rows } = await db.query<TransactionRow>(
    `SELECT trn_type_code, status_code, sub_status_code, cr_dtimes
       FROM ${quoteSchema(schema)}.registration_transaction
      WHERE reg_id = $1 AND cr_dtimes >= $2::timestamp AND id IS DISTINCT FROM $3
      ORDER BY cr_dtimes, id`,
    [regId, since, except],
  );
  return rows;
}
