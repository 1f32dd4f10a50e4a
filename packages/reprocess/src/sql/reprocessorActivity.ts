import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import { quoteSchema } from '@mosip-reprocess/contract/sql/ident.js';
import { isoUtcText, NOW_UTC } from '@mosip-reprocess/contract/sql/utcText.js';

export interface ReprocessorActivity {
  /** PACKET_REPROCESS transactions in the window, counted up to `cap` (more are not counted). */
  transactions: number;
  capped: boolean;
  /** The latest one's time (ISO UTC), or null. */
  lastAtUtc: string | null;
  windowSeconds: number;
}

/**
 * Whether MOSIP's reprocessor has been active lately: its PACKET_REPROCESS transactions (every packet it re-drives
 * or fails writes one, docs/mosip-facts.md, "What a pass writes") written in the last `windowSeconds`. Bounded: a
 * range on the indexed upd_dtimes (the reprocessor sets it to the insert time) and at most `cap` rows read.
 */
export async function reprocessorActivity(
  db: Queryable, schema: string, windowSeconds = 3600, cap = 10_000,
): Promise<ReprocessorActivity> {
  const { rows } = await db.query<{ n: string; last_at: string | null }>(
    `SELECT count(*) AS n, ${isoUtcText('max(t.cr_dtimes)')} AS last_at
       FROM (SELECT cr_dtimes FROM ${quoteSchema(schema)}.registration_transaction
              WHERE upd_dtimes > ${NOW_UTC} - make_interval(secs => $1::float8)
                AND trn_type_code = 'PACKET_REPROCESS'
              LIMIT $2) t`,
    [windowSeconds, cap + 1],
  );
  const n = Number(rows[0]!.n);
  return { transactions: Math.min(n, cap), capped: n > cap, lastAtUtc: rows[0]!.last_at, windowSeconds };
}
