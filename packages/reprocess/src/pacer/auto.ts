// --pace auto: the controller that sets the sending rate from what the pipeline shows (pure: no clock, no I/O;
// the watcher, pipelineWatch.ts, feeds it observations, and autoPacer.ts turns its rate into send times).
//
// MOSIP has no throttle (docs/mosip-facts.md, "Worker pool and timeouts", "Message expiry"): the securezone stage
// takes whatever arrives, and every later stage drops a message older than the age limit (3600 s) without a
// database write. So the only signal is delay: how long the packets we notified have been waiting inside the
// pipeline (now - latest_trn_dtimes of the packets seen inside). As in delay-based congestion control (LEDBAT,
// BBR), a queue shows up as waiting time long before anything is lost, and the rate is set to keep that waiting
// time at a target well under the limit.
//
// The control law, applied at every observation (W = --max-wait, default half the message age limit;
// D = W / 4, the target waiting time; w = the longest wait among the packets inside; B = the drain rate, packets
// that left the pipeline per second averaged over the last WINDOW observations):
//   - w >= W: sending pauses (rate 0) until the wait falls back under W. The age limit is 2 W away by default,
//     so the queue has as long again to drain before anything could be dropped.
//   - start-up: from the guide's one packet per second (or the upper bound, if lower) the rate doubles every
//     S = W / 40 seconds (at most once per observation), until the wait rises S above the lowest wait seen so
//     far (LEDBAT's base delay: what the stages take with no queue) in two observations running (one slow
//     database write is not a queue; the rate holds after the first), or reaches D / 2. The wait of the oldest
//     queued packet can only grow one second per second, so a queue is seen about S after it starts forming;
//     doubling no faster than every S bounds the overshoot to a few times the capacity for about S. Nor does the
//     rate run ahead of what is really sent (HTTP latency, --concurrency): at most twice the last interval's sends.
//   - then: rate = base x g(w), with g(w) = 1 + (D - w) / (4 D), clamped to [1/2, 5/4], and base = B once the
//     pipeline has drained anything, otherwise the current rate; while there is no queue to speak of (the wait
//     under D / 2) base is the current rate, up to twice the drain rate, so the rate keeps growing by at least
//     1/8 per observation instead of waiting for the drain rate, which lags the sends by the time packets take
//     to cross the pipeline (and the cap bounds the overshoot when start-up ends with the rate too high). Here w
//     is the lower of the last two observations' waits: a real queue's wait only grows, one late write does not
//     last. Under the target the rate probes up to 5/4 of
//     what the pipeline drains (BBR's probing gain), so a standing queue forms and the bottleneck stays busy; at
//     the target it matches the drain; above it, it sends less than the drain, down to half at w = 5 D, and
//     the queue shrinks. Anchoring on the measured drain (not on the previous rate) is what damps the loop: a
//     purely delay-driven rate overshoots because the queue integrates the rate error.
//   - --rate / --delay, when given, cap the rate; --max-in-pipeline caps how many may be inside (or sent and not
//     yet seen) at once; the rate never falls under MIN_RATE while sending is allowed.
import type { AutoPhase } from '../domain/pace.js';
export interface PipelineObservation {
  /** When it was taken, ms (the controller's clock: only differences are used). */
  at: number;
  /** Notified packets the pipeline has and still holds (their row written after the send, not yet out). */
  inside: number;
  /** Notified packets whose row the stage has not yet written after the send. */
  unseen: number;
  /** Longest wait among the packets inside, ms (now - latest_trn_dtimes); 0 when none is inside. */
  maxWaitMs: number;
  /** Packets that left the pipeline so far (ended, handed back, or paused), cumulative. */
  exited: number;
  /** Packets the pipeline dropped so far (stalled past the message age limit), cumulative. */
  dropped: number;
  /** Packets sent so far, cumulative (the rate never runs more than twice ahead of what was really sent). */
  sent: number;
}

export interface AutoPaceOptions {
  /** --max-wait, ms: the waiting time the rate must stay under. */
  maxWaitMs: number;
  /** Upper bound from --rate or --delay, packets per second; Infinity when neither was given. */
  maxRate?: number;
  /** --max-in-pipeline: at most this many inside plus sent-not-yet-seen. */
  maxInPipeline?: number;
  /** Start rate, packets per second. Default 1 (the guide's --delay 1). */
  initialRate?: number;
}

export type { AutoPhase };

export interface AutoDecision {
  /** Packets per second; 0 while paused. */
  rate: number;
  phase: AutoPhase;
  /** The drain rate used, packets per second (null before anything left the pipeline). */
  drainRate: number | null;
  /** Why, in words (for the progress line and the journal). */
  reason: string;
}

export const MIN_RATE = 0.05;
export const PROBE_GAIN = 1.25;
export const DRAIN_GAIN = 0.5;
/** Observations the drain rate is averaged over. */
export const WINDOW = 8;

export class AutoPaceController {
  private rateNow: number;
  private phase: AutoPhase = 'startup';
  private startupDone = false;
  private readonly history: PipelineObservation[] = [];
  private last: PipelineObservation | null = null;
  private readonly maxRate: number;
  private readonly target: number;
  private readonly startupStep: number;
  private baseWaitMs = Infinity;
  private risingWaits = 0;

  constructor(private readonly opts: AutoPaceOptions) {
    if (!(opts.maxWaitMs > 0)) throw new Error('maxWaitMs must be more than 0');
    this.maxRate = opts.maxRate ?? Infinity;
    if (!(this.maxRate > 0)) throw new Error('maxRate must be more than 0');
    this.rateNow = Math.min(opts.initialRate ?? 1, this.maxRate);
    this.target = opts.maxWaitMs / 4;
    this.startupStep = opts.maxWaitMs / 40;
  }

  /** The rate in force, packets per second (0 while paused). */
  get rate(): number {
    return this.phase === 'paused' ? 0 : this.rateNow;
  }

  /** The last observation, or null before the first. */
  get lastObservation(): PipelineObservation | null {
    return this.last;
  }

  /** Whether one more packet may be sent now as far as --max-in-pipeline is concerned (sentSince: sent after the last observation). */
  roomInPipeline(sentSince: number): boolean {
    if (this.opts.maxInPipeline === undefined) return true;
    const occupied = (this.last ? this.last.inside + this.last.unseen : 0) + sentSince;
    return occupied < this.opts.maxInPipeline;
  }

  /** Takes one observation and sets the rate. */
  observe(o: PipelineObservation): AutoDecision {
    const previous = this.last;
    const sinceLast = previous ? Math.max(0, o.at - previous.at) : 0;
    this.last = o;
    this.history.push(o);
    if (this.history.length > WINDOW + 1) this.history.shift();
    const drain = this.drainRate();
    const W = this.opts.maxWaitMs;
    const D = this.target;
    // The pause and start-up look at the wait as it is (start-up needs two rises running); the steady law at the
    // lower of the last two, so that one late write or a stalled process does not count as a queue (a real
    // queue's wait only grows: this delays it one poll).
    const raw = o.maxWaitMs;
    const w = previous ? Math.min(raw, previous.maxWaitMs) : raw;

    if (raw >= W) {
      this.phase = 'paused';
      this.startupDone = true;
      // When sending resumes it starts from what the pipeline drains (or half the old rate), not the old rate.
      this.rateNow = clampRate(drain !== null ? drain * DRAIN_GAIN : this.rateNow * DRAIN_GAIN, this.maxRate);
      return this.decision(drain, `waiting time ${seconds(raw)} at or over --max-wait ${seconds(W)}: sending paused`);
    }
    if (o.inside > 0) this.baseWaitMs = Math.min(this.baseWaitMs, raw);
    this.risingWaits = raw > this.baseWaitMs + this.startupStep ? this.risingWaits + 1 : 0;
    if (!this.startupDone && raw < D / 2 && this.risingWaits < 2) {
      this.phase = 'startup';
      // A first rise holds the rate (it may be one slow write); a second ends start-up.
      const grown = this.risingWaits > 0 ? this.rateNow : this.rateNow * 2 ** Math.min(1, sinceLast / this.startupStep);
      const sentRate = previous && sinceLast > 0 ? ((o.sent - previous.sent) * 1000) / sinceLast : Infinity;
      this.rateNow = clampRate(Math.min(grown, Math.max(2 * sentRate, 2)), this.maxRate);
      return this.decision(drain, `start-up: waiting time ${seconds(raw)} not rising, rate grows`);
    }
    this.startupDone = true;
    this.phase = 'steady';
    const gain = Math.min(PROBE_GAIN, Math.max(DRAIN_GAIN, 1 + (D - w) / (4 * D)));
    // No queue to speak of (the wait under D / 2): keep growing from the current rate, up to twice the drain
    // rate; otherwise anchor on what the pipeline drains.
    const base = drain === null || drain <= 0 ? this.rateNow
      : w >= D / 2 ? drain : Math.max(drain, Math.min(this.rateNow, 2 * drain));
    this.rateNow = clampRate(base * gain, this.maxRate);
    const what = w < D ? 'under' : w > D ? 'over' : 'at';
    return this.decision(drain, `waiting time ${seconds(w)} ${what} the target ${seconds(D)}: ${gain.toFixed(2)} x ${drain !== null && drain > 0 ? 'the drain rate' : 'the rate'}`);
  }

  /** Packets out of the pipeline (exited or dropped) per second over the window; null until two observations show any. */
  private drainRate(): number | null {
    if (this.history.length < 2) return null;
    const first = this.history[0]!;
    const last = this.history[this.history.length - 1]!;
    const out = (last.exited + last.dropped) - (first.exited + first.dropped);
    const span = (last.at - first.at) / 1000;
    if (span <= 0 || last.exited + last.dropped === 0) return null;
    return out / span;
  }

  private decision(drainRate: number | null, reason: string): AutoDecision {
    return { rate: this.rate, phase: this.phase, drainRate, reason };
  }
}

function clampRate(rate: number, max: number): number {
  return Math.min(max, Math.max(MIN_RATE, rate));
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}
