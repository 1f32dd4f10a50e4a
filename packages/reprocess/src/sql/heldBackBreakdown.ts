import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import { quoteSchema } from '@mosip-reprocess/contract/sql/ident.js';
import type { HoldBackReason } from '../filter/holdBack.js';
import { guideWhereSql, holdBackOf, type EligibilityCriteria } from './eligibility.js';
import { holdBackReasonSql } from './holdBackReason.js';
import { Params } from './params.js';

export interface HeldBackCount {
  reason: HoldBackReason;
  statusCode: string | null;
  /** registration.pause_rule_ids as stored (comma-separated rule ids), NULL when none. */
  pauseRuleIds: string | null;
  count: number;
}

/**
 * Rows the guide's query takes that MOSIP would not move now (paused, retry budget spent), by reason,
 * status_code and pause_rule_ids, whether or not this run's --include-* flags send them.
 */
export async function heldBackBreakdown(db: Queryable, schema: string, criteria: EligibilityCriteria): Promise<HeldBackCount[]> {
  const p = new Params();
  const { rows } = await db.query<{ reason: HoldBackReason; status_code: string | null; pause_rule_ids: string | null; n: string }>(
    `SELECT reason, status_code, pause_rule_ids, count(*) AS n
       FROM (SELECT ${holdBackReasonSql(p, holdBackOf(criteria))} AS reason, r.status_code, r.pause_rule_ids
               FROM ${quoteSchema(schema)}.registration r
              WHERE ${guideWhereSql(p, criteria)}) held
      WHERE reason IS NOT NULL
      GROUP BY reason, status_code, pause_rule_ids
      ORDER BY count(*) DESC, reason, status_code, pause_rule_ids`,
    p.values,
  );
  return rows.map((r) => ({ reason: r.reason, statusCode: r.status_code, pauseRuleIds: r.pause_rule_ids, count: Number(r.n) }));
}
