// `explain <rid>`: the RID's history (registration_transaction, over MOSIP's index on reg_id) in time order: the
// newest `limit` rows, and how many there are in all.
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import { quoteSchema } from '@mosip-reprocess/contract/sql/ident.js';
import { isoUtcText } from '@mosip-reprocess/contract/sql/utcText.js';

export interface HistoryRow {
  id: string;
  trn_type_code: string;
  status_code: string;
  sub_status_code: string;
  status_comment: string | null;
  /** ISO UTC text. */
  cr_dtimes: string;
  parent_regtrn_id: string | null;
}

export async function ridHistory(db: Queryable, schema: string, rid: string, limit: number): Promise<{ rows: HistoryRow[]; total: number }> {
  const { rows } = await db.query<HistoryRow & { total: number }>(
    `SELECT id, trn_type_code, status_code, sub_status_code, status_comment, ${isoUtcText('cr_dtimes')} AS cr_dtimes,
            parent_regtrn_id, (count(*) OVER ())::int AS total
       FROM ${quoteSchema(schema)}.registration_transaction
      WHERE reg_id = $1
      ORDER BY cr_dtimes DESC, id DESC
      LIMIT $2`,
    [rid, limit],
  );
  const total = rows[0]?.total ?? 0;
  return { rows: rows.reverse().map(({ total: _total, ...row }) => row), total };
}
