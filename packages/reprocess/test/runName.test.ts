// --run-name: a Job's pod that is killed and replaced runs the same command on the same volume; the run must
// continue exactly where its journal says, never send a packet twice, and do nothing once it has finished.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from '../src/cli/runCommand.js';
import { startSimulator } from '@mosip-reprocess/simulator/sim/server.js';
import { insertRegistrations } from '@mosip-reprocess/simulator/sql/registrationRows.js';
import { runCli as runCliBinary, type CliOptions, type CliRun } from '@mosip-reprocess/testkit/cli.js';
import { freshSchema, TEST_DB_URL, type TestSchema } from '@mosip-reprocess/testkit/db.js';
import { stuckRow } from '@mosip-reprocess/testkit/rows.js';

const SECRET = 'run-name-secret';
let db: TestSchema;
before(async () => { db = await freshSchema('rname'); });
after(async () => { await db.drop(); });

function runCli(args: string[], over: Partial<CliOptions> = {}): Promise<CliRun> {
  return runCliBinary(args, { ...over, env: { REGPROC_CLIENT_PWD: SECRET, REPROCESS_DB_URL: TEST_DB_URL, DB_SCHEMA: db.schema, ...over.env } });
}

test('--run-name: killed with kill -9, the same command in a new process resumes it; once finished, it does nothing', async () => {
  const rows = Array.from({ length: 30 }, () => stuckRow());
  await insertRegistrations(db.pool, db.schema, rows);
  const sim = await startSimulator({ db: db.pool, schema: db.schema, clients: [{ secret: SECRET }], faults: { slowRangeMs: [10, 60], seed: 3 } });
  try {
    // --timeout 1: the resume waits 2 x --timeout before sending again a packet the killed pod had in flight and
    // the stage has not written (the default 30 s made this file take a minute whenever the kill landed there).
    const command = ['--db', '--run-name', 'night-1', '--delay', '0', '--concurrency', '3', '--timeout', '1', '--json', '--server', sim.url];
    const first = await runCli(command, {
      onSpawn(child, output) {
        const timer = setInterval(() => {
          if ((output.stdout().match(/"type":"packet"/g) ?? []).length >= 8) {
            clearInterval(timer);
            child.kill('SIGKILL');
          }
        }, 5);
        child.on('exit', () => clearInterval(timer));
      },
    });
    assert.equal(first.code, 137, 'the first pod was killed');
    await new Promise((r) => setTimeout(r, 300)); // requests already at the server finish, as they would

    const second = await runCli(command, { logDir: first.logDir });
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /resumed/);
    const counts = sim.stats().notificationsByWorkflowId;
    assert.deepEqual(rows.filter((r) => counts[r.workflowInstanceId] !== 1).map((r) => r.workflowInstanceId), [], 'each packet exactly once');

    const before = sim.stats().requests.notification ?? 0;
    const third = await runCli(command, { logDir: first.logDir });
    assert.equal(third.code, 0, third.stderr);
    assert.match(third.stderr, /already finished with exit code 0: nothing to do/);
    assert.equal(sim.stats().requests.notification ?? 0, before, 'nothing sent by a finished run');

    const runs = JSON.parse((await runCli(['runs', '--json'], { logDir: first.logDir })).stdout) as { runId: string }[];
    assert.equal(runs.length, 1, 'one run, not three');
  } finally {
    await sim.close();
  }
});

test('--run-name of a finished run exits with that run\'s own exit code (a Job\'s pod started again reports what the run did)', async () => {
  const inactive = stuckRow({ isActive: false }); // the stage answers null: the run ends with exit 1
  await insertRegistrations(db.pool, db.schema, [inactive]);
  const sim = await startSimulator({ db: db.pool, schema: db.schema, clients: [{ secret: SECRET }] });
  try {
    const logDir = mkdtempSync(join(tmpdir(), 'run-name-exit-'));
    const flags = { registration: [`${inactive.regId}, NEW, ${inactive.workflowInstanceId}`], runName: 'night-2', delay: '0', server: sim.url, logDir, runsDir: join(logDir, 'runs') };
    const lines: string[] = [];
    const io = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(l), env: { REGPROC_CLIENT_PWD: SECRET } };
    assert.equal(await runCommand({ ...flags }, io), 1, lines.join('\n'));
    const before = sim.stats().requests.notification ?? 0;
    assert.equal(await runCommand({ ...flags }, io), 1, lines.join('\n'));
    assert.match(lines.join('\n'), /already finished with exit code 1: nothing to do/);
    assert.equal(sim.stats().requests.notification ?? 0, before, 'nothing sent by a finished run');
  } finally {
    await sim.close();
  }
});

test('--run-name refuses names that are not simple, and --resume with it', async () => {
  const bad = await runCli(['--db', '--run-name', 'Night 1', '--server', 'http://127.0.0.1:9']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--run-name "Night 1"/);
  const both = await runCli(['--db', '--run-name', 'n1', '--resume', 'last', '--server', 'http://127.0.0.1:9']);
  assert.equal(both.code, 2);
});
