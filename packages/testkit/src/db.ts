// Per-test-file isolation: every test file gets its own schema (the tool's schema name is configurable),
// which works the same on a real server and on PGlite.
import type pg from 'pg';
import { createPool } from 'mosip-reprocess/db/connect.js';
import { createSchema } from '@mosip-reprocess/contract/schema.js';

export const TEST_DB_URL = process.env.DATABASE_URL ?? '';
export const TEST_BACKEND = process.env.TEST_DB_BACKEND ?? 'none';
export const IS_REAL_SERVER = TEST_BACKEND === 'real';
/** Pass as `{ skip }` to tests that need a real server process (restart, server settings). */
export const NEEDS_REAL_SERVER = IS_REAL_SERVER ? false : 'needs a real PostgreSQL server (running on embedded PGlite)';
/** The server the harness started itself (initdb/pg_ctl), which a test may restart; null when it did not start one. */
export const RESTARTABLE_SERVER: { binDir: string; dataDir: string } | null = process.env.TEST_PG_BIN_DIR && process.env.TEST_PG_DATA_DIR
  ? { binDir: process.env.TEST_PG_BIN_DIR, dataDir: process.env.TEST_PG_DATA_DIR }
  : null;
/** Pass as `{ skip }` to tests that restart the server: only the harness's own server may be restarted. */
export const NEEDS_RESTARTABLE_SERVER = RESTARTABLE_SERVER ? false
  : IS_REAL_SERVER ? 'restarts the PostgreSQL server: DATABASE_URL was given, and a server the harness did not start is not restarted'
    : NEEDS_REAL_SERVER;

if (!TEST_DB_URL) {
  throw new Error('DATABASE_URL is not set: run the tests with `npm test`, which starts a database');
}

let counter = 0;

export interface TestSchema {
  pool: pg.Pool;
  schema: string;
  url: string;
  drop(): Promise<void>;
}

/** A fresh schema holding empty registration, registration_transaction and registration_list tables. */
export async function freshSchema(prefix = 't'): Promise<TestSchema> {
  const schema = `${prefix}_${process.pid}_${Date.now() % 100000}_${counter++}`.toLowerCase();
  const pool = createPool({ url: TEST_DB_URL, max: 4 });
  await createSchema(pool, schema);
  return {
    pool,
    schema,
    url: TEST_DB_URL,
    async drop() {
      await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await pool.end();
    },
  };
}
