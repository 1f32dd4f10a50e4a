// Time, as the parts that wait see it: a monotonic "now" in milliseconds and a sleep that an AbortSignal can cut
// short. The run uses the system clock; tests pass a manual clock (testkit/manualClock.ts) and so assert exact
// times instead of wall-clock margins.
import { setTimeout as sleep } from 'node:timers/promises';

export interface Clock {
  /** Milliseconds on a monotonic clock (not the time of day). */
  now(): number;
  /** Resolves after ms; rejects with an AbortError when the signal fires first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

const sleepFor = (ms: number, signal?: AbortSignal) => sleep(ms, undefined, signal ? { signal } : undefined);

export const systemClock: Clock = { now: () => performance.now(), sleep: sleepFor };

/**
 * The same, with `now()` the time of day (epoch ms): for waits measured against what the database stamped
 * (latest_trn_dtimes), as the lost-reply and in-doubt rules do.
 */
export const wallClock: Clock = { now: () => Date.now(), sleep: sleepFor };
