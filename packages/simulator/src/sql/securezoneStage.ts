// Every statement the simulated SecurezoneNotificationStage runs (contract section 1 "What process() does" and
// section 4 of updateRegistrationStatus). Timestamps are written as MOSIP writes them: UTC wall-clock time in
// `timestamp without time zone`, computed by the database so the session TimeZone cannot skew them.
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import { quoteSchema } from '@mosip-reprocess/contract/sql/ident.js';
import { latestTransactionAssignments, statusTransactionInserter, type StatusTransaction } from './statusTransaction.js';

/** The registration row fields the stage reads. */
export interface StageRegistration {
  workflowInstanceId: string;
  regId: string;
  process: string;
  statusCode: string;
  statusComment: string | null;
  latestTrnId: string | null;
  latestTrnStatusCode: string | null;
}

/** The registration_list (sync) row fields the duplicate check reads. */
export interface StageSyncRow {
  workflowInstanceId: string;
  regId: string;
  process: string | null;
  additionalInfoReqId: string | null;
}

/** The registration_transaction row updateRegistrationStatus inserts. */
/** The transaction row of a stage step (the same row every stage writes). */
export type StageTransaction = StatusTransaction;

/** What updateRegistrationStatus(dto, ..., updateStatusCode=false) rewrites on the registration row. */
export interface LatestTransactionUpdate {
  workflowInstanceId: string;
  latestTrnId: string;
  latestTrnTypeCode: string;
  latestTrnStatusCode: string | null;
  regStageName: string;
  statusComment: string | null;
}

const REGISTRATION_COLUMNS = `workflow_instance_id, reg_id, process, status_code, status_comment, latest_trn_id,
  latest_trn_status_code`;

interface RegistrationDbRow {
  workflow_instance_id: string;
  reg_id: string;
  process: string;
  status_code: string;
  status_comment: string | null;
  latest_trn_id: string | null;
  latest_trn_status_code: string | null;
}

function toStageRegistration(row: RegistrationDbRow): StageRegistration {
  return {
    workflowInstanceId: row.workflow_instance_id,
    regId: row.reg_id,
    process: row.process,
    statusCode: row.status_code,
    statusComment: row.status_comment,
    latestTrnId: row.latest_trn_id,
    latestTrnStatusCode: row.latest_trn_status_code,
  };
}

export function securezoneStageQueries(schema: string) {
  const s = quoteSchema(schema);

  // RegistrationRepositary.findByWorkflowInstanceId / findByRegId: active, not deleted rows only.
  const byWorkflowId = `SELECT ${REGISTRATION_COLUMNS} FROM ${s}.registration
    WHERE workflow_instance_id = $1 AND is_deleted = false AND is_active = true`;
  // MOSIP takes "the first" row without an ORDER BY; the oldest is taken here so runs are repeatable.
  const byRegId = `SELECT ${REGISTRATION_COLUMNS} FROM ${s}.registration
    WHERE reg_id = $1 AND is_deleted = false AND is_active = true ORDER BY cr_dtimes LIMIT 1`;
  const syncRow = `SELECT workflow_instance_id, reg_id, process, additional_info_req_id FROM ${s}.registration_list
    WHERE workflow_instance_id = $1 AND is_deleted = false LIMIT 1`;
  // checkDuplicates: another synced packet of the group whose active registration row was created earlier.
  const earlierInGroup = (groupCondition: string) => `SELECT EXISTS (
      SELECT 1
      FROM ${s}.registration_list l
      JOIN ${s}.registration other ON other.workflow_instance_id = l.workflow_instance_id
      JOIN ${s}.registration cur ON cur.workflow_instance_id = $2
      WHERE ${groupCondition} AND l.is_deleted = false
        AND other.workflow_instance_id <> $2
        AND other.is_deleted = false AND other.is_active = true
        AND cur.is_deleted = false AND cur.is_active = true
        AND other.cr_dtimes < cur.cr_dtimes
    ) AS duplicate`;
  const earlierForRegId = earlierInGroup('l.reg_id = $1 AND l.additional_info_req_id IS NULL');
  const earlierForAdditionalInfoReqId = earlierInGroup('l.additional_info_req_id = $1');
  const insertTransaction = statusTransactionInserter(schema);
  // status_code, reg_process_retry_count and trn_retry_count are deliberately absent: this path keeps them.
  const rewriteLatest = `UPDATE ${s}.registration SET
      ${latestTransactionAssignments({ id: '$2', type: '$3', status: '$4', stage: '$5', comment: '$6' })}
    WHERE workflow_instance_id = $1`;

  return {
    async findActiveByWorkflowId(db: Queryable, workflowInstanceId: string): Promise<StageRegistration | null> {
      const { rows } = await db.query<RegistrationDbRow>(byWorkflowId, [workflowInstanceId]);
      return rows[0] ? toStageRegistration(rows[0]) : null;
    },

    async findActiveByRegId(db: Queryable, regId: string | null): Promise<StageRegistration | null> {
      if (regId === null) return null;
      const { rows } = await db.query<RegistrationDbRow>(byRegId, [regId]);
      return rows[0] ? toStageRegistration(rows[0]) : null;
    },

    async findSyncRow(db: Queryable, workflowInstanceId: string | null): Promise<StageSyncRow | null> {
      if (workflowInstanceId === null) return null;
      const { rows } = await db.query<{
        workflow_instance_id: string; reg_id: string; process: string | null; additional_info_req_id: string | null;
      }>(syncRow, [workflowInstanceId]);
      const row = rows[0];
      return row
        ? { workflowInstanceId: row.workflow_instance_id, regId: row.reg_id, process: row.process, additionalInfoReqId: row.additional_info_req_id }
        : null;
    },

    async hasEarlierPacketForRegId(db: Queryable, regId: string, workflowInstanceId: string): Promise<boolean> {
      const { rows } = await db.query<{ duplicate: boolean }>(earlierForRegId, [regId, workflowInstanceId]);
      return rows[0]?.duplicate === true;
    },

    async hasEarlierPacketForAdditionalInfoReqId(
      db: Queryable, additionalInfoReqId: string | null, workflowInstanceId: string,
    ): Promise<boolean> {
      if (additionalInfoReqId === null) return false; // `= NULL` matches no sync row
      const { rows } = await db.query<{ duplicate: boolean }>(earlierForAdditionalInfoReqId, [additionalInfoReqId, workflowInstanceId]);
      return rows[0]?.duplicate === true;
    },

    insertTransaction,

    async rewriteLatestTransaction(db: Queryable, u: LatestTransactionUpdate): Promise<void> {
      await db.query(rewriteLatest, [
        u.workflowInstanceId, u.latestTrnId, u.latestTrnTypeCode, u.latestTrnStatusCode, u.regStageName, u.statusComment,
      ]);
    },
  };
}

export type SecurezoneStageQueries = ReturnType<typeof securezoneStageQueries>;
