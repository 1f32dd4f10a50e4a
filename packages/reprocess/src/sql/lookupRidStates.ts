import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import { quoteSchema } from '@mosip-reprocess/contract/sql/ident.js';

export interface RidState {
  reg_id: string;
  /** Active, not deleted rows of the RID. */
  active_rows: number;
  /** status_code of those rows, comma-separated. */
  statuses: string;
  pause_rule_ids: string | null;
}

/** The active rows of these RIDs, as the workflow action API sees them (exact reg_id match). Absent: no active row. */
export async function lookupRidStates(db: Queryable, schema: string, rids: readonly string[]): Promise<RidState[]> {
  if (rids.length === 0) return [];
  const { rows } = await db.query<RidState>(
    `SELECT reg_id, count(*)::int AS active_rows, string_agg(status_code, ',' ORDER BY cr_dtimes) AS statuses,
            max(pause_rule_ids) AS pause_rule_ids
       FROM ${quoteSchema(schema)}.registration
      WHERE reg_id = ANY($1::varchar[]) AND is_active = true AND is_deleted = false
      GROUP BY reg_id`,
    [[...rids]],
  );
  return rows;
}
