// Packets with a history (registration_transaction) for the triage's tests: a registration row whose latest
// transaction is the last step of its history (same id, type, status and time), the steps an hour apart.
import { randomUUID } from 'node:crypto';
import { API_RESOURCE_ACCESS_FAILED, KER_PUT_020_COMMENT, PACKET_MANAGER_EXCEPTION } from '@mosip-reprocess/contract/history.js';
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import { insertRegistrations, type RegistrationRowInput } from '@mosip-reprocess/simulator/sql/registrationRows.js';
import { insertTransactionChunk, type TransactionRowInput } from '@mosip-reprocess/simulator/sql/insertTransactionChunk.js';
import { stuckRow } from './rows.js';

export type Step = [type: string, status: string, sub: string, comment: string | null];
export interface HistoryPacket { label: string; row: RegistrationRowInput; steps: Step[] }

const HOUR = 3_600_000;

export const ok = (type: string, sub = 'RPR-PKU-SUCCESS-001', comment = 'done'): Step => [type, 'SUCCESS', sub, comment];
/** A pass of MOSIP's reprocessor. */
export const reprocessorPass: Step = ['PACKET_REPROCESS', 'REPROCESS', 'RPR-RPS-SUCCESS-001', 'Reprocess Completed'];
/** The packet manager's KER-PUT-020 at validation, with something packet-specific in the comment (the triage normalises it away). */
export const dataError = (): Step => ['VALIDATE_PACKET', 'REPROCESS', PACKET_MANAGER_EXCEPTION.code, `${KER_PUT_020_COMMENT} request ${randomUUID()}`];
/** ABIS did not answer at bio dedupe: a transient failure. */
export const abisDown: Step = ['BIOGRAPHIC_VERIFICATION', 'REPROCESS', API_RESOURCE_ACCESS_FAILED.code, `${API_RESOURCE_ACCESS_FAILED.message}java.net.SocketTimeoutException: Read timed out`];
/** Received, notified, uploaded. */
export const received = (): Step[] => [ok('PACKET_RECEIVER', 'RPR-PKR-SUCCESS-001'), ok('SECUREZONE_NOTIFICATION', 'RPR-SEN-SUCCESS-001'), ok('UPLOAD_PACKET')];
/** Refused at validation `times` times, MOSIP's reprocessor re-sending it in between. */
export const looping = (times: number): Step[] => [...received(), ...Array.from({ length: times }, (_, i) => (i === 0 ? [dataError()] : [reprocessorPass, dataError()])).flat()];

export function historyPacket(label: string, steps: Step[], over: Partial<RegistrationRowInput> = {}): HistoryPacket {
  const last = steps[steps.length - 1]!;
  const row = stuckRow({ latestTrnTypeCode: last[0], latestTrnStatusCode: last[1], latestTrnId: randomUUID(), ...over });
  return { label, row, steps };
}

export function historyRows(p: HistoryPacket): TransactionRowInput[] {
  const end = p.row.latestTrnDtimes!.getTime();
  return p.steps.map(([trnTypeCode, statusCode, subStatusCode, statusComment], i) => ({
    id: i === p.steps.length - 1 ? p.row.latestTrnId! : randomUUID(), regId: p.row.regId, parentRegtrnId: null,
    trnTypeCode, statusCode, subStatusCode, statusComment, crDtimes: new Date(end - (p.steps.length - 1 - i) * HOUR),
  }));
}

/** Inserts the rows (with their sync rows) and their histories. */
export async function insertHistoryPackets(db: Queryable, schema: string, packets: readonly HistoryPacket[]): Promise<void> {
  await insertRegistrations(db, schema, packets.map((p) => p.row));
  await insertTransactionChunk(db, schema, packets.flatMap(historyRows));
}
