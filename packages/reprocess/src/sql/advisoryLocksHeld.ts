// The run lock's heartbeat (run/lock.ts): does the lock's connection still hold its keys?
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import type { AdvisoryKey } from './lockHolderComment.js';

/** How many of these keys this session holds (a cheap check on the lock connection). */
export async function advisoryLocksHeld(db: Queryable, keys: readonly AdvisoryKey[], comment: string): Promise<number> {
  const { rows } = await db.query<{ held: number }>(
    `SELECT count(DISTINCT (l.classid, l.objid))::int AS held
       FROM pg_locks l
       JOIN unnest($1::int8[], $2::int8[]) AS k(class_id, obj_id) ON l.classid = k.class_id::oid AND l.objid = k.obj_id::oid
      WHERE l.locktype = 'advisory' AND l.pid = pg_backend_pid() AND l.granted AND l.objsubid = 2${comment}`,
    [keys.map((k) => k.classId), keys.map((k) => k.objId)],
  );
  return rows[0]!.held;
}
