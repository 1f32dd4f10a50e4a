// The lost-reply rule (notifier/resilientNotifier.ts), over real HTTP against the simulator's drop and slow faults
// and the real database the stage writes: a packet whose reply was lost is sent again only when the database
// shows the stage did not handle it AND the wait for a request still running at the server is over; when the
// database cannot say, it is recorded in doubt and not sent again. The clock is injected: waits are recorded,
// not slept (except where the test waits for the simulated stage to commit, an event, not a time margin).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Packet } from '../src/domain/packet.js';
import { MosipClient } from '../src/notifier/client.js';
import { CircuitBreaker } from '../src/notifier/breaker.js';
import { dbDeliveryCheck, type DeliveryCheck } from '../src/notifier/deliveryEvidence.js';
import { ResilientNotifier, replyMayBeLost, settleAfterMsFor, type NotifierClock } from '../src/notifier/resilientNotifier.js';
import { exitCodeOf, runPackets } from '../src/run/runner.js';
import { summaryText } from '../src/report/format.js';
import type { PacketResult } from '../src/domain/runResult.js';
import { startSimulator, type RunningSimulator } from '@mosip-reprocess/simulator/sim/server.js';
import type { FaultSettings } from '@mosip-reprocess/simulator/sim/faults.js';
import { insertRegistrations } from '@mosip-reprocess/simulator/sql/registrationRows.js';
import { TRN_TYPE } from '@mosip-reprocess/contract/enums.js';
import { freshSchema, type TestSchema } from '@mosip-reprocess/testkit/db.js';
import { stuckRow } from '@mosip-reprocess/testkit/rows.js';
import { randomUUID } from 'node:crypto';
import { rowToPacket } from '../src/source/dbSource.js';
import { selectEligiblePage, type EligibilityCriteria } from '../src/sql/selectEligible.js';
import { evidenceForSends } from '../src/notifier/deliveryEvidence.js';

const SECRET = 'lost-reply-secret';
const SETTLE_MS = settleAfterMsFor(30);
let db: TestSchema;
let shared: RunningSimulator;
before(async () => {
  db = await freshSchema('lost');
  shared = await startSimulator({ db: db.pool, schema: db.schema, clients: [{ secret: SECRET }] });
});
after(async () => {
  await shared.close();
  await db.drop();
});

/** A stuck packet as the tool selects it: with its row's latest_trn_id and latest_trn_dtimes as read before the send. */
async function stuckPacket(): Promise<Packet> {
  const row = stuckRow({ latestTrnId: randomUUID() });
  await insertRegistrations(db.pool, db.schema, [row]);
  const [selected] = await selectEligiblePage(db.pool, db.schema, criteria(), row.workflowInstanceId.slice(0, -1), 1);
  assert.equal(selected?.workflow_instance_id, row.workflowInstanceId);
  return rowToPacket(selected!, 'db');
}

function criteria(): EligibilityCriteria {
  return { trnStatuses: ['SUCCESS'], maxRetries: 500, excludeStatuses: [], stages: null, cutoffUtc: '9999-01-01 00:00:00' };
}

/** How many times the securezone stage committed for this packet (its registration_transaction rows). */
async function stageCommits(p: Packet): Promise<number> {
  const { rows } = await db.pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM "${db.schema}".registration_transaction WHERE reg_id = $1 AND trn_type_code = $2`,
    [p.rid, TRN_TYPE.SECUREZONE_NOTIFICATION]);
  return rows[0]!.n;
}

/** A clock whose sleeps are recorded and advance its time instead of waiting. */
function virtualClock(onSleep?: (ms: number) => Promise<void>) {
  let offset = 0;
  const sleeps: number[] = [];
  const clock: NotifierClock = {
    now: () => Date.now() + offset,
    async sleep(ms, signal) {
      sleeps.push(ms);
      offset += ms;
      await onSleep?.(ms);
      if (signal?.aborted) throw signal.reason ?? new Error('aborted');
    },
  };
  return { clock, sleeps };
}

interface Harness {
  sim: RunningSimulator;
  notifier: ResilientNotifier;
  events: string[];
  /** When each database check ran (clock time) and for which attempt start. */
  checks: { at: number; since: number }[];
  sleeps: number[];
  close(): Promise<void>;
}

async function harness(
  faults: FaultSettings,
  options: { check?: DeliveryCheck | null; timeoutSeconds?: number; onSleep?: (sim: RunningSimulator, ms: number) => Promise<void>; signal?: AbortSignal } = {},
): Promise<Harness> {
  const sim = shared;
  sim.setFaults({ clear: true, ...faults });
  sim.resetStats();
  const client = new MosipClient({
    server: sim.url, clientId: 'mosip-regproc-client', clientSecret: SECRET, appId: 'regproc', timeoutSeconds: options.timeoutSeconds ?? 5, insecure: false,
  });
  const events: string[] = [];
  const checks: { at: number; since: number }[] = [];
  const { clock, sleeps } = virtualClock(async (ms) => { events.push('wait'); await options.onSleep?.(sim, ms); });
  const base = options.check === undefined ? dbDeliveryCheck(db.pool, db.schema) : options.check;
  const check: DeliveryCheck | null = base && (async (sends) => {
    events.push('check');
    checks.push({ at: clock.now(), since: sends[0]!.startedAt.getTime() });
    return base(sends);
  });
  const notifier = new ResilientNotifier(
    { notify: async (p) => { events.push('send'); return client.notify(p); } },
    new CircuitBreaker({ window: 20, minSamples: 100, failureRate: 0.5, cooldownMs: 0, patienceMs: 60_000 }),
    { retry: { retries: 3, baseDelayMs: 500, maxDelayMs: 15_000, random: () => 0 }, deliveryCheck: check, settleAfterMs: SETTLE_MS, clock, signal: options.signal },
  );
  return { sim, notifier, events, checks, sleeps, close: async () => { sim.clearFaults(); await client.close(); } };
}

test('the stage committed, then the connection dropped: delivered per the database, not sent again, no wait', async () => {
  const p = await stuckPacket();
  const h = await harness({ dropRate: 1, dropMode: 'after', seed: 1 });
  try {
    const r = await h.notifier.notify(p);
    assert.equal(r.outcome, 'forwarded');
    assert.match(r.reply, /database shows the row written after the send .*reply lost/);
    assert.deepEqual(h.events, ['send', 'check'], 'asked the database at once; nothing sent again');
    assert.equal(h.sim.stats().requests.notification, 1);
    assert.equal(await stageCommits(p), 1);
    assert.equal(h.notifier.settledFromDb, 1);
    assert.equal(h.notifier.retriesMade, 0);
  } finally {
    await h.close();
  }
});

test('dropped before the stage ran: sent again once, only after the wait for a request still running at the server', async () => {
  const p = await stuckPacket();
  // The drop hits the first request only: the faults are cleared while the notifier waits.
  const h = await harness({ dropRate: 1, dropMode: 'before', seed: 2 }, { onSleep: async (sim) => { sim.clearFaults(); } });
  try {
    const r = await h.notifier.notify(p);
    assert.equal(r.outcome, 'forwarded');
    assert.deepEqual(h.events, ['send', 'check', 'wait', 'check', 'send']);
    const [first, second] = h.checks;
    assert.ok(second!.at >= first!.since + SETTLE_MS, 'the deciding check came no earlier than settleAfterMs after the attempt started');
    assert.equal(h.sim.stats().requests.notification, 2, 'sent again exactly once');
    assert.equal(await stageCommits(p), 1, 'the stage handled it once');
    assert.equal(h.notifier.retriesMade, 1);
    assert.equal(h.notifier.settledFromDb, 0);
  } finally {
    await h.close();
  }
});

test('our timeout fired while the stage was still working: the wait lets it commit, so it is not sent again', async () => {
  const p = await stuckPacket();
  // The stage starts after 2 s; we give up after 0.2 s (undici's header timer fires within about a second more).
  // An immediate re-check would see nothing and send it twice.
  const h = await harness({ slowMs: 2000, seed: 3 }, {
    timeoutSeconds: 0.2,
    onSleep: async () => {
      // Stand-in for the wait: until the stage (still running at the server) has committed.
      for (let i = 0; i < 200 && (await stageCommits(p)) === 0; i++) await new Promise((r) => setTimeout(r, 25));
    },
  });
  try {
    const r = await h.notifier.notify(p);
    assert.equal(r.outcome, 'forwarded', r.reply);
    assert.match(r.reply, /reply lost/);
    assert.deepEqual(h.events, ['send', 'check', 'wait', 'check']);
    assert.equal(h.sim.stats().requests.notification, 1);
    assert.equal(await stageCommits(p), 1);
  } finally {
    await h.close();
  }
});

test('the database query fails: in doubt, not sent again', async () => {
  const p = await stuckPacket();
  // A real PostgreSQL error: the schema does not exist.
  const h = await harness({ dropRate: 1, dropMode: 'before', seed: 4 }, { check: dbDeliveryCheck(db.pool, `${db.schema}_missing`) });
  try {
    const r = await h.notifier.notify(p);
    assert.equal(r.outcome, 'in_doubt');
    assert.match(r.reply, /reply lost .*the database could not be read .*does not exist.*not sent again/);
    assert.deepEqual(h.events, ['send', 'check', 'wait', 'check']);
    assert.equal(h.sim.stats().requests.notification, 1, 'not sent again');
    assert.equal(h.notifier.inDoubt, 1);
  } finally {
    await h.close();
  }
});

test('no database configured: in doubt, not sent again (whether or not the stage ran)', async () => {
  for (const dropMode of ['after', 'before'] as const) {
    const p = await stuckPacket();
    const h = await harness({ dropRate: 1, dropMode, seed: 5 }, { check: null });
    try {
      const r = await h.notifier.notify(p);
      assert.equal(r.outcome, 'in_doubt', dropMode);
      assert.match(r.reply, /no database is configured/);
      assert.deepEqual(h.events, ['send'], `${dropMode}: nothing else sent`);
      assert.equal(await stageCommits(p), dropMode === 'after' ? 1 : 0);
    } finally {
      await h.close();
    }
  }
});

test('stopped by the operator during the wait: in doubt, not sent again', async () => {
  const p = await stuckPacket();
  const stop = new AbortController();
  const h = await harness({ dropRate: 1, dropMode: 'before', seed: 6 }, { signal: stop.signal, onSleep: async () => stop.abort() });
  try {
    const r = await h.notifier.notify(p);
    assert.equal(r.outcome, 'in_doubt');
    assert.match(r.reply, /stopped before a request still running at the server could no longer commit/);
    assert.equal(h.sim.stats().requests.notification, 1);
  } finally {
    await h.close();
  }
});

test('an in-doubt packet is counted in the run summary, printed, and the run does not exit 0', async () => {
  const p = await stuckPacket();
  const h = await harness({ dropRate: 1, dropMode: 'before', seed: 7 }, { check: null });
  try {
    const results: PacketResult[] = [];
    const outcome = await runPackets({
      packets: (async function* () { yield p; })(), notifier: h.notifier, gate: { wait: async () => undefined },
      observer: { onPacket: (r) => results.push(r), onWarning: () => undefined },
    });
    assert.equal(outcome.counts.in_doubt, 1);
    assert.equal(results[0]!.outcome, 'in_doubt');
    assert.equal(exitCodeOf(outcome, 0), 1);
    const text = summaryText({
      startedAt: '', finishedAt: '', durationMs: 1000, sent: outcome.sent, counts: outcome.counts, duplicatesSkipped: 0, rowsSkipped: 0,
      alreadyDone: 0, batches: 0, stop: null, exitCode: 1, resilience: { retries: 0, settledFromDb: 0, breakerTrips: 0, reauthentications: 0 }, peakRssMb: 1,
    });
    assert.match(text, /in_doubt +1 +IN DOUBT/);
    assert.match(text, /reprocess verify <run-id>/);
  } finally {
    await h.close();
  }
});

test('clocks play no part: a row a stage pod wrote with a clock ten minutes behind still shows the send handled (not sent again)', async () => {
  const p = await stuckPacket();
  const sentAt = new Date();
  // The stage's write after the send, stamped by a pod whose clock is ten minutes behind this host's.
  await db.pool.query(`UPDATE "${db.schema}".registration SET latest_trn_id = $2, latest_trn_type_code = 'SECUREZONE_NOTIFICATION',
      latest_trn_dtimes = (now() AT TIME ZONE 'UTC') - interval '10 minutes' WHERE workflow_instance_id = $1`, [p.workflowInstanceId, randomUUID()]);
  const [evidence] = await evidenceForSends(db.pool, db.schema, [{ workflowInstanceId: p.workflowInstanceId, startedAt: sentAt, before: p.before }]);
  assert.equal(evidence!.handled, true, 'the row changed since it was read before the send');
  // Untouched since it was read: not handled, whatever the clocks say.
  const q = await stuckPacket();
  const [untouched] = await evidenceForSends(db.pool, db.schema, [{ workflowInstanceId: q.workflowInstanceId, startedAt: new Date(0), before: q.before }]);
  assert.equal(untouched!.handled, false);
});

test('which failures may have lost a reply', () => {
  const r = (outcome: 'network_error' | 'server_error', httpStatus: number | null, reply = '') => ({ outcome, httpStatus, reply });
  assert.equal(replyMayBeLost(r('network_error', null, 'UND_ERR_HEADERS_TIMEOUT: Headers Timeout Error')), true);
  assert.equal(replyMayBeLost(r('network_error', null, 'UND_ERR_SOCKET: other side closed')), true);
  assert.equal(replyMayBeLost(r('network_error', null, 'ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:9')), false, 'never connected: nothing was sent');
  assert.equal(replyMayBeLost(r('server_error', 504)), true, 'gateway timeout: the stage may still be running');
  assert.equal(replyMayBeLost(r('server_error', 502)), true);
  assert.equal(replyMayBeLost(r('server_error', 503, 'upstream connect error or disconnect/reset before headers. reset reason: connection termination')), true);
  assert.equal(replyMayBeLost(r('server_error', 503, 'upstream connect error or disconnect/reset before headers. reset reason: connection failure')), false);
  assert.equal(replyMayBeLost(r('server_error', 503, 'no healthy upstream')), false);
  assert.equal(replyMayBeLost(r('server_error', 500, 'HTTP 500: KER-ATH-002 Fail to connect to auth service')), false);
  assert.equal(replyMayBeLost({ outcome: 'stage_error', httpStatus: 200, reply: 'Unable to Access Registration Table' }), false);
});
