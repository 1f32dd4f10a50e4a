// Wraps the MOSIP client with what a shared national cluster needs: transient failures (5xx, no reply) are
// retried with exponential backoff and jitter, every attempt waits for the circuit breaker, and a packet whose
// reply was lost is sent again only when that cannot make MOSIP process it twice. Permanent outcomes are never
// retried.
//
// The lost-reply rule (lostReply.ts, shared with the in-doubt step of a resume). A reply is lost when there was
// no HTTP reply once connected (timeout, reset) or a gateway in front of the stage answered for it (502, 504, or a
// 503 after the upstream connection was cut: replyMayBeLost). The request may have reached the stage, which may
// have committed. Such a packet is sent again only when the database shows its row not written since the send
// (compared with the row as read before it: no clock) once a request still running at the server could no longer
// commit (`settleAfterMs` after the attempt started). Written since: delivered (settled from the database). When
// the database cannot say, or the run is stopped before the wait is over, the packet is recorded `in_doubt`, not
// sent again, and asked about again by the next resume.
// Other transient failures (a 5xx the gateway or the auth filter gave before the stage, a stage that could not
// reach its own database: nothing was committed) are sent again after the backoff.
import { wallClock, type Clock } from '../clock.js';
import type { Packet } from '../domain/packet.js';
import type { Notifier, NotifyResult } from './client.js';
import { isTransient } from '../domain/outcomes.js';
import type { CircuitBreaker, Permit } from './breaker.js';
import type { DeliveryCheck } from './deliveryEvidence.js';
import { settleLostReplies } from './lostReply.js';

const NEVER_CONNECTED = /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|UND_ERR_CONNECT_TIMEOUT)\b/;

/**
 * The request may have reached the stage and its reply was lost: no HTTP reply once connected (timeout, reset), a
 * gateway's 502 (bad gateway: the upstream failed mid-exchange) or 504 (gateway timeout: the stage may still be
 * running), or an Istio/Envoy 503 "upstream connect error or disconnect/reset before headers" whose reset came
 * after it connected (reset reason connection termination, remote or local reset, protocol error). Not lost: any
 * other 503 (service unavailable: "no healthy upstream", reset reason connection failure or overflow, nginx's
 * page), other 5xx (the stage answers every request it handles with HTTP 200, docs/mosip-facts.md, "Replies"; a 500
 * comes from the auth filter or the proxy before it), and a stage error saying it could not reach its own database
 * (nothing committed).
 */
export function replyMayBeLost(result: Pick<NotifyResult, 'outcome' | 'httpStatus' | 'reply'>): boolean {
  // No connection was made, so no byte of the request left: refused, name or route not found, connect timeout.
  if (result.outcome === 'network_error') return !NEVER_CONNECTED.test(result.reply);
  if (result.outcome !== 'server_error') return false;
  if (result.httpStatus === 502 || result.httpStatus === 504) return true;
  if (result.httpStatus === 503) return /reset reason: /i.test(result.reply) && !/reset reason: (connection failure|overflow)/i.test(result.reply);
  return false;
}

/**
 * How long after an attempt's start a request the server may still be running could yet commit: the request
 * timeout, then as long again. Why: our timeout (headers and body) is when our socket gives up, but MOSIP does
 * not notice. The securezone route is a Vert.x blocking handler on a worker pool of 10
 * (MosipRouter; mosip-config l.66) that is not interrupted when the client goes away, so a request queued for a
 * worker or running its lookup and its writes (updateRegistrationStatus: the registration_transaction insert, then
 * the registration row, each committed on its own; docs/mosip-facts.md, "What the stage writes") goes on after we
 * gave up. MOSIP sets no server-side request timeout and no statement timeout, so no wait can be proven long
 * enough; this one gives a request that reached the server as long after our give-up as we gave it before, when a
 * healthy stage commits in milliseconds. It grows with --timeout, and library callers can set their own.
 */
export function settleAfterMsFor(timeoutSeconds: number): number {
  return 2 * timeoutSeconds * 1000;
}

export interface RetrySettings {
  /** Extra attempts after the first (0 = no retries). */
  retries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  random?: () => number;
}

/** Full jitter: a random wait between 0 and min(max, base * 2^(attempt-1)). */
export function backoffMs(attempt: number, s: RetrySettings): number {
  const ceiling = Math.min(s.maxDelayMs, s.baseDelayMs * 2 ** (attempt - 1));
  return Math.round((s.random ?? Math.random)() * ceiling);
}

/** Time as the notifier sees it (the time of day: it is compared with the database's stamps); tests inject one that does not wait. */
export type NotifierClock = Clock;

export interface ResilientSettings {
  retry: RetrySettings;
  /** How the database is asked whether the stage handled a packet; null when no database is configured. */
  deliveryCheck: DeliveryCheck | null;
  /** From an attempt's start, when a request still running at the server could no longer commit (settleAfterMsFor). */
  settleAfterMs: number;
  signal?: AbortSignal | undefined;
  clock?: NotifierClock;
}

export class ResilientNotifier implements Notifier {
  /** Retries made, lost replies settled from the database, packets left in doubt: for the summary. */
  retriesMade = 0;
  settledFromDb = 0;
  inDoubt = 0;
  private readonly clock: NotifierClock;

  constructor(private readonly inner: Notifier, private readonly breaker: CircuitBreaker, private readonly settings: ResilientSettings) {
    this.clock = settings.clock ?? wallClock;
  }

  async notify(packet: Packet): Promise<NotifyResult> {
    const { signal, retry } = this.settings;
    const started = performance.now();
    /** The last attempt's result once one went out (transient: another attempt follows). */
    let previous: NotifyResult | null = null;
    for (let attempt = 1; ; attempt++) {
      let permit: Permit;
      let result: NotifyResult;
      let attemptStart: number;
      try {
        permit = this.breaker.tryPermit() ?? await this.breaker.permit(signal);
        attemptStart = this.clock.now();
        result = await this.inner.notify(packet);
      } catch (err) {
        // The breaker gave up, the run was stopped, or no token could be had before this attempt went out. An
        // earlier attempt did go out: its (transient) result is the packet's, not "never sent" (runner.ts).
        if (previous && err && typeof err === 'object') Object.assign(err, { lastResult: previous });
        throw err;
      }
      const transient = isTransient(result);
      this.breaker.record(permit, !transient);
      const total: NotifyResult = { ...result, attempts: attempt + result.attempts - 1, latencyMs: Math.round(performance.now() - started) };
      if (!transient) return total;
      previous = total;
      const last = attempt > retry.retries || Boolean(signal?.aborted);
      if (replyMayBeLost(result)) {
        const settled = await this.settleLostReply(packet, attemptStart, total, last ? 0 : backoffMs(attempt, retry));
        if (settled) return settled;
        // The database shows the stage did not handle it and the wait is over: sending again is safe.
        if (last) return total;
      } else {
        if (last) return total;
        try {
          await this.clock.sleep(backoffMs(attempt, retry), signal);
        } catch {
          return total;
        }
      }
      this.retriesMade += 1;
    }
  }

  /**
   * After a lost reply: the final result (delivered per the database, or in doubt), or null when the packet may
   * be sent again: the lost-reply rule (lostReply.ts), its wait ending `settleAfterMs` after the attempt started
   * (and at least `backoff` from now).
   */
  private async settleLostReply(packet: Packet, attemptStart: number, lost: NotifyResult, backoff: number): Promise<NotifyResult | null> {
    const check = this.settings.deliveryCheck;
    const inDoubt = (why: string): NotifyResult => {
      this.inDoubt += 1;
      return { ...lost, outcome: 'in_doubt', reply: `reply lost (${lost.reply}); ${why}; not sent again` };
    };
    if (!check) return inDoubt('no database is configured to show whether the stage handled it');
    const sent = { workflowInstanceId: packet.workflowInstanceId, startedAt: new Date(attemptStart), before: packet.before };
    const [decision] = await settleLostReplies([sent], check, {
      settleAt: attemptStart + this.settings.settleAfterMs, minWaitMs: backoff, clock: this.clock, signal: this.settings.signal,
    });
    switch (decision!.kind) {
      case 'delivered':
        this.settledFromDb += 1;
        return { ...lost, outcome: decision!.evidence.outcome, reply: `${decision!.evidence.reply} (reply lost: ${lost.reply})` };
      case 'resend':
        return null;
      case 'in_doubt':
        return inDoubt(decision!.detail);
    }
  }
}
