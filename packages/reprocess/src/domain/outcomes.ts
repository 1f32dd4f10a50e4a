// Which replies are no answer: the packet is sent again (after a backoff during the run, or by a resume).
import { isTransientStageError, type NotifyOutcome } from '@mosip-reprocess/contract/wire.js';
export const TRANSIENT_OUTCOMES: ReadonlySet<NotifyOutcome> = new Set(['server_error', 'network_error']);

/** Worth another attempt: a 5xx, no reply, or a stage that could not reach its database. */
export function isTransient(result: { outcome: NotifyOutcome; reply: string }): boolean {
  return TRANSIENT_OUTCOMES.has(result.outcome) || (result.outcome === 'stage_error' && isTransientStageError(result.reply));
}

/**
 * Refused before the stage ran: the token was not accepted (401 again after a fresh one) or the client lacks the
 * role (403). MOSIP's auth filter answers before the securezone stage reads or writes anything, so the packet was
 * not handled: the run stops, and once the client is fixed its resume sends these packets again.
 */
export const REFUSED_OUTCOMES: ReadonlySet<NotifyOutcome> = new Set(['unauthorized', 'forbidden']);

/** No definitive answer: a resume sends the packet again (a transient failure, or a refusal before the stage ran). */
export function isUnanswered(result: { outcome: NotifyOutcome; reply: string }): boolean {
  return isTransient(result) || REFUSED_OUTCOMES.has(result.outcome);
}
