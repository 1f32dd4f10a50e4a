// A stop must not wait for a long read to finish on the production database (the run's whole-table count, an
// operator's --query-file): when the run's stop signal fires, the statement the connection is running is
// cancelled at the server with PostgreSQL's cancel request (sent on a connection of its own, as psql's Ctrl-C
// does), and the connection is not reused.
import pg from 'pg';

interface ClientInternals {
  activeQuery?: unknown;
}

/** Sends the server a cancel request for what `client` is running now; never throws. */
export function cancelRunning(pool: pg.Pool, client: pg.ClientBase): void {
  try {
    const active = (client as unknown as ClientInternals).activeQuery;
    if (!active) return;
    const canceller = new pg.Client((pool as unknown as { options: pg.ClientConfig }).options);
    // cancel() opens its own socket and sends the request; the server closes that socket after reading it.
    (canceller as unknown as { cancel(c: pg.ClientBase, q: unknown): void }).cancel(client, active);
    (canceller as unknown as { connection: { on(e: string, f: () => void): void } }).connection.on('error', () => undefined);
  } catch {
    // the statement then ends by its own timeout
  }
}

/**
 * Cancels what the client runs whenever the signal fires, until the returned function is called. Returns whether
 * a cancel was sent (the caller then drops the connection instead of returning it to the pool).
 */
export function cancelOnAbort(pool: pg.Pool, client: pg.ClientBase, signal: AbortSignal | undefined): () => boolean {
  if (!signal) return () => false;
  let cancelled = false;
  const onAbort = () => {
    cancelled = true;
    cancelRunning(pool, client);
  };
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  return () => {
    signal.removeEventListener('abort', onAbort);
    return cancelled;
  };
}
