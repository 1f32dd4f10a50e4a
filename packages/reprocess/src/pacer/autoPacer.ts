// --pace auto as the run's gate: a poll loop (watcher -> controller) and the send schedule at the controller's
// rate, start-to-start like the fixed pacer (pacer.ts). Sending waits while the controller pauses, while
// --max-in-pipeline is reached, and while the database cannot be read (the run is then blind, and safe means not
// sending). The loop polls every pollIntervalMs: a few seconds with MOSIP's limits, shorter only when the limits
// are scaled down (see autoPollIntervalMs).
import { setTimeout as sleep } from 'node:timers/promises';
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import { AutoPaceController, type AutoDecision, type PipelineObservation } from './auto.js';
import { PipelineWatcher, type DroppedPacket, type SentPacket } from './pipelineWatch.js';
import type { AutoPaceStatus } from '../domain/pace.js';

export type { AutoPaceStatus };

export interface AutoPacerOptions {
  db: Queryable;
  schema: string;
  /** --message-max-age, ms. */
  messageMaxAgeMs: number;
  /** --max-wait, ms. */
  maxWaitMs: number;
  /** Upper bound from --rate/--delay when given, packets per second. */
  maxRate?: number;
  /** --max-in-pipeline. */
  maxInPipeline?: number;
  /** Default autoPollIntervalMs(maxWaitMs). */
  pollIntervalMs?: number;
  /** ms clock; default performance.now. */
  now?: () => number;
  onDropped?: (packet: DroppedPacket) => void;
  onDecision?: (decision: AutoDecision, observation: PipelineObservation) => void;
  /** A poll that failed (the database could not be read); sending waits until one succeeds. */
  onPollError?: (error: unknown) => void;
}

/**
 * Notifications in flight at once with --pace auto when --concurrency is not given: the securezone stage's worker
 * pool (10; docs/mosip-facts.md, "Worker pool and timeouts"); more would only wait in MOSIP's queue. The rate, not
 * this, sets the pace.
 */
export const AUTO_DEFAULT_CONCURRENCY = 10;

/** One poll per twentieth of --max-wait, between 0.25 s and 5 s: every 5 s with MOSIP's defaults (max wait 1800 s). */
export function autoPollIntervalMs(maxWaitMs: number): number {
  return Math.min(5000, Math.max(250, maxWaitMs / 20));
}


export class AutoPacer {
  readonly controller: AutoPaceController;
  readonly watcher: PipelineWatcher;
  private readonly now: () => number;
  private readonly pollMs: number;
  private lastStart: number | null = null;
  private sentSinceObservation = 0;
  private sentTotal = 0;
  private blind = false;
  private stopped = false;
  private loop: Promise<void> | null = null;
  private readonly stopLoop = new AbortController();
  private readonly wake = new Set<() => void>();
  private lastDecision: AutoDecision | null = null;

  constructor(private readonly opts: AutoPacerOptions) {
    this.now = opts.now ?? (() => performance.now());
    this.controller = new AutoPaceController({
      maxWaitMs: opts.maxWaitMs,
      ...(opts.maxRate !== undefined ? { maxRate: opts.maxRate } : {}),
      ...(opts.maxInPipeline !== undefined ? { maxInPipeline: opts.maxInPipeline } : {}),
    });
    this.watcher = new PipelineWatcher(opts.db, opts.schema, {
      messageMaxAgeMs: opts.messageMaxAgeMs, now: this.now, ...(opts.onDropped ? { onDropped: opts.onDropped } : {}),
    });
    this.pollMs = opts.pollIntervalMs ?? autoPollIntervalMs(opts.maxWaitMs);
  }

  /** Starts the poll loop (idempotent). */
  start(): void {
    if (this.loop) return;
    this.loop = (async () => {
      while (!this.stopped) {
        try {
          await sleep(this.pollMs, undefined, { signal: this.stopLoop.signal });
        } catch {
          return;
        }
        await this.pollOnce();
      }
    })();
  }

  /** One poll and one control step (the loop calls it; also used at the end of a run). */
  async pollOnce(): Promise<void> {
    try {
      const observation = await this.watcher.poll(this.sentTotal);
      this.blind = false;
      this.sentSinceObservation = 0;
      this.lastDecision = this.controller.observe(observation);
      this.opts.onDecision?.(this.lastDecision, observation);
    } catch (error) {
      this.blind = true;
      this.opts.onPollError?.(error);
    }
    this.wakeAll();
  }

  /** A packet the stage forwarded: watch it. */
  track(packet: SentPacket): void {
    this.watcher.track(packet);
  }

  /** Gate: resolves when the next send may start; rejects with AbortError when the signal fires. */
  async wait(signal?: AbortSignal): Promise<void> {
    this.start();
    for (;;) {
      signal?.throwIfAborted();
      const rate = this.controller.rate;
      if (this.blind || rate <= 0 || !this.controller.roomInPipeline(this.sentSinceObservation)) {
        await this.pause(null, signal);
        continue;
      }
      const now = this.now();
      const due = this.lastStart === null ? now : this.lastStart + 1000 / rate;
      if (due <= now) {
        // After a pause the schedule restarts from now: no burst to catch up.
        this.lastStart = now;
        this.sentSinceObservation += 1;
        this.sentTotal += 1;
        return;
      }
      // Wait for the slot, or for a new rate if one comes first.
      await this.pause(due - now, signal);
    }
  }

  status(): AutoPaceStatus {
    const o = this.controller.lastObservation;
    return {
      rate: this.blind ? 0 : this.controller.rate,
      phase: this.blind ? 'blind' : this.lastDecision?.phase ?? 'startup',
      inside: o?.inside ?? 0,
      unseen: o?.unseen ?? 0,
      maxWaitMs: o?.maxWaitMs ?? 0,
      exited: o?.exited ?? 0,
      dropped: this.watcher.droppedSoFar,
      held: this.watcher.heldSoFar,
    };
  }

  /** Stops the loop after one last poll (so drops found by then are counted); returns the final status. */
  async stop(): Promise<AutoPaceStatus> {
    if (!this.stopped) {
      this.stopped = true;
      this.stopLoop.abort();
      await this.loop;
      await this.pollOnce();
      this.wakeAll();
    }
    return this.status();
  }

  /**
   * Resolves after `ms` (null: no timer) or at the next observation, whichever comes first; rejects when the
   * signal fires. Each wait adds one abort listener and removes it however it ends: many waits in a row (every
   * send slot waits here) never pile listeners up on the run's signal.
   */
  private pause(ms: number | null, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.stopped) { resolve(); return; }
      let timer: NodeJS.Timeout | null = null;
      const settle = (): void => {
        if (timer) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.wake.delete(wakeUp);
      };
      const wakeUp = (): void => { settle(); resolve(); };
      const onAbort = (): void => { settle(); reject(signal!.reason ?? new DOMException('aborted', 'AbortError')); };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.wake.add(wakeUp);
      if (ms !== null) timer = setTimeout(wakeUp, ms);
    });
  }

  private wakeAll(): void {
    for (const w of [...this.wake]) w();
  }
}

/** e.g. "auto 18.4/s, 37 inside (2 not yet seen), waiting 2.1 s" for the progress line. */
export function describeAutoPace(s: AutoPaceStatus): string {
  const rate = s.phase === 'paused' ? 'paused (waiting time at --max-wait)' : s.phase === 'blind' ? 'holding (database unreadable)' : `${s.rate.toFixed(1)}/s`;
  return `auto ${rate}, ${s.inside} inside${s.unseen > 0 ? ` (+${s.unseen} not yet seen)` : ''}, waiting ${(s.maxWaitMs / 1000).toFixed(1)} s${s.held > 0 ? `, ${s.held} held by a stage` : ''}${s.dropped > 0 ? `, ${s.dropped} DROPPED by the pipeline` : ''}`;
}
