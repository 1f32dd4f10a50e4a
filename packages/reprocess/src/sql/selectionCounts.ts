// What the --db selection comes to, in one pass over the guide's rows: how many this run takes, and those
// MOSIP would not move now (paused, retry budget spent) by reason, status_code and pause_rule_ids. One
// statement, so a run reads the whole table once for its progress total and its held-back report, not twice.
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import { quoteSchema } from '@mosip-reprocess/contract/sql/ident.js';
import { includedReasons, type HoldBackReason } from '../domain/holdBack.js';
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

export interface SelectionCounts {
  /** Rows the selection takes in all (not held back, or held for a reason this run includes), before any limit. */
  taken: number;
  /** The guide's rows MOSIP would not move now, whether or not this run's --include-* flags send them. */
  held: HeldBackCount[];
}

export async function selectionCounts(db: Queryable, schema: string, criteria: EligibilityCriteria): Promise<SelectionCounts> {
  const p = new Params();
  const rules = holdBackOf(criteria);
  const { rows } = await db.query<{ reason: HoldBackReason | null; status_code: string | null; pause_rule_ids: string | null; n: string }>(
    `SELECT reason, status_code, pause_rule_ids, count(*) AS n
       FROM (SELECT ${holdBackReasonSql(p, rules)} AS reason, r.status_code, r.pause_rule_ids
               FROM ${quoteSchema(schema)}.registration r
              WHERE ${guideWhereSql(p, criteria)}) matched
      GROUP BY reason, status_code, pause_rule_ids
      ORDER BY count(*) DESC, reason, status_code, pause_rule_ids`,
    p.values,
  );
  const included = new Set<HoldBackReason>(includedReasons(rules));
  let taken = 0;
  const held: HeldBackCount[] = [];
  for (const r of rows) {
    const count = Number(r.n);
    if (r.reason === null || included.has(r.reason)) taken += count;
    if (r.reason !== null) held.push({ reason: r.reason, statusCode: r.status_code, pauseRuleIds: r.pause_rule_ids, count });
  }
  return { taken, held };
}
