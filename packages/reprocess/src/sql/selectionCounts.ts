// What the --db selection comes to, in one pass over the guide's rows: how many this run takes, and those
// MOSIP would not move now (paused, retry budget spent) or a re-drive would not fix (repeating failures) by reason,
// status_code and pause_rule_ids; and the repeating ones by their last failure (the dry run's cohorts). One
// statement, so a run reads the whole table once for its progress total and its held-back report, not twice.
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import { quoteSchema } from '@mosip-reprocess/contract/sql/ident.js';
import { includedReasons, type HoldBackReason } from '../domain/holdBack.js';
import { guideWhereSql, holdBackOf, type EligibilityCriteria } from './eligibility.js';
import { holdBackReasonSql } from './holdBackReason.js';
import { lastFailureSql, repeatingSql } from './lastFailure.js';
import { Params } from './params.js';
import type { RepeatingGroup } from '../domain/cohort.js';

export interface HeldBackCount {
  reason: HoldBackReason;
  statusCode: string | null;
  /** registration.pause_rule_ids as stored (comma-separated rule ids), NULL when none. */
  pauseRuleIds: string | null;
  count: number;
}

export type { RepeatingGroup } from '../domain/cohort.js';

export interface SelectionCounts {
  /** Rows the selection takes in all (not held back, or held for a reason this run includes), before any limit. */
  taken: number;
  /** The guide's rows held back, whether or not this run's --include-* flags send them. */
  held: HeldBackCount[];
  /** The rows held as repeating, by last failure. */
  repeating: RepeatingGroup[];
}

export async function selectionCounts(db: Queryable, schema: string, criteria: EligibilityCriteria): Promise<SelectionCounts> {
  const p = new Params();
  const rules = holdBackOf(criteria);
  const { rows } = await db.query<{
    by_failure: boolean; reason: HoldBackReason | null; status_code: string | null; pause_rule_ids: string | null;
    stage: string | null; f_type: string | null; f_status: string | null; f_sub: string | null; f_comment: string | null;
    n: string; repeating_n: string; sample_rid: string | null;
  }>(
    `SELECT GROUPING(stage, f_type, f_status, f_sub, f_comment) = 0 AS by_failure,
            reason, status_code, pause_rule_ids, stage, f_type, f_status, f_sub, f_comment,
            count(*) AS n, count(*) FILTER (WHERE reason = 'repeating') AS repeating_n,
            min(reg_id) FILTER (WHERE reason = 'repeating') AS sample_rid
       FROM (SELECT reason, status_code, pause_rule_ids, reg_id,
                    -- the failure only of repeating rows: the others make one group, not one per comment
                    CASE WHEN reason = 'repeating' THEN stage END AS stage, CASE WHEN reason = 'repeating' THEN f_type END AS f_type,
                    CASE WHEN reason = 'repeating' THEN f_status END AS f_status, CASE WHEN reason = 'repeating' THEN f_sub END AS f_sub,
                    CASE WHEN reason = 'repeating' THEN f_comment END AS f_comment
               FROM (SELECT ${holdBackReasonSql(p, schema, rules, 'r', repeatingSql(p, rules, 'lf'))} AS reason,
                            r.status_code, r.pause_rule_ids, r.reg_id, r.latest_trn_type_code AS stage,
                            lf.f_type, lf.f_status, lf.f_sub, lf.f_comment
                       FROM ${quoteSchema(schema)}.registration r
                       LEFT JOIN LATERAL (${lastFailureSql(p, schema, 'r.reg_id')}) lf ON true
                      WHERE ${guideWhereSql(p, criteria)}) rows_) matched
      GROUP BY GROUPING SETS ((reason, status_code, pause_rule_ids), (stage, f_type, f_status, f_sub, f_comment))
      ORDER BY count(*) DESC, reason, status_code, pause_rule_ids`,
    p.values,
  );
  const included = new Set<HoldBackReason>(includedReasons(rules));
  let taken = 0;
  const held: HeldBackCount[] = [];
  const repeating: RepeatingGroup[] = [];
  for (const r of rows) {
    if (r.by_failure) {
      const count = Number(r.repeating_n);
      if (count > 0 && r.f_type !== null && r.f_status !== null && r.f_sub !== null) {
        repeating.push({ stage: r.stage, failureStage: r.f_type, status: r.f_status, subStatus: r.f_sub, comment: r.f_comment, count, sampleRid: r.sample_rid! });
      }
      continue;
    }
    const count = Number(r.n);
    if (r.reason === null || included.has(r.reason)) taken += count;
    if (r.reason !== null) held.push({ reason: r.reason, statusCode: r.status_code, pauseRuleIds: r.pause_rule_ids, count });
  }
  return { taken, held, repeating };
}
