// Takes one key of the run lock (run/lock.ts) on the lock's connection.
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import type { AdvisoryKey } from './lockHolderComment.js';

/** pg_try_advisory_lock (or _shared): true when this session now holds the key (or already did). */
export async function tryAdvisoryLock(db: Queryable, key: AdvisoryKey, shared: boolean, comment: string): Promise<boolean> {
  const { rows } = await db.query<{ locked: boolean }>(
    `SELECT CASE WHEN $3::boolean THEN pg_try_advisory_lock_shared($1::int4, $2::int4)
                 ELSE pg_try_advisory_lock($1::int4, $2::int4) END AS locked${comment}`,
    [key.classId, key.objId, shared],
  );
  return rows[0]!.locked;
}
