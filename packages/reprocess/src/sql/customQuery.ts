// An operator's own SELECT (--query-file), run inside a READ ONLY transaction and read through a cursor,
// so it can neither change data nor load a huge result into memory.
import type pg from 'pg';
import type CursorType from 'pg-cursor';
import { lazy } from '../lazy.js';

const Cursor = lazy<typeof CursorType>('pg-cursor');
import { beginTransaction } from '@mosip-reprocess/contract/sql/transaction.js';

export const REQUIRED_COLUMNS = ['reg_id', 'process', 'workflow_instance_id'] as const;

export interface CustomQueryRow {
  reg_id: string | null;
  process: string | null;
  workflow_instance_id: string | null;
  iteration?: number | null;
  source?: string | null;
}

/** Drops one trailing semicolon and whitespace; the extended protocol takes exactly one statement. */
export function normaliseQueryText(sql: string): string {
  return sql.trim().replace(/;\s*$/, '').trim();
}

/**
 * Yields the query's rows in batches. The transaction is READ ONLY and already holds its snapshot before the
 * operator's statement runs, so not even `set_config('transaction_read_only', ...)` inside it can lift that.
 */
export async function* readOnlyRows(client: pg.PoolClient, sql: string, batchSize: number): AsyncGenerator<CustomQueryRow[], void, void> {
  const tx = await beginTransaction(client, 'read only snapshot');
  try {
    await client.query('SELECT 1');
    const cursor = client.query(new (Cursor())<CustomQueryRow>(normaliseQueryText(sql)));
    try {
      for (;;) {
        const rows = await cursor.read(batchSize);
        if (rows.length === 0) break;
        yield rows;
      }
    } finally {
      await cursor.close().catch(() => undefined);
    }
  } finally {
    await tx.rollback();
  }
}
