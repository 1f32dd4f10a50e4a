import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import { quoteSchema } from '@mosip-reprocess/contract/sql/ident.js';
import { ACTIVE_SQL } from './rowFacts.js';

export interface PausedRid {
  reg_id: string;
  pause_rule_ids: string | null;
}

/**
 * RIDs whose one active row is PAUSED (optionally under a pause rule: pause_rule_ids, comma-separated, contains it),
 * in reg_id order after `after`. A RID with more than one active row is left out: MOSIP's workflow action
 * checks the count of rows against the count of RIDs and would skip its PAUSED check for it.
 */
export async function selectPausedRids(
  db: Queryable, schema: string, pauseRule: string | null, after: string, limit: number,
): Promise<PausedRid[]> {
  const s = quoteSchema(schema);
  const { rows } = await db.query<PausedRid>(
    `SELECT r.reg_id, r.pause_rule_ids
       FROM ${s}.registration r
      WHERE r.status_code = 'PAUSED' AND ${ACTIVE_SQL}
        AND ($1::text IS NULL OR $1::text = ANY(string_to_array(r.pause_rule_ids, ',')))
        AND r.reg_id > $2
        AND NOT EXISTS (SELECT 1 FROM ${s}.registration o
                         WHERE o.reg_id = r.reg_id AND o.workflow_instance_id <> r.workflow_instance_id
                           AND o.is_active = true AND o.is_deleted = false)
      ORDER BY r.reg_id
      LIMIT $3`,
    [pauseRule, after, limit],
  );
  return rows;
}
