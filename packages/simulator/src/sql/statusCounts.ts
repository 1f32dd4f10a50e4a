// The whole registration table counted by status_code and latest_trn_type_code: where every packet is. The demo
// takes it before and after its runs (src/demo/snapshot.ts).
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import { quoteSchema } from '@mosip-reprocess/contract/sql/ident.js';

export interface StatusTypeCount {
  status_code: string | null;
  latest_trn_type_code: string | null;
  count: number;
}

/** One row per (status_code, latest_trn_type_code) present, NULLs included; the counts add up to the table's rows. */
export async function countByStatusAndType(db: Queryable, schema: string): Promise<StatusTypeCount[]> {
  const { rows } = await db.query<{ status_code: string | null; latest_trn_type_code: string | null; n: string }>(
    `SELECT status_code, latest_trn_type_code, count(*) AS n
       FROM ${quoteSchema(schema)}.registration
      GROUP BY status_code, latest_trn_type_code`,
  );
  return rows.map((r) => ({ status_code: r.status_code, latest_trn_type_code: r.latest_trn_type_code, count: Number(r.n) }));
}
