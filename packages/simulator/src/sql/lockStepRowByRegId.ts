// The row a stage consumer loads when the message has no workflow id: the oldest active row of the RID, the same
// choice the securezone stage makes (docs/mosip-facts.md, "Lookup by workflow id"), locked for the step.
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import { quoteSchema } from '@mosip-reprocess/contract/sql/ident.js';
import { dataErrorParams, stepRowColumns, type StepRow } from './lockStepRow.js';

export function lockStepRowByRegId(schema: string): (db: Queryable, regId: string, dataErrorCheck: boolean) => Promise<StepRow | null> {
  const sql = `SELECT ${stepRowColumns(schema)} FROM ${quoteSchema(schema)}.registration
    WHERE reg_id = $1 AND is_deleted = false AND is_active = true
    ORDER BY cr_dtimes LIMIT 1
    FOR UPDATE`;
  return async (db, regId, dataErrorCheck) => (await db.query<StepRow>(sql, [regId, ...dataErrorParams(dataErrorCheck)])).rows[0] ?? null;
}
