// The run's own whole-table read (the progress total and the held-back count, sql/selectionCounts.ts) runs
// while the run sends, on MOSIP's production database. It takes no parallel workers: PostgreSQL would
// otherwise start up to two more processes for it, on the cores MOSIP's stages use. Measured on 1,000,000 rows
// (2 cores): the same 0.4-0.5 s, half the CPU. A READ ONLY snapshot, as the dry run's reads.
import type pg from 'pg';
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import { inReadOnlySnapshot } from './readOnlySnapshot.js';

export function inBackgroundRead<T>(pool: pg.Pool, work: (db: Queryable) => Promise<T>, signal?: AbortSignal): Promise<T> {
  return inReadOnlySnapshot(pool, async (db) => {
    await db.query('SET LOCAL max_parallel_workers_per_gather = 0');
    return work(db);
  }, signal);
}
