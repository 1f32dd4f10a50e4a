// The --db selection's conditions on `registration` (alias r), as fragments composed with Params: the guide's
// query (APPROACH 1, or 2 with a stage list) and, on top, the hold-back rule (paused packets, spent retry
// budgets). Shared by the page query, the count, the dry-run breakdown and the list lookups, so they always
// agree on which rows the run takes.
import { DEFAULT_HOLD_BACK, heldReasons, type HoldBackRules } from '../domain/holdBack.js';
import { notHeldBackSql } from './holdBackReason.js';
import type { Params } from './params.js';

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
  /** What is held back beyond the guide's query; absent means MOSIP's defaults, nothing included (the safe side). */
  holdBack?: HoldBackRules;
}

export interface EligibleRow {
  reg_id: string;
  process: string;
  workflow_instance_id: string;
  iteration: number | null;
  source: string | null;
  /** The stage the row is stuck in, kept in the journal for the report's breakdown (absent from custom queries). */
  latest_trn_type_code?: string | null;
  /** The row as selected: what a write after the send changes (domain/rowVerdict.ts, RowBefore). */
  latest_trn_id?: string | null;
  latest_trn_dtimes_exact?: string | null;
}

export function holdBackOf(c: EligibilityCriteria): HoldBackRules {
  return c.holdBack ?? DEFAULT_HOLD_BACK;
}

/** Exactly the guide's WHERE, with the criteria's values. */
export function guideWhereSql(p: Params, c: EligibilityCriteria, r = 'r'): string {
  const stages = p.add(c.stages);
  return `${r}.latest_trn_status_code = ANY(${p.add(c.trnStatuses)}::text[])
    AND ${r}.reg_process_retry_count <= ${p.add(c.maxRetries)}::int
    AND ${r}.latest_trn_dtimes < ${p.add(c.cutoffUtc)}::timestamp
    AND ${r}.status_code <> ALL(${p.add(c.excludeStatuses)}::text[])
    AND (${stages}::text[] IS NULL OR ${r}.latest_trn_type_code = ANY(${stages}::text[]))`;
}

/** What the run takes: the guide's WHERE minus the packets held back (the repeating test reads schema's history). */
export function selectionWhereSql(p: Params, schema: string, c: EligibilityCriteria, r = 'r'): string {
  const rules = holdBackOf(c);
  return `${guideWhereSql(p, c, r)}
    AND ${notHeldBackSql(p, schema, rules, heldReasons(rules), r)}`;
}
