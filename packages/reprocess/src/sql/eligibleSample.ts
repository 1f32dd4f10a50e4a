import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import { quoteSchema } from '@mosip-reprocess/contract/sql/ident.js';
import { selectionWhereSql, type EligibilityCriteria } from './eligibility.js';
import { Params } from './params.js';
import { SAMPLE_COLUMNS, type SampleRow } from './rowFacts.js';

/** The first rows the run would send: same WHERE and same order (workflow id, the run's keyset). */
export async function eligibleSample(
  db: Queryable, schema: string, criteria: EligibilityCriteria, size: number,
): Promise<SampleRow[]> {
  if (size <= 0) return [];
  const p = new Params();
  const where = selectionWhereSql(p, schema, criteria);
  const { rows } = await db.query<SampleRow>(
    `SELECT ${SAMPLE_COLUMNS} FROM ${quoteSchema(schema)}.registration r
      WHERE ${where}
      ORDER BY r.workflow_instance_id
      LIMIT ${p.add(size)}`,
    p.values,
  );
  return rows;
}
