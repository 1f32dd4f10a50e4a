// "No transaction of the tool stays open for long": the tool's database sessions, watched in pg_stat_activity
// through the whole scenario (its waits included) and once more after it. A session is the tool's when its
// application_name starts with "mosip-reprocess" (the harness and the simulator use other names) and its
// statement names the scenario's schema, so that the runs of other tests on the same server are never counted.
import type pg from 'pg';
import { QUERY_FILE_MARK } from './backlog.js';

/** A transaction open longer than this is "long": generous, so that no load on the machine breaks it. */
export const LONG_TRANSACTION_MS = 10_000;

/**
 * A --query-file run reads the operator's query through a cursor inside one READ ONLY transaction (a consistent
 * snapshot, by design: docs/operating.md, "Choosing the packets"), so that transaction lives while the query is being read. It is held
 * to the other rule only: closed once the run has ended, whatever stopped it (decisions D4).
 */
export function isQueryFileCursor(s: SessionSighting): boolean {
  return s.query.includes(QUERY_FILE_MARK);
}

export interface SessionSighting {
  pid: number;
  applicationName: string;
  state: string | null;
  /** How long its transaction had been open when seen, ms (0 when none). */
  transactionMs: number;
  query: string;
}

export interface SessionWatch {
  /** The longest-open transaction seen per session (pid), over the whole watch. */
  longest(): SessionSighting[];
  /** Sessions of the tool still open now (optionally only those inside a transaction). */
  openNow(inTransactionOnly?: boolean): Promise<SessionSighting[]>;
  stop(): Promise<void>;
}

const SQL = `SELECT pid, application_name, state, left(query, 300) AS query,
                    coalesce(extract(epoch FROM clock_timestamp() - xact_start) * 1000, 0)::float8 AS transaction_ms
               FROM pg_stat_activity
              WHERE application_name LIKE 'mosip-reprocess%' AND pid <> pg_backend_pid() AND position($1 IN query) > 0`;

/** The tool's sessions on `schema` now (optionally only those inside a transaction: a cursor, a snapshot, a statement). */
export async function toolSessions(pool: pg.Pool, schema: string, inTransactionOnly = false): Promise<SessionSighting[]> {
  const { rows } = await pool.query<{ pid: number; application_name: string; state: string | null; query: string; transaction_ms: number }>(SQL, [`"${schema}"`]);
  const now = rows.map((r) => ({ pid: r.pid, applicationName: r.application_name, state: r.state, transactionMs: r.transaction_ms, query: r.query }));
  return inTransactionOnly ? now.filter((s) => s.state !== null && s.state !== 'idle') : now;
}

export function watchSessions(pool: pg.Pool, schema: string, everyMs = 250): SessionWatch {
  const longest = new Map<number, SessionSighting>();
  const read = () => toolSessions(pool, schema);
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      try {
        for (const s of await read()) {
          const seen = longest.get(s.pid);
          if (!seen || s.transactionMs > seen.transactionMs) longest.set(s.pid, s);
        }
      } catch {
        // a failed sample is only a gap in the watch
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    longest: () => [...longest.values()],
    openNow: (inTransactionOnly = false) => toolSessions(pool, schema, inTransactionOnly),
    async stop() {
      stopped = true;
      await loop;
    },
  };
}
