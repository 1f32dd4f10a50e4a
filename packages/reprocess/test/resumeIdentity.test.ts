// A resume is the same run (issue #19, items 2 and 6): it uses the run's own database (kept in run.json without
// its password), refuses another one, and continues a workflow action run only as an action run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { insertRegistrations, type RegistrationRowInput } from '@mosip-reprocess/simulator/sql/registrationRows.js';
import { TEST_DB_URL } from '@mosip-reprocess/testkit/db.js';
import { simulatorForFile } from '@mosip-reprocess/testkit/fileSimulator.js';
import { runInProcess } from '@mosip-reprocess/testkit/inProcess.js';
import { stuckRow } from '@mosip-reprocess/testkit/rows.js';
import { InputError, resolveRunRequest } from 'mosip-reprocess';
import { actionCommand } from '../src/cli/actionCommand.js';
import { createRun } from '../src/journal/runStore.js';

const SECRET = 'resume-id-secret';
const file = simulatorForFile('resid', SECRET);

async function backlog(rows: RegistrationRowInput[]): Promise<void> {
  await file.db.pool.query(`TRUNCATE "${file.db.schema}".registration, "${file.db.schema}".registration_list, "${file.db.schema}".registration_transaction`);
  await insertRegistrations(file.db.pool, file.db.schema, rows);
}

test('a --file run given --db-url, resumed by --resume last with no database in sight, still uses it: the paused packet stays held', async () => {
  const rows = [stuckRow(), stuckRow(), stuckRow()];
  const paused = stuckRow({ statusCode: 'PAUSED', latestTrnTypeCode: 'INTERNAL_WORKFLOW_ACTION', pauseRuleIds: 'PAUSE' });
  await backlog([...rows, paused]);
  const dir = mkdtempSync(join(tmpdir(), 'resume-id-'));
  const packets = join(dir, 'packets.txt');
  writeFileSync(packets, [...rows, paused].map((r) => `${r.regId}, NEW, ${r.workflowInstanceId}`).join('\n') + '\n');
  await file.withSim(async (url, sim) => {
    const stop = new AbortController();
    const first = await runInProcess({ file: packets, dbUrl: TEST_DB_URL, schema: file.db.schema, delay: '0.05', server: url }, { REGPROC_CLIENT_PWD: SECRET }, {
      signal: stop.signal, onEvent: (e) => { if (e.type === 'packet') stop.abort(); },
    });
    assert.equal(first.result.summary.stop?.kind, 'interrupted');
    assert.equal(first.result.summary.sent, 1);
    const meta = JSON.parse(readFileSync(join(first.runsDir, first.result.runId, 'run.json'), 'utf8')) as { kind: string; db: { url: string; schema: string } };
    assert.equal(meta.kind, 'run');
    assert.equal(meta.db.schema, file.db.schema);
    assert.equal(new URL(meta.db.url).password, '', 'run.json never keeps a password');

    // The printed command, in an environment with no database settings at all.
    assert.match(first.result.resumeCommand!, /^reprocess --resume \S+ --runs-dir \S+$/);
    const resumed = await runInProcess({ resume: 'last' }, { REGPROC_CLIENT_PWD: SECRET }, { logDir: first.logDir });
    assert.doesNotMatch(resumed.notes, /no database configured/, 'the lock and the hold-back check are on');
    assert.match(resumed.notes, new RegExp(`${paused.workflowInstanceId}: skipped: status_code PAUSED`));
    const counts = sim.stats().notificationsByWorkflowId;
    assert.deepEqual(rows.map((r) => counts[r.workflowInstanceId]), [1, 1, 1]);
    assert.equal(counts[paused.workflowInstanceId], undefined, 'the paused packet was never sent');
  });
});

test('a resume given another database is refused (exit 2), naming both; nothing is sent', async () => {
  await backlog([stuckRow(), stuckRow()]);
  await file.withSim(async (url, sim) => {
    const env = { REGPROC_CLIENT_PWD: SECRET, REPROCESS_DB_URL: TEST_DB_URL, DB_SCHEMA: file.db.schema };
    const first = await runInProcess({ db: true, maxPackets: '1', delay: '0', server: url }, env);
    const elsewhere = new URL(TEST_DB_URL);
    elsewhere.hostname = 'db.elsewhere.example';
    const before = sim.stats().requests.notification ?? 0;
    assert.throws(
      () => resolveRunRequest({ resume: first.result.runId, runsDir: first.runsDir, logDir: first.logDir }, { ...env, REPROCESS_DB_URL: elsewhere.toString() }),
      (err: unknown) => err instanceof InputError && err.exitCode === 2
        && new RegExp(`run ${first.result.runId} sent its packets with database .*@127\\.0\\.0\\.1:\\d+/\\S+ schema ${file.db.schema}.*this resume is given .*@db\\.elsewhere\\.example`).test(err.message)
        && /environment variable REPROCESS_DB_URL/.test(err.message),
    );
    assert.equal(sim.stats().requests.notification ?? 0, before);
  });
});

test('an action run is continued only as one: `--resume last` passes it over, `--resume <id>` refuses it, `action --resume last` takes it', async () => {
  const logDir = mkdtempSync(join(tmpdir(), 'resume-kind-'));
  const runsDir = join(logDir, 'runs');
  const paused = stuckRow({ statusCode: 'PAUSED', latestTrnTypeCode: 'INTERNAL_WORKFLOW_ACTION', pauseRuleIds: 'PAUSE' });
  await backlog([paused]);
  // A stopped action run (the last thing in the runs directory).
  const action = createRun(runsDir, {
    kind: 'action', db: { url: TEST_DB_URL, ssl: 'off', schema: file.db.schema, hadPassword: false },
    flags: { workflowAction: 'RESUME_PROCESSING', db: true, batchSize: '10' }, configFile: null, settings: {},
    source: 'action RESUME_PROCESSING (db)',
  });
  const journal = action.openJournal();
  journal.append({ t: 'start', at: new Date().toISOString(), attempt: 1, host: 'elsewhere', pid: 1 });
  journal.append({ t: 'end', at: new Date().toISOString(), exitCode: 130, stop: 'stopped by SIGTERM', stopKind: 'interrupted' });
  await journal.close();
  const env = { REGPROC_CLIENT_PWD: SECRET };
  assert.throws(() => resolveRunRequest({ resume: 'last', runsDir, logDir }, env), /--resume last: no unfinished run/);
  assert.throws(() => resolveRunRequest({ resume: action.id, runsDir, logDir }, env),
    (err: unknown) => err instanceof InputError && new RegExp(`run ${action.id} is a workflow action run .*reprocess action --resume ${action.id} --runs-dir`).test(err.message));

  const out: string[] = [];
  const err: string[] = [];
  const code = await actionCommand('', { resume: 'last', runsDir, dryRun: true }, { out: (l) => out.push(l), err: (l) => err.push(l), env });
  assert.equal(code, 0, err.join('\n'));
  assert.match(out.join('\n'), new RegExp(`RESUME_PROCESSING to .*: 1 RID\\(s\\)[\\s\\S]*${paused.regId}`));
});
