// The scenario harness's own checks can fail (packages/testkit/src/scenarios): each invariant flags the break it
// names on evidence made to show it and stays quiet on evidence that keeps it; the session watch sees a
// transaction the tool leaves open, and only the tool's; the lock thief takes a real run lock from under its run.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freshSchema, NEEDS_REAL_SERVER, type TestSchema } from '@mosip-reprocess/testkit/db.js';
import { createPool } from '../src/db/connect.js';
import { RunLock } from '../src/run/lock.js';
import type { BacklogPacket } from '@mosip-reprocess/testkit/scenarios/backlog.js';
import { scenarioFromSeed, uncovered } from '@mosip-reprocess/testkit/scenarios/combination.js';
import { checkInvariants, PROMISES, type Evidence } from '@mosip-reprocess/testkit/scenarios/invariants.js';
import type { JournalLine, StoredRun } from '@mosip-reprocess/testkit/scenarios/journals.js';
import { stealRunLock } from '@mosip-reprocess/testkit/scenarios/lockThief.js';
import { runKilledBeforeSayingSo, type Attempt } from '@mosip-reprocess/testkit/scenarios/operator.js';
import { watchSessions } from '@mosip-reprocess/testkit/scenarios/sessions.js';
import type { Stage } from '@mosip-reprocess/testkit/scenarios/stage.js';
import { stuckRow } from '@mosip-reprocess/testkit/rows.js';

let db: TestSchema;
before(async () => { db = await freshSchema('harness'); });
after(async () => { await db.drop(); });

const eligible = stuckRow();
const paused = stuckRow({ statusCode: 'PAUSED' });
const packets: BacklogPacket[] = [
  { row: eligible, expect: 'send', why: 'stuck', namedWhenHeld: false, listed: true },
  { row: paused, expect: 'never', why: 'paused (PAUSE)', namedWhenHeld: false, listed: true },
];

/** What the simulator saw: handled and lost counts per workflow id. */
function stageSaw(handled: Record<string, number>, lost: Record<string, number> = {}): Stage {
  return {
    handled: (wf: string) => handled[wf] ?? 0, lost: (wf: string) => lost[wf] ?? 0,
    notificationsReceived: () => Object.values(handled).reduce((a, b) => a + b, 0), requestsReceived: () => 0,
  } as unknown as Stage;
}

function run(records: JournalLine[], attempts: { sent: number; counts: Record<string, number> }[]): StoredRun {
  return { id: '20261207-010000-abcd', dir: '/nowhere', meta: {}, records, tornTail: null, summary: { attempts: attempts.map((a) => ({ ...a, stop: null, exitCode: 0 })) } };
}

const sentOnce: JournalLine[] = [
  { t: 'start', attempt: 1 },
  { t: 'send', wf: eligible.workflowInstanceId },
  { t: 'result', wf: eligible.workflowInstanceId, outcome: 'forwarded' },
  { t: 'end', stop: null },
];

function evidence(over: Partial<Evidence>): Evidence {
  return {
    scenario: { ...scenarioFromSeed(7), source: 'file' }, backlog: { packets, file: null, queryFile: null, registrations: [] },
    stage: stageSaw({ [eligible.workflowInstanceId]: 1 }), drive: { attempts: [], unfinished: [], runsDir: '/nowhere' },
    runs: [run(sentOnce, [{ sent: 1, counts: { forwarded: 1 } }])], sessions: { longest: [], leftOpen: [] }, workflowResumes: new Map(),
    ...over,
  };
}

const promisesOf = (e: Evidence) => [...new Set(checkInvariants(e).map((v) => v.promise))];

test('every invariant flags the break it names, and a run that keeps them all passes', () => {
  assert.deepEqual(checkInvariants(evidence({})), [], 'a packet sent once and journaled once');
  assert.deepEqual(promisesOf(evidence({ stage: stageSaw({ [eligible.workflowInstanceId]: 2 }) })), [PROMISES.once, PROMISES.numbers]);
  assert.deepEqual(promisesOf(evidence({ stage: stageSaw({ [eligible.workflowInstanceId]: 2 }, { [eligible.workflowInstanceId]: 1 }) })),
    [PROMISES.once, PROMISES.numbers], 'a lost message allows a second notification only once the run found it dropped');
  const dropped: JournalLine[] = [...sentOnce.slice(0, 3), { t: 'dropped', wf: eligible.workflowInstanceId }, { t: 'end', stop: null }];
  assert.deepEqual(promisesOf(evidence({ runs: [run(dropped, [{ sent: 1, counts: { forwarded: 1 } }])] })), [PROMISES.droppedMeansLost]);
  assert.deepEqual(promisesOf(evidence({ stage: stageSaw({ [eligible.workflowInstanceId]: 1, [paused.workflowInstanceId]: 1 }) })),
    [PROMISES.accounted, PROMISES.guards], 'a paused packet sent (and, here, not even journaled)');
  assert.deepEqual(promisesOf(evidence({ stage: stageSaw({}), runs: [] })), [PROMISES.accounted], 'an eligible packet nobody sent or named');
  assert.deepEqual(promisesOf(evidence({ runs: [run(sentOnce, [{ sent: 2, counts: { forwarded: 1 } }])] })), [PROMISES.numbers]);
  assert.deepEqual(promisesOf(evidence({ sessions: { longest: [{ pid: 1, applicationName: 'mosip-reprocess', state: 'idle in transaction', transactionMs: 12_000, query: 'SELECT 1' }], leftOpen: [] } })), [PROMISES.transactions]);
  const late: Attempt = {
    label: 'first run', role: 'first', shard: null, argv: [], envShown: '', via: 'cli', startedAt: 0, endedAt: 30_000, code: 143,
    stdout: '', stderr: '', runId: null, plannedStop: 'sigterm', stop: { kind: 'sigterm', detail: 'SIGTERM', at: 1000, boundFrom: 1000 }, forcedEnd: null,
  };
  assert.deepEqual(promisesOf(evidence({ drive: { attempts: [late], unfinished: [], runsDir: '/nowhere' } })), [PROMISES.stops, PROMISES.continuation]);
});

test('the fixed set\'s coverage check names what a set of scenarios leaves out', () => {
  assert.deepEqual(uncovered([scenarioFromSeed(1)]).length > 0, true);
  assert.ok(uncovered([]).includes('stop lock-lost'));
});

test('the session watch sees a transaction the tool leaves open, and only the tool\'s', { skip: NEEDS_REAL_SERVER }, async () => {
  const tool = createPool({ url: db.url, max: 1 }); // application_name mosip-reprocess, as the tool's
  const other = createPool({ url: db.url, max: 1, applicationName: 'mosip-simulator' });
  const watch = watchSessions(db.pool, db.schema, 50);
  try {
    for (const pool of [tool, other]) {
      const client = await pool.connect();
      await client.query('BEGIN');
      await client.query(`SELECT count(*) FROM "${db.schema}".registration`);
      await new Promise((r) => setTimeout(r, 400));
      await client.query('ROLLBACK');
      client.release();
    }
    const seen = watch.longest();
    assert.equal(seen.length, 1, JSON.stringify(seen));
    assert.equal(seen[0]!.applicationName, 'mosip-reprocess');
    assert.ok(seen[0]!.transactionMs >= 200, `${seen[0]!.transactionMs} ms`);
    assert.deepEqual(await watch.openNow(true), [], 'nothing open once it rolled back');
  } finally {
    await watch.stop();
    await tool.end();
    await other.end();
  }
});

test('the lock thief takes a real run lock from under its run, which is told to stop', { skip: NEEDS_REAL_SERVER }, async () => {
  const lock = await RunLock.acquire({ url: db.url }, db.schema, 'test-db', { runId: 'run-thief', command: 'run', startedAt: new Date().toISOString(), reason: null }, { heartbeatMs: 0, reconnectPatienceMs: 5000 });
  try {
    await lock.setRunId('20261207-020000-beef'); // the lock session's statements now name the run
    const stolen = await stealRunLock(db.url, '20261207-020000-beef');
    try {
      await lock.ready();
      for (let i = 0; i < 200 && lock.stopMessage() === null; i++) await new Promise((r) => setTimeout(r, 25));
      assert.match(lock.stopMessage() ?? '', /another run took the lock/);
    } finally {
      await stolen.release();
    }
  } finally {
    await lock.release();
  }
});

test('a shard killed before it printed its run id: the harness finds the run it created (for its shard, while it ran), as an operator would', () => {
  const runsDir = mkdtempSync(join(tmpdir(), 'harness-runs-'));
  const run = (id: string, createdAt: string, shard?: string) => {
    mkdirSync(join(runsDir, id));
    writeFileSync(join(runsDir, id, 'run.json'), JSON.stringify({ id, createdAt, flags: shard ? { shard } : {} }));
  };
  run('20261207-185416-ebde', '2026-12-07T18:54:16.530Z', '1/2');
  run('20261207-185416-8293', '2026-12-07T18:54:16.397Z', '2/2');
  run('20261207-185420-f54f', '2026-12-07T18:54:20.410Z', '1/2'); // a later attempt's
  const killed = { code: 137, shard: 1, startedAt: Date.parse('2026-12-07T18:54:16.000Z'), endedAt: Date.parse('2026-12-07T18:54:16.800Z') };
  assert.equal(runKilledBeforeSayingSo(runsDir, killed), '20261207-185416-ebde');
  assert.equal(runKilledBeforeSayingSo(runsDir, { ...killed, shard: 2 }), '20261207-185416-8293');
  // Not killed (refused, or its id was printed): nothing is guessed; killed before creating a run: none.
  assert.equal(runKilledBeforeSayingSo(runsDir, { ...killed, code: 3 }), null);
  assert.equal(runKilledBeforeSayingSo(runsDir, { ...killed, endedAt: Date.parse('2026-12-07T18:54:16.100Z') }), null);
});
