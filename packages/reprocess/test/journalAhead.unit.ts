// --delay 0: send records are written a window ahead of the free slots (runner.ts), so a whole window shares one
// write and one fdatasync. What must hold: no packet leaves before its record is durable, never more than
// concurrency + window packets are journaled without a reply, the window never passes a packet budget, and
// whatever is still ahead when the run stops is withdrawn, which every reader of the journal honours.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPackets } from '../src/run/runner.js';
import { makeBudget } from '../src/run/budget.js';
import { WRITE_AHEAD_MAX, writeAheadSizing } from '../src/run/writeAhead.js';
import { lastSends, replay, replayJournal } from '../src/journal/replay.js';
import { readWholeRun } from '../src/journal/wholeRun.js';
import { createRun } from '../src/journal/runStore.js';
import type { JournalRecord, SendRecord } from '../src/journal/records.js';
import type { Packet } from '../src/domain/packet.js';
import type { NotifyResult } from '../src/notifier/client.js';

const packet = (i: number): Packet => ({ rid: `rid-${i}`, process: 'NEW', workflowInstanceId: `wf-${i}`, iteration: 1, source: null, origin: `line ${i}` });
async function* packets(n: number): AsyncGenerator<Packet> { for (let i = 1; i <= n; i++) yield packet(i); }
const forwarded: NotifyResult = { outcome: 'forwarded', httpStatus: 200, reply: 'ok', attempts: 1, latencyMs: 1 };
const tick = () => new Promise((r) => setImmediate(r));
const dir = mkdtempSync(join(tmpdir(), 'ahead-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A run whose replies the test releases, and the order of what the runner did. */
function harness(n: number, options: { concurrency: number; journalAhead: number; budget?: (sent: number) => ReturnType<ReturnType<typeof makeBudget>>; signal?: AbortSignal; now?: () => number }) {
  const events: string[] = [];
  const replies: (() => void)[] = [];
  let durableNow: (() => void)[] = [];
  let open = 0;
  let maxOpen = 0;
  const run = runPackets({
    packets: packets(n), concurrency: options.concurrency, journalAhead: options.journalAhead,
    gate: { wait: async () => undefined },
    ...(options.budget ? { budget: options.budget } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.now ? { now: options.now } : {}),
    notifier: {
      notify: (p) => {
        events.push(`out ${p.workflowInstanceId}`);
        return new Promise((resolve) => replies.push(() => resolve(forwarded)));
      },
    },
    observer: {
      onSend: (p) => {
        events.push(`journal ${p.workflowInstanceId}`);
        maxOpen = Math.max(maxOpen, ++open);
        return new Promise<void>((resolve) => durableNow.push(resolve));
      },
      onWithdraw: (p) => { open -= 1; events.push(`withdraw ${p.workflowInstanceId}`); },
      onPacket: () => { open -= 1; },
      onWarning: () => undefined,
    },
  });
  let done = false;
  void run.then(() => { done = true; }, () => { done = true; });
  /** Records made durable by each sync that had any. */
  const perSync: number[] = [];
  const sync = async () => { const now = durableNow; durableNow = []; if (now.length > 0) perSync.push(now.length); now.forEach((r) => r()); await tick(); await tick(); };
  const reply = async (k: number) => { replies.splice(0, k).forEach((r) => r()); await tick(); await tick(); };
  return {
    run, events, sync, reply,
    /** Syncs and replies until the run ends. */
    drive: async () => { for (let i = 0; i < 1000 && !done; i++) { await sync(); await reply(options.concurrency); } },
    maxOpen: () => maxOpen,
    perSync,
    done: () => done,
  };
}

test('a window of send records is written ahead and made durable together; nothing leaves before its sync', async () => {
  const h = harness(40, { concurrency: 4, journalAhead: 4 });
  await tick(); await tick();
  // The slots fill with packets waiting for their sync, and the window refills behind them: nothing has left.
  assert.ok(h.events.every((e) => e.startsWith('journal')), 'nothing leaves before the sync returns');
  assert.ok(h.events.length >= 4 && h.events.length <= 8, `a window and at most the slots journaled (${h.events.length})`);
  await h.sync();
  assert.equal(h.events.filter((e) => e.startsWith('out')).length, 4, 'once durable, the packets in the slots leave together');
  await h.drive();
  const outcome = await h.run;
  assert.equal(outcome.sent, 40);
  // Every packet is journaled before it leaves, in order, and at most concurrency + window are open at once.
  for (let i = 1; i <= 40; i++) assert.ok(h.events.indexOf(`journal wf-${i}`) < h.events.indexOf(`out wf-${i}`));
  assert.ok(h.maxOpen() <= 8, `at most 8 journaled without a reply (saw ${h.maxOpen()})`);
  assert.equal(h.events.filter((e) => e.startsWith('withdraw')).length, 0);
});

test('at 4 in flight and fast replies a sync covers many packets, never more than the window ahead (sized by rate and sync time)', async () => {
  // Replies come 0.1 ms after a send and a sync takes 0.1 ms (the time is the test's): the rate the slots allow is
  // far above what one sync per few packets would let through. A window of --concurrency covered 3 packets a sync.
  let clock = 0;
  const h = harness(2000, { concurrency: 4, journalAhead: WRITE_AHEAD_MAX, now: () => clock });
  for (let i = 0; i < 5000 && !h.done(); i++) {
    clock += 0.1;
    await h.sync();
    clock += 0.1;
    await h.reply(4);
  }
  const outcome = await h.run;
  assert.equal(outcome.sent, 2000);
  const steady = h.perSync.slice(5);
  const mean = steady.reduce((a, b) => a + b, 0) / steady.length;
  assert.ok(mean >= 12, `a sync covers ${mean.toFixed(1)} packets on average (at least 12 expected)`);
  assert.ok(h.maxOpen() <= 4 + WRITE_AHEAD_MAX, `at most --concurrency + ${WRITE_AHEAD_MAX} journaled without a reply (saw ${h.maxOpen()})`);
});

test('the window: ahead enough to hide two syncs, a refill worth eight syncs of sending, never past the most; small when replies are slow', () => {
  // Zero service time at 4 in flight: 6 packets a ms, syncs of 0.4 ms.
  const fast = writeAheadSizing(6, 0.4, WRITE_AHEAD_MAX, 4);
  assert.ok(fast.lead >= 6 * 0.4 * 2, `the refill starts while two syncs' worth is still ahead (lead ${fast.lead})`);
  assert.ok(fast.target - fast.lead >= 16, `a refill covers ${fast.target - fast.lead} packets`);
  assert.ok(fast.target <= WRITE_AHEAD_MAX);
  // Very fast, or a slow disk: never more than the most ahead, and the refill starts by half of it.
  const capped = writeAheadSizing(50, 5, WRITE_AHEAD_MAX, 64);
  assert.equal(capped.target, WRITE_AHEAD_MAX);
  assert.equal(capped.lead, WRITE_AHEAD_MAX / 2);
  // A 25 ms service time at 16 in flight: under one packet a ms; a sync per packet or two costs nothing there.
  const slow = writeAheadSizing(0.64, 0.4, WRITE_AHEAD_MAX, 16);
  assert.ok(slow.target <= 4, `few ahead when replies are slow (${slow.target})`);
  // Nothing measured yet: --concurrency ahead (at most the most), refilled when a quarter is left.
  assert.deepEqual(writeAheadSizing(null, null, WRITE_AHEAD_MAX, 8), { lead: 2, target: 8 });
  assert.deepEqual(writeAheadSizing(null, null, WRITE_AHEAD_MAX, 64), { lead: 8, target: WRITE_AHEAD_MAX });
});

test('when the run stops, the packets written ahead and not sent are withdrawn, and only those', async () => {
  const controller = new AbortController();
  const h = harness(40, { concurrency: 2, journalAhead: 4, signal: controller.signal });
  await tick();
  await h.sync();
  await h.sync();
  controller.abort();
  await h.reply(2);
  await h.drive();
  const outcome = await h.run;
  const journaled = h.events.filter((e) => e.startsWith('journal')).map((e) => e.slice(8));
  const out = h.events.filter((e) => e.startsWith('out')).map((e) => e.slice(4));
  const withdrawn = h.events.filter((e) => e.startsWith('withdraw')).map((e) => e.slice(9));
  assert.equal(outcome.stop?.kind, 'interrupted');
  assert.ok(withdrawn.length > 0, 'some were still ahead');
  assert.deepEqual([...out, ...withdrawn].sort(), [...journaled].sort(), 'each journaled packet either left or was withdrawn');
  assert.equal(out.filter((wf) => withdrawn.includes(wf)).length, 0, 'none both');
});

test('the window never passes --max-packets', async () => {
  const h = harness(40, { concurrency: 4, journalAhead: 8, budget: makeBudget({ maxPackets: 5 }) });
  await h.drive();
  const outcome = await h.run;
  assert.equal(outcome.sent, 5);
  assert.equal(h.events.filter((e) => e.startsWith('journal')).length, 5, 'no record written for a packet the budget excludes');
  assert.equal(outcome.stop?.kind, 'max_packets');
});

const at = '2026-11-30T10:00:00.000Z';
const sendRec = (wf: string, when = at): SendRecord => ({ t: 'send', at: when, wf, rid: `rid-${wf}`, process: 'NEW', iteration: 1, source: null, origin: 'test', attempt: 1 });

test('readers of the journal: a withdrawn send was never sent (not in flight, not notified, sent again by a resume)', () => {
  const records: JournalRecord[] = [
    { t: 'start', at, attempt: 1, host: 'h', pid: 1 },
    sendRec('a'), sendRec('b'), sendRec('c'),
    { t: 'result', at, wf: 'a', rid: 'rid-a', attempt: 1, outcome: 'forwarded', http: 200, reply: 'ok', latencyMs: 1, startedAt: at },
    { t: 'withdrawn', at, wf: 'b', rid: 'rid-b' },
    { t: 'withdrawn', at, wf: 'c', rid: 'rid-c' },
    { t: 'end', at, exitCode: 1, stop: 'stopped by the operator', stopKind: 'interrupted' },
  ];
  const r = replay(records);
  assert.deepEqual([...r.results.keys()], ['a']);
  assert.equal(r.inFlight.size, 0, 'nothing in doubt');

  const run = createRun(join(dir, 'runs'), { flags: {}, configFile: null, settings: {}, source: 'test' });
  writeFileSync(run.journalPath, records.map((x) => JSON.stringify(x)).join('\n') + '\n');
  const whole = readWholeRun(run);
  assert.equal(whole.attempts[0]!.sent, 1, 'the attempt sent one packet');
  assert.equal(whole.notified, 1);
  assert.equal(whole.inFlight, 0);
});

test('a dropped packet whose re-drive was withdrawn is still owed, and its earlier send still stands', () => {
  const path = join(dir, 'journal.jsonl');
  const first = sendRec('d', '2026-11-30T09:00:00.000Z');
  const records: JournalRecord[] = [
    first,
    { t: 'result', at, wf: 'd', rid: 'rid-d', attempt: 1, outcome: 'forwarded', http: 200, reply: 'ok', latencyMs: 1, startedAt: first.at },
    { t: 'dropped', at, wf: 'd', rid: 'rid-d', sentAt: first.at, lastMoved: null, stalledSeconds: 30 },
    sendRec('d', '2026-11-30T11:00:00.000Z'),
    { t: 'withdrawn', at, wf: 'd', rid: 'rid-d' },
  ];
  writeFileSync(path, records.map((x) => JSON.stringify(x)).join('\n') + '\n');
  const r = replayJournal(path);
  assert.deepEqual([...r.dropped.keys()], ['d'], 'the re-drive is still owed');
  assert.equal(r.dropped.get('d')!.send.at, first.at, 'with the send that was answered');
  assert.equal(lastSends(path, new Set(['d'])).get('d')!.at, first.at);
});
