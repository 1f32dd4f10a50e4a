// Packets MOSIP itself would not move now, held back from a re-drive by default (issue #10; docs/mosip-facts.md,
// "Pauses and the workflow action API", "Retry budgets", "Window floor", "The KER-PUT-020 loop"):
// - paused: status_code PAUSED, PAUSED_FOR_ADDITIONAL_INFO or RESUMABLE. MOSIP's reprocessor leaves these alone
//   and the securezone stage ignores status_code, so a re-drive would bypass the pause rules (the
//   hotlisted-operator stop included). They move with the workflow action API (`reprocess action`).
// - uploader budget spent: the packet uploader computes retry = trn_retry_count + 1 (0 when NULL) on every pass
//   and marks the packet FAILED when retry >= registration.processor.max.retry (10), before uploading
//   (PacketUploaderServiceImpl.validateAndUploadPacket, 1.2.0.1 l.220-246). Every re-driven packet passes the
//   uploader next (securezone -> packet-uploader-bus-in), so such a packet certainly fails.
// - reprocess budget spent: MOSIP's reprocessor marks a row REPROCESS_FAILED, sending nothing, when
//   reg_process_retry_count equals registration.processor.reprocess.attempt.count (20)
//   (ReprocessorVerticle l.258, an equality test); a row above the count is never selected by the reprocessor,
//   so a manual re-drive is its only way and it is not held.
// - written recently: a row written within MOSIP_MIN_WINDOW_SECONDS (6300 s) may still be inside ABIS or manual
//   verification; MOSIP's own validators warn at start-up when its reprocessor's window is not above that (ABIS
//   2 x 2700 s + 900, manual verification 5400 s + 900; AbisMiddlewareAppConfigurationsValidator,
//   ManualVerificationAppConfigurationsValidator, mosip-config 1.2.0.1 l.29-30, 347-349), and the 1.2.0.1 release
//   notes list duplicate UINs from a manual re-drive overlapping the reprocessor among the bugs fixed
//   (MOSIP-26697). The --db selection never takes these (--older-than is above that); listed and queried
//   packets are held back by this rule.
// - repeating failure (issue #20): the packet's history (registration_transaction) shows its last failure, the same
//   stage, status and sub status, at least --repeat-failures times (3), and that stage has not succeeded since:
//   a data or configuration error (e.g. the packet manager's KER-PUT-020 at packet validation, which MOSIP marks
//   REPROCESS and so loops) that one more re-drive will not fix. `reprocess triage` groups them; `reprocess
//   explain <rid>` shows one. The rule is one SQL fragment (src/sql/lastFailure.ts).
// The rule itself is one SQL expression (src/sql/holdBackReason.ts) used by every selection and lookup; this
// module names the reasons, their MOSIP defaults and the words an operator reads.

export const PAUSED_STATUSES = ['PAUSED', 'PAUSED_FOR_ADDITIONAL_INFO', 'RESUMABLE'] as const;

export const HOLD_BACK_REASONS = ['paused', 'uploader_budget', 'reprocess_budget', 'repeating', 'recent'] as const;
export type HoldBackReason = (typeof HOLD_BACK_REASONS)[number];

/** registration.processor.max.retry in mosip-config 1.2.0.1 (registration-processor-default.properties l.166). */
export const MOSIP_UPLOADER_MAX_RETRY = 10;
/** registration.processor.reprocess.attempt.count in mosip-config 1.2.0.1 (l.295). */
export const MOSIP_REPROCESS_ATTEMPT_COUNT = 20;
/** MOSIP's own lower bound for a reprocess window, in seconds (see "written recently" above). */
export const MOSIP_MIN_WINDOW_SECONDS = 6300;
/** --repeat-failures: the same failure this many times in a packet's history holds it back (ours, not MOSIP's). */
export const DEFAULT_REPEAT_FAILURES = 3;

export interface HoldBackRules {
  /** registration.processor.max.retry of the deployment. */
  uploaderMaxRetry: number;
  /** registration.processor.reprocess.attempt.count of the deployment. */
  reprocessAttemptCount: number;
  /** --include-paused: send paused packets anyway. */
  includePaused: boolean;
  /** --include-exhausted: send packets whose retry budget is spent anyway. */
  includeExhausted: boolean;
  /** --allow-short-window: send packets written within MOSIP_MIN_WINDOW_SECONDS anyway. */
  allowShortWindow: boolean;
  /** --repeat-failures: how many times the same failure makes a packet "repeating". */
  repeatFailures: number;
  /** --include-repeat-failures: send repeating packets anyway. */
  includeRepeatFailures: boolean;
}

export const DEFAULT_HOLD_BACK: HoldBackRules = {
  uploaderMaxRetry: MOSIP_UPLOADER_MAX_RETRY,
  reprocessAttemptCount: MOSIP_REPROCESS_ATTEMPT_COUNT,
  includePaused: false,
  includeExhausted: false,
  allowShortWindow: false,
  repeatFailures: DEFAULT_REPEAT_FAILURES,
  includeRepeatFailures: false,
};

/** The reasons a selection still takes (the operator's --include-* flags). */
export function includedReasons(rules: HoldBackRules): HoldBackReason[] {
  const flag: Record<HoldBackReason, boolean> = {
    paused: rules.includePaused, uploader_budget: rules.includeExhausted, reprocess_budget: rules.includeExhausted,
    repeating: rules.includeRepeatFailures, recent: rules.allowShortWindow,
  };
  return HOLD_BACK_REASONS.filter((r) => flag[r]);
}

/** The reasons that hold a packet back under these rules. */
export function heldReasons(rules: HoldBackRules): HoldBackReason[] {
  const included = new Set(includedReasons(rules));
  return HOLD_BACK_REASONS.filter((r) => !included.has(r));
}

/** What an operator needs to see about a held packet's row. */
export interface HoldBackFacts {
  reason: HoldBackReason;
  status_code: string | null;
  pause_rule_ids: string | null;
  trn_retry_count: number | null;
  reg_process_retry_count: number | null;
  /** ISO UTC text, or null. */
  latest_trn_dtimes: string | null;
  /** reason 'repeating': the failure that repeats and how many times (null otherwise). */
  repeat?: RepeatedFailure | null;
}

/** A packet's last failure, from its history. */
export interface RepeatedFailure {
  trnTypeCode: string;
  statusCode: string;
  subStatusCode: string;
  times: number;
}

/** One line: why the packet is held and how to send it anyway. */
export function holdBackMessage(f: HoldBackFacts, rules: Pick<HoldBackRules, 'uploaderMaxRetry' | 'reprocessAttemptCount' | 'repeatFailures'>): string {
  switch (f.reason) {
    case 'paused':
      return `status_code ${f.status_code}${f.pause_rule_ids ? ` (pause rule ${f.pause_rule_ids})` : ''}: MOSIP paused it; `
        + 'a re-drive would bypass the pause rule; move it with `reprocess action`, or send it anyway with --include-paused';
    case 'uploader_budget':
      return `trn_retry_count ${f.trn_retry_count}: the packet uploader fails it on its next pass `
        + `(registration.processor.max.retry ${rules.uploaderMaxRetry}); send it anyway with --include-exhausted`;
    case 'reprocess_budget':
      return `reg_process_retry_count ${f.reg_process_retry_count} = registration.processor.reprocess.attempt.count `
        + `${rules.reprocessAttemptCount}: MOSIP's reprocessor marks it REPROCESS_FAILED on its next pass; send it anyway with --include-exhausted`;
    case 'recent':
      return `latest_trn_dtimes ${f.latest_trn_dtimes ?? '?'} is within ${MOSIP_MIN_WINDOW_SECONDS} s: it may still be inside ABIS or `
        + 'manual adjudication, and processing a packet twice at once is how duplicate UINs were issued before 1.2.0.1 (MOSIP-26697); '
        + 'send it anyway with --allow-short-window';
    case 'repeating':
      return `${f.repeat ? `${f.repeat.trnTypeCode} ${f.repeat.statusCode} ${f.repeat.subStatusCode} ${f.repeat.times} times` : 'the same failure'} `
        + `(--repeat-failures ${rules.repeatFailures}): a re-drive will not fix it (\`reprocess explain <rid>\` shows its history); send it anyway with --include-repeat-failures`;
  }
}
