import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import { quoteSchema } from '@mosip-reprocess/contract/sql/ident.js';
import { ACTIVE_SQL } from './rowFacts.js';

export interface RidState {
  reg_id: string;
  /** Active, not deleted rows of the RID. */
  active_rows: number;
  /** status_code of each of those rows, oldest first (cr_dtimes: the order MOSIP's workflow action reads them). */
  statuses: string[];
  /** pause_rule_ids of each of those rows, in the same order. */
  pause_rule_ids: (string | null)[];
}

/** The active rows of these RIDs, as the workflow action API sees them (exact reg_id match). Absent: no active row. */
export async function lookupRidStates(db: Queryable, schema: string, rids: readonly string[]): Promise<RidState[]> {
  if (rids.length === 0) return [];
  const { rows } = await db.query<RidState>(
    `SELECT r.reg_id, count(*)::int AS active_rows,
            array_agg(r.status_code ORDER BY r.cr_dtimes) AS statuses,
            array_agg(r.pause_rule_ids ORDER BY r.cr_dtimes) AS pause_rule_ids
       FROM ${quoteSchema(schema)}.registration r
      WHERE r.reg_id = ANY($1::varchar[]) AND ${ACTIVE_SQL}
      GROUP BY r.reg_id`,
    [[...rids]],
  );
  return rows;
}
