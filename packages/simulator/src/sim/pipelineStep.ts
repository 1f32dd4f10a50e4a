// One stage step of the pipeline model (pipeline.ts) in one database transaction, as MOSIP's stage would do it:
// load and lock the row, check it is still where the model left it, decide the outcome (which may depend on the
// row, e.g. the packet uploader's retry count), then write what updateRegistrationStatus writes (a
// registration_transaction row plus the registration row's latest-transaction columns). The statements are in
// src/sql (lockStepRow, lockStepRowByRegId, advanceRegistration, statusTransaction).
//
// A step only applies if the row is still where the model left it: the first step needs the row as the securezone
// stage left it after forwarding (latest SECUREZONE_NOTIFICATION / SUCCESS), every later step needs the
// latest_trn_id the model itself wrote last. A reprocess (the tool's notification, the automated reprocessor, an
// operator's UPDATE) that touched the row in between is therefore never overwritten; the step is skipped.
import type pg from 'pg';
import { advanceRegistration } from '../sql/advanceRegistration.js';
import { lockStepRowByWorkflowId, type StepRow } from '../sql/lockStepRow.js';
import { lockStepRowByRegId } from '../sql/lockStepRowByRegId.js';
import { statusTransactionInserter } from '../sql/statusTransaction.js';
import { inTransaction } from '@mosip-reprocess/contract/sql/transaction.js';

/** What one stage step writes. */
export interface PipelineStepWrite {
  /** New registration_transaction id (36-char UUID); becomes latest_trn_id. */
  transactionId: string;
  trnTypeCode: string;
  /** latest_trn_status_code and the transaction's status_code: SUCCESS, PROCESSED, FAILED or REPROCESS. */
  trnStatusCode: string;
  subStatusCode: string;
  statusComment: string;
  regStageName: string;
  /** New registration.status_code, or null to keep the stored one (what every successful stage does). */
  statusCode: string | null;
  /** New trn_retry_count, or null to keep it. */
  trnRetryCount: number | null;
}

/** Where the step finds its row: the first step by the message's ids, later ones by the transaction they expect. */
export type StepTarget = (
  | { kind: 'first'; workflowInstanceId: string | null; regId: string | null }
  | { kind: 'next'; workflowInstanceId: string; expectedLatestTrnId: string }
) & {
  /** Read whether the packet manager refused this RID's packet before (StepRow.data_error); only packet validation asks. */
  dataErrorCheck?: boolean;
};

export interface StepApplied {
  workflowInstanceId: string;
  regId: string;
  /** The latest_trn_id the step replaced (parent_regtrn_id of the new transaction row). */
  parentTrnId: string | null;
  transactionId: string;
  write: PipelineStepWrite;
}

/** The state the securezone stage leaves a forwarded row in (docs/mosip-facts.md, "What the stage writes"). */
export const FORWARDED_TRN_TYPE_CODE = 'SECUREZONE_NOTIFICATION';
export const FORWARDED_TRN_STATUS_CODE = 'SUCCESS';

export type StepRunner = (pool: pg.Pool, target: StepTarget, decide: (row: StepRow) => PipelineStepWrite) => Promise<StepApplied | null>;

/** clockOffsetMs: the stage pods' clock offset from the database's, ms (their writes' timestamps carry it). */
export function pipelineStepRunner(schema: string, clockOffsetMs = 0): StepRunner {
  const byWorkflowId = lockStepRowByWorkflowId(schema);
  const byRegId = lockStepRowByRegId(schema);
  const advance = advanceRegistration(schema);
  const insertTransaction = statusTransactionInserter(schema);

  return (pool, target, decide) => inTransaction(pool, async (client): Promise<StepApplied | null> => {
    const row = target.workflowInstanceId !== null
      ? await byWorkflowId(client, target.workflowInstanceId, target.dataErrorCheck ?? false)
      : target.kind === 'first' && target.regId !== null ? await byRegId(client, target.regId, target.dataErrorCheck ?? false) : null;
    if (!row) return null;
    const expected = target.kind === 'first'
      ? row.latest_trn_type_code === FORWARDED_TRN_TYPE_CODE && row.latest_trn_status_code === FORWARDED_TRN_STATUS_CODE
      : row.latest_trn_id === target.expectedLatestTrnId;
    if (!expected) return null;
    const w = decide(row);
    const regId = await advance(client, {
      workflowInstanceId: row.workflow_instance_id, expectedLatestTrnId: row.latest_trn_id, statusCode: w.statusCode,
      trnRetryCount: w.trnRetryCount, transactionId: w.transactionId, trnTypeCode: w.trnTypeCode,
      trnStatusCode: w.trnStatusCode, regStageName: w.regStageName, statusComment: w.statusComment, clockOffsetMs,
    });
    if (regId === null) return null;
    await insertTransaction(client, {
      id: w.transactionId, regId, trnTypeCode: w.trnTypeCode, parentRegtrnId: row.latest_trn_id,
      statusCode: w.trnStatusCode, subStatusCode: w.subStatusCode, statusComment: w.statusComment, refId: regId, clockOffsetMs,
    });
    return { workflowInstanceId: row.workflow_instance_id, regId, parentTrnId: row.latest_trn_id, transactionId: w.transactionId, write: w };
  });
}
