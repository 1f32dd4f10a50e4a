// Shards of one split run side by side on one database, each holding its share of the run lock (issue #19, item 1):
// as the pods of `reprocess k8s --shards 2` do. Together they send every packet exactly once, with --all too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { insertRegistrations } from '@mosip-reprocess/simulator/sql/registrationRows.js';
import { TEST_DB_URL } from '@mosip-reprocess/testkit/db.js';
import { simulatorForFile } from '@mosip-reprocess/testkit/fileSimulator.js';
import { runInProcess } from '@mosip-reprocess/testkit/inProcess.js';
import { stuckRow } from '@mosip-reprocess/testkit/rows.js';
import type { RunFlags } from 'mosip-reprocess';

const SECRET = 'shards-secret';
const file = simulatorForFile('shards', SECRET);
const env = () => ({ REGPROC_CLIENT_PWD: SECRET, REPROCESS_DB_URL: TEST_DB_URL, DB_SCHEMA: file.db.schema });

for (const all of [false, true]) {
  test(`shards 1/2 and 2/2 run together${all ? ' with --all batches' : ''}: every packet once, both exit 0`, async () => {
    const rows = Array.from({ length: 40 }, () => stuckRow());
    await file.db.pool.query(`TRUNCATE "${file.db.schema}".registration, "${file.db.schema}".registration_list, "${file.db.schema}".registration_transaction`);
    await insertRegistrations(file.db.pool, file.db.schema, rows);
    await file.withSim(async (url, sim) => {
      const flags = (shard: string): RunFlags => ({ db: true, shard, delay: '0.01', server: url, ...(all ? { all: true, limit: '4' } : {}) });
      const [one, two] = await Promise.all([runInProcess(flags('1/2'), env()), runInProcess(flags('2/2'), env())]);
      assert.equal(one.result.exitCode, 0, one.notes);
      assert.equal(two.result.exitCode, 0, two.notes);
      assert.ok(one.result.summary.sent > 0 && two.result.summary.sent > 0, 'both shards sent');
      assert.equal(one.result.summary.sent + two.result.summary.sent, rows.length);
      const counts = sim.stats().notificationsByWorkflowId;
      assert.deepEqual(rows.filter((r) => counts[r.workflowInstanceId] !== 1).map((r) => r.workflowInstanceId), [], 'every packet notified exactly once');
      if (all) assert.ok(one.result.summary.batches >= 2, 'batches of --limit packets of this shard');
    });
  });
}
