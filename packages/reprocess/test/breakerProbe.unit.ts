// The circuit breaker knows which request is its probe: only the probe's own reply can close (or reopen) it.
// A reply to a request sent before the pause says nothing about the server now.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CircuitBreaker } from '../src/notifier/breaker.js';

// cooldownMs 0: the probe is let through at once, so the test needs no timer and no wall-clock margin.
const settings = { window: 10, failureRate: 0.5, minSamples: 4, cooldownMs: 0, patienceMs: 3_600_000 };

async function openedWithStaleRequest() {
  const b = new CircuitBreaker(settings);
  const stale = await b.permit(); // sent while closed; its reply will come late
  for (let i = 0; i < 4; i++) b.record(await b.permit(), false);
  assert.equal(b.current, 'open');
  const probe = await b.permit();
  assert.equal(b.current, 'half_open');
  return { b, stale, probe };
}

test('a late success from before the pause does not close the breaker; the probe does', async () => {
  const { b, stale, probe } = await openedWithStaleRequest();
  b.record(stale, true);
  assert.equal(b.current, 'half_open', 'a reply to a request sent before the pause must not close the breaker');
  b.record(probe, true);
  assert.equal(b.current, 'closed');
});

test('a late failure from before the pause is not taken as the probe failing', async () => {
  const { b, stale, probe } = await openedWithStaleRequest();
  b.record(stale, false);
  assert.equal(b.current, 'half_open', 'a stale failure must not reopen the breaker while its probe is out');
  b.record(probe, false);
  assert.equal(b.current, 'open');
  assert.equal(b.trips, 1, 'a failed probe reopens the same stretch, it is not a new trip');
});

test('after it closed again, late failures from before the pause do not count towards the next opening', async () => {
  const { b, stale, probe } = await openedWithStaleRequest();
  b.record(probe, true);
  assert.equal(b.current, 'closed');
  for (let i = 0; i < 3; i++) b.record(await b.permit(), true);
  b.record(stale, false);
  const fresh = await b.permit();
  b.record(fresh, false);
  b.record(await b.permit(), false);
  // 3 ok + 2 fresh failures = 40 % < 50 %: still closed. Had the stale failure counted, 3 of 6 = 50 % would open it.
  assert.equal(b.current, 'closed');
});

test('a closed breaker lets a send the runner already journaled go even when the run is being stopped', async () => {
  const b = new CircuitBreaker(settings);
  const stop = new AbortController();
  stop.abort();
  const permit = await b.permit(stop.signal);
  assert.equal(permit.probe, false);
  for (let i = 0; i < 4; i++) b.record(await b.permit(), false);
  await assert.rejects(b.permit(stop.signal), 'an open breaker does not make a stopped run wait');
});
