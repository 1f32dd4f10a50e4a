// The row a stage consumer loads for its step (RegistrationStatusDao.find: active, not deleted), locked until the
// step's transaction ends, by workflow id (the primary key). Used by the pipeline model (src/sim/pipelineStep.ts).
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import { quoteSchema } from '@mosip-reprocess/contract/sql/ident.js';

export interface StepRow {
  workflow_instance_id: string;
  reg_id: string;
  latest_trn_id: string | null;
  latest_trn_type_code: string | null;
  latest_trn_status_code: string | null;
  trn_retry_count: number | null;
}

export const STEP_ROW_COLUMNS = 'workflow_instance_id, reg_id, latest_trn_id, latest_trn_type_code, latest_trn_status_code, trn_retry_count';

export function lockStepRowByWorkflowId(schema: string): (db: Queryable, workflowInstanceId: string) => Promise<StepRow | null> {
  const sql = `SELECT ${STEP_ROW_COLUMNS} FROM ${quoteSchema(schema)}.registration
    WHERE workflow_instance_id = $1 AND is_deleted = false AND is_active = true
    FOR UPDATE`;
  return async (db, workflowInstanceId) => (await db.query<StepRow>(sql, [workflowInstanceId])).rows[0] ?? null;
}
