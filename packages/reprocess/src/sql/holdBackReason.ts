// The hold-back rule (src/filter/holdBack.ts explains it) as one SQL expression over a registration row: the
// reason MOSIP would not move the packet now, or NULL. Every selection, count and lookup uses this expression.
import { NOW_UTC } from '@mosip-reprocess/contract/sql/utcText.js';
import { MOSIP_MIN_WINDOW_SECONDS, PAUSED_STATUSES, type HoldBackReason, type HoldBackRules } from '../domain/holdBack.js';
import type { Params } from './params.js';

/** CASE expression: 'paused' | 'uploader_budget' | 'reprocess_budget' | 'recent' | NULL, for the row alias `r`. */
export function holdBackReasonSql(p: Params, rules: Pick<HoldBackRules, 'uploaderMaxRetry' | 'reprocessAttemptCount'>, r = 'r'): string {
  return `(CASE
      WHEN ${r}.status_code = ANY(${p.add([...PAUSED_STATUSES])}::text[]) THEN 'paused'
      WHEN ${r}.trn_retry_count IS NOT NULL AND ${r}.trn_retry_count + 1 >= ${p.add(rules.uploaderMaxRetry)}::int THEN 'uploader_budget'
      WHEN ${r}.reg_process_retry_count = ${p.add(rules.reprocessAttemptCount)}::int THEN 'reprocess_budget'
      WHEN ${r}.latest_trn_dtimes > ${NOW_UTC} - make_interval(secs => ${p.add(MOSIP_MIN_WINDOW_SECONDS)}::int) THEN 'recent'
    END)`;
}

/** Condition: the row is not held back for one of these reasons (the ones the operator did not include). */
export function notHeldBackSql(p: Params, rules: HoldBackRules, held: readonly HoldBackReason[], r = 'r'): string {
  // NULL (not held) <> ALL(...) is NULL, hence the coalesce; anything <> ALL('{}') is true.
  return `coalesce(${holdBackReasonSql(p, rules, r)} <> ALL(${p.add([...held])}::text[]), true)`;
}
