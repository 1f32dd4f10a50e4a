// The run lock (lock.ts) wired into a run: taken before anything is read or sent, and checked before every send.
import { describeDb } from '../db/connect.js';
import { parseShard } from '../filter/shard.js';
import { dbSettingsOf, withDb } from '../db/runDatabase.js';
import type { EventSink } from './events.js';
import { RunLock } from './lock.js';
import type { Gate } from './runner.js';
import type { RunRequest } from './request.js';
import type { StopReason } from '../domain/runResult.js';

/** The lock for the run's database and schema, or null (with a warning) when no database is configured. */
export async function takeRunLock(request: Pick<RunRequest, 'settings' | 'dbConfigured'> & { resume?: RunRequest['resume'] }, command: string, emit: EventSink): Promise<RunLock | null> {
  const s = request.settings;
  if (!request.dbConfigured) {
    emit({ type: 'warning', message: 'no database configured: no run lock is taken, so nothing stops another run from sending the same packets at the same time' });
    return null;
  }
  const db = dbSettingsOf(s);
  // An action moves packets whatever their shard: it always runs alone.
  const shard = command === 'run' && s.shard ? parseShard(s.shard) : null;
  return withDb(s, () => RunLock.acquire(db, s.dbSchema, `${describeDb(db)} schema ${s.dbSchema}`, {
    runId: request.resume?.run.id ?? '(new run)', command, startedAt: new Date().toISOString(), reason: s.reason ?? null,
  }, { onEvent: (message) => emit({ type: 'warning', message }) }, shard));
}

/**
 * Waits for the pacer, then until the lock is known to be held (while it is taken again, or a check is overdue);
 * refuses to let a send start once it is lost (the run's stop signal has fired by then: run/stop.ts).
 */
export function lockedGate(inner: Gate, lock: RunLock | null): Gate {
  if (!lock) return inner;
  return {
    async wait(signal?: AbortSignal) {
      await inner.wait(signal);
      await lock.ready(signal);
      signal?.throwIfAborted();
      const lost = lock.stopMessage();
      if (lost) throw new Error(`the run lock was lost: ${lost}`);
    },
  };
}

/** The run's budget, plus: stop once the lock is lost. */
export function lockedBudget(budget: (sent: number) => StopReason | null, lock: RunLock | null): (sent: number) => StopReason | null {
  if (!lock) return budget;
  return (sent) => {
    const lost = lock.stopMessage();
    return lost ? { kind: 'lock_lost', message: `the run lock was lost: ${lost}` } : budget(sent);
  };
}
