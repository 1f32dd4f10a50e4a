// checkDuplicates for a main-process packet (sync row without additional_info_req_id): another synced packet of the
// same reg_id, also without one, whose active registration row was created earlier (docs/mosip-facts.md, "Duplicate
// check").
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import { quoteSchema } from '@mosip-reprocess/contract/sql/ident.js';

export async function hasEarlierPacketForRegId(db: Queryable, schema: string, regId: string, workflowInstanceId: string): Promise<boolean> {
  const s = quoteSchema(schema);
  const { rows } = await db.query<{ duplicate: boolean }>(
    `SELECT EXISTS (
        SELECT 1
        FROM ${s}.registration_list l
        JOIN ${s}.registration other ON other.workflow_instance_id = l.workflow_instance_id
        JOIN ${s}.registration cur ON cur.workflow_instance_id = $2
        WHERE l.reg_id = $1 AND l.additional_info_req_id IS NULL AND l.is_deleted = false
          AND other.workflow_instance_id <> $2
          AND other.is_deleted = false AND other.is_active = true
          AND cur.is_deleted = false AND cur.is_active = true
          AND other.cr_dtimes < cur.cr_dtimes
      ) AS duplicate`,
    [regId, workflowInstanceId],
  );
  return rows[0]?.duplicate === true;
}
