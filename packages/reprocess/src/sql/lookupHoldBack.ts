// The active rows (the ones the securezone stage finds) of listed or queried packets, a batch of workflow ids per
// statement: why MOSIP would not move each now (the hold-back rule, or null), and its latest_trn_id and exact
// latest_trn_dtimes as read before the send (domain/rowVerdict.ts, RowBefore). Ids with no active row are absent.
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import { quoteSchema } from '@mosip-reprocess/contract/sql/ident.js';
import { exactUtcText, isoUtcText } from '@mosip-reprocess/contract/sql/utcText.js';
import type { HoldBackReason, HoldBackRules } from '../domain/holdBack.js';
import { holdBackReasonSql } from './holdBackReason.js';
import { lastFailureSql, repeatingSql } from './lastFailure.js';
import { Params } from './params.js';
import { ACTIVE_SQL } from './rowFacts.js';

export interface HoldBackRow {
  workflow_instance_id: string;
  /** null: MOSIP would move it; the packet is sent. */
  reason: HoldBackReason | null;
  status_code: string | null;
  pause_rule_ids: string | null;
  trn_retry_count: number | null;
  reg_process_retry_count: number | null;
  /** ISO UTC text (milliseconds), for messages. */
  latest_trn_dtimes: string | null;
  latest_trn_id: string | null;
  /** Exact UTC text (microseconds): what a write changes. */
  latest_trn_dtimes_exact: string | null;
  /** The RID's last failure (stage, status, sub status) and how many times it occurs; null without one. */
  f_type: string | null;
  f_status: string | null;
  f_sub: string | null;
  times: number | null;
}

/** Matched exactly (primary key), as the stage looks them up. */
export async function lookupHoldBack(
  db: Queryable, schema: string, workflowIds: readonly string[], rules: HoldBackRules,
): Promise<HoldBackRow[]> {
  if (workflowIds.length === 0) return [];
  const p = new Params();
  const ids = p.add([...workflowIds]);
  const { rows } = await db.query<HoldBackRow>(
    `SELECT r.workflow_instance_id, ${holdBackReasonSql(p, schema, rules, 'r', repeatingSql(p, rules, 'lf'))} AS reason,
            r.status_code, r.pause_rule_ids, r.trn_retry_count, r.reg_process_retry_count,
            ${isoUtcText('r.latest_trn_dtimes')} AS latest_trn_dtimes, r.latest_trn_id,
            ${exactUtcText('r.latest_trn_dtimes')} AS latest_trn_dtimes_exact,
            lf.f_type, lf.f_status, lf.f_sub, lf.times
       FROM ${quoteSchema(schema)}.registration r
       LEFT JOIN LATERAL (${lastFailureSql(p, schema, 'r.reg_id')}) lf ON true
      WHERE r.workflow_instance_id = ANY(${ids}::varchar[])
        AND ${ACTIVE_SQL}`,
    p.values,
  );
  return rows;
}
