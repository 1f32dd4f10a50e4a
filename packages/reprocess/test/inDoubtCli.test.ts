// The in-doubt outcome end to end, with the real binary: --registration and no database configured, the reply
// lost after the stage committed. The packet is printed, journaled and counted as in_doubt, the run exits 1, a
// resume does not send it again, and only --resend-in-doubt does (the resumes run in this process, as the CLI
// makes them: what they send is the library's decision).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSimulator } from '@mosip-reprocess/simulator/sim/server.js';
import { insertRegistrations } from '@mosip-reprocess/simulator/sql/registrationRows.js';
import { jsonLines, runCli, runIdOf } from '@mosip-reprocess/testkit/cli.js';
import { freshSchema, TEST_DB_URL, type TestSchema } from '@mosip-reprocess/testkit/db.js';
import { readWholeRun } from '../src/journal/wholeRun.js';
import { openRun } from '../src/journal/runStore.js';
import { runInProcess } from '@mosip-reprocess/testkit/inProcess.js';
import { stuckRow } from '@mosip-reprocess/testkit/rows.js';

const SECRET = 'in-doubt-cli-secret';
let db: TestSchema;
before(async () => { db = await freshSchema('idcli'); });
after(async () => { await db.drop(); });

test('no database, reply lost: in doubt (printed, journaled, counted, exit 1); not sent again on resume unless --resend-in-doubt', async () => {
  const row = stuckRow();
  await insertRegistrations(db.pool, db.schema, [row]);
  const sim = await startSimulator({ db: db.pool, schema: db.schema, clients: [{ secret: SECRET }], faults: { dropRate: 1, dropMode: 'after', seed: 1 } });
  const env = { REGPROC_CLIENT_PWD: SECRET };
  try {
    const first = await runCli(['--registration', `${row.regId}, NEW, ${row.workflowInstanceId}`, '--server', sim.url, '--delay', '0', '--json'], { env });
    assert.equal(first.code, 1, first.stderr);
    const lines = jsonLines(first.stdout);
    const packet = lines.find((l) => l.type === 'packet')!;
    assert.equal(packet.outcome, 'in_doubt');
    assert.match(String(packet.reply), /no database is configured/);
    const summary = lines.find((l) => l.type === 'summary') as { counts: Record<string, number>; exitCode: number };
    assert.equal(summary.counts.in_doubt, 1);
    const id = runIdOf(first);
    const journal = readFileSync(join(first.runsDir, id, 'journal.jsonl'), 'utf8');
    assert.match(journal, /"t":"result"[^\n]*"outcome":"in_doubt"/);
    assert.equal(sim.stats().requests.notification, 1);

    sim.clearFaults();
    const resumed = await runInProcess({ resume: id }, env, { logDir: first.logDir });
    assert.equal(sim.stats().requests.notification, 1, `a resume does not send it again: ${resumed.notes}`);
    const forced = await runInProcess({ resume: id, resendInDoubt: true }, env, { logDir: first.logDir });
    assert.equal(sim.stats().requests.notification, 2, `--resend-in-doubt sends it: ${forced.notes}`);
    assert.equal(forced.result.exitCode, 0, forced.notes);
  } finally {
    await sim.close();
  }
});

test('a packet in doubt stays in doubt until the database answers: a resume without one leaves it, a resume with one settles it', async () => {
  const delivered = stuckRow();
  const lost = stuckRow();
  await insertRegistrations(db.pool, db.schema, [delivered, lost]);
  // The first reply is lost after the stage committed; the second before the stage ran.
  const sim = await startSimulator({ db: db.pool, schema: db.schema, clients: [{ secret: SECRET }], faults: { dropRate: 1, dropMode: 'after', seed: 3 } });
  const env = { REGPROC_CLIENT_PWD: SECRET };
  try {
    const line = (r: typeof delivered) => `${r.regId}, NEW, ${r.workflowInstanceId}`;
    const first = await runInProcess({ registration: [line(delivered)], server: sim.url, delay: '0' }, env);
    assert.equal(first.result.summary.counts.in_doubt, 1, first.notes);
    sim.setFaults({ clear: true, dropRate: 1, dropMode: 'before', seed: 4 });
    const second = await runInProcess({ registration: [line(lost)], server: sim.url, delay: '0', timeout: '1' }, env);
    assert.equal(second.result.summary.counts.in_doubt, 1, second.notes);
    sim.clearFaults();

    // Still no database: still in doubt, not sent, and said so.
    const blind = await runInProcess({ resume: first.result.runId }, env, { logDir: first.logDir });
    assert.match(blind.notes, /still in doubt: NOT sent again, asked about again by the next resume; no database to check/);
    // With the database the packet was sent with (given now: the run had none), the next resume settles it: the
    // stage had handled it, so it is delivered and not sent again.
    const withDb = { ...env, REPROCESS_DB_URL: TEST_DB_URL, DB_SCHEMA: db.schema };
    const settled = await runInProcess({ resume: first.result.runId }, withDb, { logDir: first.logDir });
    assert.match(settled.notes, /delivered, not sent again; database shows the row written after the send/);
    assert.equal(sim.stats().notificationsByWorkflowId[delivered.workflowInstanceId], 1);
    const whole = readWholeRun(openRun(join(first.logDir, 'runs'), first.result.runId));
    assert.deepEqual([whole.counts.delivered_on_resume, whole.counts.in_doubt], [1, 0], 'the latest word counts, once');

    // The one lost before the stage ran (it never reached the stage): the database shows its row untouched after
    // the wait, so it is sent again, and the stage handles it once.
    const resent = await runInProcess({ resume: second.result.runId, timeout: '1' }, withDb, { logDir: second.logDir });
    assert.match(resent.notes, /will be sent again/);
    assert.equal(resent.result.summary.counts.forwarded, 1, resent.notes);
    assert.equal(sim.stats().notificationsByWorkflowId[lost.workflowInstanceId], 1, 'handled by the stage exactly once');
    assert.equal(resent.result.exitCode, 0, resent.notes);
  } finally {
    await sim.close();
  }
});
