// The registration_list (sync) row of a workflow instance, which the securezone duplicate check starts from
// (docs/mosip-facts.md, "Duplicate check").
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import { quoteSchema } from '@mosip-reprocess/contract/sql/ident.js';

export interface StageSyncRow {
  workflowInstanceId: string;
  regId: string;
  process: string | null;
  additionalInfoReqId: string | null;
}

export async function findSyncRowByWorkflowId(db: Queryable, schema: string, workflowInstanceId: string): Promise<StageSyncRow | null> {
  const { rows } = await db.query<{
    workflow_instance_id: string; reg_id: string; process: string | null; additional_info_req_id: string | null;
  }>(
    `SELECT workflow_instance_id, reg_id, process, additional_info_req_id FROM ${quoteSchema(schema)}.registration_list
      WHERE workflow_instance_id = $1 AND is_deleted = false LIMIT 1`,
    [workflowInstanceId],
  );
  const row = rows[0];
  return row
    ? { workflowInstanceId: row.workflow_instance_id, regId: row.reg_id, process: row.process, additionalInfoReqId: row.additional_info_req_id }
    : null;
}
