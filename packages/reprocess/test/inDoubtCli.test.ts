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
import { freshSchema, type TestSchema } from '@mosip-reprocess/testkit/db.js';
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
