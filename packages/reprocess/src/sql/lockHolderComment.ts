// The run lock's holder description (run/lock.ts): every statement on the lock's connection carries it in a
// trailing comment, so another run reads it from pg_stat_activity.query (application_name is cut at 63 bytes,
// too short for a reason).

/** An advisory lock key: pg_locks shows the first int4 as classid and the second as objid (objsubid 2). Both positive. */
export interface AdvisoryKey {
  classId: number;
  objId: number;
}

const MARK = 'mosip-reprocess-lock';

/** A trailing SQL comment carrying the holder; URI-encoded, so it can never contain the comment delimiters. */
export function holderComment(holder: unknown): string {
  return ` /* ${MARK} ${encodeURIComponent(JSON.stringify(holder))} */`;
}

/** The holder described in a statement text of the lock connection, or null. */
export function holderFromQueryText(text: string | null): unknown {
  const m = text ? new RegExp(`/\\* ${MARK} (\\S+) \\*/`).exec(text) : null;
  if (!m) return null;
  try {
    return JSON.parse(decodeURIComponent(m[1]!));
  } catch {
    return null;
  }
}
