// Every new token after the first is marked in the journal (the morning-after report draws it on the timeline).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startSimulator } from '@mosip-reprocess/simulator/sim/server.js';
import { insertRegistrations } from '@mosip-reprocess/simulator/sql/registrationRows.js';
import { runInProcess } from '@mosip-reprocess/testkit/inProcess.js';
import { freshSchema, TEST_DB_URL, type TestSchema } from '@mosip-reprocess/testkit/db.js';
import { stuckRow } from '@mosip-reprocess/testkit/rows.js';

const SECRET = 'token-journal-secret';
let db: TestSchema;
before(async () => { db = await freshSchema('tokj'); });
after(async () => { await db.drop(); });

test('a token refused with 401 after 3 uses: each new token is a `token` record in the journal, reason 401', async () => {
  const rows = Array.from({ length: 7 }, () => stuckRow());
  await insertRegistrations(db.pool, db.schema, rows);
  const sim = await startSimulator({ db: db.pool, schema: db.schema, clients: [{ secret: SECRET }], faults: { tokenMaxUses: 3, seed: 1 } });
  try {
    // The run as the CLI makes it, in this process: the journal is the library's.
    const { result, notes } = await runInProcess({ db: true, delay: '0', server: sim.url },
      { REGPROC_CLIENT_PWD: SECRET, REPROCESS_DB_URL: TEST_DB_URL, DB_SCHEMA: db.schema });
    assert.equal(result.exitCode, 0, notes);
    const records = readFileSync(result.journalPath, 'utf8').trim().split('\n')
      .map((l) => JSON.parse(l) as { t: string; reason?: string });
    const tokens = records.filter((r) => r.t === 'token');
    assert.equal(tokens.length, (sim.stats().requests.authenticate ?? 0) - 1, 'one record per token after the first');
    assert.ok(tokens.length >= 2, `${tokens.length} new tokens for 7 packets at 3 uses each`);
    assert.ok(tokens.every((r) => r.reason === '401'));
  } finally {
    await sim.close();
  }
});

test('a 403 stops the run; once the client has the role, its resume sends the refused packet too (the stage never ran for it)', async () => {
  await db.pool.query(`TRUNCATE "${db.schema}".registration, "${db.schema}".registration_list, "${db.schema}".registration_transaction`);
  const rows = Array.from({ length: 4 }, () => stuckRow());
  await insertRegistrations(db.pool, db.schema, rows);
  const sim = await startSimulator({ db: db.pool, schema: db.schema, clients: [{ secret: SECRET }], faults: { forbiddenRate: 'all', seed: 1 } });
  const env = { REGPROC_CLIENT_PWD: SECRET, REPROCESS_DB_URL: TEST_DB_URL, DB_SCHEMA: db.schema };
  try {
    const first = await runInProcess({ db: true, delay: '0', server: sim.url }, env);
    assert.equal(first.result.exitCode, 3, first.notes);
    assert.equal(first.result.summary.counts.forbidden, 1);
    sim.setFaults({ forbiddenRate: null });
    const resumed = await runInProcess({ resume: first.result.runId, server: sim.url }, env, { logDir: first.logDir });
    assert.equal(resumed.result.exitCode, 0, resumed.notes);
    assert.equal(resumed.result.summary.counts.forwarded, rows.length, 'the refused packet and the three never sent');
    const handled = sim.stats().notificationsByWorkflowId;
    assert.deepEqual(rows.filter((r) => handled[r.workflowInstanceId] !== 1).map((r) => r.workflowInstanceId), [], 'the stage ran once for each');
  } finally {
    await sim.close();
  }
});
