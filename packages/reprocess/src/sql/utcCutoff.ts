import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import { NOW_UTC } from '@mosip-reprocess/contract/sql/utcText.js';

/**
 * The age cutoff, computed once per run by the database: `now()` in UTC minus the age. MOSIP writes UTC into
 * `timestamp without time zone`, so the guide's `NOW() - INTERVAL '1 DAY'` is off by the server's UTC offset
 * whenever its TimeZone is not UTC; `now() AT TIME ZONE 'UTC'` is right in every zone.
 */
export async function utcCutoff(db: Queryable, olderThanSeconds: number): Promise<string> {
  const { rows } = await db.query<{ cutoff: string }>(
    `SELECT to_char(${NOW_UTC} - make_interval(secs => $1::float8), 'YYYY-MM-DD HH24:MI:SS.US') AS cutoff`,
    [olderThanSeconds],
  );
  return rows[0]!.cutoff;
}
