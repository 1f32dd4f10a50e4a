// A stop stops, whatever the run waits on (issue #19, item 4): the time budgets and the operator's signals end a
// run whose --pace auto gate is waiting (for room in the pipeline, or blind because the database cannot be read),
// and a --query-file run stopped by a budget closes its cursor and its READ ONLY snapshot. Each test would hang
// before the fix; node's test timeout turns that into a failure, so nothing here measures a margin.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { insertRegistrations, type RegistrationRowInput } from '@mosip-reprocess/simulator/sql/registrationRows.js';
import { runCli, runIdOf } from '@mosip-reprocess/testkit/cli.js';
import { TEST_DB_URL } from '@mosip-reprocess/testkit/db.js';
import { simulatorForFile } from '@mosip-reprocess/testkit/fileSimulator.js';
import { runInProcess } from '@mosip-reprocess/testkit/inProcess.js';
import { stuckRow } from '@mosip-reprocess/testkit/rows.js';
import { toolSessions } from '@mosip-reprocess/testkit/scenarios/sessions.js';

const SECRET = 'stops-secret';
const file = simulatorForFile('stops', SECRET);
const env = () => ({ REGPROC_CLIENT_PWD: SECRET, REPROCESS_DB_URL: TEST_DB_URL, DB_SCHEMA: file.db.schema });
const TIMEOUT = { timeout: 60_000 };

async function backlog(n: number): Promise<RegistrationRowInput[]> {
  const rows = Array.from({ length: n }, () => stuckRow());
  await file.db.pool.query(`TRUNCATE "${file.db.schema}".registration, "${file.db.schema}".registration_list, "${file.db.schema}".registration_transaction`);
  await insertRegistrations(file.db.pool, file.db.schema, rows);
  return rows;
}

/**
 * Sessions of the tool that still hold a transaction open (a cursor, a snapshot) on this file's schema (other test
 * files run side by side on the same server: the scenario suite's watch counts only the sessions on its schema).
 */
async function openToolTransactions(): Promise<string[]> {
  return (await toolSessions(file.db.pool, file.db.schema, true)).map((s) => `${s.applicationName} (${s.state})`);
}

test('--pace auto: --max-duration ends a run whose gate waits for room in the pipeline', TIMEOUT, async () => {
  await backlog(4);
  await file.withSim(async (url, sim) => {
    // Nothing consumes the forwarded packet, so with --max-in-pipeline 1 the gate never opens again.
    const run = await runInProcess({ db: true, pace: 'auto', maxInPipeline: '1', maxDuration: '2s', server: url }, env());
    const summary = run.result.summary;
    assert.equal(summary.stop?.kind, 'max_duration', run.notes);
    // One packet went (unless a slow start used up the two seconds); the gate never opened again.
    assert.ok(summary.sent <= 1, `sent ${summary.sent}`);
    assert.equal(sim.stats().requests.notification ?? 0, summary.sent);
    assert.ok(run.result.resumeCommand, 'a budget stop leaves the run resumable');
  });
});

test('--pace auto: the operator\'s stop ends a run that is blind (its database reads fail)', TIMEOUT, async () => {
  await backlog(4);
  const table = `"${file.db.schema}".registration`;
  await file.withSim(async (url) => {
    const controller = new AbortController();
    let renamed = false;
    try {
      const run = await runInProcess({ db: true, pace: 'auto', messageMaxAge: '20s', maxInPipeline: '1', server: url }, env(), {
        signal: controller.signal,
        onEvent(e) {
          if (e.type === 'packet' && !renamed) {
            renamed = true;
            // Every read of the pacer now fails: it holds, blind. Then the operator stops the run.
            void file.db.pool.query(`ALTER TABLE ${table} RENAME TO registration_away`).then(() => setTimeout(() => controller.abort(), 1500));
          }
        },
      });
      assert.equal(run.result.summary.stop?.kind, 'interrupted', run.notes);
      assert.equal(run.result.summary.sent, 1);
      assert.match(run.notes, /--pace auto cannot read the database/);
    } finally {
      if (renamed) await file.db.pool.query(`ALTER TABLE "${file.db.schema}".registration_away RENAME TO registration`);
    }
  });
});

test('SIGHUP stops a run waiting in --pace auto: journal written, exit 129, the resume command printed', TIMEOUT, async () => {
  await backlog(3);
  await file.withSim(async (url) => {
    const run = await runCli(['--db', '--pace', 'auto', '--max-in-pipeline', '1', '--server', url], {
      env: env(),
      onSpawn(child, output) {
        const timer = setInterval(() => {
          if (/forwarded/.test(output.stdout())) { clearInterval(timer); child.kill('SIGHUP'); }
        }, 20);
        child.on('exit', () => clearInterval(timer));
      },
    });
    assert.equal(run.code, 129, run.stderr);
    assert.match(run.stderr, /^stopped: stopped by SIGHUP$/m);
    assert.match(run.stderr, new RegExp(`to continue this run: reprocess --resume ${runIdOf(run)}`));
    assert.doesNotMatch(run.stderr, /MaxListenersExceededWarning/);
  });
});

test('--query-file stopped by --max-packets closes its cursor: the run returns and leaves no transaction open', TIMEOUT, async () => {
  // More rows than one read of the cursor (500), so the cursor is still open when the budget stops the run.
  await backlog(1200);
  const dir = mkdtempSync(join(tmpdir(), 'stops-query-'));
  const query = join(dir, 'q.sql');
  writeFileSync(query, `SELECT reg_id, process, workflow_instance_id FROM "${file.db.schema}".registration ORDER BY workflow_instance_id`);
  await file.withSim(async (url, sim) => {
    const run = await runInProcess({ queryFile: query, maxPackets: '1', delay: '0', server: url }, env());
    assert.equal(run.result.summary.stop?.kind, 'max_packets', run.notes);
    assert.equal(sim.stats().requests.notification ?? 0, 1);
    assert.deepEqual(await openToolTransactions(), []);
  });
});
