// Issue #20 in runs, against the simulator with its pipeline model (whose packet validation refuses a packet the
// packet manager refused before, KER-PUT-020): a run holds repeating packets back by default and says so;
// --include-repeat-failures sends them; --cohort sends only that cohort; --canary --by-cohort goes on only with the
// cohorts whose canary got past where they were stuck; an unknown cohort id is exit 2 with nothing sent or created;
// `reprocess triage --html` and `reprocess explain` through the binary.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator, type RunningSimulator } from '@mosip-reprocess/simulator/sim/server.js';
import { startPipeline, type PipelineModel } from '@mosip-reprocess/simulator/sim/pipeline.js';
import { runCli } from '@mosip-reprocess/testkit/cli.js';
import { freshSchema, TEST_DB_URL, type TestSchema } from '@mosip-reprocess/testkit/db.js';
import { runInProcess } from '@mosip-reprocess/testkit/inProcess.js';
import { abisDown, historyPacket, insertHistoryPackets, looping, ok, received, type HistoryPacket } from '@mosip-reprocess/testkit/history.js';
import { triageReprocess } from '../src/triage/triage.js';
import { resolveTriageRequest } from '../src/triage/request.js';

const SECRET = 'triage-secret';
const schemas: TestSchema[] = [];
const cleanup: string[] = [];
after(async () => {
  for (const s of schemas) await s.drop();
  for (const dir of cleanup) rmSync(dir, { recursive: true, force: true });
});

interface Scene { db: TestSchema; sim: RunningSimulator; pipeline: PipelineModel; packets: HistoryPacket[]; stop(): Promise<void> }

/** 3 looping (KER-PUT-020 three times), 3 quiet (message lost after upload), 2 transient (ABIS down at bio dedupe). */
async function scene(clockSkewMs = 0): Promise<Scene> {
  const db = await freshSchema('trun');
  schemas.push(db);
  const packets = [
    ...[1, 2, 3].map((i) => historyPacket(`loop${i}`, looping(3), { statusCode: 'REPROCESS', regStageName: 'PacketValidatorStage' })),
    ...[1, 2, 3].map((i) => historyPacket(`quiet${i}`, received())),
    ...[1, 2].map((i) => historyPacket(`abis${i}`, [...received(), ok('VALIDATE_PACKET'), abisDown])),
  ];
  await insertHistoryPackets(db.pool, db.schema, packets);
  const pipeline = startPipeline({ pool: db.pool, schema: db.schema, stageLatencyMs: 5, capacityPerSecond: Infinity, seed: 1, clockSkewMs });
  const sim = await startSimulator({ db: db.pool, schema: db.schema, clients: [{ secret: SECRET }], onForward: pipeline.onForward, clockSkewMs });
  return { db, sim, pipeline, packets, async stop() { await sim.close(); await pipeline.stop(); } };
}

const env = (db: TestSchema) => ({ REGPROC_CLIENT_PWD: SECRET, REPROCESS_DB_URL: TEST_DB_URL, DB_SCHEMA: db.schema });
const sentLabels = (s: Scene) => {
  const per = s.sim.stats().notificationsByWorkflowId;
  return s.packets.filter((p) => per[p.row.workflowInstanceId]).map((p) => p.label).sort();
};
const cohortsOf = async (db: TestSchema) => (await triageReprocess(resolveTriageRequest({ db: true, runsDir: '/nonexistent-runs' }, env(db)))).cohorts;

test('a run holds repeating packets back by default, says so, and counts them; --include-repeat-failures sends them', async () => {
  const s = await scene();
  try {
    const { result, notes } = await runInProcess({ db: true, delay: '0', server: s.sim.url }, env(s.db));
    assert.equal(result.exitCode, 0, notes);
    assert.deepEqual(sentLabels(s), ['abis1', 'abis2', 'quiet1', 'quiet2', 'quiet3']);
    assert.equal(result.summary.heldBack, 3);
    assert.match(notes, /3 packet\(s\) the guide's query selects are left out .*3 repeating VALIDATE_PACKET REPROCESS RPR-PKV-FAILED-014 \(cohort c[0-9a-f]{8}; a re-drive will not fix them\).*--include-repeat-failures send them/);

    const again = await runInProcess({ db: true, delay: '0', server: s.sim.url, includeRepeatFailures: true }, env(s.db));
    assert.match(again.notes, /--include-repeat-failures: packets that failed the same way 3 times or more are sent too/);
    assert.deepEqual(sentLabels(s), ['abis1', 'abis2', 'loop1', 'loop2', 'loop3', 'quiet1', 'quiet2', 'quiet3']);
    assert.equal(again.result.summary.sent, 3, 'the others had moved on: only the three repeating ones were still selected');
  } finally {
    await s.stop();
  }
});

test('--cohort sends only the packets of that cohort; an unknown id is exit 2 with nothing sent and no run created', async () => {
  const s = await scene();
  try {
    const abis = (await cohortsOf(s.db)).find((c) => c.verdict === 'transient')!;
    assert.equal(abis.count, 2);
    const { result, notes } = await runInProcess({ db: true, delay: '0', server: s.sim.url, cohort: [abis.id] }, env(s.db));
    assert.equal(result.exitCode, 0, notes);
    assert.deepEqual(sentLabels(s), ['abis1', 'abis2']);

    const bad = await runCli(['--db', '--cohort', 'c00000000', '--server', s.sim.url], { env: env(s.db) });
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /--cohort c00000000: no packet of this selection is in that cohort/);
    assert.match(bad.stderr, /nothing was sent/);
    assert.ok(!existsSync(bad.runsDir) || readdirSync(bad.runsDir).length === 0, 'no run directory');
    assert.deepEqual(sentLabels(s), ['abis1', 'abis2'], 'nothing more was sent');
  } finally {
    await s.stop();
  }
});

test('--canary --by-cohort: one canary per cohort; a cohort whose canary fails the same way again is left alone, the others go on', async () => {
  const s = await scene();
  try {
    const cohorts = await cohortsOf(s.db);
    const looping3 = cohorts.find((c) => c.verdict === 'repeating')!;
    const { result, notes, events } = await runInProcess({
      db: true, delay: '0', server: s.sim.url, canary: true, byCohort: true, includeRepeatFailures: true, canaryTimeout: '20s',
    }, env(s.db));
    assert.equal(result.exitCode, 1, notes);
    assert.match(notes, /--by-cohort: 3 cohort\(s\) with packets to send; one canary each first/);
    assert.match(notes, new RegExp(`canary of cohort ${looping3.id} \\(repeating, VALIDATE_PACKET: VALIDATE_PACKET REPROCESS RPR-PKV-FAILED-014; 3 packet\\(s\\)\\): FAILED: VALIDATE_PACKET failed it the same way again: REPROCESS RPR-PKV-FAILED-014`));
    assert.match(notes, /canary of cohort c[0-9a-f]{8} \(transient, .*\): passed: .*got past BIOGRAPHIC_VERIFICATION, where its cohort fails \(SUCCESS/);
    assert.match(notes, /canaries: continuing with 2 cohort\(s\) .*leaving 1 alone/);
    const sent = sentLabels(s);
    assert.equal(sent.filter((l) => l.startsWith('loop')).length, 1, 'only the looping cohort\'s canary was sent');
    assert.deepEqual(sent.filter((l) => !l.startsWith('loop')), ['abis1', 'abis2', 'quiet1', 'quiet2', 'quiet3']);
    assert.ok(events.some((e) => e.type === 'warning' && /likely cause: a re-drive does not fix this cohort/.test(e.message)));
    const journal = readFileSync(join(result.runsDir, result.runId, 'journal.jsonl'), 'utf8');
    assert.match(journal, /"t":"note".*canary of cohort/);
  } finally {
    await s.stop();
  }
});

test('--canary --by-cohort with MOSIP\'s pods 90 s behind this host: the transient cohort\'s canary still sees its stage succeed', async () => {
  // The stage's new history rows are stamped by the pods' clock, before this host's time of the send: "since the
  // send" is read from the row's latest transaction as it was before the send, not from the host's clock.
  const s = await scene(-90_000);
  try {
    const { notes } = await runInProcess({ db: true, delay: '0', server: s.sim.url, canary: true, byCohort: true, canaryTimeout: '20s' }, env(s.db));
    assert.match(notes, /canary of cohort c[0-9a-f]{8} \(transient, .*\): passed: .*got past BIOGRAPHIC_VERIFICATION, where its cohort fails/);
    assert.match(notes, /canaries: continuing with 2 cohort\(s\)/);
  } finally {
    await s.stop();
  }
});

test('reprocess triage --json --html and reprocess explain through the binary', async () => {
  const s = await scene();
  try {
    const htmlDir = mkdtempSync(join(tmpdir(), 'triage-html-'));
    cleanup.push(htmlDir);
    const html = join(htmlDir, 'triage.html');
    const t = await runCli(['triage', '--db', '--json', '--html', html], { env: env(s.db) });
    assert.equal(t.code, 0, t.stderr);
    const report = JSON.parse(t.stdout) as { selected: number; cohorts: { id: string; verdict: string; count: number; sample: { rid: string } }[] };
    assert.equal(report.selected, 8);
    assert.deepEqual(report.cohorts.map((c) => `${c.verdict} ${c.count}`), ['quiet 3', 'repeating 3', 'transient 2']);
    assert.match(t.stderr, /triage report: .*\.html/);
    assert.match(readFileSync(html, 'utf8'), /cohorts by size and age/);
    const rid = report.cohorts.find((c) => c.verdict === 'repeating')!.sample.rid;
    const e = await runCli(['explain', rid], { env: env(s.db) });
    assert.equal(e.code, 0, e.stderr);
    assert.match(e.stdout, /a run now: would NOT select it/);
    assert.match(e.stdout, /held back \(repeating\): VALIDATE_PACKET REPROCESS RPR-PKV-FAILED-014 3 times/);
  } finally {
    await s.stop();
  }
});
