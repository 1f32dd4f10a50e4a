// A packet's last failure and whether it repeats, read from its history (registration_transaction, by reg_id over
// MOSIP's index idx_reg_trn_reg_id), as SQL fragments that the statements compose: THE repeating-failure rule of
// the hold-back (holdBackReason.ts), the triage's cohorts (triagePage.ts, packetFacts.ts) and `explain` all use
// these, so a run and the triage can never disagree about which packets repeat.
//
// - A failure is a history row whose status is FAILED, ERROR, REPROCESS, REJECTED or REPROCESS_FAILED, written by a
//   stage (not the workflow engine's own rows: PACKET_REPROCESS, INTERNAL_WORKFLOW_ACTION, WORKFLOW_RESUME, which
//   repeat the status of the step before them). MOSIP's facts: @mosip-reprocess/contract/history.js.
// - The last failure is the newest such row (cr_dtimes, then id). It is "resolved" when the same stage
//   (trn_type_code) wrote SUCCESS or PROCESSED after it: the packet got past it.
// - It repeats when it is not resolved and the history holds the same stage, status and sub status at least
//   --repeat-failures times.
// reg_id is not unique in registration (one row per workflow instance): the history is the RID's, as MOSIP's own
// history screens and API show it.
import { quoteSchema } from '@mosip-reprocess/contract/sql/ident.js';
import { isoUtcText } from '@mosip-reprocess/contract/sql/utcText.js';
import { BOOKKEEPING_TRN_TYPES, FAILURE_TRN_STATUSES, REPROCESSOR_PASS, SUCCESS_TRN_STATUSES } from '@mosip-reprocess/contract/history.js';
import type { HoldBackRules } from '../domain/holdBack.js';
import type { Params } from './params.js';

/** The columns lastFailureSql gives (one row, or none when the history holds no failure). */
export interface LastFailureColumns {
  f_type: string | null;
  f_status: string | null;
  f_sub: string | null;
  f_comment: string | null;
  /** ISO UTC text. */
  f_at: string | null;
  /** History rows with the same stage, status and sub status (the last failure included). */
  times: number | null;
  /** The same stage succeeded after it. */
  resolved: boolean | null;
}

/** Condition: history row `t` is a stage's failure. */
export function isFailureSql(p: Params, t: string): string {
  return `(${t}.status_code = ANY(${p.add([...FAILURE_TRN_STATUSES])}::text[])
        AND ${t}.trn_type_code <> ALL(${p.add([...BOOKKEEPING_TRN_TYPES])}::text[]))`;
}

/**
 * Subquery (use as `LEFT JOIN LATERAL (...) alias ON true`, or inside EXISTS) over the history of the RID `regId`
 * (an SQL expression, e.g. `r.reg_id`): its last failure, how many times that failure occurs, and whether the stage
 * got past it. Two index scans on reg_id; the second only for a packet that has a failure.
 */
export function lastFailureSql(p: Params, schema: string, regId: string): string {
  const tx = `${quoteSchema(schema)}.registration_transaction`;
  return `SELECT lf.trn_type_code AS f_type, lf.status_code AS f_status, lf.sub_status_code AS f_sub,
           lf.status_comment AS f_comment, ${isoUtcText('lf.cr_dtimes')} AS f_at,
           s.times, s.resolved
      FROM (SELECT f.reg_id, f.trn_type_code, f.status_code, f.sub_status_code, f.status_comment, f.cr_dtimes
              FROM ${tx} f
             WHERE f.reg_id = ${regId} AND ${isFailureSql(p, 'f')}
             ORDER BY f.cr_dtimes DESC, f.id DESC
             LIMIT 1) lf
      CROSS JOIN LATERAL (
        SELECT count(*) FILTER (WHERE u.status_code = lf.status_code AND u.sub_status_code = lf.sub_status_code)::int AS times,
               coalesce(bool_or(u.status_code = ANY(${p.add([...SUCCESS_TRN_STATUSES])}::text[]) AND u.cr_dtimes > lf.cr_dtimes), false) AS resolved
          FROM ${tx} u
         WHERE u.reg_id = lf.reg_id AND u.trn_type_code = lf.trn_type_code) s`;
}

/** THE repeating rule, over lastFailureSql's columns under alias `a`: not resolved, and at least --repeat-failures times. */
export function repeatingSql(p: Params, rules: Pick<HoldBackRules, 'repeatFailures'>, a: string): string {
  return `(${a}.resolved IS FALSE AND ${a}.times >= ${p.add(rules.repeatFailures)}::int)`;
}

/** Condition over a registration row `r`: its RID's last failure repeats (for the hold-back's CASE). */
export function repeatsSql(p: Params, schema: string, rules: Pick<HoldBackRules, 'repeatFailures'>, r = 'r'): string {
  return `EXISTS (SELECT 1 FROM (${lastFailureSql(p, schema, `${r}.reg_id`)}) lfr WHERE ${repeatingSql(p, rules, 'lfr')})`;
}

/** The columns historyStatsSql gives. */
export interface HistoryStatsColumns {
  /** History rows of the RID. */
  h_rows: number;
  /** Passes of MOSIP's reprocessor (PACKET_REPROCESS rows with status REPROCESS). */
  h_passes: number;
  /** Whether a stage failure came after the first of those passes (the re-drive ended in a failure). */
  h_failed_after_pass: boolean;
}

/**
 * Subquery (`LEFT JOIN LATERAL (...) alias ON true`) over the RID's history: its size, MOSIP's reprocessor passes,
 * and whether a failure followed them. For the triage's "re-driven before, and how it ended"; no rule depends on it.
 */
export function historyStatsSql(p: Params, schema: string, regId: string): string {
  const tx = `${quoteSchema(schema)}.registration_transaction`;
  const pass = `(h.trn_type_code = ${p.add(REPROCESSOR_PASS.trnTypeCode)}::text AND h.status_code = ${p.add(REPROCESSOR_PASS.statusCode)}::text)`;
  return `SELECT x.h_rows, x.h_passes, coalesce(x.last_failure_at > x.first_pass_at, false) AS h_failed_after_pass
      FROM (SELECT count(*)::int AS h_rows,
                   count(*) FILTER (WHERE ${pass})::int AS h_passes,
                   min(h.cr_dtimes) FILTER (WHERE ${pass}) AS first_pass_at,
                   max(h.cr_dtimes) FILTER (WHERE ${isFailureSql(p, 'h')}) AS last_failure_at
              FROM ${tx} h
             WHERE h.reg_id = ${regId}) x`;
}
