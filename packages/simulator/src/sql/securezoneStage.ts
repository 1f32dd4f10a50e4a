// The statements the simulated SecurezoneNotificationStage runs (docs/mosip-facts.md, "Lookup by workflow id",
// "Duplicate check" and "What the stage writes"), bound to one schema. Each statement is in its own file; this
// module only binds them, so the stage (src/sim/securezoneStage.ts) takes them as one dependency. Timestamps are
// written as MOSIP writes them: UTC wall-clock time in `timestamp without time zone`, computed by the database.
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import { findActiveRegistrationByWorkflowId } from './findActiveRegistrationByWorkflowId.js';
import { findOldestActiveRegistrationByRegId } from './findOldestActiveRegistrationByRegId.js';
import { findSyncRowByWorkflowId, type StageSyncRow } from './findSyncRowByWorkflowId.js';
import { hasEarlierPacketForAdditionalInfoReqId } from './hasEarlierPacketForAdditionalInfoReqId.js';
import { hasEarlierPacketForRegId } from './hasEarlierPacketForRegId.js';
import { insertStatusTransaction, type StatusTransaction } from './insertStatusTransaction.js';
import { rewriteLatestTransaction } from './rewriteLatestTransaction.js';
import type { StageRegistration } from './stageRegistration.js';

export type { StageRegistration } from './stageRegistration.js';
export type { StageSyncRow } from './findSyncRowByWorkflowId.js';

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

/** clockOffsetMs: the stage pod's clock offset from the database's (its writes' timestamps carry it). */
export function securezoneStageQueries(schema: string, clockOffsetMs = 0) {
  return {
    findActiveByWorkflowId: (db: Queryable, workflowInstanceId: string): Promise<StageRegistration | null> =>
      findActiveRegistrationByWorkflowId(db, schema, workflowInstanceId),

    async findActiveByRegId(db: Queryable, regId: string | null): Promise<StageRegistration | null> {
      return regId === null ? null : findOldestActiveRegistrationByRegId(db, schema, regId);
    },

    async findSyncRow(db: Queryable, workflowInstanceId: string | null): Promise<StageSyncRow | null> {
      return workflowInstanceId === null ? null : findSyncRowByWorkflowId(db, schema, workflowInstanceId);
    },

    hasEarlierPacketForRegId: (db: Queryable, regId: string, workflowInstanceId: string): Promise<boolean> =>
      hasEarlierPacketForRegId(db, schema, regId, workflowInstanceId),

    async hasEarlierPacketForAdditionalInfoReqId(
      db: Queryable, additionalInfoReqId: string | null, workflowInstanceId: string,
    ): Promise<boolean> {
      if (additionalInfoReqId === null) return false; // `= NULL` matches no sync row
      return hasEarlierPacketForAdditionalInfoReqId(db, schema, additionalInfoReqId, workflowInstanceId);
    },

    insertTransaction: (db: Queryable, t: StageTransaction): Promise<void> => insertStatusTransaction(db, schema, { ...t, clockOffsetMs }),

    // status_code, upd_by and the retry counts are deliberately kept: this path does not change them.
    async rewriteLatestTransaction(db: Queryable, u: LatestTransactionUpdate): Promise<void> {
      await rewriteLatestTransaction(db, schema, {
        workflowInstanceId: u.workflowInstanceId, latestTrnId: u.latestTrnId, latestTrnTypeCode: u.latestTrnTypeCode,
        latestTrnStatusCode: u.latestTrnStatusCode, regStageName: u.regStageName, statusComment: u.statusComment, clockOffsetMs,
      });
    },
  };
}

export type SecurezoneStageQueries = ReturnType<typeof securezoneStageQueries>;
