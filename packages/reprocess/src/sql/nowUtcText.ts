import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import { isoUtcText, NOW_UTC } from '@mosip-reprocess/contract/sql/utcText.js';

/** Now as UTC ISO text, for a report that has no row to read it from. */
export async function nowUtcText(db: Queryable): Promise<string> {
  const { rows } = await db.query<{ now: string }>(`SELECT ${isoUtcText(NOW_UTC)} AS now`);
  return rows[0]!.now;
}
