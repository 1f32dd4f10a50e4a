// The embedded default: PGlite (PostgreSQL compiled to WASM) served over the PostgreSQL wire protocol, so the
// normal `pg` code path runs against it unchanged. Nothing to install.
import type { PGlite } from '@electric-sql/pglite';
import type { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The exact versions keepProtocolSequencesTogether (below) was written and tested against; package.json pins
 * them without a range. Another version is refused at start-up rather than patched blindly.
 */
export const PATCHED_VERSIONS = { '@electric-sql/pglite-socket': '0.2.17', '@electric-sql/pglite': '0.5.14' } as const;

export interface EmbeddedPostgres {
  url: string;
  port: number;
  /** Where the data lives ("memory://" when not persisted). */
  dataDir: string;
  /** initdb: a new cluster was made (several seconds of CPU); template: the saved empty cluster was loaded; existing: dataDir held one. */
  startedFrom: 'initdb' | 'template' | 'existing';
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** A directory to keep the data in; default in memory. */
  dataDir?: string;
  port?: number;
  /**
   * Where the empty cluster of a new database is saved and reused (initdb is most of PGlite's start-up).
   * Default $XDG_CACHE_HOME/mosip-reprocess or ~/.cache/mosip-reprocess; null: never save or reuse one.
   */
  templateDir?: string | null;
}

/** The saved empty cluster, named by the PGlite version that made it. */
export function templatePath(templateDir: string): string {
  return join(templateDir, `pglite-${PATCHED_VERSIONS['@electric-sql/pglite']}-empty-cluster.tar.gz`);
}

/** $XDG_CACHE_HOME/mosip-reprocess, or ~/.cache/mosip-reprocess. */
export const defaultTemplateDir = (): string => join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'mosip-reprocess');

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

export async function startEmbeddedPostgres(options: EmbeddedOptions = {}): Promise<EmbeddedPostgres> {
  checkPatchedVersions(installedVersions());
  // Loaded on demand: PGlite's WASM is heavy, and every `reprocess` invocation would otherwise pay for it.
  const { PGlite } = await import('@electric-sql/pglite');
  const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
  const dataDir = options.dataDir ?? 'memory://';
  const templateDir = options.templateDir === undefined ? defaultTemplateDir() : options.templateDir;
  // Only a new cluster starts from the template: in memory, or in a data directory that is missing or empty.
  const newCluster = dataDir === 'memory://' || !existsSync(dataDir) || readdirSync(dataDir).length === 0;
  const template = newCluster && templateDir !== null ? templatePath(templateDir) : null;
  let db: PGlite | null = null;
  let startedFrom: EmbeddedPostgres['startedFrom'] = newCluster ? 'initdb' : 'existing';
  if (template) {
    try {
      db = await PGlite.create(dataDir, { loadDataDir: new Blob([readFileSync(template)]) });
      startedFrom = 'template';
    } catch {
      // No template yet, or an unreadable one: make a new cluster below (in an empty directory again), and save it.
      if (dataDir !== 'memory://') {
        rmSync(dataDir, { recursive: true, force: true });
        mkdirSync(dataDir, { recursive: true });
      }
    }
  }
  if (!db) {
    db = await PGlite.create(dataDir);
    if (template) await saveTemplate(db, template);
  }
  const port = options.port ?? (await freePort());
  // PGlite is single-session; the socket server multiplexes several pg connections onto it, keeping each
  // transaction on its own connection.
  const server = new PGLiteSocketServer({ db, port, host: '127.0.0.1', maxConnections: 32 });
  keepProtocolSequencesTogether(server);
  await server.start();
  const database = db;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dataDir,
    startedFrom,
    async stop() {
      await server.stop();
      await database.close();
    },
  };
}

/** Saves a new, still empty cluster as the template; write-then-rename, so a reader never sees half a file. Best effort. */
async function saveTemplate(db: PGlite, template: string): Promise<void> {
  const partial = `${template}.${process.pid}.tmp`;
  try {
    const dump = await db.dumpDataDir('gzip');
    mkdirSync(dirname(template), { recursive: true });
    writeFileSync(partial, Buffer.from(await dump.arrayBuffer()), { mode: 0o600 });
    renameSync(partial, template);
  } catch {
    rmSync(partial, { force: true }); // a read-only home, a full disk: the next start makes its own cluster again
  }
}

/** The installed version of each patched package, read from its package.json. */
export function installedVersions(): Record<keyof typeof PATCHED_VERSIONS, string> {
  const versionOf = (name: keyof typeof PATCHED_VERSIONS): string => {
    // The packages export no package.json: walk up from their entry point to it.
    let dir = dirname(fileURLToPath(import.meta.resolve(name)));
    for (;;) {
      try {
        const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
        if (pkg.name === name) return pkg.version ?? 'unknown';
      } catch {
        // no package.json here: go up
      }
      const parent = dirname(dir);
      if (parent === dir) return 'unknown';
      dir = parent;
    }
  };
  return { '@electric-sql/pglite-socket': versionOf('@electric-sql/pglite-socket'), '@electric-sql/pglite': versionOf('@electric-sql/pglite') };
}

/** Throws, naming what was found, unless the installed versions are exactly the ones the patch was written for. */
export function checkPatchedVersions(found: Record<keyof typeof PATCHED_VERSIONS, string>): void {
  const wrong = (Object.keys(PATCHED_VERSIONS) as (keyof typeof PATCHED_VERSIONS)[]).filter((name) => found[name] !== PATCHED_VERSIONS[name]);
  if (wrong.length === 0) return;
  throw new Error(`the embedded database patches ${wrong.map((n) => `${n} ${PATCHED_VERSIONS[n]}`).join(' and ')} exactly, `
    + `but ${wrong.map((n) => `${n} ${found[n]}`).join(' and ')} is installed: run \`npm ci\` to get the pinned versions, or `
    + 're-check keepProtocolSequencesTogether in packages/simulator/src/embedded/pglite.ts against the new version before changing the pin');
}

// pglite-socket 0.2.x queues each protocol MESSAGE, not each query: between one connection's Parse and its Sync
// another connection's Parse can run and replace the unnamed statement ("unnamed prepared statement does not
// exist", or worse, a Bind to the other connection's statement); and after one failed message the queue stops for
// good (every later query hangs). Under the demo's load (runner, simulator and pipeline on one database) both
// happen. This replaces the queue's scheduling: a connection that has begun an extended-protocol sequence (Parse,
// Bind, Describe, Execute, Close, Flush) or a transaction is served alone until its Sync or its transaction's end,
// and a failed message fails only its own query.
// Upstream: electric-sql/pglite#1046 ("pglite-socket: concurrent extended-protocol batches interleave across
// connections; one internal throw permanently deadlocks the query queue"), both defects described there, and
// pull request electric-sql/pglite#977 (per-connection extended-query isolation), open when this was written.
// Drop this patch when a pglite-socket release includes the fix, and move the pin with it.
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
