// The registration_transaction row MOSIP's updateRegistrationStatus writes for every stage step, shared by the
// simulator's securezone stage and its pipeline model (contract section 1, "What process() does", 4).
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import { quoteSchema } from '@mosip-reprocess/contract/sql/ident.js';
import { NOW_UTC } from '@mosip-reprocess/contract/sql/utcText.js';

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
}

export function statusTransactionInserter(schema: string): (db: Queryable, t: StatusTransaction) => Promise<void> {
  const sql = `INSERT INTO ${quoteSchema(schema)}.registration_transaction
      (id, reg_id, trn_type_code, remarks, parent_regtrn_id, ref_id, ref_id_type, status_code, sub_status_code,
       lang_code, status_comment, cr_by, cr_dtimes, upd_by, upd_dtimes, is_deleted, del_dtimes)
    VALUES ($1, $2, $3, 'updated registration status record', $4, $5, 'updated registration record', $6, $7,
       'eng', $8, 'MOSIP_SYSTEM', ${NOW_UTC}, 'MOSIP_SYSTEM', ${NOW_UTC}, NULL, NULL)`;
  return async (db, t) => {
    await db.query(sql, [t.id, t.regId, t.trnTypeCode, t.parentRegtrnId, t.refId, t.statusCode, t.subStatusCode, t.statusComment]);
  };
}

/**
 * The registration columns updateRegistrationStatus rewrites with each transaction, as SQL assignments over
 * the given parameter placeholders (e.g. '$2'). last_success_stage_name moves only on SUCCESS or PROCESSED.
 */
export function latestTransactionAssignments(p: { id: string; type: string; status: string; stage: string; comment: string }): string {
  return `latest_trn_id = ${p.id}::varchar,
      latest_trn_type_code = ${p.type}::varchar,
      latest_trn_status_code = ${p.status}::varchar,
      latest_trn_dtimes = ${NOW_UTC},
      reg_stage_name = ${p.stage}::varchar,
      status_comment = ${p.comment}::varchar,
      last_success_stage_name = CASE WHEN ${p.status}::varchar IN ('SUCCESS', 'PROCESSED') THEN ${p.stage}::varchar
                                     ELSE last_success_stage_name END,
      upd_dtimes = ${NOW_UTC},
      del_dtimes = NULL`;
}
