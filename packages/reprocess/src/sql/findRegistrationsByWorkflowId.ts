// The rows of given workflow ids (the primary key, so one index probe each), for completing what a listed packet
// sends: the securezone stage copies the message's iteration and source onto what it forwards, MOSIP's own senders
// put the row's there (docs/mosip-facts.md, "Request body"), and the row has them.
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import { quoteSchema } from '@mosip-reprocess/contract/sql/ident.js';

export interface RegistrationByWorkflowIdRow {
  workflow_instance_id: string;
  iteration: number | null;
  source: string | null;
}

export const WORKFLOW_ID_BATCH_SIZE = 10_000;

/** The row of each workflow id that has one (any state); ids without a row are absent from the result. */
export async function findRegistrationsByWorkflowId(
  db: Queryable, schema: string, workflowIds: readonly string[], batchSize = WORKFLOW_ID_BATCH_SIZE,
): Promise<RegistrationByWorkflowIdRow[]> {
  const sql = `SELECT workflow_instance_id, iteration, source
       FROM ${quoteSchema(schema)}.registration
      WHERE workflow_instance_id = ANY($1::varchar[])`;
  const distinct = [...new Set(workflowIds)];
  const found: RegistrationByWorkflowIdRow[] = [];
  for (let i = 0; i < distinct.length; i += batchSize) {
    const { rows } = await db.query<RegistrationByWorkflowIdRow>(sql, [distinct.slice(i, i + batchSize)]);
    found.push(...rows);
  }
  return found;
}
