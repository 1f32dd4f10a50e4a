// `explain <rid>`: every registration row of a RID (active or not: one per workflow instance), with what the --db
// selection and the hold-back make of it, and the RID's last failure (lastFailure.ts). reg_id is not indexed in
// registration (1.2.0.1): one scan of the table, for one RID.
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import { quoteSchema } from '@mosip-reprocess/contract/sql/ident.js';
import { isoUtcText } from '@mosip-reprocess/contract/sql/utcText.js';
import { guideWhereSql, holdBackOf, type EligibilityCriteria } from './eligibility.js';
import { holdBackReasonSql } from './holdBackReason.js';
import { lastFailureSql, repeatingSql, type LastFailureColumns } from './lastFailure.js';
import type { ListedRow } from './lookupListedRows.js';
import { Params } from './params.js';
import { ACTIVE_SQL, ageBucketSql, SAMPLE_COLUMNS } from './rowFacts.js';

export interface RidRow extends ListedRow, LastFailureColumns {
  is_active: boolean;
  is_deleted: boolean | null;
  reg_stage_name: string | null;
  last_success_stage_name: string | null;
  status_comment: string | null;
  /** ISO UTC text. */
  resume_timestamp: string | null;
  default_resume_action: string | null;
  cr_dtimes: string;
  repeating: boolean;
}

export async function ridRows(db: Queryable, schema: string, rid: string, criteria: EligibilityCriteria): Promise<RidRow[]> {
  const s = quoteSchema(schema);
  const p = new Params();
  const rules = holdBackOf(criteria);
  const repeating = repeatingSql(p, rules, 'lf');
  const { rows } = await db.query<RidRow>(
    `SELECT ${SAMPLE_COLUMNS},
            ${ACTIVE_SQL} AS active, r.is_active, r.is_deleted,
            coalesce((${guideWhereSql(p, criteria)}), false) AS eligible,
            coalesce(r.latest_trn_dtimes < ${p.add(criteria.cutoffUtc)}::timestamp, false) AS "beforeCutoff",
            EXISTS (SELECT 1 FROM ${s}.registration_list l
                     WHERE l.workflow_instance_id = r.workflow_instance_id AND l.is_deleted = false) AS synced,
            ${ageBucketSql('r.latest_trn_dtimes')} AS age,
            ${holdBackReasonSql(p, schema, rules, 'r', repeating)} AS held_reason,
            ${repeating} AS repeating,
            r.pause_rule_ids, r.trn_retry_count, r.reg_stage_name, r.last_success_stage_name, r.status_comment,
            ${isoUtcText('r.resume_timestamp')} AS resume_timestamp, r.default_resume_action, ${isoUtcText('r.cr_dtimes')} AS cr_dtimes,
            lf.f_type, lf.f_status, lf.f_sub, lf.f_comment, lf.f_at, lf.times, lf.resolved
       FROM ${s}.registration r
       LEFT JOIN LATERAL (${lastFailureSql(p, schema, 'r.reg_id')}) lf ON true
      WHERE r.reg_id = ${p.add(rid)}
      ORDER BY r.cr_dtimes, r.workflow_instance_id`,
    p.values,
  );
  return rows;
}
