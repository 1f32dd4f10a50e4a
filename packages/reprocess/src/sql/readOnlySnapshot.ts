// Reports that must not change anything (the dry-run) run their statements in one READ ONLY transaction:
// the database itself refuses any write, and REPEATABLE READ gives every statement the same snapshot (and
// the same now()), so counts, breakdowns and samples agree with each other even while MOSIP keeps writing.
import type pg from 'pg';
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';

export async function inReadOnlySnapshot<T>(pool: pg.Pool, work: (db: Queryable) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => { broken = true; });
    throw err;
  } finally {
    // A connection whose ROLLBACK failed is in an unknown state: drop it instead of pooling it.
    client.release(broken);
  }
}
