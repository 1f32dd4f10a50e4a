// Which replies are no answer: the packet is sent again (after a backoff during the run, or by a resume).
import { isTransientStageError, type NotifyOutcome } from '@mosip-reprocess/contract/wire.js';
export const TRANSIENT_OUTCOMES: ReadonlySet<NotifyOutcome> = new Set(['server_error', 'network_error']);

/** Worth another attempt: a 5xx, no reply, or a stage that could not reach its database. */
export function isTransient(result: { outcome: NotifyOutcome; reply: string }): boolean {
  return TRANSIENT_OUTCOMES.has(result.outcome) || (result.outcome === 'stage_error' && isTransientStageError(result.reply));
}
