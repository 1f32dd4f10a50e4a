// Every statement the simulated workflow (src/sim/pipeline.ts) runs when it moves a forwarded packet through a
// stage: what each 1.2.0.1 stage writes through updateRegistrationStatus (contract section 1, "finally block"),
// one registration_transaction row plus the registration row's latest-transaction columns, in one transaction.
//
// A step only applies if the row is still where the model left it: the first step needs the row as the securezone
// stage left it after forwarding (latest SECUREZONE_NOTIFICATION / SUCCESS), every later step needs the
// latest_trn_id the model itself wrote last. A reprocess (the tool's notification, the automated reprocessor,
// an operator's UPDATE) that touched the row in between is therefore never overwritten; the step is skipped.
// Timestamps are UTC wall-clock time computed by the database, as in securezoneStage.ts.
import type pg from 'pg';
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import { quoteSchema } from '@mosip-reprocess/contract/sql/ident.js';
import { TRN_STATUS, TRN_TYPE } from '@mosip-reprocess/contract/enums.js';
import { inTransaction } from '@mosip-reprocess/contract/sql/transaction.js';
import { latestTransactionAssignments, statusTransactionInserter } from './statusTransaction.js';

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
}

/** The first step: finds the forwarded row by workflow id (or, when the message had none, by reg_id). */
export interface FirstStepInput extends PipelineStepWrite {
  workflowInstanceId: string | null;
  regId: string | null;
}

/** A later step: the row must still carry the transaction the previous step wrote. */
export interface NextStepInput extends PipelineStepWrite {
  workflowInstanceId: string;
  expectedLatestTrnId: string;
}

export interface StepApplied {
  workflowInstanceId: string;
  regId: string;
  /** The latest_trn_id the step replaced (parent_regtrn_id of the new transaction row). */
  parentTrnId: string | null;
  transactionId: string;
}

/** The state the securezone stage leaves a forwarded row in (contract section 1, outcome "success"). */
export const FORWARDED_TRN_TYPE_CODE = TRN_TYPE.SECUREZONE_NOTIFICATION;
export const FORWARDED_TRN_STATUS_CODE = TRN_STATUS.SUCCESS;

interface StartRow {
  workflow_instance_id: string;
  reg_id: string;
  latest_trn_id: string | null;
  latest_trn_type_code: string | null;
  latest_trn_status_code: string | null;
}

export function pipelineStageQueries(schema: string) {
  const s = quoteSchema(schema);

  // The row the stage consumer would load (RegistrationStatusDao.find: active, not deleted), locked for the step.
  const START_COLUMNS = 'workflow_instance_id, reg_id, latest_trn_id, latest_trn_type_code, latest_trn_status_code';
  const startByWorkflowId = `SELECT ${START_COLUMNS} FROM ${s}.registration
    WHERE workflow_instance_id = $1 AND is_deleted = false AND is_active = true
    FOR UPDATE`;
  // Same choice of row as the securezone stage makes without a workflow id (the oldest active row).
  const startByRegId = `SELECT ${START_COLUMNS} FROM ${s}.registration
    WHERE reg_id = $1 AND is_deleted = false AND is_active = true
    ORDER BY cr_dtimes LIMIT 1
    FOR UPDATE`;

  // updateRegistrationStatus: the whole row is rewritten from the DTO. reg_process_retry_count and
  // trn_retry_count are untouched; status_code changes only where the workflow engine changes it
  // (complete-as-processed, complete-as-failed, mark-as-reprocess).
  const advance = `UPDATE ${s}.registration SET
      status_code = COALESCE($3::varchar, status_code),
      upd_by = 'MOSIP_SYSTEM',
      ${latestTransactionAssignments({ id: '$4', type: '$5', status: '$6', stage: '$7', comment: '$8' })}
    WHERE workflow_instance_id = $1 AND latest_trn_id IS NOT DISTINCT FROM $2::varchar
      AND is_deleted = false AND is_active = true
    RETURNING reg_id`;

  const insertTransaction = statusTransactionInserter(schema);

  async function write(
    db: Queryable, workflowInstanceId: string, expectedLatestTrnId: string | null, w: PipelineStepWrite,
  ): Promise<StepApplied | null> {
    const updated = await db.query<{ reg_id: string }>(advance, [
      workflowInstanceId, expectedLatestTrnId, w.statusCode, w.transactionId, w.trnTypeCode, w.trnStatusCode,
      w.regStageName, w.statusComment,
    ]);
    const regId = updated.rows[0]?.reg_id;
    if (regId === undefined) return null;
    await insertTransaction(db, {
      id: w.transactionId, regId, trnTypeCode: w.trnTypeCode, parentRegtrnId: expectedLatestTrnId,
      statusCode: w.trnStatusCode, subStatusCode: w.subStatusCode, statusComment: w.statusComment, refId: regId,
    });
    return { workflowInstanceId, regId, parentTrnId: expectedLatestTrnId, transactionId: w.transactionId };
  }

  return {
    /**
     * The first stage after the securezone stage. Applies only if the row is as that stage left it after
     * forwarding; returns null (nothing written) when the row is missing, inactive or has moved on.
     */
    async applyFirstStep(pool: pg.Pool, input: FirstStepInput): Promise<StepApplied | null> {
      return inTransaction(pool, async (client) => {
        const { rows } = input.workflowInstanceId !== null
          ? await client.query<StartRow>(startByWorkflowId, [input.workflowInstanceId])
          : input.regId !== null
            ? await client.query<StartRow>(startByRegId, [input.regId])
            : { rows: [] as StartRow[] };
        const row = rows[0];
        if (!row || row.latest_trn_type_code !== FORWARDED_TRN_TYPE_CODE
          || row.latest_trn_status_code !== FORWARDED_TRN_STATUS_CODE) {
          return null;
        }
        return write(client, row.workflow_instance_id, row.latest_trn_id, input);
      });
    },

    /** A later stage. Returns null (nothing written) if latest_trn_id is no longer the expected one. */
    async applyNextStep(pool: pg.Pool, input: NextStepInput): Promise<StepApplied | null> {
      return inTransaction(pool, (client) => write(client, input.workflowInstanceId, input.expectedLatestTrnId, input));
    },
  };
}

export type PipelineStageQueries = ReturnType<typeof pipelineStageQueries>;

