// The row a stage consumer loads for its step (RegistrationStatusDao.find: active, not deleted), locked until the
// step's transaction ends, by workflow id (the primary key). Used by the pipeline model (src/sim/pipelineStep.ts).
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import { quoteSchema } from '@mosip-reprocess/contract/sql/ident.js';
import { KER_PUT_020, PACKET_MANAGER_EXCEPTION } from '@mosip-reprocess/contract/history.js';

export interface StepRow {
  workflow_instance_id: string;
  reg_id: string;
  latest_trn_id: string | null;
  latest_trn_type_code: string | null;
  latest_trn_status_code: string | null;
  trn_retry_count: number | null;
  /**
   * The packet manager refused this RID's packet at validation before (PACKET_MANAGER_EXCEPTION with KER-PUT-020 in
   * its comment, in the history): its data
   * has not changed, so packet validation refuses it again (the pipeline model's data error).
   */
  data_error: boolean;
}

/**
 * The select list, over registration (unaliased). The data-error test reads the RID's history by its index, only
 * when $2 is true (the packet validator's step; every other step skips it), with the sub status and comment
 * pattern bound as $3 and $4 (dataErrorParams).
 */
export function stepRowColumns(schema: string): string {
  return `workflow_instance_id, reg_id, latest_trn_id, latest_trn_type_code, latest_trn_status_code, trn_retry_count,
    ($2::boolean AND EXISTS (SELECT 1 FROM ${quoteSchema(schema)}.registration_transaction t
             WHERE t.reg_id = registration.reg_id AND t.sub_status_code = $3 AND t.status_comment LIKE $4)) AS data_error`;
}

/** $2 to $4 of a statement selecting stepRowColumns(). */
export function dataErrorParams(check: boolean): unknown[] {
  return [check, PACKET_MANAGER_EXCEPTION.code, `%${KER_PUT_020.code}%`];
}

export function lockStepRowByWorkflowId(schema: string): (db: Queryable, workflowInstanceId: string, dataErrorCheck: boolean) => Promise<StepRow | null> {
  const sql = `SELECT ${stepRowColumns(schema)} FROM ${quoteSchema(schema)}.registration
    WHERE workflow_instance_id = $1 AND is_deleted = false AND is_active = true
    FOR UPDATE`;
  return async (db, workflowInstanceId, dataErrorCheck) => (await db.query<StepRow>(sql, [workflowInstanceId, ...dataErrorParams(dataErrorCheck)])).rows[0] ?? null;
}
