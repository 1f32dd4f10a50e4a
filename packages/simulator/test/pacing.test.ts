// --pace auto end to end, scaled down: the real run path (--db selection, HTTP, journal) into the simulator and
// its pipeline model with MOSIP's limits (a capacity per stage, messages older than the age limit dropped unread).
// It asserts what matters and does not depend on the machine's speed: the packets the model dropped (none with
// --pace auto, which is not told the capacity, even when the capacity halves mid-run; many with a fixed
// --delay 0 into the same pipeline). The timing figures are for `npm run bench` (bench/pacing.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runPacingScenario } from '../src/bench/pacingScenario.js';
import { TEST_DB_URL } from '@mosip-reprocess/testkit/db.js';

const SCALED = { packets: 200, capacityPerSecond: 100, maxMessageAgeSeconds: 3, stages: 3, stageLatencyMs: 20 } as const;

test('--pace auto loses no packet, even when the capacity halves mid-run; the run counts none dropped', async () => {
  const auto = await runPacingScenario(TEST_DB_URL, { ...SCALED, halveCapacityAfterSeconds: 1.5, pace: { kind: 'auto' } });
  assert.equal(auto.sent, 200);
  assert.equal(auto.dropped, 0, 'dropped by the pipeline model');
  assert.equal(auto.completed, 200);
  assert.equal(auto.runDropped, 0);
  assert.equal(auto.exitCode, 0);
});

test('a fixed --delay 0 into the same pipeline loses packets (what --pace auto prevents)', async () => {
  const flat = await runPacingScenario(TEST_DB_URL, { ...SCALED, packets: 60, capacityPerSecond: 5, pace: { kind: 'fixed', delaySeconds: 0 } });
  assert.equal(flat.sent, 60);
  assert.ok(flat.dropped > 0, `dropped ${flat.dropped}`);
  assert.equal(flat.completed + flat.dropped, 60);
  assert.equal(flat.runDropped, null, 'a fixed pace does not watch the pipeline');
});
