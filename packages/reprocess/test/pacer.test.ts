import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pacer } from '../src/pacer/pacer.js';

test('pacing is start-to-start: work time is not added to the delay', async () => {
  const pacer = new Pacer(50);
  const starts: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < 6; i++) {
    await pacer.wait();
    starts.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 40)); // "latency" shorter than the interval
  }
  // 6 starts at 50 ms apart span 250 ms; start-to-end-plus-delay would span 5 x 90 = 450 ms.
  const span = starts[5]! - starts[0]!;
  assert.ok(span >= 245 && span < 400, `span ${span}`);
});

test('after a stall the pacer does not burst to catch up', async () => {
  let now = 0;
  const pacer = new Pacer(1000, () => now);
  await pacer.wait(); // t=0
  now = 5000; // the previous send took 5 s
  const before = now;
  const waited = pacer.wait();
  await waited;
  assert.equal(now, before); // started at once
  // The next one must still wait a full interval from this start, not go immediately.
  const p = new Pacer(20);
  await p.wait();
  await new Promise((r) => setTimeout(r, 100));
  await p.wait();
  const t = performance.now();
  await p.wait();
  assert.ok(performance.now() - t >= 15);
});

test('a zero delay never waits', async () => {
  const pacer = new Pacer(0);
  const t = performance.now();
  for (let i = 0; i < 1000; i++) await pacer.wait();
  assert.ok(performance.now() - t < 200);
});

test('waiting can be interrupted', async () => {
  const pacer = new Pacer(10_000);
  await pacer.wait();
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 20);
  await assert.rejects(pacer.wait(controller.signal), { name: 'AbortError' });
});
