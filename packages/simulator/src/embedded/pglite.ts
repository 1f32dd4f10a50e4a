// The embedded default: PGlite (PostgreSQL compiled to WASM) served over the PostgreSQL wire protocol, so the
// normal `pg` code path runs against it unchanged. Nothing to install.
import type { PGlite } from '@electric-sql/pglite';
import type { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { createServer } from 'node:net';

export interface EmbeddedPostgres {
  url: string;
  port: number;
  /** Where the data lives ("memory://" when not persisted). */
  dataDir: string;
  stop(): Promise<void>;
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function startEmbeddedPostgres(options: { dataDir?: string; port?: number } = {}): Promise<EmbeddedPostgres> {
  // Loaded on demand: PGlite's WASM is heavy, and every `reprocess` invocation would otherwise pay for it.
  const { PGlite } = await import('@electric-sql/pglite');
  const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
  const dataDir = options.dataDir ?? 'memory://';
  const db = await PGlite.create(dataDir);
  const port = options.port ?? (await freePort());
  // PGlite is single-session; the socket server multiplexes several pg connections onto it, keeping each
  // transaction on its own connection.
  const server = new PGLiteSocketServer({ db, port, host: '127.0.0.1', maxConnections: 32 });
  keepProtocolSequencesTogether(server);
  await server.start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dataDir,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}

// pglite-socket 0.2.x queues each protocol MESSAGE, not each query: between one connection's Parse and its Sync
// another connection's Parse can run and replace the unnamed statement ("unnamed prepared statement does not
// exist", or worse, a Bind to the other connection's statement); and after one failed message the queue stops for
// good (every later query hangs). Under the demo's load (runner, simulator and pipeline on one database) both
// happen. This replaces the queue's scheduling: a connection that has begun an extended-protocol sequence (Parse,
// Bind, Describe, Execute, Close, Flush) or a transaction is served alone until its Sync or its transaction's end,
// and a failed message fails only its own query.
const SEQUENCE_END = new Set([0x53 /* S Sync */, 0x51 /* Q Query */, 0x58 /* X Terminate */, 0x63 /* c CopyDone */, 0x66 /* f CopyFail */]);
const SEQUENCE_PART = new Set([0x50 /* P */, 0x42 /* B */, 0x44 /* D */, 0x45 /* E */, 0x43 /* C */, 0x48 /* H */, 0x64 /* d CopyData */]);

interface QueuedMessage {
  handlerId: number;
  message: Uint8Array;
  resolve(bytes: number): void;
  reject(error: unknown): void;
  onData(data: Uint8Array): void;
}

interface QueueInternals {
  queue: QueuedMessage[];
  processing: boolean;
  lastHandlerId: number | null;
  db: PGlite;
  processQueue(): Promise<void>;
  clearQueueForHandler(handlerId: number): void;
}

function keepProtocolSequencesTogether(server: PGLiteSocketServer): void {
  const q = (server as unknown as { queryQueue?: QueueInternals }).queryQueue;
  if (!q || !Array.isArray(q.queue) || typeof q.processQueue !== 'function') {
    throw new Error('@electric-sql/pglite-socket changed its internals: check keepProtocolSequencesTogether in src/embedded/pglite.ts');
  }
  let holder: number | null = null; // the connection in the middle of a Parse..Sync sequence
  q.processQueue = async function processQueue(): Promise<void> {
    if (q.processing) return;
    q.processing = true;
    try {
      while (q.queue.length > 0) {
        const owner = holder ?? (q.db.isInTransaction() ? q.lastHandlerId : null);
        const index = owner === null ? 0 : q.queue.findIndex((m) => m.handlerId === owner);
        if (index === -1) break; // the owner's next message comes with its next enqueue, which restarts this loop
        const item = q.queue.splice(index, 1)[0]!;
        const type = item.message[0] ?? 0;
        if (SEQUENCE_PART.has(type)) holder = item.handlerId;
        else if (SEQUENCE_END.has(type)) holder = null;
        let bytes = 0;
        try {
          await q.db.runExclusive(() => q.db.execProtocolRawStream(item.message, {
            onRawData: (data: Uint8Array) => {
              bytes += data.length;
              item.onData(data);
            },
          }));
        } catch (error) {
          item.reject(error);
          continue;
        }
        q.lastHandlerId = item.handlerId;
        item.resolve(bytes);
      }
    } finally {
      q.processing = false;
    }
  };
  const clear = q.clearQueueForHandler.bind(q);
  q.clearQueueForHandler = (handlerId: number): void => {
    clear(handlerId);
    if (holder === handlerId) {
      holder = null; // a connection that went away mid-sequence releases the session
      void q.processQueue();
    }
  };
}
