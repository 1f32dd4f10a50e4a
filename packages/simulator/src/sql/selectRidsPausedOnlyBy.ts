// The RIDs whose one active row is PAUSED under exactly the given pause rules (pause_rule_ids equal, not merely
// containing it): the demo resumes the packets of the plain PAUSE rule and leaves any that the hotlisted-operator
// rule also matched. A RID with several active rows is left out (MOSIP's count check, see
// packages/contract/src/workflowAction.ts).
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import { quoteSchema } from '@mosip-reprocess/contract/sql/ident.js';

export async function selectRidsPausedOnlyBy(db: Queryable, schema: string, pauseRuleIds: string): Promise<string[]> {
  const s = quoteSchema(schema);
  const { rows } = await db.query<{ reg_id: string }>(
    `SELECT r.reg_id
       FROM ${s}.registration r
      WHERE r.status_code = 'PAUSED' AND r.is_active = true AND r.is_deleted = false AND r.pause_rule_ids = $1
        AND NOT EXISTS (SELECT 1 FROM ${s}.registration o
                         WHERE o.reg_id = r.reg_id AND o.workflow_instance_id <> r.workflow_instance_id
                           AND o.is_active = true AND o.is_deleted = false)
      ORDER BY r.reg_id`,
    [pauseRuleIds],
  );
  return rows.map((r) => r.reg_id);
}
