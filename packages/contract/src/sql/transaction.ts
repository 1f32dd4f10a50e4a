// The one way this project opens and ends a transaction, for the tool (READ ONLY snapshots) and the simulator
// (the stages' writes). A rollback that fails leaves the connection in an unknown state: it is then dropped
// instead of going back to the pool.
import type pg from 'pg';

/** read write: plain BEGIN. read only snapshot: the database refuses every write, and every statement sees the same snapshot (and now()). */
export type TransactionMode = 'read write' | 'read only snapshot';

const BEGIN: Record<TransactionMode, string> = {
  'read write': 'BEGIN',
  'read only snapshot': 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY',
};

export interface OpenTransaction {
  commit(): Promise<void>;
  /** Never throws; false when the ROLLBACK itself failed (the connection should not be reused). */
  rollback(): Promise<boolean>;
}

/** Opens a transaction on a connection the caller holds (for work that cannot be one callback, e.g. a generator). */
export async function beginTransaction(client: pg.ClientBase, mode: TransactionMode = 'read write'): Promise<OpenTransaction> {
  await client.query(BEGIN[mode]);
  return {
    commit: async () => { await client.query('COMMIT'); },
    rollback: () => client.query('ROLLBACK').then(() => true, () => false),
  };
}

export interface TransactionOptions<T> {
  mode?: TransactionMode;
  /** Whether to commit what work returned; default: anything but null (null = nothing to write, roll back). */
  commitIf?: (result: T) => boolean;
}

/**
 * Runs work on one pooled connection inside a transaction: commits when it returns (unless commitIf says no),
 * rolls back when it throws, and rethrows. The connection goes back to the pool, or is dropped when its ROLLBACK failed.
 */
export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>, options: TransactionOptions<T> = {}): Promise<T> {
  const client = await pool.connect();
  let usable = true;
  try {
    const tx = await beginTransaction(client, options.mode);
    const result = await work(client);
    if ((options.commitIf ?? ((r: T) => r !== null))(result)) await tx.commit();
    else usable = await tx.rollback();
    return result;
  } catch (error) {
    // work, BEGIN or COMMIT failed: end whatever is open.
    usable = await client.query('ROLLBACK').then(() => true, () => false);
    throw error;
  } finally {
    client.release(!usable);
  }
}
