// The database server's clock, read to measure how far this host's clock is from it (run/clockOffset.ts).
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';

/** The database's current time (clock_timestamp(): the moment the statement reads it), in ms since the epoch. */
export async function databaseClockMs(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ ms: string }>(`SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint::text AS ms`);
  return Number(rows[0]!.ms);
}
