// The guide's selection (APPROACH 1, and APPROACH 2 with a stage list) minus the packets held back, read one
// keyset page at a time so a production table of millions of rows is never held in memory and no transaction
// stays open during the run. The conditions live in eligibility.ts.
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import { quoteSchema } from '@mosip-reprocess/contract/sql/ident.js';
import { exactUtcText } from '@mosip-reprocess/contract/sql/utcText.js';
import { selectionWhereSql, type EligibilityCriteria, type EligibleRow } from './eligibility.js';
import { Params } from './params.js';

export type { EligibilityCriteria, EligibleRow } from './eligibility.js';
export { utcCutoff } from './utcCutoff.js';
export { selectionCounts } from './selectionCounts.js';

/** One page of eligible rows with workflow_instance_id > after, in workflow id order (the primary key). */
export async function selectEligiblePage(
  db: Queryable, schema: string, criteria: EligibilityCriteria, after: string, pageSize: number,
): Promise<EligibleRow[]> {
  const p = new Params();
  const where = selectionWhereSql(p, schema, criteria);
  const { rows } = await db.query<EligibleRow>(
    `SELECT r.reg_id, r.process, r.workflow_instance_id, r.iteration, r.source, r.latest_trn_type_code,
            r.latest_trn_id, ${exactUtcText('r.latest_trn_dtimes')} AS latest_trn_dtimes_exact
       FROM ${quoteSchema(schema)}.registration r
      WHERE ${where}
        AND r.workflow_instance_id > ${p.add(after)}
      ORDER BY r.workflow_instance_id
      LIMIT ${p.add(pageSize)}`,
    p.values,
  );
  return rows;
}
