import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import { quoteSchema } from '@mosip-reprocess/contract/sql/ident.js';
import type { HoldBackReason } from '../domain/holdBack.js';
import { guideWhereSql, holdBackOf, type EligibilityCriteria } from './eligibility.js';
import { holdBackReasonSql } from './holdBackReason.js';
import { Params } from './params.js';
import { ACTIVE_SQL, ageBucketSql, SAMPLE_COLUMNS, type AgeBucket, type SampleRow } from './rowFacts.js';

/** A listed packet's row, with what the stage and the selection would make of it. */
export interface ListedRow extends SampleRow {
  /** is_active = true AND is_deleted = false: the only rows the securezone stage finds. */
  active: boolean;
  /** The guide's --db query (the given criteria) would take this row (hold-back rules aside). */
  eligible: boolean;
  /** latest_trn_dtimes < the criteria's cutoff (NULL counts as false). */
  beforeCutoff: boolean;
  /** A registration_list row exists for the workflow id. */
  synced: boolean;
  age: AgeBucket;
  /** Why MOSIP would not move it now (whatever the --include-* flags say), or null. */
  held_reason: HoldBackReason | null;
  pause_rule_ids: string | null;
  trn_retry_count: number | null;
}

/** The rows of these workflow ids (any state); ids without a row are simply absent from the result. */
export async function lookupListedRows(
  db: Queryable, schema: string, workflowIds: readonly string[], criteria: EligibilityCriteria,
): Promise<ListedRow[]> {
  if (workflowIds.length === 0) return [];
  const s = quoteSchema(schema);
  const p = new Params();
  const ids = p.add([...workflowIds]);
  const { rows } = await db.query<ListedRow>(
    `SELECT ${SAMPLE_COLUMNS},
            ${ACTIVE_SQL} AS active,
            coalesce((${guideWhereSql(p, criteria)}), false) AS eligible,
            coalesce(r.latest_trn_dtimes < ${p.add(criteria.cutoffUtc)}::timestamp, false) AS "beforeCutoff",
            EXISTS (SELECT 1 FROM ${s}.registration_list l
                     WHERE l.workflow_instance_id = r.workflow_instance_id AND l.is_deleted = false) AS synced,
            ${ageBucketSql('r.latest_trn_dtimes')} AS age,
            ${holdBackReasonSql(p, schema, holdBackOf(criteria))} AS held_reason,
            r.pause_rule_ids, r.trn_retry_count
       FROM ${s}.registration r
      WHERE r.workflow_instance_id = ANY(${ids}::varchar[])`,
    p.values,
  );
  return rows;
}
