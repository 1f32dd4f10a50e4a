import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import { quoteSchema } from '@mosip-reprocess/contract/sql/ident.js';
import type { HoldBackReason, HoldBackRules } from '../filter/holdBack.js';
import { holdBackReasonSql } from './holdBackReason.js';
import { lastFailureSql, repeatingSql } from './lastFailure.js';
import { Params } from './params.js';
import { ACTIVE_SQL } from './rowFacts.js';

export interface HoldBackRow {
  workflow_instance_id: string;
  reason: HoldBackReason;
  status_code: string | null;
  pause_rule_ids: string | null;
  trn_retry_count: number | null;
  reg_process_retry_count: number | null;
  /** The RID's last failure (stage, status, sub status) and how many times it occurs; null without one. */
  f_type: string | null;
  f_status: string | null;
  f_sub: string | null;
  times: number | null;
}

/**
 * The active rows (the ones the securezone stage finds) of these workflow ids that MOSIP would not move now,
 * with the reason. Ids with no active row, or not held, are absent. Matched exactly (primary key), as the stage looks them up.
 */
export async function lookupHoldBack(
  db: Queryable, schema: string, workflowIds: readonly string[], rules: HoldBackRules,
): Promise<HoldBackRow[]> {
  if (workflowIds.length === 0) return [];
  const p = new Params();
  const ids = p.add([...workflowIds]);
  const { rows } = await db.query<HoldBackRow>(
    `SELECT * FROM (
       SELECT r.workflow_instance_id, ${holdBackReasonSql(p, schema, rules, 'r', repeatingSql(p, rules, 'lf'))} AS reason,
              r.status_code, r.pause_rule_ids, r.trn_retry_count, r.reg_process_retry_count,
              lf.f_type, lf.f_status, lf.f_sub, lf.times
         FROM ${quoteSchema(schema)}.registration r
         LEFT JOIN LATERAL (${lastFailureSql(p, schema, 'r.reg_id')}) lf ON true
        WHERE r.workflow_instance_id = ANY(${ids}::varchar[])
          AND ${ACTIVE_SQL}) found
      WHERE reason IS NOT NULL`,
    p.values,
  );
  return rows;
}
