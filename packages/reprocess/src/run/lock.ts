// One run per database: a run that can send holds a PostgreSQL session advisory lock for (database, schema) on a
// connection of its own, from before its first packet to its end. A second run finds it taken and stops before
// sending anything, naming the holder (run id, host, start time, reason). If the lock connection is lost, the
// run pauses sending, reconnects and takes the lock again; if another run took it meanwhile, it stops for good.
// Dry runs and `verify` take no lock. The SQL is in src/sql/runLock.ts.
import { hostname } from 'node:os';
import type pg from 'pg';
import { createPool, type DbSettings } from '../db/connect.js';
import { UnreachableError } from '../errors.js';
import { unlessAborted } from './stop.js';
import {
  holderComment, holderFromQueryText, holdsRunLock, releaseRunLock, runLockHolders, tryRunLock, type RunLockSession,
} from '../sql/runLock.js';

export interface LockHolder {
  /** The run id (or the action run id). */
  runId: string;
  /** 'run' or 'action'. */
  command: string;
  host: string;
  pid: number;
  /** ISO UTC. */
  startedAt: string;
  reason: string | null;
}

/** Another run holds the lock: nothing was sent. Exit code 3. */
export class RunLockBusy extends UnreachableError {
  override name = 'RunLockBusy';
  constructor(readonly where: string, readonly holder: LockHolder | null, readonly session: RunLockSession | null) {
    super(`another reprocess run holds the lock for ${where}: ${describeHolder(holder, session)}. `
      + 'Only one run may send per database and schema; wait for it to end (or stop it), then run again. Nothing was sent');
  }
}

export function describeHolder(holder: LockHolder | null, session: RunLockSession | null): string {
  const parts: string[] = [];
  if (holder) {
    parts.push(`${holder.command} ${holder.runId} on host ${holder.host} (pid ${holder.pid}), started ${holder.startedAt}`);
    parts.push(holder.reason ? `reason "${holder.reason}"` : 'no reason given');
  }
  if (session) {
    const from = session.client_addr ? ` from ${session.client_addr}` : '';
    parts.push(`database session ${session.pid}${from}, application_name "${session.application_name ?? ''}", connected ${session.backend_start ?? '?'}`);
  }
  return parts.length > 0 ? parts.join('; ') : 'the holder could not be identified (no permission to read pg_stat_activity?)';
}

export interface RunLockOptions {
  /** Told when the lock connection is lost, re-taken, or lost for good. */
  onEvent?: (message: string) => void;
  /**
   * How often the held lock is checked on its connection (default 15 s); 0 = only on connection errors. A check
   * with no answer within LOCK_QUERY_TIMEOUT_MS counts as a lost connection, and sending waits for a check that
   * is more than two heartbeats old: the run never sends while the lock is not known to be held.
   */
  heartbeatMs?: number;
  /** How long to keep trying to reconnect before giving up (default 120 s). */
  reconnectPatienceMs?: number;
  /** Awaited before each reconnect attempt (tests use it to let another run in first). */
  beforeReconnect?: () => Promise<void>;
}

type State = { kind: 'held' } | { kind: 'reconnecting'; since: number } | { kind: 'lost'; message: string } | { kind: 'released' };

/** The lock connection's statements are tiny: no answer in this long means the connection is gone (half-open after a failover). */
export const LOCK_QUERY_TIMEOUT_MS = 10_000;

export class RunLock {
  private state: State = { kind: 'held' };
  private client: pg.PoolClient;
  private comment: string;
  private heartbeat: NodeJS.Timeout | null = null;
  private recovering: Promise<void> | null = null;
  private beating: Promise<void> | null = null;
  /** When the database last confirmed that this session holds the lock (Date.now()). */
  private confirmedAt = Date.now();
  private readonly staleAfterMs: number;
  private readonly lostListeners: ((message: string) => void)[] = [];

  private constructor(
    private readonly pool: pg.Pool, client: pg.PoolClient, private readonly schema: string, readonly where: string,
    readonly holder: LockHolder, private readonly options: RunLockOptions,
  ) {
    this.client = client;
    this.comment = holderComment(holder);
    this.watch(client);
    const every = options.heartbeatMs ?? 15_000;
    this.staleAfterMs = every > 0 ? 2 * every : Infinity;
    if (every > 0) {
      this.heartbeat = setInterval(() => { void this.beat(); }, every);
      this.heartbeat.unref();
    }
  }

  /** Takes the lock or throws RunLockBusy naming the holder. `where` names the database for messages. */
  static async acquire(db: DbSettings, schema: string, where: string, holder: Omit<LockHolder, 'host' | 'pid'> & Partial<LockHolder>, options: RunLockOptions = {}): Promise<RunLock> {
    const full: LockHolder = { host: hostname(), pid: process.pid, ...holder };
    const pool = createPool({ ...db, max: 1, applicationName: `mosip-reprocess lock ${full.runId}`.slice(0, 63), queryTimeoutMs: LOCK_QUERY_TIMEOUT_MS });
    let client: pg.PoolClient | null = null;
    try {
      client = await pool.connect();
      if (!(await tryRunLock(client, schema, holderComment(full)))) throw await busy(client, schema, where);
      return new RunLock(pool, client, schema, where, full, options);
    } catch (err) {
      client?.release(true);
      await pool.end().catch(() => undefined);
      throw err;
    }
  }

  /** Names the run in the holder's description once its id exists (the lock is taken before the run directory). */
  async setRunId(runId: string): Promise<void> {
    this.holder.runId = runId;
    this.comment = holderComment(this.holder);
    if (this.state.kind === 'held') await holdsRunLock(this.client, this.schema, this.comment).catch(() => undefined);
  }

  /** Non-null once the lock is lost for good: the run must not send any more. */
  stopMessage(): string | null {
    return this.state.kind === 'lost' ? this.state.message : null;
  }

  /** Called once if the lock is lost for good (the run stops: run/stop.ts). */
  whenLost(listener: (message: string) => void): void {
    if (this.state.kind === 'lost') listener(this.state.message);
    else this.lostListeners.push(listener);
  }

  /**
   * Resolves when the lock is known to be held (at once, normally: a check of the last two heartbeats confirmed
   * it), or lost for good; never rejects. While the connection is being taken again, or a check is overdue, it
   * waits for the database's answer. The signal ends the wait early (the caller is stopping).
   */
  async ready(signal?: AbortSignal): Promise<void> {
    if (this.state.kind === 'held' && Date.now() - this.confirmedAt > this.staleAfterMs) await unlessAborted(this.beat(), signal);
    if (this.state.kind === 'reconnecting' && this.recovering) await unlessAborted(this.recovering, signal);
  }

  /** Ends the lock (at the end of the run). */
  async release(): Promise<void> {
    const was = this.state.kind;
    this.state = { kind: 'released' };
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (was === 'held') await releaseRunLock(this.client, this.schema).catch(() => undefined);
    try {
      this.client.release(true);
    } catch {
      // already released by a failed reconnect
    }
    await this.pool.end().catch(() => undefined);
  }

  private watch(client: pg.PoolClient): void {
    const lost = (err?: Error) => {
      if (client !== this.client || this.state.kind !== 'held') return;
      this.connectionLost(err?.message ?? 'connection ended');
    };
    client.on('error', lost);
    client.on('end', () => lost());
  }

  private beat(): Promise<void> {
    return this.beating ??= this.check().finally(() => { this.beating = null; });
  }

  private async check(): Promise<void> {
    if (this.state.kind !== 'held') return;
    try {
      if (await holdsRunLock(this.client, this.schema, this.comment)) this.confirmedAt = Date.now();
      else if (this.state.kind === 'held') this.loseForGood('the run lock is no longer held by this run (released by someone else?)');
    } catch (err) {
      if (this.state.kind === 'held') this.connectionLost((err as Error).message);
    }
  }

  private connectionLost(detail: string): void {
    this.state = { kind: 'reconnecting', since: Date.now() };
    this.options.onEvent?.(`run lock: its database connection was lost (${detail}); sending paused while it is taken again`);
    this.recovering = this.retake().finally(() => { this.recovering = null; });
  }

  private async retake(): Promise<void> {
    const deadline = Date.now() + (this.options.reconnectPatienceMs ?? 120_000);
    this.client.release(true);
    for (let wait = 250; ; wait = Math.min(5000, wait * 2)) {
      if (this.state.kind !== 'reconnecting') return;
      let client: pg.PoolClient | null = null;
      try {
        await this.options.beforeReconnect?.();
        client = await this.pool.connect();
        this.client = client;
        this.watch(client);
        if (await tryRunLock(client, this.schema, this.comment)) {
          this.state = { kind: 'held' };
          this.confirmedAt = Date.now();
          this.options.onEvent?.('run lock: taken again after the reconnect; sending resumes');
          return;
        }
        const e = await busy(client, this.schema, this.where);
        this.loseForGood(`while its connection was down, another run took the lock: ${describeHolder(e.holder, e.session)}; this run stops sending`);
        return;
      } catch (err) {
        client?.release(true);
        if (Date.now() >= deadline) {
          this.loseForGood(`the run lock could not be taken again (${(err as Error).message}); this run stops sending`);
          return;
        }
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  }

  private loseForGood(message: string): void {
    this.state = { kind: 'lost', message };
    this.options.onEvent?.(`run lock: ${message}`);
    for (const listener of this.lostListeners.splice(0)) listener(message);
  }
}

async function busy(db: pg.PoolClient, schema: string, where: string): Promise<RunLockBusy> {
  const sessions = await runLockHolders(db, schema).catch(() => []);
  const session = sessions[0] ?? null;
  return new RunLockBusy(where, (holderFromQueryText(session?.query ?? null) as LockHolder | null) ?? null, session);
}
