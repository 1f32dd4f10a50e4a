// Ends the run lock (run/lock.ts) on its connection.
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';

/** Ends every advisory lock of this session (the lock connection holds nothing else). */
export async function releaseAdvisoryLocks(db: Queryable): Promise<void> {
  await db.query('SELECT pg_advisory_unlock_all()');
}
