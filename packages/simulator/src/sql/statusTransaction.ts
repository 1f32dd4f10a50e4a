// Compatibility for src/sql/pipelineStage.ts (owned by the pipeline model) until it moves to the one-statement
// files insertStatusTransaction.ts and rewriteLatestTransaction.ts. New code uses those directly.
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import { podNowUtc } from './podNow.js';
import { insertStatusTransaction, type StatusTransaction } from './insertStatusTransaction.js';

export type { StatusTransaction } from './insertStatusTransaction.js';

/** @deprecated use insertStatusTransaction(db, schema, t). */
export function statusTransactionInserter(schema: string): (db: Queryable, t: StatusTransaction) => Promise<void> {
  return (db, t) => insertStatusTransaction(db, schema, t);
}

/**
 * @deprecated a fragment over another statement's parameter numbers; use rewriteLatestTransaction(), which
 * takes the same values (and expectedLatestTrnId, statusCode, updBy) as one statement. Kept only for
 * pipelineStage.ts.
 */
export function latestTransactionAssignments(p: { id: string; type: string; status: string; stage: string; comment: string; clockOffsetMs: string }): string {
  return `latest_trn_id = ${p.id}::varchar,
      latest_trn_type_code = ${p.type}::varchar,
      latest_trn_status_code = ${p.status}::varchar,
      latest_trn_dtimes = ${podNowUtc(p.clockOffsetMs)},
      reg_stage_name = ${p.stage}::varchar,
      status_comment = ${p.comment}::varchar,
      last_success_stage_name = CASE WHEN ${p.status}::varchar IN ('SUCCESS', 'PROCESSED') THEN ${p.stage}::varchar
                                     ELSE last_success_stage_name END,
      upd_dtimes = ${podNowUtc(p.clockOffsetMs)},
      del_dtimes = NULL`;
}
