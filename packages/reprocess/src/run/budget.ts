// When to stop taking new packets: a packet count, a duration, or a clock time (the end of a night window).
import { InputError } from '../errors.js';
import type { Deadline } from './stop.js';
import type { StopReason } from '../domain/runResult.js';

/** The next occurrence of a local HH:MM, or an ISO date-time. */
export function untilDeadline(text: string, now: Date = new Date()): Date {
  const hm = /^(\d{1,2}):(\d{2})$/.exec(text);
  if (hm) {
    const hours = Number(hm[1]);
    const minutes = Number(hm[2]);
    if (hours > 23 || minutes > 59) throw new InputError(`--until ${text}: not a clock time`);
    const at = new Date(now);
    at.setHours(hours, minutes, 0, 0);
    if (at.getTime() <= now.getTime()) at.setDate(at.getDate() + 1);
    return at;
  }
  const at = new Date(text);
  if (Number.isNaN(at.getTime())) throw new InputError(`--until ${text}: not a date-time`);
  if (at.getTime() <= now.getTime()) throw new InputError(`--until ${text}: that time has passed`);
  return at;
}

export interface BudgetLimits {
  /** Packets this run may send in all (including those sent before a resume). */
  maxPackets?: number | undefined;
  alreadySent?: number;
  maxDurationSeconds?: number | undefined;
  until?: Date | undefined;
  startedAt?: number;
}

export function makeBudget(limits: BudgetLimits, now: () => number = Date.now): (sentSoFar: number) => StopReason | null {
  const started = limits.startedAt ?? now();
  const deadlines = budgetDeadlines(limits, started);
  return (sentSoFar) => {
    if (limits.maxPackets !== undefined && sentSoFar + (limits.alreadySent ?? 0) >= limits.maxPackets) {
      return { kind: 'max_packets', message: `--max-packets ${limits.maxPackets} reached` };
    }
    const passed = deadlines.find((d) => now() >= d.at);
    return passed ? passed.stop : null;
  };
}

/**
 * The time budgets as deadlines (ms since the epoch): the run's stop signal fires at the first (run/stop.ts), so
 * a run that waits (the pacer, the breaker, the lock, a read) still stops on time.
 */
export function budgetDeadlines(limits: Pick<BudgetLimits, 'maxDurationSeconds' | 'until'>, startedAt: number): Deadline[] {
  const out: Deadline[] = [];
  if (limits.maxDurationSeconds !== undefined) {
    out.push({ at: startedAt + limits.maxDurationSeconds * 1000, stop: { kind: 'max_duration', message: `--max-duration ${limits.maxDurationSeconds} s reached` } });
  }
  if (limits.until) out.push({ at: limits.until.getTime(), stop: { kind: 'until', message: `--until ${limits.until.toLocaleTimeString()} reached` } });
  return out;
}
