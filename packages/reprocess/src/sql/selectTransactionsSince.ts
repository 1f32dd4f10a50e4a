// The registration_transaction rows of a RID written since a moment: how a cohort's canary sees whether it got past the
// stage where its cohort fails (run/cohortCanary.ts; the table has no workflow id, so it is found by RID and time).
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import { quoteSchema } from '@mosip-reprocess/contract/sql/ident.js';
import { utcTimestampText } from '@mosip-reprocess/contract/sql/utcText.js';

export interface TransactionRow {
  trn_type_code: string;
  status_code: string;
  sub_status_code: string;
  cr_dtimes: Date;
}

/** registration_transaction rows of a RID written at or after `since` (UTC, as MOSIP stores it), oldest first. */
export async function selectTransactionsSince(db: Queryable, schema: string, regId: string, since: Date): Promise<TransactionRow[]> {
  const { rows } = await db.query<TransactionRow>(
    `SELECT trn_type_code, status_code, sub_status_code, cr_dtimes
       FROM ${quoteSchema(schema)}.registration_transaction
      WHERE reg_id = $1 AND cr_dtimes >= $2::timestamp
      ORDER BY cr_dtimes, id`,
    [regId, utcTimestampText(since)],
  );
  return rows;
}
