// How far ahead of the free slots an unpaced run writes its send records (runner.ts): sized by time and by what a
// durable write measurably costs, not by --concurrency. Each refill of the window is one write and one fdatasync
// (group commit, journal/journal.ts); what it must achieve:
// - the next refill's sync is under way while the packets still ahead leave (double-buffered): the refill starts
//   while `lead` packets are left, enough for twice the measured sync time at the measured rate, so the slots
//   never wait for the disk;
// - a sync covers enough packets that syncing takes at most a small share of the time: a refill adds the packets
//   that leave in SYNC_SHARE_INVERSE measured sync times. At 4 or 8 in flight and zero service time a sync then
//   covers 20 to 30 packets, where a window of --concurrency covered 3 to 6 and the syncs set the pace;
// - never more than `max` records ahead (WRITE_AHEAD_MAX): after a crash those are in doubt like the packets in
//   flight, so a crash leaves at most --concurrency + max packets in doubt (README, --concurrency's help).
// When replies are slow the rate is low and the window small: a run at a real service time keeps few ahead.

/** Records written ahead at most (unpaced runs): the in-doubt bound after a crash is --concurrency + this. */
export const WRITE_AHEAD_MAX = 32;
/** A refill covers the packets leaving in this many measured sync times: syncs take at most ~1/8 of the time. */
const SYNC_SHARE_INVERSE = 8;
/** Weight of the newest measurement in the running averages. */
const SMOOTHING = 0.3;

export interface WriteAheadSizing {
  /** Start a refill when this many records or fewer are ahead. */
  lead: number;
  /** Refill up to this many records ahead. */
  target: number;
}

/**
 * The window for a leave rate (packets per ms) and a sync time (ms, from the write to the sync's return), at most
 * `max` ahead. Before anything is measured: `initial` ahead, refilled when a quarter is left.
 */
export function writeAheadSizing(rate: number | null, syncMs: number | null, max: number, initial: number): WriteAheadSizing {
  if (rate === null || syncMs === null) {
    const target = Math.max(1, Math.min(max, initial));
    return { lead: Math.floor(target / 4), target };
  }
  const lead = Math.min(Math.floor(max / 2), Math.ceil(rate * syncMs * 2));
  const batch = Math.ceil(rate * syncMs * SYNC_SHARE_INVERSE);
  return { lead, target: Math.max(1, Math.min(max, lead + batch)) };
}

/** Measures the leave rate and the sync time of a run's window, and sizes it (writeAheadSizing). */
export class WriteAheadWindow {
  private rate: number | null = null;
  private syncMs: number | null = null;
  /** Leaves since `since`, the start of the stretch being measured. */
  private left = 0;
  private since: number | null = null;
  private cached: WriteAheadSizing | null = null;

  constructor(readonly max: number, private readonly initial: number, private readonly now: () => number = () => performance.now()) {}

  /** The current sizing, recomputed when a measurement changes (the runner reads it before every packet). */
  get sizing(): WriteAheadSizing {
    return this.cached ??= writeAheadSizing(this.rate, this.syncMs, this.max, this.initial);
  }

  /** A packet left (its request started). */
  leave(): void {
    const now = this.now();
    if (this.since === null) {
      this.since = now;
      return;
    }
    this.left += 1;
    // The rate over the last stretch of at least a few packets and a millisecond (timer resolution).
    const elapsed = now - this.since;
    if (this.left >= 8 && elapsed >= 1) {
      this.rate = smooth(this.rate, this.left / elapsed);
      this.cached = null;
      this.left = 0;
      this.since = now;
    }
  }

  /** A refill's records were written and synced, `ms` after they were handed to the journal. */
  synced(ms: number): void {
    this.syncMs = smooth(this.syncMs, ms);
    this.cached = null;
  }

  /** A timer around a refill's sync. */
  timeSync(durable: Promise<void>): void {
    const start = this.now();
    durable.then(() => this.synced(this.now() - start), () => undefined);
  }
}

function smooth(previous: number | null, value: number): number {
  return previous === null ? value : previous + SMOOTHING * (value - previous);
}
