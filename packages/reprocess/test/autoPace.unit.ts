// --pace auto, deterministically: the controller (src/pacer/auto.ts) against a fluid model of the pipeline on a
// simulated clock (a FIFO queue served at C packets per second, then a fixed traversal time; a message that has
// waited longer than the age limit is dropped), and the watcher's classification of rows (src/pacer/pipelineWatch.ts).
// No wall clock anywhere: every figure below is exact for the given inputs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AutoPaceController, MIN_RATE, type PipelineObservation } from '../src/pacer/auto.js';
import { pipelineState } from '../src/pacer/pipelineWatch.js';
import type { PacketRowNow } from '../src/sql/selectRowsSinceSend.js';

interface FluidRun {
  dropped: number;
  /** When the last packet left the pipeline, s. */
  doneAt: number;
  peakWaitS: number;
  rates: number[];
}

/**
 * N packets through a bottleneck of capacity(t) packets/s with an age limit of T s, a traversal of L s after the
 * bottleneck, and the controller observing every P s. 10 ms steps.
 */
function fluid(p: { n: number; capacity: (t: number) => number; T: number; W: number; P: number; L?: number; maxRate?: number; maxInPipeline?: number }): FluidRun {
  const dt = 0.01;
  const L = p.L ?? 1;
  const ctl = new AutoPaceController({
    maxWaitMs: p.W * 1000,
    ...(p.maxRate !== undefined ? { maxRate: p.maxRate } : {}),
    ...(p.maxInPipeline !== undefined ? { maxInPipeline: p.maxInPipeline } : {}),
  });
  const queue: number[] = []; // enqueue times
  let head = 0;
  const traversing: number[] = []; // exit times
  let tHead = 0;
  let sent = 0;
  let sendCredit = 1;
  let serveCredit = 0;
  let exited = 0;
  let dropped = 0;
  let sentSince = 0;
  let nextObs = p.P;
  let peakWait = 0;
  const rates: number[] = [];
  let t = 0;
  for (let step = 0; step < 1_000_000 && (sent < p.n || head < queue.length || tHead < traversing.length); step++) {
    t = step * dt;
    // Sends at the controller's rate (start-to-start), within --max-in-pipeline.
    if (sent < p.n) {
      sendCredit = Math.min(sendCredit + ctl.rate * dt, 1 + ctl.rate * dt);
      while (sendCredit >= 1 && sent < p.n && ctl.roomInPipeline(sentSince)) {
        sendCredit -= 1;
        queue.push(t);
        sent += 1;
        sentSince += 1;
      }
    }
    // The bottleneck: drops what is too old when it gets to it, serves C per second.
    serveCredit = Math.min(serveCredit + p.capacity(t) * dt, 1 + p.capacity(t) * dt);
    while (head < queue.length && t - queue[head]! > p.T) { head += 1; dropped += 1; }
    while (serveCredit >= 1 && head < queue.length) {
      serveCredit -= 1;
      head += 1;
      traversing.push(t + L);
    }
    while (tHead < traversing.length && traversing[tHead]! <= t) { tHead += 1; exited += 1; }
    if (t >= nextObs) {
      nextObs += p.P;
      const queuedWait = head < queue.length ? t - queue[head]! : 0;
      const inTraversal = tHead < traversing.length ? Math.min(0.2, L) : 0; // a stage's latency since its last write
      const maxWait = Math.max(queuedWait, inTraversal);
      peakWait = Math.max(peakWait, maxWait);
      const o: PipelineObservation = {
        at: t * 1000, inside: (queue.length - head) + (traversing.length - tHead), unseen: 0, maxWaitMs: maxWait * 1000, exited, dropped, sent,
      };
      ctl.observe(o);
      sentSince = 0;
      rates.push(ctl.rate);
    }
  }
  return { dropped, doneAt: t, peakWaitS: peakWait, rates };
}

test('auto pacing finds an unknown capacity: 0 dropped, all out within 1.25 x N / C (C = 20/s, T = 20 s, 1,000 packets)', () => {
  const r = fluid({ n: 1000, capacity: () => 20, T: 20, W: 10, P: 0.5 });
  assert.equal(r.dropped, 0);
  assert.ok(r.doneAt <= 1.25 * 1000 / 20, `done at ${r.doneAt.toFixed(1)} s`);
  assert.ok(r.peakWaitS < 10, `peak wait ${r.peakWaitS.toFixed(1)} s stays under --max-wait`);
});

test('auto pacing follows a capacity halved mid-run: 0 dropped', () => {
  const r = fluid({ n: 1000, capacity: (t) => (t < 25 ? 20 : 10), T: 20, W: 10, P: 0.5 });
  assert.equal(r.dropped, 0);
  assert.ok(r.peakWaitS < 10, `peak wait ${r.peakWaitS.toFixed(1)} s`);
});

test('the same law at other scales: a fast pipeline (C = 300/s) and a slow one (C = 2/s, MOSIP\'s 3600 s age limit)', () => {
  const fast = fluid({ n: 12000, capacity: () => 300, T: 20, W: 10, P: 0.5 });
  assert.equal(fast.dropped, 0);
  assert.ok(fast.doneAt <= 1.25 * 12000 / 300, `fast: done at ${fast.doneAt.toFixed(1)} s`);
  const slow = fluid({ n: 400, capacity: () => 2, T: 3600, W: 1800, P: 5 });
  assert.equal(slow.dropped, 0);
  assert.ok(slow.doneAt <= 1.25 * 400 / 2, `slow: done at ${slow.doneAt.toFixed(1)} s`);
});

test('the rate stays within --rate, pauses at --max-wait, and respects --max-in-pipeline', () => {
  const capped = new AutoPaceController({ maxWaitMs: 10_000, maxRate: 5 });
  for (let i = 0; i < 20; i++) capped.observe({ at: i * 500, inside: 0, unseen: 0, maxWaitMs: 0, exited: 0, dropped: 0, sent: i * 100 });
  assert.equal(capped.rate, 5);

  const c = new AutoPaceController({ maxWaitMs: 10_000 });
  const d = c.observe({ at: 0, inside: 50, unseen: 0, maxWaitMs: 10_000, exited: 0, dropped: 0, sent: 0 });
  assert.equal(d.phase, 'paused');
  assert.equal(c.rate, 0);
  const resumed = c.observe({ at: 500, inside: 40, unseen: 0, maxWaitMs: 2_000, exited: 10, dropped: 0, sent: 0 });
  assert.equal(resumed.phase, 'steady');
  assert.ok(resumed.rate >= MIN_RATE && resumed.rate <= 25, `after the pause it restarts from the drain rate, not the old rate: ${resumed.rate}`);

  const limited = new AutoPaceController({ maxWaitMs: 10_000, maxInPipeline: 10 });
  limited.observe({ at: 0, inside: 7, unseen: 1, maxWaitMs: 0, exited: 0, dropped: 0, sent: 0 });
  assert.equal(limited.roomInPipeline(1), true);
  assert.equal(limited.roomInPipeline(2), false);
  const r = fluid({ n: 300, capacity: () => 20, T: 20, W: 10, P: 0.5, maxInPipeline: 25 });
  assert.equal(r.dropped, 0);
});

test('start-up: from 1 packet/s the rate doubles per observation while the waiting time does not rise', () => {
  const c = new AutoPaceController({ maxWaitMs: 10_000 });
  assert.equal(c.rate, 1);
  const seen = [];
  // --max-wait 10 s: doubling at most every 0.25 s (W / 40), at most once per observation.
  for (let i = 1; i <= 4; i++) seen.push(c.observe({ at: i * 500, inside: 1, unseen: 0, maxWaitMs: 100, exited: 0, dropped: 0, sent: i * 100 }).rate);
  assert.deepEqual(seen, [1, 2, 4, 8], 'the first observation has no interval to grow over');
  // The wait rises more than W / 40 above the lowest seen twice running: a queue is forming; start-up ends.
  assert.equal(c.observe({ at: 2500, inside: 5, unseen: 0, maxWaitMs: 400, exited: 0, dropped: 0, sent: 500 }).phase, 'startup', 'once may be a slow write');
  assert.equal(c.observe({ at: 3000, inside: 5, unseen: 0, maxWaitMs: 500, exited: 0, dropped: 0, sent: 600 }).phase, 'steady');

  // The rate does not run ahead of what is really sent: 3 packets in 0.5 s (6/s) allow at most 12/s.
  const slowSender = new AutoPaceController({ maxWaitMs: 10_000, initialRate: 8 });
  slowSender.observe({ at: 0, inside: 1, unseen: 0, maxWaitMs: 100, exited: 0, dropped: 0, sent: 0 });
  assert.equal(slowSender.observe({ at: 500, inside: 1, unseen: 0, maxWaitMs: 100, exited: 0, dropped: 0, sent: 3 }).rate, 12);
});

const row = (over: Partial<PacketRowNow>): PacketRowNow => ({
  regId: 'r', statusCode: 'PROCESSING', latestTrnTypeCode: 'UPLOAD_PACKET', latestTrnStatusCode: 'SUCCESS', regStageName: 'PacketUploaderStage',
  latestTrnDtimes: '2026-01-01T10:00:00.000Z', latestTrnDtimesExact: '2026-01-01T10:00:00.000000Z', latestTrnId: 't1',
  active: true, writtenSinceSend: true, idleSeconds: 30, ...over,
});

test('watcher: unseen until written since the send; inside with its wait; out when ended; dropped only at securezone; held never counted', () => {
  const HOUR = 3_600_000;
  // The old, stuck timestamp is not a wait.
  assert.deepEqual(pipelineState(row({ writtenSinceSend: false, idleSeconds: 86_400 }), 30_000, HOUR), { kind: 'unseen' });
  assert.deepEqual(pipelineState(row({ idleSeconds: 30 }), 32_000, HOUR), { kind: 'inside', waitMs: 30_000 });
  assert.deepEqual(pipelineState(row({ latestTrnTypeCode: 'SECUREZONE_NOTIFICATION', idleSeconds: 12 }), 12_000, HOUR), { kind: 'inside', waitMs: 12_000 });
  for (const status of ['PROCESSED', 'FAILED', 'REJECTED', 'REPROCESS_FAILED', 'REPROCESS']) {
    assert.equal(pipelineState(row({ latestTrnStatusCode: status }), 6_000, HOUR).kind, 'exited', status);
  }
  // A re-driven FAILED packet keeps status_code FAILED while it moves: still inside.
  assert.equal(pipelineState(row({ statusCode: 'FAILED' }), 6_000, HOUR).kind, 'inside');
  assert.equal(pipelineState(row({ statusCode: 'FAILED', latestTrnTypeCode: 'INTERNAL_WORKFLOW_ACTION' }), 6_000, HOUR).kind, 'exited');
  assert.equal(pipelineState(row({ statusCode: 'PAUSED', latestTrnTypeCode: 'INTERNAL_WORKFLOW_ACTION' }), 6_000, HOUR).kind, 'exited');
  assert.equal(pipelineState(null, 6_000, HOUR).kind, 'exited');
  assert.equal(pipelineState(row({ active: false }), 6_000, HOUR).kind, 'exited');
  // Still as the notification left it for longer than the limit, on this host's clock since the send: dropped (the
  // message expired unread).
  assert.deepEqual(pipelineState(row({ latestTrnTypeCode: 'SECUREZONE_NOTIFICATION', idleSeconds: 3601 }), 3_600_001, HOUR),
    { kind: 'dropped', stalledMs: 3_600_001, lastMoved: new Date('2026-01-01T10:00:00.000Z'), rowNow: { trnId: 't1', dtimes: '2026-01-01T10:00:00.000000Z' } });
  assert.equal(pipelineState(row({ latestTrnTypeCode: 'SECUREZONE_NOTIFICATION', idleSeconds: 3601 }), 3_600_000, HOUR).kind, 'inside');
  // A stage pod whose clock is 90 s behind stamps a fresh write 90 s old: it is not a wait, nor a drop (max age 3 s).
  assert.deepEqual(pipelineState(row({ latestTrnTypeCode: 'SECUREZONE_NOTIFICATION', idleSeconds: 90 }), 2_000, 3_000), { kind: 'inside', waitMs: 2_000 });
  assert.deepEqual(pipelineState(row({ idleSeconds: 90 }), 2_500, 3_000, 400), { kind: 'inside', waitMs: 400 }, 'a later stage: since the watcher saw it so');
  // Never written since the send for longer than the limit: dropped too.
  assert.equal(pipelineState(row({ writtenSinceSend: false }), HOUR + 1, HOUR).kind, 'dropped');
  // A later stage holds it (a person, ABIS), or left it past the limit: held, whatever its age; never dropped.
  assert.equal(pipelineState(row({ latestTrnTypeCode: 'MANUAL_ADJUDICATION', latestTrnStatusCode: 'IN_PROGRESS', idleSeconds: 5 }), 6_000, HOUR).kind, 'held');
  assert.equal(pipelineState(row({ latestTrnTypeCode: 'MANUAL_ADJUDICATION', latestTrnStatusCode: 'IN_PROGRESS', idleSeconds: 99_999 }), 99_999_000, HOUR).kind, 'held');
  assert.equal(pipelineState(row({ idleSeconds: 3601 }), 3_700_000, HOUR).kind, 'held');
});
