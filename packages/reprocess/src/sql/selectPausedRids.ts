import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import { quoteSchema } from '@mosip-reprocess/contract/sql/ident.js';
import { ACTIVE_SQL } from './rowFacts.js';
import type { RidState } from './lookupRidStates.js';

/**
 * RIDs that have an active PAUSED row (optionally under a pause rule: pause_rule_ids, comma-separated, contains
 * it), in reg_id order after `after`, each with every one of its active rows (a RID may have several): whether
 * the action may take it is decided from all of them (src/action/ridVerdict.ts).
 */
export async function selectPausedRids(
  db: Queryable, schema: string, pauseRule: string | null, after: string, limit: number,
): Promise<RidState[]> {
  const s = quoteSchema(schema);
  const { rows } = await db.query<RidState>(
    `WITH paused AS (
       SELECT DISTINCT r.reg_id
         FROM ${s}.registration r
        WHERE r.status_code = 'PAUSED' AND ${ACTIVE_SQL}
          AND ($1::text IS NULL OR $1::text = ANY(string_to_array(r.pause_rule_ids, ',')))
          AND r.reg_id > $2
        ORDER BY r.reg_id
        LIMIT $3)
     SELECT r.reg_id, count(*)::int AS active_rows,
            array_agg(r.status_code ORDER BY r.cr_dtimes) AS statuses,
            array_agg(r.pause_rule_ids ORDER BY r.cr_dtimes) AS pause_rule_ids
       FROM ${s}.registration r JOIN paused p ON p.reg_id = r.reg_id
      WHERE ${ACTIVE_SQL}
      GROUP BY r.reg_id
      ORDER BY r.reg_id`,
    [pauseRule, after, limit],
  );
  return rows;
}
