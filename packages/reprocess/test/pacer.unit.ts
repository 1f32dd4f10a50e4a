// The pacer on a manual clock: exact start times, no wall-clock margins.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '@mosip-reprocess/testkit/manualClock.js';
import { Pacer } from '../src/pacer/pacer.js';

test('pacing is start-to-start: work time is not added to the delay', async () => {
  const clock = new ManualClock();
  const pacer = new Pacer(50, clock);
  const starts: number[] = [];
  for (let i = 0; i < 6; i++) {
    await pacer.wait();
    starts.push(clock.now());
    clock.advance(40); // the send takes 40 ms, less than the interval
  }
  // 50 ms apart, start to start; start-to-end-plus-delay would be 90 ms apart.
  assert.deepEqual(starts, [0, 50, 100, 150, 200, 250]);
  assert.deepEqual(clock.sleeps, [10, 10, 10, 10, 10]);
});

test('a send slower than the interval: the next one starts at once, never earlier than its slot', async () => {
  const clock = new ManualClock();
  const pacer = new Pacer(50, clock);
  const starts: number[] = [];
  for (const work of [70, 20, 0]) {
    await pacer.wait();
    starts.push(clock.now());
    clock.advance(work);
  }
  await pacer.wait();
  starts.push(clock.now());
  assert.deepEqual(starts, [0, 70, 120, 170]);
});

test('after a stall the pacer does not burst to catch up', async () => {
  const clock = new ManualClock();
  const pacer = new Pacer(1000, clock);
  await pacer.wait(); // t = 0
  clock.advance(5000); // the previous send took 5 s
  await pacer.wait();
  assert.equal(clock.now(), 5000, 'started at once');
  assert.deepEqual(clock.sleeps, []);
  // The next one still waits a full interval from this start, not the four slots it "missed".
  await pacer.wait();
  assert.equal(clock.now(), 6000);
  await pacer.wait();
  assert.equal(clock.now(), 7000);
  assert.deepEqual(clock.sleeps, [1000, 1000]);
});

test('a zero delay never waits', async () => {
  const clock = new ManualClock();
  const pacer = new Pacer(0, clock);
  for (let i = 0; i < 1000; i++) await pacer.wait();
  assert.deepEqual(clock.sleeps, []);
  assert.equal(clock.now(), 0);
});

test('waiting can be interrupted (on the system clock)', async () => {
  const pacer = new Pacer(10_000);
  await pacer.wait();
  const controller = new AbortController();
  const waiting = pacer.wait(controller.signal);
  controller.abort();
  await assert.rejects(waiting, { name: 'AbortError' });
});
