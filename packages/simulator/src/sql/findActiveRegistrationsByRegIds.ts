// RegistrationRepositary.findByRegIdsOrderbyCreatedDateTime, how the workflow action API loads its rows:
// `reg_id IN :regIds AND is_deleted = false AND is_active = true ORDER BY cr_dtimes` (exact match, every active
// row of each RID). mosip/registration v1.2.0.1 registration-processor-registration-status-service-impl
// .../repositary/RegistrationRepositary.java.
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import { quoteSchema } from '@mosip-reprocess/contract/sql/ident.js';

export interface ActionRegistration {
  workflowInstanceId: string;
  regId: string;
  statusCode: string;
  latestTrnId: string | null;
  latestTrnStatusCode: string | null;
  regStageName: string | null;
  pauseRuleIds: string | null;
}

export async function findActiveRegistrationsByRegIds(db: Queryable, schema: string, regIds: readonly string[]): Promise<ActionRegistration[]> {
  const { rows } = await db.query<{
    workflow_instance_id: string; reg_id: string; status_code: string; latest_trn_id: string | null;
    latest_trn_status_code: string | null; reg_stage_name: string | null; pause_rule_ids: string | null;
  }>(
    `SELECT workflow_instance_id, reg_id, status_code, latest_trn_id, latest_trn_status_code, reg_stage_name, pause_rule_ids
       FROM ${quoteSchema(schema)}.registration
      WHERE reg_id = ANY($1::varchar[]) AND is_deleted = false AND is_active = true
      ORDER BY cr_dtimes, workflow_instance_id`,
    [regIds],
  );
  return rows.map((r) => ({
    workflowInstanceId: r.workflow_instance_id,
    regId: r.reg_id,
    statusCode: r.status_code,
    latestTrnId: r.latest_trn_id,
    latestTrnStatusCode: r.latest_trn_status_code,
    regStageName: r.reg_stage_name,
    pauseRuleIds: r.pause_rule_ids,
  }));
}
