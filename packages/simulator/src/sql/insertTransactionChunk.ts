// One chunk of registration_transaction rows (a seeded backlog's history) in one statement: INSERT ... SELECT FROM
// unnest(arrays), with the constant columns as MOSIP's updateRegistrationStatus writes them (insertStatusTransaction.ts).
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import { quoteSchema } from '@mosip-reprocess/contract/sql/ident.js';
import { utcTimestampText } from '@mosip-reprocess/contract/sql/utcText.js';

export interface TransactionRowInput {
  id: string;
  regId: string;
  parentRegtrnId: string | null;
  trnTypeCode: string;
  statusCode: string;
  subStatusCode: string;
  statusComment: string | null;
  /** UTC. */
  crDtimes: Date;
}

export async function insertTransactionChunk(db: Queryable, schema: string, rows: readonly TransactionRowInput[]): Promise<void> {
  if (rows.length === 0) return;
  await db.query(
    `INSERT INTO ${quoteSchema(schema)}.registration_transaction
        (id, reg_id, trn_type_code, remarks, parent_regtrn_id, ref_id, ref_id_type, status_code, sub_status_code,
         lang_code, status_comment, cr_by, cr_dtimes, upd_by, upd_dtimes, is_deleted)
      SELECT id, reg_id, trn_type, 'updated registration status record', parent, reg_id, 'updated registration record',
             status, sub_status, 'eng', comment, 'MOSIP_SYSTEM', cr, 'MOSIP_SYSTEM', cr, false
        FROM unnest($1::varchar[], $2::varchar[], $3::varchar[], $4::varchar[], $5::varchar[], $6::varchar[], $7::varchar[], $8::timestamp[])
          AS u(id, reg_id, trn_type, parent, status, sub_status, comment, cr)`,
    [
      rows.map((r) => r.id), rows.map((r) => r.regId), rows.map((r) => r.trnTypeCode), rows.map((r) => r.parentRegtrnId),
      rows.map((r) => r.statusCode), rows.map((r) => r.subStatusCode), rows.map((r) => r.statusComment),
      rows.map((r) => utcTimestampText(r.crDtimes)),
    ],
  );
}
