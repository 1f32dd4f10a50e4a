// Timestamps leave the database as ISO-8601 UTC text, so reports never depend on how a pool parses
// `timestamp without time zone` (MOSIP stores UTC wall-clock time there).

/** SQL expression: the `timestamp without time zone` expression as 'YYYY-MM-DDTHH:MI:SS.mmmZ', or NULL. */
export function isoUtcText(expression: string): string {
  return `to_char(${expression}, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}

/**
 * SQL expression: the timestamp as 'YYYY-MM-DDTHH:MI:SS.uuuuuuZ' (microseconds, as stored), or NULL: for comparing
 * a row's latest_trn_dtimes now with the same column as read before a send, exactly.
 */
export function exactUtcText(expression: string): string {
  return `to_char(${expression}, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
}

/** SQL expression: now, as the UTC wall-clock time MOSIP would write. Constant within one transaction. */
export const NOW_UTC = `(now() AT TIME ZONE 'UTC')`;

/** `timestamp without time zone` text of a UTC instant, so the session TimeZone plays no part. */
export function utcTimestampText(at: Date): string {
  return at.toISOString().replace('T', ' ').replace('Z', '');
}
