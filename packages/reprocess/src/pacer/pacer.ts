// Start-to-start pacing: with --delay 1, notifications start one second apart however long each one takes
// (1000 packets take about 1000 s, not 1000 x (1 s + latency)). After a stall the schedule restarts from now
// instead of catching up, so the server never sees a burst.
import { systemClock, type Clock } from '../clock.js';

export class Pacer {
  private nextStart: number | null = null;

  constructor(private readonly intervalMs: number, private readonly clock: Clock = systemClock) {}

  /** Resolves when the next send may start; rejects with AbortError when the signal fires. */
  async wait(signal?: AbortSignal): Promise<void> {
    const now = this.clock.now();
    const start = this.nextStart === null ? now : Math.max(this.nextStart, now);
    this.nextStart = start + this.intervalMs;
    const waitMs = start - now;
    if (waitMs > 0) await this.clock.sleep(waitMs, signal);
  }
}
