// Wraps the MOSIP client with what a shared national cluster needs: transient failures (5xx, no reply) are
// retried with exponential backoff and jitter, every attempt waits for the circuit breaker, and before sending
// again after a lost reply it asks the database whether the stage already handled the packet, so a reply
// lost in transit never makes MOSIP process a packet twice. Permanent outcomes are never retried.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Packet } from '../domain/packet.js';
import type { NotifyResult } from './client.js';
import { isTransientStageError, type NotifyOutcome } from '@mosip-reprocess/contract/wire.js';
import type { CircuitBreaker } from './breaker.js';
import type { Notifier } from '../run/runner.js';

export const TRANSIENT_OUTCOMES: ReadonlySet<NotifyOutcome> = new Set(['server_error', 'network_error']);

/** Worth another attempt: a 5xx, no reply, or a stage that could not reach its database. */
export function isTransient(result: Pick<NotifyResult, 'outcome' | 'reply'>): boolean {
  return TRANSIENT_OUTCOMES.has(result.outcome) || (result.outcome === 'stage_error' && isTransientStageError(result.reply));
}

export interface RetrySettings {
  /** Extra attempts after the first (0 = no retries). */
  retries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  random?: () => number;
}

/** What the database says about a packet after an attempt whose reply was lost; null when it shows nothing. */
export type DeliveryCheck = (packet: Packet, attemptStartedAt: Date) => Promise<Pick<NotifyResult, 'outcome' | 'reply'> | null>;

/** Full jitter: a random wait between 0 and min(max, base * 2^(attempt-1)). */
export function backoffMs(attempt: number, s: RetrySettings): number {
  const ceiling = Math.min(s.maxDelayMs, s.baseDelayMs * 2 ** (attempt - 1));
  return Math.round((s.random ?? Math.random)() * ceiling);
}

export class ResilientNotifier implements Notifier {
  /** Retries made, and lost replies settled from the database, for the summary. */
  retriesMade = 0;
  settledFromDb = 0;

  constructor(
    private readonly inner: Notifier,
    private readonly breaker: CircuitBreaker,
    private readonly retry: RetrySettings,
    private readonly deliveryCheck: DeliveryCheck | null,
    private readonly signal?: AbortSignal,
  ) {}

  async notify(packet: Packet): Promise<NotifyResult> {
    const started = performance.now();
    for (let attempt = 1; ; attempt++) {
      await this.breaker.permit(this.signal);
      const attemptStart = new Date();
      const result = await this.inner.notify(packet);
      const transient = isTransient(result);
      this.breaker.record(!transient);
      const total = { ...result, attempts: attempt + result.attempts - 1, latencyMs: Math.round(performance.now() - started) };
      if (!transient) return total;
      // Wait first, then ask the database: a request that timed out on our side may still be running there.
      const last = attempt > this.retry.retries || this.signal?.aborted;
      if (!last) {
        try {
          await sleep(backoffMs(attempt, this.retry), undefined, this.signal ? { signal: this.signal } : undefined);
        } catch {
          return total;
        }
      }
      if (this.deliveryCheck) {
        const seen = await this.deliveryCheck(packet, attemptStart).catch(() => null);
        if (seen) {
          this.settledFromDb += 1;
          return { ...total, outcome: seen.outcome, reply: `${seen.reply} (reply lost: ${result.reply})` };
        }
      }
      if (last) return total;
      this.retriesMade += 1;
    }
  }
}
