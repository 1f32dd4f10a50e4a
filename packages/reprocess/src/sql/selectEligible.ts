// The guide's selection (APPROACH 1, and APPROACH 2 with a stage list), read one keyset page at a time so a
// production table of millions of rows is never held in memory and no transaction stays open during the run.
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import { quoteSchema } from '@mosip-reprocess/contract/sql/ident.js';
import { NOW_UTC } from '@mosip-reprocess/contract/sql/utcText.js';

export interface EligibilityCriteria {
  /** latest_trn_status_code IN (...) */
  trnStatuses: string[];
  /** reg_process_retry_count <= maxRetries */
  maxRetries: number;
  /** status_code NOT IN (...) */
  excludeStatuses: string[];
  /** latest_trn_type_code IN (...) for APPROACH 2; null for APPROACH 1 (any stage). */
  stages: string[] | null;
  /** latest_trn_dtimes < cutoff, a UTC wall-clock time as stored by MOSIP ('YYYY-MM-DD HH:MI:SS.US'). */
  cutoffUtc: string;
}

export interface EligibleRow {
  reg_id: string;
  process: string;
  workflow_instance_id: string;
  iteration: number | null;
  source: string | null;
  /** The stage the row is stuck in, kept in the journal for the report's breakdown (absent from custom queries). */
  latest_trn_type_code?: string | null;
}

/**
 * The age cutoff, computed once per run by the database: `now()` in UTC minus the age. MOSIP writes UTC into
 * `timestamp without time zone`, so the guide's `NOW() - INTERVAL '1 DAY'` is off by the server's UTC offset
 * whenever its TimeZone is not UTC; `now() AT TIME ZONE 'UTC'` is right in every zone.
 */
export async function utcCutoff(db: Queryable, olderThanSeconds: number): Promise<string> {
  const { rows } = await db.query<{ cutoff: string }>(
    `SELECT to_char(${NOW_UTC} - make_interval(secs => $1::float8), 'YYYY-MM-DD HH24:MI:SS.US') AS cutoff`,
    [olderThanSeconds],
  );
  return rows[0]!.cutoff;
}

/**
 * The selection's conditions on `registration` (unqualified column names), with bound parameters numbered from
 * `$first`; pair it with whereValues(). Shared with the dry-run's breakdown so both always select the same rows.
 */
export function whereClause(first: number): string {
  const p = (n: number) => `$${first + n}`;
  return `latest_trn_status_code = ANY(${p(0)}::text[])
    AND reg_process_retry_count <= ${p(1)}
    AND latest_trn_dtimes < ${p(2)}::timestamp
    AND status_code <> ALL(${p(3)}::text[])
    AND (${p(4)}::text[] IS NULL OR latest_trn_type_code = ANY(${p(4)}::text[]))`;
}

/** The five values whereClause() binds, in its parameter order. */
export function whereValues(c: EligibilityCriteria): unknown[] {
  return [c.trnStatuses, c.maxRetries, c.cutoffUtc, c.excludeStatuses, c.stages];
}

/** One page of eligible rows with workflow_instance_id > after, in workflow id order (the primary key). */
export async function selectEligiblePage(
  db: Queryable, schema: string, criteria: EligibilityCriteria, after: string, pageSize: number,
): Promise<EligibleRow[]> {
  const { rows } = await db.query<EligibleRow>(
    `SELECT reg_id, process, workflow_instance_id, iteration, source, latest_trn_type_code
       FROM ${quoteSchema(schema)}.registration
      WHERE ${whereClause(1)}
        AND workflow_instance_id > $6
      ORDER BY workflow_instance_id
      LIMIT $7`,
    [...whereValues(criteria), after, pageSize],
  );
  return rows;
}

/** How many rows the selection matches in all, not capped by any limit. */
export async function countEligible(db: Queryable, schema: string, criteria: EligibilityCriteria): Promise<number> {
  const { rows } = await db.query<{ n: string }>(
    `SELECT count(*) AS n FROM ${quoteSchema(schema)}.registration WHERE ${whereClause(1)}`,
    whereValues(criteria),
  );
  return Number(rows[0]!.n);
}
