// What updateRegistrationStatus writes on the registration row with each new transaction (docs/mosip-facts.md,
// "What the stage writes"), for the securezone stage, the pipeline model and the workflow action service: the whole
// row is rewritten from the DTO, so the latest-transaction columns, stage and comment always change and
// last_success_stage_name moves only on SUCCESS or PROCESSED. trn_retry_count is never touched here,
// reg_process_retry_count only when given (the reprocessor).
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import { quoteSchema } from '@mosip-reprocess/contract/sql/ident.js';
import { podNowUtc } from './podNow.js';

export interface LatestTransactionRewrite {
  workflowInstanceId: string;
  /**
   * Write only if the row's latest_trn_id is still this value (NULL matches NULL). Undefined: no such guard. The
   * pipeline model uses it so a row touched by someone else in between is never overwritten.
   */
  expectedLatestTrnId?: string | null;
  /** New status_code (updateStatusCode=true); null or undefined keeps the stored one (updateStatusCode=false). */
  statusCode?: string | null;
  /** New upd_by; undefined keeps the stored one. */
  updBy?: string;
  latestTrnId: string;
  latestTrnTypeCode: string;
  latestTrnStatusCode: string | null;
  regStageName: string | null;
  statusComment: string | null;
  /** Set resume_timestamp, default_resume_action and pause_rule_ids to NULL (WorkflowActionService). */
  clearPause?: boolean;
  /** New reg_process_retry_count (the reprocessor's attempt); undefined keeps the stored one. */
  regProcessRetryCount?: number;
  /** The writing pod's clock offset from the database's, ms (+ ahead, - behind): latest_trn_dtimes and upd_dtimes carry it. Default 0. */
  clockOffsetMs?: number;
}

/** Returns the row's reg_id, or null if no active row matched (nothing written). */
export async function rewriteLatestTransaction(db: Queryable, schema: string, r: LatestTransactionRewrite): Promise<string | null> {
  const { rows } = await db.query<{ reg_id: string }>(
    `UPDATE ${quoteSchema(schema)}.registration SET
        status_code = COALESCE($2::varchar, status_code),
        upd_by = COALESCE($3::varchar, upd_by),
        latest_trn_id = $4::varchar,
        latest_trn_type_code = $5::varchar,
        latest_trn_status_code = $6::varchar,
        latest_trn_dtimes = ${podNowUtc('$13')},
        reg_stage_name = $7::varchar,
        status_comment = $8::varchar,
        last_success_stage_name = CASE WHEN $6::varchar IN ('SUCCESS', 'PROCESSED') THEN $7::varchar
                                       ELSE last_success_stage_name END,
        resume_timestamp = CASE WHEN $9::boolean THEN NULL ELSE resume_timestamp END,
        default_resume_action = CASE WHEN $9::boolean THEN NULL ELSE default_resume_action END,
        pause_rule_ids = CASE WHEN $9::boolean THEN NULL ELSE pause_rule_ids END,
        reg_process_retry_count = COALESCE($12::smallint, reg_process_retry_count),
        upd_dtimes = ${podNowUtc('$13')},
        del_dtimes = NULL
      WHERE workflow_instance_id = $1 AND is_deleted = false AND is_active = true
        AND (NOT $10::boolean OR latest_trn_id IS NOT DISTINCT FROM $11::varchar)
      RETURNING reg_id`,
    [
      r.workflowInstanceId, r.statusCode ?? null, r.updBy ?? null, r.latestTrnId, r.latestTrnTypeCode,
      r.latestTrnStatusCode, r.regStageName, r.statusComment, r.clearPause === true,
      r.expectedLatestTrnId !== undefined, r.expectedLatestTrnId ?? null, r.regProcessRetryCount ?? null, r.clockOffsetMs ?? 0,
    ],
  );
  return rows[0]?.reg_id ?? null;
}
