// The live registration rows of given RIDs, for completing RID-only input lines. reg_id is not unique
// (one row per workflow instance) and not indexed in 1.2.0.1, so each batch is one scan of the table:
// batches are large to keep the number of scans small.
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import { quoteSchema } from '@mosip-reprocess/contract/sql/ident.js';

export interface RegistrationByRidRow {
  reg_id: string;
  process: string;
  workflow_instance_id: string;
  iteration: number | null;
  source: string | null;
}

export const RID_BATCH_SIZE = 10_000;

/** Active, not deleted rows whose reg_id is one of rids, in reg_id then creation order. */
export async function findRegistrationsByRid(
  db: Queryable, schema: string, rids: readonly string[], batchSize = RID_BATCH_SIZE,
): Promise<RegistrationByRidRow[]> {
  const sql = `SELECT reg_id, process, workflow_instance_id, iteration, source
       FROM ${quoteSchema(schema)}.registration
      WHERE reg_id = ANY($1::text[])
        AND is_active
        AND is_deleted IS NOT TRUE
      ORDER BY reg_id, cr_dtimes, workflow_instance_id`;
  const distinct = [...new Set(rids)];
  const found: RegistrationByRidRow[] = [];
  for (let i = 0; i < distinct.length; i += batchSize) {
    const { rows } = await db.query<RegistrationByRidRow>(sql, [distinct.slice(i, i + batchSize)]);
    found.push(...rows);
  }
  return found;
}
