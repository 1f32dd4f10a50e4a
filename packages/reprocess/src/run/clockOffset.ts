// How far this host's clock is from the database server's, measured once at the start of a run. The rules that
// decide whether a packet's row was written since its send compare the row with itself as read before the send
// (domain/rowVerdict.ts) and need no clock; a difference between the clocks only matters where that row was not
// read (a send journaled by an older version) and for the waiting times --pace auto measures. So it is measured
// and reported, never trusted silently: above 1 s the operator is told (fix NTP on this host or the database's).
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import { databaseClockMs } from '../sql/databaseClock.js';

/** Above this, the run warns. */
export const CLOCK_OFFSET_WARN_MS = 1000;

/** The database clock minus this host's, ms (positive: the database is ahead), from one round trip's midpoint. */
export async function measureClockOffset(db: Queryable, now: () => number = Date.now): Promise<{ offsetMs: number; roundTripMs: number }> {
  const before = now();
  const dbMs = await databaseClockMs(db);
  const after = now();
  return { offsetMs: Math.round(dbMs - (before + after) / 2), roundTripMs: after - before };
}

/** The warning for an offset above CLOCK_OFFSET_WARN_MS, or null. */
export function clockOffsetWarning(offsetMs: number): string | null {
  if (Math.abs(offsetMs) <= CLOCK_OFFSET_WARN_MS) return null;
  const s = (Math.abs(offsetMs) / 1000).toFixed(1);
  return `this host's clock is ${s} s ${offsetMs > 0 ? 'behind' : 'ahead of'} the database server's: the tool decides whether a packet was handled from its row as read before the send (no clock), `
    + 'but waiting times (--pace auto) and sends journaled by older versions compare clocks; check NTP on this host and on the database server';
}
