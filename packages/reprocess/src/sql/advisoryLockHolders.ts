// Who holds a key of the run lock (run/lock.ts): named to a run the lock refuses.
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';

export interface RunLockSession {
  pid: number;
  application_name: string | null;
  client_addr: string | null;
  backend_start: string | null;
  query: string | null;
}

/**
 * The other sessions of this database holding an advisory lock of class `classId` whose second key is `objId`
 * (or, with `objIdNot`, any second key but that one), as pg_stat_activity shows them.
 */
export async function advisoryLockHolders(
  db: Queryable, classId: number, match: { objId: number } | { objIdNot: number },
): Promise<RunLockSession[]> {
  const { rows } = await db.query<RunLockSession>(
    `SELECT DISTINCT a.pid, a.application_name, host(a.client_addr) AS client_addr,
            to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS backend_start, a.query
       FROM pg_locks l
       JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 AND l.pid <> pg_backend_pid()
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND l.classid = $1::int8::oid
        AND (CASE WHEN $3::boolean THEN l.objid <> $2::int8::oid ELSE l.objid = $2::int8::oid END)
      ORDER BY a.pid`,
    'objId' in match ? [classId, match.objId, false] : [classId, match.objIdNot, true],
  );
  return rows;
}
