// The registration row fields the securezone stage reads (no SQL statement here: the column list and row mapping
// the two look-up statements share).

export interface StageRegistration {
  workflowInstanceId: string;
  regId: string;
  process: string;
  statusCode: string;
  statusComment: string | null;
  latestTrnId: string | null;
  latestTrnStatusCode: string | null;
}

export const STAGE_REGISTRATION_COLUMNS = `workflow_instance_id, reg_id, process, status_code, status_comment, latest_trn_id,
  latest_trn_status_code`;

export interface StageRegistrationDbRow {
  workflow_instance_id: string;
  reg_id: string;
  process: string;
  status_code: string;
  status_comment: string | null;
  latest_trn_id: string | null;
  latest_trn_status_code: string | null;
}

export function toStageRegistration(row: StageRegistrationDbRow): StageRegistration {
  return {
    workflowInstanceId: row.workflow_instance_id,
    regId: row.reg_id,
    process: row.process,
    statusCode: row.status_code,
    statusComment: row.status_comment,
    latestTrnId: row.latest_trn_id,
    latestTrnStatusCode: row.latest_trn_status_code,
  };
}
