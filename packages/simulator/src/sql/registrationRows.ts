// Batch insert of test and seed rows: registration rows and, unless told otherwise, their registration_list
// (sync) rows, which the securezone duplicate check needs (contract section 3). One INSERT ... SELECT FROM
// unnest(arrays) per chunk: a handful of bound parameters per statement whatever the chunk size.
import { randomUUID } from 'node:crypto';
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import { quoteSchema } from '@mosip-reprocess/contract/sql/ident.js';
import { utcTimestampText } from '@mosip-reprocess/contract/sql/utcText.js';
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
  const sql = registrationRowsSql(schema);
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  const counts: InsertedCounts = { registrations: 0, syncRows: 0 };
  const now = new Date();
  for (let start = 0; start < rows.length; start += chunkSize) {
    const chunk = rows.slice(start, start + chunkSize).map((row) => withDefaults(row, now));
    await db.query(sql.insertRegistrations, registrationArrays(chunk));
    counts.registrations += chunk.length;
    const synced = chunk.filter((row) => !row.withoutSyncRow);
    if (synced.length > 0) {
      await db.query(sql.insertSyncRows, syncArrays(synced));
      counts.syncRows += synced.length;
    }
  }
  return counts;
}

type CompleteRow = Required<RegistrationRowInput>;

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
  };
}

const timestampOrNull = (at: Date | null) => (at ? utcTimestampText(at) : null);

function registrationArrays(rows: CompleteRow[]): unknown[] {
  return [
    rows.map((r) => r.regId),
    rows.map((r) => r.workflowInstanceId),
    rows.map((r) => r.process),
    rows.map((r) => r.statusCode),
    rows.map((r) => r.statusComment),
    rows.map((r) => r.latestTrnId),
    rows.map((r) => r.latestTrnTypeCode),
    rows.map((r) => r.latestTrnStatusCode),
    rows.map((r) => timestampOrNull(r.latestTrnDtimes)),
    rows.map((r) => r.regProcessRetryCount),
    rows.map((r) => r.trnRetryCount),
    rows.map((r) => r.regStageName),
    rows.map((r) => r.lastSuccessStageName),
    rows.map((r) => r.source),
    rows.map((r) => r.iteration),
    rows.map((r) => utcTimestampText(r.crDtimes)),
    rows.map((r) => r.isActive),
    rows.map((r) => r.isDeleted),
  ];
}

function syncArrays(rows: CompleteRow[]): unknown[] {
  return [
    rows.map((r) => r.workflowInstanceId),
    rows.map((r) => r.regId),
    rows.map((r) => r.process),
    rows.map((r) => r.source),
    rows.map((r) => r.additionalInfoReqId),
    rows.map((r) => utcTimestampText(r.crDtimes)),
  ];
}

function registrationRowsSql(schema: string) {
  const s = quoteSchema(schema);
  return {
    // upd_dtimes follows the latest transaction, as every stage's update sets both.
    insertRegistrations: `INSERT INTO ${s}.registration
        (reg_id, workflow_instance_id, process, status_code, status_comment, latest_trn_id, latest_trn_type_code,
         latest_trn_status_code, latest_trn_dtimes, reg_process_retry_count, trn_retry_count, reg_stage_name,
         last_success_stage_name, source, iteration, cr_dtimes, pkt_cr_dtimes, is_active, is_deleted, lang_code,
         cr_by, upd_by, upd_dtimes)
      SELECT reg_id, wf, process, status_code, status_comment, latest_trn_id, trn_type, trn_status, trn_dtimes,
             retry, trn_retry, stage, last_success, source, iteration, cr, cr, active, deleted, 'eng',
             'MOSIP_SYSTEM', 'MOSIP_SYSTEM', coalesce(trn_dtimes, cr)
      FROM unnest($1::varchar[], $2::varchar[], $3::varchar[], $4::varchar[], $5::varchar[], $6::varchar[],
                  $7::varchar[], $8::varchar[], $9::timestamp[], $10::smallint[], $11::smallint[], $12::varchar[],
                  $13::varchar[], $14::varchar[], $15::integer[], $16::timestamp[], $17::boolean[], $18::boolean[])
        AS u(reg_id, wf, process, status_code, status_comment, latest_trn_id, trn_type, trn_status, trn_dtimes,
             retry, trn_retry, stage, last_success, source, iteration, cr, active, deleted)`,
    // The sync row comes first in MOSIP (registration client sync, then packet upload); it gets the same time.
    insertSyncRows: `INSERT INTO ${s}.registration_list
        (workflow_instance_id, reg_id, process, source, additional_info_req_id, packet_id, packet_checksum,
         center_id, registration_date, client_status_code, lang_code, cr_by, cr_dtimes, is_deleted)
      SELECT wf, reg_id, process, source, req_id, reg_id, md5(wf), left(reg_id, 5), cr::date, 'APPROVED', 'eng',
             'MOSIP_SYSTEM', cr, false
      FROM unnest($1::varchar[], $2::varchar[], $3::varchar[], $4::varchar[], $5::varchar[], $6::timestamp[])
        AS u(wf, reg_id, process, source, req_id, cr)`,
  };
}
