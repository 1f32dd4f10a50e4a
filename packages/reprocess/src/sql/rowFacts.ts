// Expressions over a registration row (alias r) that the dry-run statements share; they bind no parameters.
import { isoUtcText, NOW_UTC } from '@mosip-reprocess/contract/sql/utcText.js';

/** Age of latest_trn_dtimes: <1 d, 1-7 d, 7-30 d, >30 d, and none for NULL. */
export const AGE_BUCKETS = ['lt_1d', '1d_7d', '7d_30d', 'gt_30d', 'none'] as const;
export type AgeBucket = (typeof AGE_BUCKETS)[number];

// A row is "<1 d" when it is strictly younger than a day; exactly 1 day old is already "1-7 d". In a
// timestamp without time zone an interval of days is exactly 24 h (no DST), as MOSIP's UTC values need.
export function ageBucketSql(column: string): string {
  return `CASE WHEN ${column} IS NULL THEN 'none'
      WHEN ${column} > ${NOW_UTC} - interval '1 day' THEN 'lt_1d'
      WHEN ${column} > ${NOW_UTC} - interval '7 days' THEN '1d_7d'
      WHEN ${column} > ${NOW_UTC} - interval '30 days' THEN '7d_30d'
      ELSE 'gt_30d' END`;
}

// Exactly the lookup of the securezone stage (docs/mosip-facts.md, "Lookup by workflow id"): NULL flags do not match.
export const ACTIVE_SQL = `coalesce(r.is_active = true AND r.is_deleted = false, false)`;

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

export const SAMPLE_COLUMNS = `r.reg_id, r.workflow_instance_id, r.process, r.status_code, r.latest_trn_type_code,
  r.latest_trn_status_code, ${isoUtcText('r.latest_trn_dtimes')} AS latest_trn_dtimes, r.reg_process_retry_count,
  r.iteration, r.source`;
