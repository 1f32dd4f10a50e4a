// Reports that must not change anything (the dry-run) run their statements in one READ ONLY transaction:
// the database itself refuses any write, and REPEATABLE READ gives every statement the same snapshot (and
// the same now()), so counts, breakdowns and samples agree with each other even while MOSIP keeps writing.
import type pg from 'pg';
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import { inTransaction } from '@mosip-reprocess/contract/sql/transaction.js';

export function inReadOnlySnapshot<T>(pool: pg.Pool, work: (db: Queryable) => Promise<T>): Promise<T> {
  return inTransaction(pool, work, { mode: 'read only snapshot', commitIf: () => true });
}
