// A circuit breaker over the notification outcomes. When too many of the recent sends failed in transit
// (5xx, no reply), it opens: no packet is sent for a cooldown, then a single probe goes out. A good probe
// closes it and the run resumes; a bad one opens it again. If it stays open past its patience the run stops,
// so a cluster that goes down mid-run costs a handful of packets, not the batch.
//
// Each send is let through with a Permit and its outcome is recorded against that permit. The breaker knows
// which permit is its probe: only the probe's reply can close it (or open it again). A reply to a request
// sent before the pause (concurrency > 1: it was in flight when the breaker opened) says nothing about the
// server now, so it neither closes the breaker nor counts towards the next opening.
import { setTimeout as sleep } from 'node:timers/promises';

export interface BreakerSettings {
  /** How many recent outcomes are judged. */
  window: number;
  /** Open when at least this share of the window failed (0..1). */
  failureRate: number;
  /** ...and at least this many outcomes are in the window. */
  minSamples: number;
  cooldownMs: number;
  /** Give up when it has been open this long in one stretch. */
  patienceMs: number;
}

export class BreakerGaveUp extends Error {
  override name = 'BreakerGaveUp';
}

type State = 'closed' | 'open' | 'half_open';

/** Leave to send one request; give it back to record() with the request's outcome. */
export interface Permit {
  /** This request is the breaker's probe. */
  readonly probe: boolean;
  /** How many times the breaker had opened when the permit was given. */
  readonly epoch: number;
}

export class CircuitBreaker {
  private state: State = 'closed';
  private outcomes: boolean[] = [];
  private openedAt = 0;
  private reopenAt = 0;
  /** The permit of the probe in flight, if any. */
  private probe: Permit | null = null;
  /** Counts openings (trips and failed probes): a permit from an earlier epoch predates the last pause. */
  private epoch = 0;
  private waiters: (() => void)[] = [];
  /** How many times it opened, for the summary. */
  trips = 0;

  constructor(
    private readonly settings: BreakerSettings,
    private readonly onChange?: (message: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  get current(): State {
    return this.state;
  }

  /** A permit at once when the breaker is closed (no wait, no promise: the usual case), else null: then permit(). */
  tryPermit(): Permit | null {
    return this.state === 'closed' ? { probe: false, epoch: this.epoch } : null;
  }

  /** Waits until a send may go. Throws BreakerGaveUp when the server stayed down past the patience. */
  async permit(signal?: AbortSignal): Promise<Permit> {
    for (;;) {
      // Closed: the send goes, even if the run is being stopped (the runner journaled it as sent; stopping is
      // about not waiting, and a send journaled without its result would be left in doubt).
      if (this.state === 'closed') return { probe: false, epoch: this.epoch };
      if (signal?.aborted) throw signal.reason ?? new Error('aborted');
      const now = this.now();
      if (now - this.openedAt >= this.settings.patienceMs) {
        throw new BreakerGaveUp(`the server kept failing for ${Math.round((now - this.openedAt) / 1000)} s (circuit breaker open ${this.trips} time(s)); stopping instead of burning through packets`);
      }
      if (this.state === 'open' && now >= this.reopenAt) {
        this.state = 'half_open';
        this.onChange?.('circuit breaker: probing with one packet');
      }
      if (this.state === 'half_open' && this.probe === null) {
        this.probe = { probe: true, epoch: this.epoch };
        return this.probe;
      }
      // Wait for the cooldown to end or for the probe's verdict, whichever comes first.
      const wait = this.state === 'open' ? Math.max(10, this.reopenAt - now) : 1000;
      const local = new AbortController();
      const onAbort = () => local.abort();
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        await Promise.race([
          sleep(wait, undefined, { signal: local.signal }).catch(() => undefined),
          new Promise<void>((resolve) => this.waiters.push(resolve)),
        ]);
      } finally {
        local.abort(); // no timer outlives the wait
        signal?.removeEventListener('abort', onAbort);
      }
    }
  }

  /** Records the outcome of the send `permit` let through: `ok` is any answer from the stage, false a 5xx or no reply. */
  record(permit: Permit, ok: boolean): void {
    if (permit.probe) {
      if (permit !== this.probe) return; // not the current probe (cannot happen with one probe at a time)
      this.probe = null;
      if (ok) {
        this.state = 'closed';
        this.outcomes = [];
        this.onChange?.('circuit breaker: the probe went through; resuming');
      } else {
        this.open('the probe failed too');
      }
      this.wake();
      return;
    }
    // Sent before the last pause, or while paused waiting for the probe: stale news about the server.
    if (this.state !== 'closed' || permit.epoch !== this.epoch) return;
    this.outcomes.push(ok);
    if (this.outcomes.length > this.settings.window) this.outcomes.shift();
    const failures = this.outcomes.filter((o) => !o).length;
    if (this.outcomes.length >= this.settings.minSamples && failures / this.outcomes.length >= this.settings.failureRate) {
      this.openedAt = this.now();
      this.trips += 1;
      this.open(`${failures} of the last ${this.outcomes.length} sends failed`);
    }
  }

  private open(why: string): void {
    this.state = 'open';
    this.epoch += 1;
    this.reopenAt = this.now() + this.settings.cooldownMs;
    this.onChange?.(`circuit breaker open: ${why}; pausing ${Math.round(this.settings.cooldownMs / 1000)} s before a probe`);
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
