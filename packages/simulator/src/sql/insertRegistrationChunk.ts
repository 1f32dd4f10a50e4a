// One chunk of registration rows in one statement: INSERT ... SELECT FROM unnest(arrays), a fixed number of bound
// parameters whatever the chunk size. Used by registrationRows.ts (tests and the seed).
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import { quoteSchema } from '@mosip-reprocess/contract/sql/ident.js';
import { utcTimestampText } from '@mosip-reprocess/contract/sql/utcText.js';
import type { CompleteRegistrationRow } from './registrationRows.js';

const timestampOrNull = (at: Date | null) => (at ? utcTimestampText(at) : null);

export async function insertRegistrationChunk(db: Queryable, schema: string, rows: readonly CompleteRegistrationRow[]): Promise<void> {
  // upd_dtimes follows the latest transaction, as every stage's update sets both.
  await db.query(
    `INSERT INTO ${quoteSchema(schema)}.registration
        (reg_id, workflow_instance_id, process, status_code, status_comment, latest_trn_id, latest_trn_type_code,
         latest_trn_status_code, latest_trn_dtimes, reg_process_retry_count, trn_retry_count, reg_stage_name,
         last_success_stage_name, source, iteration, cr_dtimes, pkt_cr_dtimes, is_active, is_deleted, lang_code,
         cr_by, upd_by, upd_dtimes, resume_timestamp, default_resume_action, pause_rule_ids)
      SELECT reg_id, wf, process, status_code, status_comment, latest_trn_id, trn_type, trn_status, trn_dtimes,
             retry, trn_retry, stage, last_success, source, iteration, cr, cr, active, deleted, 'eng',
             'MOSIP_SYSTEM', 'MOSIP_SYSTEM', coalesce(trn_dtimes, cr), resume_at, resume_action, rule_ids
      FROM unnest($1::varchar[], $2::varchar[], $3::varchar[], $4::varchar[], $5::varchar[], $6::varchar[],
                  $7::varchar[], $8::varchar[], $9::timestamp[], $10::smallint[], $11::smallint[], $12::varchar[],
                  $13::varchar[], $14::varchar[], $15::integer[], $16::timestamp[], $17::boolean[], $18::boolean[],
                  $19::timestamp[], $20::varchar[], $21::varchar[])
        AS u(reg_id, wf, process, status_code, status_comment, latest_trn_id, trn_type, trn_status, trn_dtimes,
             retry, trn_retry, stage, last_success, source, iteration, cr, active, deleted, resume_at, resume_action,
             rule_ids)`,
    [
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
      rows.map((r) => timestampOrNull(r.resumeTimestamp)),
      rows.map((r) => r.defaultResumeAction),
      rows.map((r) => r.pauseRuleIds),
    ],
  );
}
