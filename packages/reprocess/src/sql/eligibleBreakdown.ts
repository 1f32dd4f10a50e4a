// The dry-run's breakdown of the --db selection, aggregated in the database in one GROUPING SETS scan, so a
// table of millions of rows never leaves the server. Only reads.
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import { quoteSchema } from '@mosip-reprocess/contract/sql/ident.js';
import { isoUtcText, NOW_UTC } from '@mosip-reprocess/contract/sql/utcText.js';
import { selectionWhereSql, type EligibilityCriteria } from './eligibility.js';
import { nowUtcText } from './nowUtcText.js';
import { Params } from './params.js';
import { ACTIVE_SQL, ageBucketSql, type AgeBucket } from './rowFacts.js';

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
  /** Matched rows without a registration_list (sync) row: the stage cannot handle them (an error reply, nothing written; RPR-SEZ-001 is only in its audit log). */
  withoutSyncRow: number;
  byStage: StageCount[];
  byProcess: ProcessCount[];
  byStatus: StatusCount[];
  byAge: AgeCount[];
}

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
  const p = new Params();
  // The selection is filtered before the join: registration_list has its own status_code and process. Its key is
  // workflow_instance_id, so the join never multiplies rows.
  const { rows } = await db.query<GroupRow>(
    `WITH matched AS (
       SELECT r.workflow_instance_id, r.latest_trn_type_code, r.latest_trn_status_code, r.process, r.status_code,
              ${ageBucketSql('r.latest_trn_dtimes')} AS age, ${ACTIVE_SQL} AS active
         FROM ${s}.registration r
        WHERE ${selectionWhereSql(p, schema, criteria)}
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
    p.values,
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
