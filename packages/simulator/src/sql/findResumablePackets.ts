// RegistrationRepositary.getResumablePackets, the first half of each reprocessor tick (docs/mosip-facts.md,
// "Automated reprocessor"):
// `SELECT * FROM registration r WHERE r.status_code = :statusCode ORDER BY r.upd_dtimes LIMIT :fetchSize`
// (native; no is_active or is_deleted filter).
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import { quoteSchema } from '@mosip-reprocess/contract/sql/ident.js';

export interface ResumableRegistration {
  workflowInstanceId: string;
  regId: string;
  process: string;
  source: string | null;
  iteration: number | null;
  latestTrnId: string | null;
  latestTrnStatusCode: string | null;
  regStageName: string | null;
  regProcessRetryCount: number | null;
}

export async function findResumablePackets(db: Queryable, schema: string, fetchSize: number): Promise<ResumableRegistration[]> {
  const { rows } = await db.query<{
    workflow_instance_id: string; reg_id: string; process: string; source: string | null; iteration: number | null;
    latest_trn_id: string | null; latest_trn_status_code: string | null; reg_stage_name: string | null;
    reg_process_retry_count: number | null;
  }>(
    `SELECT workflow_instance_id, reg_id, process, source, iteration, latest_trn_id, latest_trn_status_code, reg_stage_name,
            reg_process_retry_count
       FROM ${quoteSchema(schema)}.registration
      WHERE status_code = 'RESUMABLE'
      ORDER BY upd_dtimes
      LIMIT $1`,
    [fetchSize],
  );
  return rows.map((r) => ({
    workflowInstanceId: r.workflow_instance_id, regId: r.reg_id, process: r.process, source: r.source,
    iteration: r.iteration, latestTrnId: r.latest_trn_id, latestTrnStatusCode: r.latest_trn_status_code,
    regStageName: r.reg_stage_name, regProcessRetryCount: r.reg_process_retry_count,
  }));
}
