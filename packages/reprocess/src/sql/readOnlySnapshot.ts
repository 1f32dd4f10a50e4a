// Reports that must not change anything (the dry-run) run their statements in one READ ONLY transaction:
// the database itself refuses any write, and REPEATABLE READ gives every statement the same snapshot (and
// the same now()), so counts, breakdowns and samples agree with each other even while MOSIP keeps writing.
import type pg from 'pg';
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import { inTransaction } from '@mosip-reprocess/contract/sql/transaction.js';
import { cancelOnAbort } from '../db/cancel.js';

// They read whole tables (a minute or more on tens of millions of rows), so their transaction lifts the short-read
// limits of the run's pool (db/connect.ts, SHORT_READ_TIMEOUTS) to LONG_READ_MS, on the server and on our side.
const LONG_READ_MS = 30 * 60_000;

/** `signal`: the run's stop; a statement running when it fires is cancelled at the server (db/cancel.ts). */
export function inReadOnlySnapshot<T>(pool: pg.Pool, work: (db: Queryable) => Promise<T>, signal?: AbortSignal): Promise<T> {
  return inTransaction(pool, async (client) => {
    const done = cancelOnAbort(pool, client, signal);
    const db: Queryable = {
      query: (text, values) => {
        signal?.throwIfAborted();
        return client.query({ text, values: values ?? [], query_timeout: LONG_READ_MS } as pg.QueryConfig & { query_timeout: number });
      },
    };
    try {
      await db.query(`SET LOCAL statement_timeout = ${LONG_READ_MS}`);
      return await work(db);
    } finally {
      done();
    }
  }, { mode: 'read only snapshot', commitIf: () => true });
}
