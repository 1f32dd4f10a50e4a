// The run's small parts in isolation: circuit breaker, retry backoff, budgets, shards, progress, run listing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRun, listRunIds } from '../src/journal/runStore.js';
import { BreakerGaveUp, CircuitBreaker } from '../src/notifier/breaker.js';
import { backoffMs, ResilientNotifier } from '../src/notifier/resilientNotifier.js';
import { makeBudget, untilDeadline } from '../src/run/budget.js';
import { runPackets } from '../src/run/runner.js';
import { clockOffsetWarning, measureClockOffset } from '../src/run/clockOffset.js';
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import { parseShard, shardOf } from '../src/filter/shard.js';
import { Progress } from '../src/report/progress.js';
import type { NotifyResult } from '../src/notifier/client.js';
import type { Packet } from '../src/domain/packet.js';

const settings = { window: 10, failureRate: 0.5, minSamples: 4, cooldownMs: 50, patienceMs: 400 };
const packet: Packet = { rid: '10001101040000520220809113748', process: 'NEW', workflowInstanceId: 'w', iteration: 1, source: null, origin: 't' };
const reply = (outcome: NotifyResult['outcome']): NotifyResult => ({ outcome, httpStatus: outcome === 'forwarded' ? 200 : 503, reply: '', latencyMs: 1, attempts: 1 });

test('the breaker opens on a failure rate, lets one probe through after the cooldown, and closes on success', async () => {
  const b = new CircuitBreaker(settings);
  for (let i = 0; i < 3; i++) b.record(await b.permit(), true);
  for (let i = 0; i < 3; i++) b.record(await b.permit(), false);
  assert.equal(b.current, 'open');
  const t = Date.now();
  const probe = await b.permit();
  assert.ok(Date.now() - t >= 40, 'waited for the cooldown');
  let second = false;
  const waiting = b.permit().then(() => { second = true; });
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(second, false, 'only one probe at a time');
  b.record(probe, true);
  await waiting;
  assert.equal(b.current, 'closed');
  assert.equal(b.trips, 1);
});

test('the breaker gives up after its patience when probes keep failing', async () => {
  const b = new CircuitBreaker(settings);
  for (let i = 0; i < 5; i++) b.record(await b.permit(), false);
  await assert.rejects(async () => {
    for (;;) {
      b.record(await b.permit(), false);
    }
  }, BreakerGaveUp);
});

test('transient failures are retried with backoff; permanent outcomes are not', async () => {
  // 503s the gateway gave before the stage (a lost reply has its own rule: lostReply.test.ts).
  const outcomes: NotifyResult['outcome'][] = ['server_error', 'server_error', 'forwarded'];
  let calls = 0;
  const n = new ResilientNotifier({ notify: async () => reply(outcomes[calls++]!) }, new CircuitBreaker({ ...settings, minSamples: 100 }),
    { retry: { retries: 3, baseDelayMs: 1, maxDelayMs: 5 }, deliveryCheck: null, settleAfterMs: 0 });
  const r = await n.notify(packet);
  assert.equal(r.outcome, 'forwarded');
  assert.equal(r.attempts, 3);
  assert.equal(n.retriesMade, 2);

  let permanentCalls = 0;
  const p = new ResilientNotifier({ notify: async () => { permanentCalls++; return reply('not_found'); } },
    new CircuitBreaker(settings), { retry: { retries: 3, baseDelayMs: 1, maxDelayMs: 5 }, deliveryCheck: null, settleAfterMs: 0 });
  assert.equal((await p.notify(packet)).outcome, 'not_found');
  assert.equal(permanentCalls, 1);
});

test('backoff grows exponentially with full jitter, capped', () => {
  const s = { retries: 5, baseDelayMs: 500, maxDelayMs: 15_000, random: () => 1 };
  assert.deepEqual([1, 2, 3, 6, 10].map((a) => backoffMs(a, s)), [500, 1000, 2000, 15_000, 15_000]);
  assert.equal(backoffMs(3, { ...s, random: () => 0 }), 0);
});

test('budgets: packets, duration and a night-window clock time', () => {
  let now = 1_000_000;
  const budget = makeBudget({ maxPackets: 10, alreadySent: 4, maxDurationSeconds: 60, startedAt: now }, () => now);
  assert.equal(budget(5), null);
  assert.equal(budget(6)?.kind, 'max_packets');
  now += 61_000;
  assert.equal(budget(0)?.kind, 'max_duration');
  const evening = new Date(2026, 10, 23, 22, 0, 0);
  const deadline = untilDeadline('05:30', evening);
  assert.equal(deadline.getDate(), 24);
  assert.equal(deadline.getHours(), 5);
  assert.equal(untilDeadline('23:00', evening).getDate(), 23);
  assert.throws(() => untilDeadline('25:00', evening), /not a clock time/);
});

test('shards split workflow ids stably and completely', () => {
  assert.deepEqual(parseShard('2/4'), { index: 2, count: 4 });
  assert.throws(() => parseShard('5/4'), /K\/N/);
  const ids = Array.from({ length: 400 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
  const shards = ids.map((id) => shardOf(id, 4));
  assert.deepEqual([...new Set(shards)].sort(), [1, 2, 3, 4]);
  assert.ok(shards.every((s, i) => s === shardOf(ids[i]!.toUpperCase(), 4)), 'stable, case-insensitive');
});

test('progress: a line at a steady interval when not a terminal, a redrawn bar on one', async () => {
  const lines: string[] = [];
  const p = new Progress({ isTTY: false, write: (t) => lines.push(t) }, 10, 30);
  p.record('forwarded');
  p.record('not_found');
  await new Promise((r) => setTimeout(r, 80));
  p.stop();
  assert.ok(lines.length >= 1);
  assert.match(lines[0]!, /^progress 2\/10 \(forwarded 1, not_found 1\) [\d.]+\/s, ETA/);
  const drawn: string[] = [];
  const bar = new Progress({ isTTY: true, write: (t) => drawn.push(t) }, 4, 0);
  bar.record('forwarded');
  bar.stop();
  assert.match(drawn[0]!, /\[######------------------\] progress 1\/4/);
});

test('runs are listed in the order they were created, even several in one second', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'reprocess-runs-'));
  const made: string[] = [];
  for (let i = 0; i < 8; i++) {
    made.push(createRun(dir, { flags: {}, configFile: null, settings: {}, source: `run ${i}` }).id);
    await new Promise((r) => setTimeout(r, 2));
  }
  assert.deepEqual(listRunIds(dir), made);
});

test('a packet the breaker stopped before it ever left is withdrawn, not left in doubt; one that left once keeps its last reply', async () => {
  const run = async (failure: () => Error) => {
    const withdrawn: string[] = [];
    const results: string[] = [];
    const outcome = await runPackets({
      packets: (async function* () { yield packet; })(),
      notifier: { notify: async () => { throw failure(); } },
      gate: { wait: async () => undefined },
      observer: {
        onSend: () => undefined, onWithdraw: (p) => { withdrawn.push(p.workflowInstanceId); },
        onPacket: (r) => { results.push(r.outcome); }, onWarning: () => undefined,
      },
    });
    return { withdrawn, results, outcome };
  };
  const never = await run(() => new BreakerGaveUp('the server kept failing'));
  assert.deepEqual(never.withdrawn, ['w'], 'its send record is voided: a resume sends it like any packet never sent');
  assert.deepEqual(never.results, []);
  assert.equal(never.outcome.sent, 0, 'the summary counts only packets that left');
  assert.equal(never.outcome.stop?.kind, 'unreachable');
  const once = await run(() => Object.assign(new BreakerGaveUp('the server kept failing'), { lastResult: reply('server_error') }));
  assert.deepEqual(once.withdrawn, []);
  assert.deepEqual(once.results, ['server_error'], 'it left once: its last (transient) reply is its result, and a resume sends it again');
  assert.equal(once.outcome.sent, 1);
});

test('the host\'s clock is measured against the database\'s at start; above 1 s the operator is told', async () => {
  assert.equal(clockOffsetWarning(900), null);
  assert.equal(clockOffsetWarning(-1000), null);
  assert.match(clockOffsetWarning(-300_000)!, /this host's clock is 300\.0 s ahead of the database server's/);
  assert.match(clockOffsetWarning(2500)!, /2\.5 s behind the database server's: .*check NTP/);
  // A host clock five minutes fast, against a database that answers with its own time: far over the threshold.
  const db = { query: async () => ({ rows: [{ ms: String(Date.now()) }] }) } as unknown as Queryable;
  const { offsetMs } = await measureClockOffset(db, () => Date.now() + 300_000);
  assert.ok(offsetMs <= -299_000 && clockOffsetWarning(offsetMs) !== null);
});
