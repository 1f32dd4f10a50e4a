// The registration_transaction row MOSIP's updateRegistrationStatus inserts for every status change: every stage
// step, the securezone stage, the workflow action service (docs/mosip-facts.md, "What the stage writes").
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import { quoteSchema } from '@mosip-reprocess/contract/sql/ident.js';
import { podNowUtc } from './podNow.js';

export interface StatusTransaction {
  id: string;
  regId: string;
  parentRegtrnId: string | null;
  trnTypeCode: string;
  statusCode: string | null;
  /** NOT NULL in the DDL; MOSIP leaves it null on the mismatch and exception paths, and the insert then fails. */
  subStatusCode: string | null;
  statusComment: string | null;
  refId: string;
  /** The writing pod's clock offset from the database's, ms (+ ahead, - behind): cr_dtimes and upd_dtimes carry it. Default 0. */
  clockOffsetMs?: number;
}

export async function insertStatusTransaction(db: Queryable, schema: string, t: StatusTransaction): Promise<void> {
  await db.query(
    `INSERT INTO ${quoteSchema(schema)}.registration_transaction
        (id, reg_id, trn_type_code, remarks, parent_regtrn_id, ref_id, ref_id_type, status_code, sub_status_code,
         lang_code, status_comment, cr_by, cr_dtimes, upd_by, upd_dtimes, is_deleted, del_dtimes)
      VALUES ($1, $2, $3, 'updated registration status record', $4, $5, 'updated registration record', $6, $7,
         'eng', $8, 'MOSIP_SYSTEM', ${podNowUtc('$9')}, 'MOSIP_SYSTEM', ${podNowUtc('$9')}, NULL, NULL)`,
    [t.id, t.regId, t.trnTypeCode, t.parentRegtrnId, t.refId, t.statusCode, t.subStatusCode, t.statusComment, t.clockOffsetMs ?? 0],
  );
}
