import pg from 'pg';

export interface DbSettings {
  /** A postgres:// URL; when given it wins over the separate fields. */
  url?: string | undefined;
  host?: string | undefined;
  port?: number | undefined;
  user?: string | undefined;
  password?: string | undefined;
  database?: string | undefined;
  /** off: plain TCP; verify: TLS with certificate checks; no-verify: TLS without them. */
  ssl?: 'off' | 'verify' | 'no-verify' | undefined;
  /** Pool size. */
  max?: number | undefined;
  applicationName?: string | undefined;
  /**
   * A query with no answer after this long fails on our side ('Query read timeout') and its connection is
   * dropped: the only way to notice a half-open connection after a failover (TCP keepalive alone takes
   * minutes with the kernel's defaults). Reads retried by db/reconnect.ts then go to a new connection.
   */
  queryTimeoutMs?: number | undefined;
  /** The server cancels a statement that runs longer than this (statement_timeout). */
  statementTimeoutMs?: number | undefined;
}

/**
 * The tool's own reads of a run (keyset pages, lookups, pipeline polls, lost-reply checks) take milliseconds; one
 * with no answer for this long is on a dead connection. The long reads (the dry run, the run's whole-table count)
 * raise both limits for their own transaction (sql/readOnlySnapshot.ts).
 */
export const SHORT_READ_TIMEOUTS = { queryTimeoutMs: 30_000, statementTimeoutMs: 25_000 } as const;

// MOSIP stores UTC wall-clock times in `timestamp without time zone`. pg would read them as the Node
// process's local time; read them as UTC instead, whatever TZ the operator's shell has.
const TIMESTAMP_WITHOUT_TZ_OID = 1114;
const typeOverrides = new pg.TypeOverrides();
typeOverrides.setTypeParser(TIMESTAMP_WITHOUT_TZ_OID, (text: string) => new Date(text.replace(' ', 'T') + 'Z'));

export function createPool(settings: DbSettings): pg.Pool {
  const ssl = settings.ssl === 'verify' ? { rejectUnauthorized: true }
    : settings.ssl === 'no-verify' ? { rejectUnauthorized: false }
    : undefined;
  const pool = new pg.Pool({
    connectionString: settings.url,
    host: settings.url ? undefined : settings.host,
    port: settings.url ? undefined : settings.port,
    user: settings.url ? undefined : settings.user,
    password: settings.url ? undefined : settings.password,
    database: settings.url ? undefined : settings.database,
    ssl,
    max: settings.max ?? 4,
    types: typeOverrides,
    application_name: settings.applicationName ?? 'mosip-reprocess',
    connectionTimeoutMillis: 15_000,
    // Probes an idle connection after 10 s (the kernel's interval and count then decide; see queryTimeoutMs).
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    ...(settings.queryTimeoutMs !== undefined ? { query_timeout: settings.queryTimeoutMs } : {}),
    ...(settings.statementTimeoutMs !== undefined ? { statement_timeout: settings.statementTimeoutMs } : {}),
    // No JIT compilation: the tool runs short keyset pages and lookups, and PostgreSQL would compile one as soon as
    // its estimated cost passes jit_above_cost. The repeating-failure test (sql/lastFailure.ts) raises a page's
    // estimate past it: measured on 1,000,000 seeded rows, a page took 80 ms, 60 of them compiling; 30 ms without.
    options: '-c jit=off',
  });
  // A connection lost while idle (pool 'error') or while checked out between two queries of a transaction
  // (client 'error', which pg emits with no listener of its own) must not crash the process: the query in
  // progress fails, the broken client is dropped on release, and the next query opens a new connection.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => { client.on('error', () => undefined); });
  return pool;
}

/** "user@host:port/db" without the password, for messages. */
export function describeDb(settings: DbSettings): string {
  if (settings.url) {
    try {
      const u = new URL(settings.url);
      return `${decodeURIComponent(u.username) || '(default user)'}@${u.hostname}:${u.port || 5432}${u.pathname}`;
    } catch {
      return '(unparsable database URL)';
    }
  }
  return `${settings.user ?? '(default user)'}@${settings.host ?? 'localhost'}:${settings.port ?? 5432}/${settings.database ?? ''}`;
}
