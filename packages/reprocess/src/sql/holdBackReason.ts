// The hold-back rule (domain/holdBack.ts explains it) as one SQL expression over a registration row: the
// reason MOSIP would not move the packet now, or NULL. Every selection, count and lookup uses this expression.
import { NOW_UTC } from '@mosip-reprocess/contract/sql/utcText.js';
import { MOSIP_MIN_WINDOW_SECONDS, PAUSED_STATUSES, type HoldBackReason, type HoldBackRules } from '../domain/holdBack.js';
import { repeatsSql } from './lastFailure.js';
import type { Params } from './params.js';

type ReasonRules = Pick<HoldBackRules, 'uploaderMaxRetry' | 'reprocessAttemptCount' | 'repeatFailures'>;

/**
 * CASE expression: 'paused' | 'uploader_budget' | 'reprocess_budget' | 'recent' | 'repeating' | NULL, for the row
 * alias `r`. The repeating test reads the RID's history (schema's registration_transaction), last, so only rows no
 * cheaper reason holds pay for it. `repeating` may name a boolean the statement already computed with
 * repeatingSql() (the triage's lateral join) instead of reading the history a second time.
 */
export function holdBackReasonSql(p: Params, schema: string, rules: ReasonRules, r = 'r', repeating?: string): string {
  return `(CASE
      WHEN ${r}.status_code = ANY(${p.add([...PAUSED_STATUSES])}::text[]) THEN 'paused'
      WHEN ${r}.trn_retry_count IS NOT NULL AND ${r}.trn_retry_count + 1 >= ${p.add(rules.uploaderMaxRetry)}::int THEN 'uploader_budget'
      WHEN ${r}.reg_process_retry_count = ${p.add(rules.reprocessAttemptCount)}::int THEN 'reprocess_budget'
      WHEN ${r}.latest_trn_dtimes > ${NOW_UTC} - make_interval(secs => ${p.add(MOSIP_MIN_WINDOW_SECONDS)}::int) THEN 'recent'
      WHEN ${repeating ?? repeatsSql(p, schema, rules, r)} THEN 'repeating'
    END)`;
}

/** Condition: the row is not held back for one of these reasons (the ones the operator did not include). */
export function notHeldBackSql(p: Params, schema: string, rules: HoldBackRules, held: readonly HoldBackReason[], r = 'r'): string {
  // NULL (not held) <> ALL(...) is NULL, hence the coalesce; anything <> ALL('{}') is true.
  // A reason the run takes anyway cannot drop a row: the history is not read for it.
  const repeating = held.includes('repeating') ? undefined : 'false';
  return `coalesce(${holdBackReasonSql(p, schema, rules, r, repeating)} <> ALL(${p.add([...held])}::text[]), true)`;
}
