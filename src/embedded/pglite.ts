// The embedded default: PGlite (PostgreSQL compiled to WASM) served over the PostgreSQL wire protocol, so the
// normal `pg` code path runs against it unchanged. Nothing to install.
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
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
  const dataDir = options.dataDir ?? 'memory://';
  const db = await PGlite.create(dataDir);
  const port = options.port ?? (await freePort());
  // PGlite is single-session; the socket server multiplexes several pg connections onto it, keeping each
  // transaction on its own connection.
  const server = new PGLiteSocketServer({ db, port, host: '127.0.0.1', maxConnections: 32 });
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
