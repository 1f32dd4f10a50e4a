// A clock for tests: time stands still until a test moves it (advance) or something sleeps, which moves it by
// exactly the time slept and records the sleep. So a test asserts exact times and waits, and never waits itself.
import type { Clock } from 'mosip-reprocess/clock.js';

export class ManualClock implements Clock {
  /** Every sleep, in order, in ms. */
  readonly sleeps: number[] = [];

  constructor(private time = 0) {}

  now(): number {
    return this.time;
  }

  /** What happens between two waits (a send that takes ms). */
  advance(ms: number): void {
    this.time += ms;
  }

  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    this.sleeps.push(ms);
    this.time += ms;
  }
}
