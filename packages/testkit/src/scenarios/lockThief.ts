// "The run lock lost": another holder takes the run's lock while the run's lock connection is down, as after a
// database failover when a second run (or a stray pod) got in first. The thief does not need to know how the tool
// keys its lock: it finds the advisory locks that the run's lock session holds (pg_locks), queues for each of them
// in the same mode on a connection of its own, and then ends the run's lock session. The waiting requests are
// granted as the session dies, before the run can reconnect, so when it tries to take its lock again it is taken.
import pg from 'pg';

export interface StolenLock {
  /** The run's lock sessions that were ended. */
  victims: number[];
  /** Lets the run have its lock back (ends the thief's session). */
  release(): Promise<void>;
}

interface HeldLock { classid: number; objid: number; objsubid: number; mode: string; pid: number }

/**
 * Takes over the run lock of the run `runId` (its lock session names it in its statements; the lock session's
 * application_name starts with "mosip-reprocess lock"). Throws when no such session holds an advisory lock.
 */
export async function stealRunLock(dbUrl: string, runId: string): Promise<StolenLock> {
  const admin = new pg.Client({ connectionString: dbUrl, application_name: 'scenario-lock-thief-admin' });
  const thief = new pg.Client({ connectionString: dbUrl, application_name: 'scenario-lock-thief' });
  await admin.connect();
  await thief.connect();
  try {
    const { rows } = await admin.query<HeldLock>(
      `SELECT l.classid::int8 AS classid, l.objid::int8 AS objid, l.objsubid, l.mode, l.pid
         FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'advisory' AND l.granted AND a.application_name LIKE 'mosip-reprocess lock%'
          AND position($1 IN a.query) > 0`, [runId]);
    if (rows.length === 0) throw new Error(`no lock session of run ${runId} holds an advisory lock`);
    // Queue for every lock the run holds, in its mode; none can be granted while the run's session lives.
    const waits = rows.map((l) => thief.query(lockStatement(l), lockArgs(l)));
    waits.forEach((w) => w.catch(() => undefined));
    await waitUntilQueued(admin, thief, rows.length);
    const victims = [...new Set(rows.map((l) => l.pid))];
    for (const pid of victims) await admin.query('SELECT pg_terminate_backend($1)', [pid]);
    await Promise.all(waits);
    return {
      victims,
      async release() {
        await thief.end().catch(() => undefined);
      },
    };
  } catch (err) {
    await thief.end().catch(() => undefined);
    throw err;
  } finally {
    await admin.end().catch(() => undefined);
  }
}

/** pg_advisory_lock(int4, int4) shows as objsubid 2 (classid, objid the two keys); the bigint form as objsubid 1. */
function lockStatement(l: HeldLock): string {
  const fn = l.mode === 'ShareLock' ? 'pg_advisory_lock_shared' : 'pg_advisory_lock';
  return l.objsubid === 2 ? `SELECT ${fn}($1::int8::int4, $2::int8::int4)` : `SELECT ${fn}((($1::int8 << 32) | $2::int8))`;
}

function lockArgs(l: HeldLock): number[] {
  // oids are unsigned; an int4 key above 2^31 was negative when taken.
  const signed = (n: number) => (l.objsubid === 2 && n >= 2 ** 31 ? n - 2 ** 32 : n);
  return [signed(Number(l.classid)), signed(Number(l.objid))];
}

/** Until the thief's requests are waiting in the lock queue (pg_locks shows them not granted). */
async function waitUntilQueued(admin: pg.Client, thief: pg.Client, count: number): Promise<void> {
  const pid = (thief as unknown as { processID: number }).processID;
  for (let i = 0; i < 500; i++) {
    const { rows } = await admin.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_locks WHERE pid = $1 AND locktype = 'advisory' AND NOT granted`, [pid]);
    // A request that was granted at once (a shared lock beside a shared one) is not waiting; one waiting is enough
    // to know the statements reached the server in order.
    if (rows[0]!.n >= Math.min(1, count)) return;
    await new Promise((r) => setTimeout(r, 10));
  }
}
