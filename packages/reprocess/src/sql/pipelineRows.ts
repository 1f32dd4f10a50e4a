// What --pace auto reads about the packets a run notified (src/pacer/pipelineWatch.ts): their rows, by primary
// key (workflow_instance_id = ANY of at most a chunk of ids), with the database's own UTC clock, so the waiting
// time (now - latest_trn_dtimes) is measured on one clock. READ ONLY; never a scan of the table.
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import { quoteSchema } from '@mosip-reprocess/contract/sql/ident.js';
import { NOW_UTC } from '@mosip-reprocess/contract/sql/utcText.js';

export interface PipelineRow {
  workflow_instance_id: string;
  status_code: string;
  latest_trn_type_code: string | null;
  latest_trn_status_code: string | null;
  /** UTC, as MOSIP stores it. */
  latest_trn_dtimes: Date | null;
  is_active: boolean;
  is_deleted: boolean | null;
}

export interface PipelineRows {
  /** The database's clock, UTC. */
  dbNow: Date;
  /** Keyed by lower-cased workflow id; ids with no row are absent. */
  rows: Map<string, PipelineRow>;
}

/** Rows for these workflow ids (callers pass at most a few hundred at a time) and the database's UTC time. */
export async function selectPipelineRows(db: Queryable, schema: string, workflowIds: readonly string[]): Promise<PipelineRows> {
  const { rows } = await db.query<PipelineRow & { db_now: Date }>(
    `SELECT ${NOW_UTC} AS db_now, r.workflow_instance_id, r.status_code, r.latest_trn_type_code, r.latest_trn_status_code,
            r.latest_trn_dtimes, r.is_active, r.is_deleted
       FROM (SELECT 1) AS clock
       LEFT JOIN ${quoteSchema(schema)}.registration r ON r.workflow_instance_id = ANY($1::text[])`,
    [workflowIds],
  );
  const out = new Map<string, PipelineRow>();
  for (const r of rows) {
    if (r.workflow_instance_id === null) continue;
    const { db_now: _ignored, ...row } = r;
    out.set(row.workflow_instance_id.toLowerCase(), row);
  }
  return { dbNow: rows[0]!.db_now, rows: out };
}
