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
 * The select list, over registration (unaliased); the data-error test reads the RID's history by its index, with
 * the sub status and comment bound as $2 and $3 (DATA_ERROR_PARAMS).
 */
export function stepRowColumns(schema: string): string {
  return `workflow_instance_id, reg_id, latest_trn_id, latest_trn_type_code, latest_trn_status_code, trn_retry_count,
    EXISTS (SELECT 1 FROM ${quoteSchema(schema)}.registration_transaction t
             WHERE t.reg_id = registration.reg_id AND t.sub_status_code = $2 AND t.status_comment LIKE $3) AS data_error`;
}

/** $2 and $3 of a statement selecting stepRowColumns(). */
export const DATA_ERROR_PARAMS: readonly string[] = [PACKET_MANAGER_EXCEPTION.code, `%${KER_PUT_020.code}%`];

export function lockStepRowByWorkflowId(schema: string): (db: Queryable, workflowInstanceId: string) => Promise<StepRow | null> {
  const sql = `SELECT ${stepRowColumns(schema)} FROM ${quoteSchema(schema)}.registration
    WHERE workflow_instance_id = $1 AND is_deleted = false AND is_active = true
    FOR UPDATE`;
  return async (db, workflowInstanceId) => (await db.query<StepRow>(sql, [workflowInstanceId, ...DATA_ERROR_PARAMS])).rows[0] ?? null;
}
