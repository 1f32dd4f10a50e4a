// A connection that hangs (issue #19, item 10): after a failover the old connection can stay half-open, its socket
// open and nothing ever coming back, and TCP keepalive takes minutes to notice with the kernel's defaults. The
// run's reads must give up on it (the pool's query timeout), drop it, and go on over a new connection
// (db/reconnect.ts). Here a TCP relay in front of the real PostgreSQL goes silent for the connections it carries,
// as a dead peer would, while new connections get through. Without the query timeout the read never returns: a
// watchdog then cuts every relayed connection, so the test fails (no timeout in the retries) instead of hanging.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Socket } from 'node:net';
import { TEST_DB_URL } from '@mosip-reprocess/testkit/db.js';
import { createPool } from '../src/db/connect.js';
import { withReconnect } from '../src/db/reconnect.js';

/** A TCP relay to the test database whose open connections can be silenced (bytes swallowed, sockets kept open). */
async function silenceableRelay(target: URL): Promise<{ url: string; silenceOpenConnections(): void; close(): Promise<void> }> {
  const pairs: { client: Socket; server: Socket; silent: boolean }[] = [];
  const relay = createServer((client) => {
    const server = connect(Number(target.port || 5432), target.hostname);
    const pair = { client, server, silent: false };
    pairs.push(pair);
    client.on('data', (b) => { if (!pair.silent) server.write(b); });
    server.on('data', (b) => { if (!pair.silent) client.write(b); });
    const end = () => { client.destroy(); server.destroy(); };
    client.on('error', end).on('close', end);
    server.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  const { port } = relay.address() as { port: number };
  const url = new URL(target.href);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return {
    url: url.href,
    silenceOpenConnections: () => { for (const p of pairs) p.silent = true; },
    close: async () => {
      for (const p of pairs) { p.client.destroy(); p.server.destroy(); }
      await new Promise<void>((resolve) => relay.close(() => resolve()));
    },
  };
}

test('a read on a connection that went silent times out, the connection is dropped, and the read is retried on a new one', async () => {
  const relay = await silenceableRelay(new URL(TEST_DB_URL));
  // The run's settings with a shorter query timeout (the run's own is 30 s: db/connect.ts SHORT_READ_TIMEOUTS).
  const pool = createPool({ url: relay.url, max: 1, queryTimeoutMs: 400, statementTimeoutMs: 10_000 });
  const watchdog = setTimeout(() => void relay.close(), 15_000);
  try {
    const { rows: [first] } = await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    relay.silenceOpenConnections();
    const retries: string[] = [];
    const { rows: [second] } = await withReconnect(
      () => pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid'),
      { patienceMs: 10_000, onRetry: (m) => retries.push(m) },
    );
    assert.equal(retries.length, 1, retries.join(' | '));
    assert.match(retries[0]!, /database connection lost \(Query read timeout\)/);
    assert.notEqual(second!.pid, first!.pid, 'the retry went over a new connection');
    assert.equal(pool.totalCount, 1, 'the silent connection was dropped, not kept in the pool');
  } finally {
    clearTimeout(watchdog);
    await pool.end().catch(() => undefined);
    await relay.close();
  }
});
