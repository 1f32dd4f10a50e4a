// The securezone stage's worker pool (src/sim/workerPool.ts): MOSIP handles 10 notifications at once and makes the
// rest wait (no 429, nothing refused). Held deterministically: a test transaction locks the rows, so every stage
// handler that got a worker blocks on its UPDATE until the lock is released.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { createPool } from 'mosip-reprocess/db/connect.js';
import { startSimulator, type RunningSimulator } from '../src/sim/server.js';
import { insertRegistrations } from '../src/sql/registrationRows.js';
import { freshSchema, TEST_DB_URL, type TestSchema } from '@mosip-reprocess/testkit/db.js';
import { notify, notifyBody, SECRET, stuckRow, token } from './simFixtures.js';

let db: TestSchema;
let simPool: pg.Pool;
let sim: RunningSimulator;

before(async () => {
  db = await freshSchema('simwk');
  simPool = createPool({ url: TEST_DB_URL, max: 8 });
  sim = await startSimulator({ db: simPool, schema: db.schema, clients: [{ secret: SECRET }], securezoneWorkers: 2 });
});

after(async () => {
  await sim.close();
  await simPool.end();
  await db.drop();
});

/** Polls until the condition holds (a state, not a duration: no timing margin is asserted). */
async function until(what: string, condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await sleep(10);
  assert.ok(condition(), `timed out waiting for: ${what}`);
}

test('notifications beyond the worker pool wait for a worker; none is refused, all are handled', async () => {
  const rows = Array.from({ length: 6 }, () => stuckRow());
  await insertRegistrations(db.pool, db.schema, rows);
  const jwt = await token(sim.url);
  const locker = await db.pool.connect();
  try {
    await locker.query('BEGIN');
    await locker.query(`SELECT 1 FROM "${db.schema}".registration WHERE workflow_instance_id = ANY($1::text[]) FOR UPDATE`,
      [rows.map((r) => r.workflowInstanceId)]);
    const replies = rows.map((r) => notify(sim.url, jwt, notifyBody(r)));
    await until('2 handlers running and 4 waiting', () => sim.securezoneWorkers().active === 2 && sim.securezoneWorkers().waiting === 4);
    await locker.query('COMMIT');
    const done = await Promise.all(replies);
    for (const [i, reply] of done.entries()) {
      assert.equal(reply.status, 200);
      assert.equal(reply.text, JSON.stringify(`Packet with registrationId '${rows[i]!.regId}' has been forwarded to next stage`));
    }
  } finally {
    await locker.query('ROLLBACK').catch(() => undefined);
    locker.release();
  }
  assert.deepEqual(sim.securezoneWorkers(), { size: 2, active: 0, waiting: 0, peakActive: 2, peakWaiting: 4 });
});
