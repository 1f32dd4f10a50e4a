// The one-run-per-database lock: a PostgreSQL session advisory lock on (RUN_LOCK_CLASS, hash of the schema) in the
// current database, held on a connection of its own. Every statement on that connection carries the holder's
// description in a trailing comment, so another run reads it from pg_stat_activity.query (application_name is
// cut at 63 bytes, too short for a reason).
import { createHash } from 'node:crypto';
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';

/** 'MREP': the lock class of mosip-reprocess runs. */
export const RUN_LOCK_CLASS = 0x4d524550;

/** The second key: the schema's hash, 31 bits (both keys positive, so pg_locks shows them as given). */
export function runLockKey(schema: string): number {
  return createHash('sha256').update(`mosip-reprocess:${schema}`).digest().readUInt32BE(0) & 0x7fffffff;
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

/** pg_try_advisory_lock: true when this session now holds the lock (or already did). */
export async function tryRunLock(db: Queryable, schema: string, comment: string): Promise<boolean> {
  const { rows } = await db.query<{ locked: boolean }>(
    `SELECT pg_try_advisory_lock($1::int4, $2::int4) AS locked${comment}`, [RUN_LOCK_CLASS, runLockKey(schema)],
  );
  return rows[0]!.locked;
}

/** Whether this session holds the lock (a cheap check on the lock connection). */
export async function holdsRunLock(db: Queryable, schema: string, comment: string): Promise<boolean> {
  const { rows } = await db.query<{ held: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_locks
                     WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted
                       AND classid = $1::int8::oid AND objid = $2::int8::oid AND objsubid = 2) AS held${comment}`,
    [RUN_LOCK_CLASS, runLockKey(schema)],
  );
  return rows[0]!.held;
}

export async function releaseRunLock(db: Queryable, schema: string): Promise<void> {
  await db.query('SELECT pg_advisory_unlock($1::int4, $2::int4)', [RUN_LOCK_CLASS, runLockKey(schema)]);
}

export interface RunLockSession {
  pid: number;
  application_name: string | null;
  client_addr: string | null;
  backend_start: string | null;
  query: string | null;
}

/** The sessions holding the lock of this schema in the current database (at most one), as pg_stat_activity shows them. */
export async function runLockHolders(db: Queryable, schema: string): Promise<RunLockSession[]> {
  const { rows } = await db.query<RunLockSession>(
    `SELECT a.pid, a.application_name, host(a.client_addr) AS client_addr,
            to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS backend_start, a.query
       FROM pg_locks l
       JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND l.classid = $1::int8::oid AND l.objid = $2::int8::oid AND l.objsubid = 2`,
    [RUN_LOCK_CLASS, runLockKey(schema)],
  );
  return rows;
}
