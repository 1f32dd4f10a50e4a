// Batch insert of test and seed rows: registration rows and, unless told otherwise, their registration_list (sync)
// rows, which the securezone duplicate check needs (docs/mosip-facts.md, "Database tables"). Defaults and chunking
// here; the two statements (one INSERT ... SELECT FROM unnest(arrays) per chunk each) are
// insertRegistrationChunk.ts and insertSyncRowChunk.ts.
import { randomUUID } from 'node:crypto';
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import { insertRegistrationChunk } from './insertRegistrationChunk.js';
import { insertSyncRowChunk } from './insertSyncRowChunk.js';
import { STATUS, TRN_STATUS, TRN_TYPE } from '@mosip-reprocess/contract/enums.js';

export interface RegistrationRowInput {
  regId: string;
  /** The registration (and sync row) primary key, a 36-character UUID. */
  workflowInstanceId: string;
  process: string;
  /** Default 'PROCESSING'. */
  statusCode?: string;
  statusComment?: string | null;
  /** Default: a random UUID (every real row has one). */
  latestTrnId?: string | null;
  /** Default 'PACKET_RECEIVER'. */
  latestTrnTypeCode?: string | null;
  /** Default 'SUCCESS'. */
  latestTrnStatusCode?: string | null;
  /** UTC. Default: crDtimes. */
  latestTrnDtimes?: Date | null;
  /** Default 0. */
  regProcessRetryCount?: number | null;
  /** Default 0. */
  trnRetryCount?: number | null;
  /** Default 'PacketReceiverStage'. */
  regStageName?: string | null;
  /** Default: regStageName when the latest status is SUCCESS, else null. */
  lastSuccessStageName?: string | null;
  /** undefined: the usual source for the process; null: NULL, as on rows migrated from 1.1.5. */
  source?: string | null;
  /** Default 1. */
  iteration?: number;
  /** UTC. Default: now. */
  crDtimes?: Date;
  /** Default true. */
  isActive?: boolean;
  /** Default false. */
  isDeleted?: boolean;
  /** registration_list.additional_info_req_id (set on sub-process packets such as BIOMETRIC_CORRECTION). */
  additionalInfoReqId?: string | null;
  /** Insert no registration_list row (the stage then fails with RPR-SEZ-001). */
  withoutSyncRow?: boolean;
  /** UTC. When a pause ends (the WorkflowActionJob then applies defaultResumeAction). Default null. */
  resumeTimestamp?: Date | null;
  /** RESUME_PROCESSING, RESUME_FROM_BEGINNING or STOP_PROCESSING. Default null. */
  defaultResumeAction?: string | null;
  /** The pause rules that matched, joined with ',' (e.g. 'PAUSE' or 'HOTLISTED_OPERATOR'). Default null. */
  pauseRuleIds?: string | null;
}

export interface InsertedCounts {
  registrations: number;
  syncRows: number;
}

export const DEFAULT_CHUNK_SIZE = 1000;

/** registration.source a packet of this process normally carries (application-default l.355-364). */
export function usualSourceFor(process: string): string {
  if (process === 'OPENCRVS_NEW') return 'OPENCRVS';
  if (['ACTIVATED', 'DEACTIVATED', 'RES_UPDATE', 'RES_REPRINT'].includes(process)) return 'RESIDENT';
  return 'REGISTRATION_CLIENT';
}


export async function insertRegistrations(
  db: Queryable, schema: string, rows: readonly RegistrationRowInput[], options: { chunkSize?: number } = {},
): Promise<InsertedCounts> {
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  const counts: InsertedCounts = { registrations: 0, syncRows: 0 };
  const now = new Date();
  for (let start = 0; start < rows.length; start += chunkSize) {
    const chunk = rows.slice(start, start + chunkSize).map((row) => withDefaults(row, now));
    await insertRegistrationChunk(db, schema, chunk);
    counts.registrations += chunk.length;
    const synced = chunk.filter((row) => !row.withoutSyncRow);
    if (synced.length > 0) {
      await insertSyncRowChunk(db, schema, synced);
      counts.syncRows += synced.length;
    }
  }
  return counts;
}

/** A row with every default filled in. */
export type CompleteRegistrationRow = Required<RegistrationRowInput>;
type CompleteRow = CompleteRegistrationRow;

function withDefaults(row: RegistrationRowInput, now: Date): CompleteRow {
  const process = row.process;
  const crDtimes = row.crDtimes ?? now;
  const latestTrnStatusCode = row.latestTrnStatusCode === undefined ? TRN_STATUS.SUCCESS : row.latestTrnStatusCode;
  const regStageName = row.regStageName === undefined ? 'PacketReceiverStage' : row.regStageName;
  return {
    regId: row.regId,
    workflowInstanceId: row.workflowInstanceId,
    process,
    statusCode: row.statusCode ?? STATUS.PROCESSING,
    statusComment: row.statusComment ?? null,
    latestTrnId: row.latestTrnId === undefined ? randomUUID() : row.latestTrnId,
    latestTrnTypeCode: row.latestTrnTypeCode === undefined ? TRN_TYPE.PACKET_RECEIVER : row.latestTrnTypeCode,
    latestTrnStatusCode,
    latestTrnDtimes: row.latestTrnDtimes === undefined ? crDtimes : row.latestTrnDtimes,
    regProcessRetryCount: row.regProcessRetryCount === undefined ? 0 : row.regProcessRetryCount,
    trnRetryCount: row.trnRetryCount === undefined ? 0 : row.trnRetryCount,
    regStageName,
    lastSuccessStageName: row.lastSuccessStageName !== undefined ? row.lastSuccessStageName
      : latestTrnStatusCode === TRN_STATUS.SUCCESS ? regStageName : null,
    source: row.source === undefined ? usualSourceFor(process) : row.source,
    iteration: row.iteration ?? 1,
    crDtimes,
    isActive: row.isActive ?? true,
    isDeleted: row.isDeleted ?? false,
    additionalInfoReqId: row.additionalInfoReqId ?? null,
    withoutSyncRow: row.withoutSyncRow ?? false,
    resumeTimestamp: row.resumeTimestamp ?? null,
    defaultResumeAction: row.defaultResumeAction ?? null,
    pauseRuleIds: row.pauseRuleIds ?? null,
  };
}
