import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import { quoteSchema } from '@mosip-reprocess/contract/sql/ident.js';
import { selectionWhereSql, type EligibilityCriteria } from './eligibility.js';
import { Params } from './params.js';

/** How many rows the selection takes in all (held-back packets excluded), not capped by any limit. */
export async function countEligible(db: Queryable, schema: string, criteria: EligibilityCriteria): Promise<number> {
  const p = new Params();
  const { rows } = await db.query<{ n: string }>(
    `SELECT count(*) AS n FROM ${quoteSchema(schema)}.registration r WHERE ${selectionWhereSql(p, criteria)}`,
    p.values,
  );
  return Number(rows[0]!.n);
}
