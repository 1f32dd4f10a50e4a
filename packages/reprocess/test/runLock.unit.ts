// The one-run-per-database lock on the real PostgreSQL: a second holder is refused with the first one's run id,
// host, start time and reason; another schema is another lock; a lost lock connection is re-taken, and if another
// run took the lock meanwhile the first one is told to stop. (Two real processes: cliSafety.test.ts.)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { freshSchema, NEEDS_REAL_SERVER, type TestSchema } from '@mosip-reprocess/testkit/db.js';
import { RunLock, RunLockBusy } from '../src/run/lock.js';

let db: TestSchema;
before(async () => { db = await freshSchema('lock'); });
after(async () => { await db.drop(); });

const holder = (runId: string, reason: string | null = null) => ({ runId, command: 'run', startedAt: '2026-11-30T01:00:00.000Z', reason });

async function lockSessionPid(lock: RunLock): Promise<number> {
  const { rows } = await db.pool.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE application_name = $1`, [`mosip-reprocess lock ${lock.holder.runId}`]);
  assert.equal(rows.length, 1);
  return rows[0]!.pid;
}

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  let ok = await check();
  for (let i = 0; i < 200 && !ok; i++) {
    await new Promise((r) => setTimeout(r, 25));
    ok = await check();
  }
  assert.ok(ok, what);
}

test('a second run is refused, told who holds the lock and why; another schema has its own lock', async () => {
  const first = await RunLock.acquire({ url: db.url }, db.schema, 'test-db', holder('run-A', 'night of 30 Nov, ticket OPS-17 */ DROP'), { heartbeatMs: 0 });
  try {
    await assert.rejects(RunLock.acquire({ url: db.url }, db.schema, 'test-db', holder('run-B'), { heartbeatMs: 0 }), (err: unknown) => {
      assert.ok(err instanceof RunLockBusy);
      assert.equal(err.exitCode, 3);
      assert.equal(err.holder?.runId, 'run-A');
      assert.equal(err.holder?.host, hostname());
      assert.equal(err.holder?.reason, 'night of 30 Nov, ticket OPS-17 */ DROP');
      assert.match(err.message, /another reprocess run holds the lock for test-db: run run-A on host .+ \(pid \d+\), started 2026-11-30T01:00:00.000Z; reason "night of 30 Nov, ticket OPS-17 \*\/ DROP"; database session \d+/);
      assert.match(err.message, /application_name "mosip-reprocess lock run-A"/);
      assert.match(err.message, /Nothing was sent/);
      return true;
    });
    const other = await freshSchema('lock2');
    try {
      const elsewhere = await RunLock.acquire({ url: db.url }, other.schema, 'test-db', holder('run-C'), { heartbeatMs: 0 });
      await elsewhere.release();
    } finally {
      await other.drop();
    }
  } finally {
    await first.release();
  }
  const again = await RunLock.acquire({ url: db.url }, db.schema, 'test-db', holder('run-D'), { heartbeatMs: 0 });
  await again.release();
});

test('a lost lock connection is re-taken; sending waits meanwhile', { skip: NEEDS_REAL_SERVER }, async () => {
  const events: string[] = [];
  const lock = await RunLock.acquire({ url: db.url }, db.schema, 'test-db', holder('run-E'), { heartbeatMs: 0, onEvent: (m) => events.push(m) });
  try {
    await db.pool.query('SELECT pg_terminate_backend($1)', [await lockSessionPid(lock)]);
    await until(() => events.some((e) => /taken again/.test(e)), `re-taken (events: ${events.join(' | ')})`);
    await lock.ready();
    assert.equal(lock.stopMessage(), null);
    assert.match(events[0]!, /connection was lost/);
    await assert.rejects(RunLock.acquire({ url: db.url }, db.schema, 'test-db', holder('run-F'), { heartbeatMs: 0 }), RunLockBusy);
  } finally {
    await lock.release();
  }
});

test('if another run took the lock while the connection was down, the first stops sending and says who', { skip: NEEDS_REAL_SERVER }, async () => {
  const events: string[] = [];
  let thief: RunLock | null = null;
  // The second run takes the lock while the first one's connection is down, before its reconnect.
  const beforeReconnect = async () => {
    thief ??= await RunLock.acquire({ url: db.url }, db.schema, 'test-db', holder('run-H', 'cron'), { heartbeatMs: 0 });
  };
  const lock = await RunLock.acquire({ url: db.url }, db.schema, 'test-db', holder('run-G'), { heartbeatMs: 0, onEvent: (m) => events.push(m), beforeReconnect });
  try {
    await db.pool.query('SELECT pg_terminate_backend($1)', [await lockSessionPid(lock)]);
    await until(() => lock.stopMessage() !== null || events.some((e) => /taken again/.test(e)), 'the first run noticed');
    await lock.ready();
    assert.ok(thief, 'the second run got the lock');
    assert.match(lock.stopMessage() ?? '', /another run took the lock: run run-H .*reason "cron";.*this run stops sending/);
  } finally {
    await lock.release();
    await (thief as RunLock | null)?.release();
  }
});

// Soak scenario 27: the harness ended a run's lock session just as the run finished; release() began while the
// reconnect's connection was still being opened, the pool's end() waited for that connection for ever, and the
// process never exited. (The test's timeout turns a hang into a failure.)
for (const thiefFirst of [false, true]) {
  test(`release() while the lost lock is being taken again ends at once and leaves no session or key behind${thiefFirst ? ' (another run took it meanwhile)' : ''}`, { skip: NEEDS_REAL_SERVER, timeout: 30_000 }, async () => {
    const events: string[] = [];
    const runId = thiefFirst ? 'run-L2' : 'run-L1';
    let thief: RunLock | null = null;
    let releasing: Promise<void> | null = null;
    let lock: RunLock | null = null;
    // The run ends while its reconnect opens a connection: release() is called once that connect has begun.
    const beforeReconnect = async () => {
      if (thiefFirst) thief ??= await RunLock.acquire({ url: db.url }, db.schema, 'test-db', holder('run-M'), { heartbeatMs: 0 });
      setImmediate(() => { releasing ??= lock!.release(); });
    };
    lock = await RunLock.acquire({ url: db.url }, db.schema, 'test-db', holder(runId), { heartbeatMs: 0, onEvent: (m) => events.push(m), beforeReconnect });
    try {
      await db.pool.query('SELECT pg_terminate_backend($1)', [await lockSessionPid(lock)]);
      await until(() => releasing !== null, `release() was called (events: ${events.join(' | ')})`);
      await releasing;
      // Its connection is closed; the server ends the backend a moment later (not instantly: polled).
      const sessions = async () => (await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1`, [`mosip-reprocess lock ${runId}`])).rows[0]!.n;
      await until(async () => (await sessions()) === 0, 'no lock session left open');
      assert.ok(!events.some((e) => /taken again after the reconnect/.test(e)), `not taken again after its release (events: ${events.join(' | ')})`);
      if (!thiefFirst) {
        // Nothing of it is held: a new run takes the lock at once.
        const next = await RunLock.acquire({ url: db.url }, db.schema, 'test-db', holder('run-N'), { heartbeatMs: 0 });
        await next.release();
      }
    } finally {
      await (thief as RunLock | null)?.release();
    }
  });
}

test('shards of one split run together; the same shard twice, another split, or an unsharded run beside them are refused', async () => {
  const acquire = (runId: string, shard: { index: number; count: number } | null) =>
    RunLock.acquire({ url: db.url }, db.schema, 'test-db', holder(runId), { heartbeatMs: 0 }, shard);
  const refusal = (pattern: RegExp) => (err: unknown) => {
    assert.ok(err instanceof RunLockBusy, String(err));
    assert.equal(err.exitCode, 3);
    assert.match(err.message, pattern);
    return true;
  };
  const one = await acquire('split-1', { index: 1, count: 2 });
  const two = await acquire('split-2', { index: 2, count: 2 });
  try {
    await assert.rejects(acquire('again-1', { index: 1, count: 2 }), refusal(/shard 1\/2 already runs for test-db: run split-1 \(shard 1\/2\) on host/));
    await assert.rejects(acquire('other-split', { index: 1, count: 3 }), refusal(/another split holds the lock for test-db: run split-[12] \(shard [12]\/2\)/));
    await assert.rejects(acquire('whole', null), refusal(/another reprocess run holds the lock for test-db: run split-[12] \(shard [12]\/2\)/));
  } finally {
    await one.release();
    await two.release();
  }
  // Each refusal let go of what it had taken: the whole schema is free again, and then shards are refused.
  const whole = await acquire('whole-2', null);
  try {
    await assert.rejects(acquire('late-shard', { index: 2, count: 2 }), refusal(/another reprocess run \(not a shard of this split\) holds the lock for test-db: run whole-2 on host/));
  } finally {
    await whole.release();
  }
});
