// The dry-run's SQL. Everything here only reads. For --db it aggregates in the database with the selection's own
// WHERE (selectEligible.ts), one GROUPING SETS scan for every breakdown, so a table of millions of rows never
// leaves the server; for --file/--registration it looks up the listed workflow ids in batches.
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import { quoteSchema } from '@mosip-reprocess/contract/sql/ident.js';
import { whereClause, whereValues, type EligibilityCriteria } from './selectEligible.js';
import { isoUtcText, NOW_UTC } from '@mosip-reprocess/contract/sql/utcText.js';

/** Age of latest_trn_dtimes: <1 d, 1-7 d, 7-30 d, >30 d, and none for NULL. */
export const AGE_BUCKETS = ['lt_1d', '1d_7d', '7d_30d', 'gt_30d', 'none'] as const;
export type AgeBucket = (typeof AGE_BUCKETS)[number];

export interface StageCount { typeCode: string | null; statusCode: string | null; count: number }
export interface ProcessCount { process: string | null; count: number }
export interface StatusCount { statusCode: string | null; count: number }
export interface AgeCount<B extends string = AgeBucket> { bucket: B; count: number }

/** What the selection matches, broken down; all counts come from one scan. */
export interface EligibleBreakdown {
  /** The UTC time ages are measured from (ISO). */
  asOfUtc: string;
  matched: number;
  /** Matched rows the securezone stage cannot find (is_active false or is_deleted not false): a `null` reply. */
  inactive: number;
  /** Matched rows without a registration_list (sync) row: the stage fails with RPR-SEZ-001. */
  withoutSyncRow: number;
  byStage: StageCount[];
  byProcess: ProcessCount[];
  byStatus: StatusCount[];
  byAge: AgeCount[];
}

/** The columns a dry-run sample shows; timestamps as ISO UTC text. */
export interface SampleRow {
  reg_id: string;
  workflow_instance_id: string;
  process: string;
  status_code: string | null;
  latest_trn_type_code: string | null;
  latest_trn_status_code: string | null;
  latest_trn_dtimes: string | null;
  reg_process_retry_count: number | null;
  iteration: number | null;
  source: string | null;
}

/** A listed packet's row, with what the stage and the selection would make of it. */
export interface ListedRow extends SampleRow {
  /** is_active = true AND is_deleted = false: the only rows the securezone stage finds. */
  active: boolean;
  /** The --db selection (the given criteria) would take this row. */
  eligible: boolean;
  /** latest_trn_dtimes < the criteria's cutoff (NULL counts as false). */
  beforeCutoff: boolean;
  /** A registration_list row exists for the workflow id. */
  synced: boolean;
  age: AgeBucket;
}

// A row is "<1 d" when it is strictly younger than a day; exactly 1 day old is already "1-7 d". In a
// timestamp without time zone an interval of days is exactly 24 h (no DST), as MOSIP's UTC values need.
function ageBucketSql(column: string): string {
  return `CASE WHEN ${column} IS NULL THEN 'none'
      WHEN ${column} > ${NOW_UTC} - interval '1 day' THEN 'lt_1d'
      WHEN ${column} > ${NOW_UTC} - interval '7 days' THEN '1d_7d'
      WHEN ${column} > ${NOW_UTC} - interval '30 days' THEN '7d_30d'
      ELSE 'gt_30d' END`;
}

// Exactly the lookup of the securezone stage (contract section 1): NULL flags do not match.
const ACTIVE_SQL = `coalesce(r.is_active = true AND r.is_deleted = false, false)`;

interface GroupRow {
  dimension: 'stage' | 'process' | 'status' | 'age' | 'total';
  type_code: string | null;
  trn_status: string | null;
  process: string | null;
  status_code: string | null;
  age: AgeBucket | null;
  n: string;
  inactive: string;
  unsynced: string;
  as_of: string;
}

/** Every breakdown of the --db selection in one statement (GROUPING SETS; the empty set is the total). */
export async function eligibleBreakdown(db: Queryable, schema: string, criteria: EligibilityCriteria): Promise<EligibleBreakdown> {
  const s = quoteSchema(schema);
  // The selection is filtered before the join: registration_list has its own status_code and process. Its key is
  // workflow_instance_id, so the join never multiplies rows.
  const { rows } = await db.query<GroupRow>(
    `WITH matched AS (
       SELECT r.workflow_instance_id, r.latest_trn_type_code, r.latest_trn_status_code, r.process, r.status_code,
              ${ageBucketSql('r.latest_trn_dtimes')} AS age, ${ACTIVE_SQL} AS active
         FROM ${s}.registration r
        WHERE ${whereClause(1)}
     ), facts AS (
       SELECT m.*, l.workflow_instance_id IS NOT NULL AS synced
         FROM matched m
         LEFT JOIN ${s}.registration_list l ON l.workflow_instance_id = m.workflow_instance_id AND l.is_deleted = false
     )
     SELECT CASE WHEN GROUPING(latest_trn_type_code) = 0 THEN 'stage'
                 WHEN GROUPING(process) = 0 THEN 'process'
                 WHEN GROUPING(status_code) = 0 THEN 'status'
                 WHEN GROUPING(age) = 0 THEN 'age'
                 ELSE 'total' END AS dimension,
            latest_trn_type_code AS type_code, latest_trn_status_code AS trn_status, process, status_code, age,
            count(*) AS n,
            count(*) FILTER (WHERE NOT active) AS inactive,
            count(*) FILTER (WHERE NOT synced) AS unsynced,
            ${isoUtcText(NOW_UTC)} AS as_of
       FROM facts
      GROUP BY GROUPING SETS ((latest_trn_type_code, latest_trn_status_code), (process), (status_code), (age), ())`,
    whereValues(criteria),
  );
  const total = rows.find((r) => r.dimension === 'total');
  const of = (d: GroupRow['dimension']) => rows.filter((r) => r.dimension === d);
  return {
    asOfUtc: total?.as_of ?? (await nowUtcText(db)),
    matched: Number(total?.n ?? 0),
    inactive: Number(total?.inactive ?? 0),
    withoutSyncRow: Number(total?.unsynced ?? 0),
    byStage: of('stage').map((r) => ({ typeCode: r.type_code, statusCode: r.trn_status, count: Number(r.n) })),
    byProcess: of('process').map((r) => ({ process: r.process, count: Number(r.n) })),
    byStatus: of('status').map((r) => ({ statusCode: r.status_code, count: Number(r.n) })),
    byAge: of('age').map((r) => ({ bucket: r.age!, count: Number(r.n) })),
  };
}

const SAMPLE_COLUMNS = `r.reg_id, r.workflow_instance_id, r.process, r.status_code, r.latest_trn_type_code,
  r.latest_trn_status_code, ${isoUtcText('r.latest_trn_dtimes')} AS latest_trn_dtimes, r.reg_process_retry_count,
  r.iteration, r.source`;

/** The first rows the run would send: same WHERE and same order (workflow id, the run's keyset). */
export async function eligibleSample(
  db: Queryable, schema: string, criteria: EligibilityCriteria, size: number,
): Promise<SampleRow[]> {
  if (size <= 0) return [];
  const { rows } = await db.query<SampleRow>(
    `SELECT ${SAMPLE_COLUMNS} FROM ${quoteSchema(schema)}.registration r
      WHERE ${whereClause(1)}
      ORDER BY r.workflow_instance_id
      LIMIT $6`,
    [...whereValues(criteria), size],
  );
  return rows;
}

/** The rows of these workflow ids (any state); ids without a row are simply absent from the result. */
export async function lookupListedRows(
  db: Queryable, schema: string, workflowIds: readonly string[], criteria: EligibilityCriteria,
): Promise<ListedRow[]> {
  if (workflowIds.length === 0) return [];
  const s = quoteSchema(schema);
  const { rows } = await db.query<ListedRow>(
    `SELECT ${SAMPLE_COLUMNS},
            ${ACTIVE_SQL} AS active,
            coalesce((${whereClause(2)}), false) AS eligible,
            coalesce(r.latest_trn_dtimes < $7::timestamp, false) AS "beforeCutoff",
            EXISTS (SELECT 1 FROM ${s}.registration_list l
                     WHERE l.workflow_instance_id = r.workflow_instance_id AND l.is_deleted = false) AS synced,
            ${ageBucketSql('r.latest_trn_dtimes')} AS age
       FROM ${s}.registration r
      WHERE r.workflow_instance_id = ANY($1::varchar[])`,
    [[...workflowIds], ...whereValues(criteria), criteria.cutoffUtc],
  );
  return rows;
}

/** Now as UTC ISO text, for a report that has no row to read it from. */
export async function nowUtcText(db: Queryable): Promise<string> {
  const { rows } = await db.query<{ now: string }>(`SELECT ${isoUtcText(NOW_UTC)} AS now`);
  return rows[0]!.now;
}
