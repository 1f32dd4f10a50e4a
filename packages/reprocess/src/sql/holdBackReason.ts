// The hold-back rule (domain/holdBack.ts explains it) as one SQL expression over a registration row: the
// reason MOSIP would not move the packet now, or NULL. Every selection, count and lookup uses this expression.
import { NOW_UTC } from '@mosip-reprocess/contract/sql/utcText.js';
import { heldReasons, includedReasons, MOSIP_MIN_WINDOW_SECONDS, PAUSED_STATUSES, type HoldBackReason, type HoldBackRules } from '../domain/holdBack.js';
import { repeatsSql } from './lastFailure.js';
import type { Params } from './params.js';

/**
 * CASE expression: 'paused' | 'uploader_budget' | 'reprocess_budget' | 'recent' | 'repeating' | NULL, for the row
 * alias `r`: the reason that decides the row. The reasons that hold it under these rules come first, then those the
 * operator included (--include-*): a row held for any reason is held, whatever else it is. (Were the first matching
 * reason the only one, --include-exhausted would send a packet also written within 6300 s, and --include-paused a
 * paused packet that also repeats.) A row the run takes anyway names its first included reason, for the reports.
 * The repeating test reads the RID's history (schema's registration_transaction), last among the held reasons, so
 * only rows no cheaper reason holds pay for it. `repeating` may name a boolean the statement already computed with
 * repeatingSql() (the triage's lateral join) instead of reading the history a second time.
 */
export function holdBackReasonSql(p: Params, schema: string, rules: HoldBackRules, r = 'r', repeating?: string): string {
  const when: Record<HoldBackReason, () => string> = {
    paused: () => `${r}.status_code = ANY(${p.add([...PAUSED_STATUSES])}::text[])`,
    uploader_budget: () => `${r}.trn_retry_count IS NOT NULL AND ${r}.trn_retry_count + 1 >= ${p.add(rules.uploaderMaxRetry)}::int`,
    reprocess_budget: () => `${r}.reg_process_retry_count = ${p.add(rules.reprocessAttemptCount)}::int`,
    recent: () => `${r}.latest_trn_dtimes >= ${NOW_UTC} - make_interval(secs => ${p.add(MOSIP_MIN_WINDOW_SECONDS)}::int)`,
    repeating: () => repeating ?? repeatsSql(p, schema, rules, r),
  };
  const order = [...heldReasons(rules), ...includedReasons(rules)];
  const whens = order.map((reason) => `      WHEN ${when[reason]()} THEN '${reason}'`);
  return `(CASE\n${whens.join('\n')}\n    END)`;
}

/** Condition: the row is not held back for one of these reasons (the ones the operator did not include). */
export function notHeldBackSql(p: Params, schema: string, rules: HoldBackRules, held: readonly HoldBackReason[], r = 'r'): string {
  // NULL (not held) <> ALL(...) is NULL, hence the coalesce; anything <> ALL('{}') is true.
  // A reason the run takes anyway cannot drop a row: the history is not read for it.
  const repeating = held.includes('repeating') ? undefined : 'false';
  return `coalesce(${holdBackReasonSql(p, schema, rules, r, repeating)} <> ALL(${p.add([...held])}::text[]), true)`;
}
