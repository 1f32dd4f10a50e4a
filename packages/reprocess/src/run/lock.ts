// One run per database: a run that can send holds PostgreSQL session advisory locks for (database, schema) on a
// connection of its own, from before its first packet to its end. A second run finds them taken and stops before
// sending anything, naming the holder (run id, host, start time, reason, shard). If the lock connection is lost,
// the run pauses sending, reconnects and takes the lock again; if another run took it meanwhile, it stops for good.
// Dry runs and `verify` take no lock.
//
// Shards of one run (--shard k/n, e.g. the pods of `reprocess k8s --shards n`) take disjoint slices and must run
// together; anything that could send a packet of another's slice must not. The keys (sql/lockHolderComment.ts):
//   - an unsharded run (and `reprocess action`) takes the schema's key EXCLUSIVELY: it runs alone;
//   - shard k/n takes the schema's key SHARED (no unsharded run beside it), the key of split n SHARED, and the key
//     of slice k of split n EXCLUSIVELY (no second k/n), then checks that no other split's key is held: shards of
//     a different n overlap (1/2 and 1/3 share packets). Two splits that start at the same moment can each see the
//     other and both refuse: never both run.
// The SQL is in src/sql (tryAdvisoryLock, advisoryLocksHeld, advisoryLockHolders, releaseAdvisoryLocks).
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import type pg from 'pg';
import { createPool, type DbSettings } from '../db/connect.js';
import { UnreachableError } from '../errors.js';
import type { Shard } from '../filter/shard.js';
import { unlessAborted } from './stop.js';
import { advisoryLockHolders, type RunLockSession } from '../sql/advisoryLockHolders.js';
import { advisoryLocksHeld } from '../sql/advisoryLocksHeld.js';
import { holderComment, holderFromQueryText, type AdvisoryKey } from '../sql/lockHolderComment.js';
import { releaseAdvisoryLocks } from '../sql/releaseAdvisoryLocks.js';
import { tryAdvisoryLock } from '../sql/tryAdvisoryLock.js';

/** 'MREP': the class of the schema's key. */
export const RUN_LOCK_CLASS = 0x4d524550;

/** 31 bits of a text's hash (advisory keys stay positive, so pg_locks shows them as given). */
function hash31(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32BE(0) & 0x7fffffff;
}

/** The schema's key: held exclusively by an unsharded run, shared by shards. */
export function runLockKey(schema: string): AdvisoryKey {
  return { classId: RUN_LOCK_CLASS, objId: hash31(`mosip-reprocess:${schema}`) };
}

const splitClass = (schema: string) => hash31(`mosip-reprocess split:${schema}`);
const sliceClass = (schema: string, count: number) => hash31(`mosip-reprocess slice:${schema}:${count}`);

/** One key a run takes, and how. */
interface Claim {
  key: AdvisoryKey;
  shared: boolean;
  /** Why another holder of it stops this run, in words. */
  conflict: string;
  /** The other holders to name when it cannot be taken. */
  holders: (db: pg.PoolClient) => Promise<RunLockSession[]>;
}

function claimsOf(schema: string, shard: Shard | null): Claim[] {
  const main = runLockKey(schema);
  const mainHolders = (db: pg.PoolClient) => advisoryLockHolders(db, main.classId, { objId: main.objId });
  if (!shard) return [{ key: main, shared: false, conflict: 'another reprocess run holds the lock', holders: mainHolders }];
  const split = { classId: splitClass(schema), objId: shard.count };
  const slice = { classId: sliceClass(schema, shard.count), objId: shard.index };
  return [
    { key: main, shared: true, conflict: 'another reprocess run (not a shard of this split) holds the lock', holders: mainHolders },
    { key: split, shared: true, conflict: 'another split holds the lock', holders: (db) => advisoryLockHolders(db, split.classId, { objIdNot: shard.count }) },
    { key: slice, shared: false, conflict: `shard ${shard.index}/${shard.count} already runs`, holders: (db) => advisoryLockHolders(db, slice.classId, { objId: shard.index }) },
  ];
}

export interface LockHolder {
  /** The run id (or the action run id). */
  runId: string;
  /** 'run' or 'action'. */
  command: string;
  /** --shard k/n, or null for the whole selection. */
  shard?: string | null;
  host: string;
  pid: number;
  /** ISO UTC. */
  startedAt: string;
  reason: string | null;
}

/** Another run holds the lock: nothing was sent. Exit code 3. */
export class RunLockBusy extends UnreachableError {
  override name = 'RunLockBusy';
  constructor(readonly where: string, readonly holder: LockHolder | null, readonly session: RunLockSession | null, conflict = 'another reprocess run holds the lock') {
    super(`${conflict} for ${where}: ${describeHolder(holder, session)}. `
      + 'Only one run may send per database and schema (shards k/n of one split run together); wait for it to end (or stop it), then run again. Nothing was sent');
  }
}

export function describeHolder(holder: LockHolder | null, session: RunLockSession | null): string {
  const parts: string[] = [];
  if (holder) {
    parts.push(`${holder.command} ${holder.runId}${holder.shard ? ` (shard ${holder.shard})` : ''} on host ${holder.host} (pid ${holder.pid}), started ${holder.startedAt}`);
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
  /** Cuts the reconnect's wait between attempts short (release()). */
  private wakeRetake: (() => void) | null = null;
  private beating: Promise<void> | null = null;
  /** When the database last confirmed that this session holds the lock (Date.now()). */
  private confirmedAt = Date.now();
  private readonly staleAfterMs: number;
  private readonly lostListeners: ((message: string) => void)[] = [];

  private constructor(
    private readonly pool: pg.Pool, client: pg.PoolClient, private readonly claims: readonly Claim[], readonly where: string,
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

  /**
   * Takes the lock (for the whole schema, or for one shard of a split) or throws RunLockBusy naming the holder.
   * `where` names the database for messages.
   */
  static async acquire(
    db: DbSettings, schema: string, where: string, holder: Omit<LockHolder, 'host' | 'pid' | 'shard'> & Partial<LockHolder>,
    options: RunLockOptions = {}, shard: Shard | null = null,
  ): Promise<RunLock> {
    const full: LockHolder = { host: hostname(), pid: process.pid, shard: shard ? `${shard.index}/${shard.count}` : null, ...holder };
    const pool = createPool({ ...db, max: 1, applicationName: `mosip-reprocess lock ${full.runId}`.slice(0, 63), queryTimeoutMs: LOCK_QUERY_TIMEOUT_MS });
    const claims = claimsOf(schema, shard);
    let client: pg.PoolClient | null = null;
    try {
      client = await pool.connect();
      const refused = await takeClaims(client, claims, holderComment(full));
      if (refused) throw await busy(client, refused, where);
      return new RunLock(pool, client, claims, where, full, options);
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
    if (this.state.kind === 'held') await advisoryLocksHeld(this.client, this.claims.map((c) => c.key), this.comment).catch(() => undefined);
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
    // A reconnect under way ends first (it sees 'released' and takes nothing more): the pool's end() would
    // otherwise wait for ever for the connection it is opening, and the process would never exit.
    this.wakeRetake?.();
    await this.recovering?.catch(() => undefined);
    if (was === 'held') await releaseAdvisoryLocks(this.client).catch(() => undefined);
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
      if (await advisoryLocksHeld(this.client, this.claims.map((c) => c.key), this.comment) === this.claims.length) this.confirmedAt = Date.now();
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
        if (this.state.kind !== 'reconnecting') return;
        client = await this.pool.connect();
        // From here this.client is the new connection: release() ends it, and with it any key taken on it.
        this.client = client;
        this.watch(client); // its error listener, before anything else can happen to it
        if (this.state.kind !== 'reconnecting') return;
        const refused = await takeClaims(client, this.claims, this.comment);
        if (this.state.kind !== 'reconnecting') return;
        if (!refused) {
          this.state = { kind: 'held' };
          this.confirmedAt = Date.now();
          this.options.onEvent?.('run lock: taken again after the reconnect; sending resumes');
          return;
        }
        const e = await busy(client, refused, this.where);
        if (this.state.kind !== 'reconnecting') return;
        this.loseForGood(`while its connection was down, another run took the lock: ${describeHolder(e.holder, e.session)}; this run stops sending`);
        return;
      } catch (err) {
        try {
          client?.release(true);
        } catch {
          // already ended by release()
        }
        if (this.state.kind !== 'reconnecting') return;
        if (Date.now() >= deadline) {
          this.loseForGood(`the run lock could not be taken again (${(err as Error).message}); this run stops sending`);
          return;
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, wait);
          this.wakeRetake = () => { clearTimeout(timer); resolve(); };
        });
        this.wakeRetake = null;
      }
    }
  }

  private loseForGood(message: string): void {
    this.state = { kind: 'lost', message };
    this.options.onEvent?.(`run lock: ${message}`);
    for (const listener of this.lostListeners.splice(0)) listener(message);
  }
}

/**
 * Takes the claims in order; returns the first one that another session holds (after ending every key this
 * session took), or null when all are held. A shard's split key is checked against other splits once taken.
 */
async function takeClaims(db: pg.PoolClient, claims: readonly Claim[], comment: string): Promise<Claim | null> {
  for (const claim of claims) {
    const taken = await tryAdvisoryLock(db, claim.key, claim.shared, comment);
    // Shared split keys never conflict among themselves: another split is found by looking.
    const conflicting = taken && claim.shared && claim.key.classId !== RUN_LOCK_CLASS && (await claim.holders(db)).length > 0;
    if (!taken || conflicting) {
      await releaseAdvisoryLocks(db);
      return claim;
    }
  }
  return null;
}

async function busy(db: pg.PoolClient, claim: Claim, where: string): Promise<RunLockBusy> {
  const sessions = await claim.holders(db).catch(() => []);
  const session = sessions[0] ?? null;
  return new RunLockBusy(where, (holderFromQueryText(session?.query ?? null) as LockHolder | null) ?? null, session, claim.conflict);
}
