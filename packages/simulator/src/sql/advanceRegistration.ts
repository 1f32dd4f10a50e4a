// What a stage step rewrites on the registration row (updateRegistrationStatus; docs/mosip-facts.md, "What the
// stage writes"): the latest-transaction columns, status_code only where the workflow engine changes it
// (complete-as-processed, complete-as-failed, mark-as-reprocess), and trn_retry_count where the stage counts its
// passes (the packet uploader; docs/mosip-facts.md, "Retry budgets"). reg_process_retry_count is never touched. The
// update applies only while the row still carries the transaction the caller expects; it returns the reg_id, or
// null.
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import { quoteSchema } from '@mosip-reprocess/contract/sql/ident.js';
import { latestTransactionAssignments } from './statusTransaction.js';

export interface RegistrationAdvance {
  workflowInstanceId: string;
  /** latest_trn_id the row must still carry (null matches a row with none). */
  expectedLatestTrnId: string | null;
  /** New status_code, or null to keep the stored one. */
  statusCode: string | null;
  /** New trn_retry_count, or null to keep the stored one. */
  trnRetryCount: number | null;
  transactionId: string;
  trnTypeCode: string;
  trnStatusCode: string;
  regStageName: string;
  statusComment: string;
  /** The stage pod's clock offset from the database's, ms (+ ahead, - behind). Default 0. */
  clockOffsetMs?: number;
}

export function advanceRegistration(schema: string): (db: Queryable, a: RegistrationAdvance) => Promise<string | null> {
  const sql = `UPDATE ${quoteSchema(schema)}.registration SET
      status_code = COALESCE($3::varchar, status_code),
      trn_retry_count = COALESCE($4::smallint, trn_retry_count),
      upd_by = 'MOSIP_SYSTEM',
      ${latestTransactionAssignments({ id: '$5', type: '$6', status: '$7', stage: '$8', comment: '$9', clockOffsetMs: '$10' })}
    WHERE workflow_instance_id = $1 AND latest_trn_id IS NOT DISTINCT FROM $2::varchar
      AND is_deleted = false AND is_active = true
    RETURNING reg_id`;
  return async (db, a) => {
    const { rows } = await db.query<{ reg_id: string }>(sql, [
      a.workflowInstanceId, a.expectedLatestTrnId, a.statusCode, a.trnRetryCount, a.transactionId, a.trnTypeCode,
      a.trnStatusCode, a.regStageName, a.statusComment, a.clockOffsetMs ?? 0,
    ]);
    return rows[0]?.reg_id ?? null;
  };
}
