// The current state of registration rows, looked up by workflow id: what the canary watches, what settles
// an in-doubt send on resume.
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import { quoteSchema } from '@mosip-reprocess/contract/sql/ident.js';

export interface RowState {
  workflow_instance_id: string;
  reg_id: string;
  status_code: string;
  latest_trn_type_code: string | null;
  latest_trn_status_code: string | null;
  /** UTC, as MOSIP stores it. */
  latest_trn_dtimes: Date | null;
  reg_stage_name: string | null;
  is_active: boolean;
  is_deleted: boolean | null;
}

/** Rows for these workflow ids (any state, active or not), keyed by lower-cased workflow id. */
export async function rowStates(db: Queryable, schema: string, workflowIds: readonly string[]): Promise<Map<string, RowState>> {
  const out = new Map<string, RowState>();
  if (workflowIds.length === 0) return out;
  const { rows } = await db.query<RowState>(
    `SELECT workflow_instance_id, reg_id, status_code, latest_trn_type_code, latest_trn_status_code,
            latest_trn_dtimes, reg_stage_name, is_active, is_deleted
       FROM ${quoteSchema(schema)}.registration
      WHERE workflow_instance_id = ANY($1::text[])`,
    [workflowIds],
  );
  for (const r of rows) out.set(r.workflow_instance_id.toLowerCase(), r);
  return out;
}

export interface TransactionRow {
  trn_type_code: string;
  status_code: string;
  sub_status_code: string;
  cr_dtimes: Date;
}

/** registration_transaction rows of a RID written at or after `sinceUtc` ('YYYY-MM-DD HH:MI:SS.mmm', UTC), oldest first. */
export async function transactionsSince(db: Queryable, schema: string, regId: string, sinceUtc: string): Promise<TransactionRow[]> {
  const { rows } = await db.query<TransactionRow>(
    `SELECT trn_type_code, status_code, sub_status_code, cr_dtimes
       FROM ${quoteSchema(schema)}.registration_transaction
      WHERE reg_id = $1 AND cr_dtimes >= $2::timestamp
      ORDER BY cr_dtimes, id`,
    [regId, sinceUtc],
  );
  return rows;
}
