// RegistrationRepositary.findByWorkflowInstanceId as the securezone stage uses it: the active, not deleted row of
// a workflow instance (docs/mosip-facts.md, "Lookup by workflow id").
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import { quoteSchema } from '@mosip-reprocess/contract/sql/ident.js';
import { STAGE_REGISTRATION_COLUMNS, toStageRegistration, type StageRegistration, type StageRegistrationDbRow } from './stageRegistration.js';

export async function findActiveRegistrationByWorkflowId(
  db: Queryable, schema: string, workflowInstanceId: string,
): Promise<StageRegistration | null> {
  const { rows } = await db.query<StageRegistrationDbRow>(
    `SELECT ${STAGE_REGISTRATION_COLUMNS} FROM ${quoteSchema(schema)}.registration
      WHERE workflow_instance_id = $1 AND is_deleted = false AND is_active = true`,
    [workflowInstanceId],
  );
  return rows[0] ? toStageRegistration(rows[0]) : null;
}
