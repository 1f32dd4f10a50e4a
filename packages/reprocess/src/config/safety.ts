// The settings of the safety guards (docs/operating.md, "Safety on a real MOSIP") and the window floor check.
// The rows join the one settings table (settings.ts) through safetySettings(), which takes the table's value
// parsers so they are defined once.
import { z } from 'zod';
import type { NumberSpec } from './values.js';
import { InputError } from '../errors.js';
import { DEFAULT_REPEAT_FAILURES, MOSIP_MIN_WINDOW_SECONDS, MOSIP_REPROCESS_ATTEMPT_COUNT, MOSIP_UPLOADER_MAX_RETRY, type HoldBackRules } from '../domain/holdBack.js';

export function safetySettings<B extends z.ZodTypeAny, N extends z.ZodTypeAny>(p: { bool: B; num: (spec: NumberSpec) => N }) {
  return [
    { key: 'includePaused', flag: '--include-paused', env: 'REPROCESS_INCLUDE_PAUSED', describe: 'also send packets MOSIP paused (status_code PAUSED, PAUSED_FOR_ADDITIONAL_INFO, RESUMABLE); bypasses their pause rules', schema: p.bool.default(false) },
    { key: 'includeExhausted', flag: '--include-exhausted', env: 'REPROCESS_INCLUDE_EXHAUSTED', describe: 'also send packets whose retry budget is spent (MOSIP fails them on their next pass)', schema: p.bool.default(false) },
    { key: 'uploaderMaxRetry', flag: '--uploader-max-retry <n>', env: 'REPROCESS_UPLOADER_MAX_RETRY', describe: `your registration.processor.max.retry: the packet uploader fails a packet when trn_retry_count + 1 reaches it (default ${MOSIP_UPLOADER_MAX_RETRY}, MOSIP's)`, schema: p.num({ min: 1, max: 32767, integer: true }).default(MOSIP_UPLOADER_MAX_RETRY) },
    { key: 'reprocessAttemptCount', flag: '--reprocess-attempt-count <n>', env: 'REPROCESS_REPROCESS_ATTEMPT_COUNT', describe: `your registration.processor.reprocess.attempt.count: MOSIP's reprocessor fails a row whose reg_process_retry_count equals it (default ${MOSIP_REPROCESS_ATTEMPT_COUNT}, MOSIP's)`, schema: p.num({ min: 0, max: 32767, integer: true }).default(MOSIP_REPROCESS_ATTEMPT_COUNT) },
    { key: 'includeRepeatFailures', flag: '--include-repeat-failures', env: 'REPROCESS_INCLUDE_REPEAT_FAILURES', describe: 'also send packets whose history shows the same failure --repeat-failures times or more (a re-drive will not fix them; `reprocess triage` lists them)', schema: p.bool.default(false) },
    { key: 'repeatFailures', flag: '--repeat-failures <n>', env: 'REPROCESS_REPEAT_FAILURES', describe: `a packet whose last failure (same stage, status and sub status, in registration_transaction) occurs this many times, with no success of that stage since, is "repeating": held back, and so grouped by \`reprocess triage\` (default ${DEFAULT_REPEAT_FAILURES})`, schema: p.num({ min: 2, max: 32767, integer: true }).default(DEFAULT_REPEAT_FAILURES) },
    { key: 'allowShortWindow', flag: '--allow-short-window', env: 'REPROCESS_ALLOW_SHORT_WINDOW', describe: `allow --older-than of ${MOSIP_MIN_WINDOW_SECONDS} s or less (MOSIP's own start-up checks want its reprocess window above that; shorter windows re-drive packets still in ABIS or manual adjudication), and send listed or queried packets whose row was written within it`, schema: p.bool.default(false) },
    { key: 'reason', flag: '--reason <text>', env: 'REPROCESS_REASON', describe: 'why this run: recorded in its journal, summary and logs, and shown to a second run the lock stops', schema: z.string().trim().min(1).max(200).optional() },
  ] as const;
}

/**
 * MOSIP's own lower bound for a reprocess window (domain/holdBack.ts says where it comes from). A shorter window
 * re-drives packets that are still inside ABIS or manual verification.
 */
export { MOSIP_MIN_WINDOW_SECONDS };

/** --older-than at or below the floor is refused (exit 2) unless --allow-short-window: MOSIP's validators call a window at the bound invalid too. */
export function checkWindowFloor(s: { olderThan: number; allowShortWindow: boolean }, origin = '--older-than'): void {
  if (s.allowShortWindow || s.olderThan > MOSIP_MIN_WINDOW_SECONDS) return;
  throw new InputError(
    `${origin} ${s.olderThan} s is not above ${MOSIP_MIN_WINDOW_SECONDS} s, the shortest reprocess window MOSIP's own start-up checks accept `
    + '(ABIS: 2 x 2700 s + 900 s; manual adjudication: 5400 s + 900 s): younger packets may still be inside ABIS or manual adjudication, '
    + 'and processing a packet twice at once is how duplicate UINs were issued before 1.2.0.1 (MOSIP-26697). '
    + 'Use --older-than 2h or more, or --allow-short-window if you know no packet of the selection is in those stages',
  );
}

/** The hold-back rules these settings ask for. */
export function holdBackRulesOf(s: {
  includePaused: boolean; includeExhausted: boolean; allowShortWindow: boolean; uploaderMaxRetry: number; reprocessAttemptCount: number;
  repeatFailures: number; includeRepeatFailures: boolean;
}): HoldBackRules {
  return {
    includePaused: s.includePaused, includeExhausted: s.includeExhausted, allowShortWindow: s.allowShortWindow,
    uploaderMaxRetry: s.uploaderMaxRetry, reprocessAttemptCount: s.reprocessAttemptCount,
    repeatFailures: s.repeatFailures, includeRepeatFailures: s.includeRepeatFailures,
  };
}
