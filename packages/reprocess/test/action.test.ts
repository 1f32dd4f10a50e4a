// `reprocess action`: the real binary, the real PostgreSQL and the simulator over HTTP. STOP_PROCESSING needs
// --yes; --db takes RIDs whose one active row is PAUSED (narrowed by --pause-rule); listed RIDs are checked and
// skipped by line; the reply is classified per RID; the lock stops it when another run holds it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { insertRegistrations, type RegistrationRowInput } from '@mosip-reprocess/simulator/sql/registrationRows.js';
import { runCli as runCliBinary, type CliRun } from '@mosip-reprocess/testkit/cli.js';
import { stuckRow } from '@mosip-reprocess/testkit/rows.js';
import { TEST_DB_URL } from '@mosip-reprocess/testkit/db.js';
import { simulatorForFile } from '@mosip-reprocess/testkit/fileSimulator.js';
import { classifyWorkflowActionReply, WORKFLOW_ACTION_PATH } from '../src/action/contract.js';
import { RunLock } from '../src/run/lock.js';
import { createRun, openRun } from '../src/journal/runStore.js';
import { readJournal } from '../src/journal/replay.js';
import { actionCommand } from '../src/cli/actionCommand.js';
import { readFileSync } from 'node:fs';
import { parsePrometheusText, sampleValue, startPushgatewayStandIn } from '@mosip-reprocess/testkit/prometheus.js';

const CLIENT_SECRET = 'action-secret';
const file = simulatorForFile('action', CLIENT_SECRET);

function runCli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return runCliBinary(args, { env: { REGPROC_CLIENT_PWD: CLIENT_SECRET, REPROCESS_DB_URL: TEST_DB_URL, DB_SCHEMA: file.db.schema, ...env } });
}

async function scenario(rows: (RegistrationRowInput & { rule?: string })[]): Promise<void> {
  const s = `"${file.db.schema}"`;
  await file.db.pool.query(`TRUNCATE ${s}.registration, ${s}.registration_list, ${s}.registration_transaction`);
  await insertRegistrations(file.db.pool, file.db.schema, rows);
  for (const r of rows) if (r.rule) await file.db.pool.query(`UPDATE ${s}.registration SET pause_rule_ids = $1 WHERE workflow_instance_id = $2`, [r.rule, r.workflowInstanceId]);
}

async function statusOf(regId: string): Promise<string> {
  const { rows } = await file.db.pool.query<{ s: string }>(`SELECT string_agg(status_code, ',' ORDER BY cr_dtimes) AS s FROM "${file.db.schema}".registration WHERE reg_id = $1`, [regId]);
  return rows[0]!.s;
}

const withSim = file.withSim;

/** Whether this simulator serves MOSIP's workflow action route (it answers 401 without a cookie, not 404). */
async function servesWorkflowAction(url: string): Promise<boolean> {
  const res = await request(url + WORKFLOW_ACTION_PATH, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
  await res.body.text();
  return res.statusCode !== 404;
}

const paused = (rule: string) => ({ ...stuckRow({ statusCode: 'PAUSED' }), rule });

test('the reply is classified per RID: success text, a named RID refused (the others held back), auth, server errors', () => {
  const rids = ['10001100010000120240101000001', '10001100010000120240101000002'];
  const ok = JSON.stringify({ id: 'mosip.registration.processor.workflow.action', version: '1.0', responsetime: 'x', response: { statusMessage: `Process the workflowIds '[${rids.join(', ')}]' successfully` }, errors: null });
  assert.deepEqual([...classifyWorkflowActionReply(200, ok, rids).outcomes.values()], ['applied', 'applied']);
  assert.deepEqual([...classifyWorkflowActionReply(200, ok, rids.slice(0, 1)).outcomes.values()], ['in_doubt']);
  const notPaused = JSON.stringify({ response: null, errors: [{ errorCode: 'RPR-WAA-004', message: `Workflow id  ${rids[1]} is not PAUSED` }] });
  assert.deepEqual([...classifyWorkflowActionReply(200, notPaused, rids).outcomes.entries()], [[rids[0], 'held_back'], [rids[1], 'not_paused']]);
  const notFound = JSON.stringify({ response: null, errors: [{ errorCode: 'RPR-WAA-003', message: `Workflow id  ${rids[0]}  not found in registration table` }] });
  assert.equal(classifyWorkflowActionReply(200, notFound, rids).outcomes.get(rids[0]!), 'not_found');
  const invalid = JSON.stringify({ response: null, errors: [{ errorCode: 'RPR-WAA-001', message: 'Invalid Request Value - requesttime' }] });
  assert.equal(classifyWorkflowActionReply(200, invalid, rids).outcomes.get(rids[1]!), 'invalid_request');
  const unknown = JSON.stringify({ response: null, errors: [{ errorCode: 'RPR-WAS-003', message: 'Unknown Exception' }] });
  assert.equal(classifyWorkflowActionReply(200, unknown, rids).outcomes.get(rids[0]!), 'in_doubt');
  assert.equal(classifyWorkflowActionReply(200, 'null', rids).outcomes.get(rids[0]!), 'in_doubt');
  assert.equal(classifyWorkflowActionReply(401, '', rids).outcomes.get(rids[0]!), 'unauthorized');
  assert.equal(classifyWorkflowActionReply(403, '', rids).outcomes.get(rids[0]!), 'forbidden');
  assert.equal(classifyWorkflowActionReply(503, '', rids).outcomes.get(rids[0]!), 'server_error');
});

test('STOP_PROCESSING without --yes exits 2 and sends nothing; an unknown action is refused', async () => {
  const a = paused('HOTLISTED_OPERATOR');
  await scenario([a]);
  await withSim(async (url, sim) => {
    const refused = await runCli(['action', 'STOP_PROCESSING', '--db', '--server', url]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /STOP_PROCESSING rejects the packets for good .* add --yes/);
    const unknown = await runCli(['action', 'RESUME_PROCESSING_AND_REMOVE_HOTLISTED_TAG', '--db', '--server', url]);
    assert.equal(unknown.code, 2);
    assert.equal(Object.values(sim.stats().requests).reduce((n: number, v) => n + Number(v ?? 0), 0), 0);
    assert.equal(await statusOf(a.regId), 'PAUSED');
  });
});

test('--dry-run --db: the RIDs with one active PAUSED row, narrowed by --pause-rule; listed RIDs checked by line', async () => {
  const pause1 = paused('PAUSE');
  const pause2 = paused('PAUSE');
  const hot = paused('HOTLISTED_OPERATOR');
  const resumable = stuckRow({ statusCode: 'RESUMABLE' });
  const twoRows = paused('PAUSE');
  const twin = { ...stuckRow({ regId: twoRows.regId }) };
  await scenario([pause1, pause2, hot, resumable, twoRows, twin]);
  const all = await runCli(['action', 'RESUME_PROCESSING', '--db', '--dry-run']);
  assert.equal(all.code, 0, all.stderr);
  assert.match(all.stdout, /RESUME_PROCESSING to <--server>\/registrationprocessor\/v1\/workflowmanager\/workflowaction: 2 RID\(s\) in 1 request\(s\) of up to 10/);
  for (const r of [pause1, pause2]) assert.match(all.stdout, new RegExp(`^  ${r.regId}`, 'm'));
  assert.match(all.stdout, new RegExp(`skipped: .*${hot.regId}: paused under HOTLISTED_OPERATOR`));
  assert.match(all.stdout, new RegExp(`skipped: .*${twoRows.regId}: 2 active rows`));
  assert.doesNotMatch(all.stdout, new RegExp(resumable.regId));
  const rule = await runCli(['action', 'RESUME_PROCESSING', '--db', '--pause-rule', 'PAUSE', '--dry-run', '--batch-size', '1']);
  assert.match(rule.stdout, /2 RID\(s\) in 2 request\(s\) of up to 1/);
  assert.doesNotMatch(rule.stdout, new RegExp(hot.regId));

  const file = join(mkdtempSync(join(tmpdir(), 'action-')), 'rids.txt');
  writeFileSync(file, `# paused packets\n${pause1.regId}\n${resumable.regId}\n${twoRows.regId}\n10001100010000120240101000009\n`);
  const listed = await runCli(['action', 'RESUME_PROCESSING', '--file', file, '--dry-run']);
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, /1 RID\(s\) in 1 request/);
  assert.match(listed.stdout, new RegExp(`skipped: .*rids\\.txt:3: ${resumable.regId}: status_code RESUMABLE, not PAUSED`));
  assert.match(listed.stdout, new RegExp(`skipped: .*rids\\.txt:4: ${twoRows.regId}: 2 active rows`));
  assert.match(listed.stdout, /skipped: .*rids\.txt:5: 10001100010000120240101000009: no active registration row/);
});

test('another run holding the lock stops an action before anything is sent (exit 3)', async () => {
  await scenario([paused('PAUSE')]);
  const holder = await RunLock.acquire({ url: TEST_DB_URL }, file.db.schema, 'test', { runId: 'night-run', command: 'run', startedAt: '2026-11-30T01:00:00.000Z', reason: 'migration backlog' }, { heartbeatMs: 0 });
  try {
    await withSim(async (url, sim) => {
      const blocked = await runCli(['action', 'RESUME_PROCESSING', '--db', '--server', url]);
      assert.equal(blocked.code, 3, blocked.stderr);
      assert.match(blocked.stderr, /another reprocess run holds the lock .*run night-run on host .*reason "migration backlog"/);
      assert.equal(sim.stats().requests.authenticate ?? 0, 0);
    });
  } finally {
    await holder.release();
  }
});

test('RESUME_PROCESSING and STOP_PROCESSING over HTTP: rows move, one line per RID, a refused RID does not hold back the others', async (t) => {
  const a = paused('PAUSE');
  const b = paused('PAUSE');
  const c = paused('PAUSE');
  const notPaused = stuckRow();
  const hot = paused('HOTLISTED_OPERATOR');
  await scenario([a, b, c, notPaused, hot]);
  await withSim(async (url) => {
    if (!(await servesWorkflowAction(url))) {
      t.skip('this simulator does not serve the workflow action endpoint yet (it comes with the h-simsafety branch)');
      return;
    }
    const run = await runCli(['action', 'RESUME_PROCESSING', '--db', '--pause-rule', 'PAUSE', '--batch-size', '2', '--delay', '0', '--server', url, '--reason', 'resume PAUSE rule']);
    assert.equal(run.code, 0, run.stderr);
    for (const r of [a, b, c]) {
      assert.match(run.stdout, new RegExp(`${r.regId}\\s+applied\\s+HTTP 200`));
      assert.equal(await statusOf(r.regId), 'RESUMABLE');
    }
    assert.equal(await statusOf(hot.regId), 'PAUSED');
    assert.match(run.stderr, /RESUMABLE: they move only when MOSIP's reprocessor runs/);

    // Without a database the list is not checked: MOSIP refuses the request naming the RID that is not PAUSED,
    // and the tool sends the other one again without it.
    const file = join(mkdtempSync(join(tmpdir(), 'action-')), 'rids.txt');
    writeFileSync(file, `${notPaused.regId}\n${hot.regId}\n`);
    const stop = await runCli(['action', 'STOP_PROCESSING', '--yes', '--file', file, '--delay', '0', '--server', url], { REPROCESS_DB_URL: '' });
    assert.equal(stop.code, 1, stop.stderr);
    assert.match(stop.stderr, /no database configured: whether the listed RIDs are PAUSED could not be checked/);
    assert.match(stop.stdout, new RegExp(`${notPaused.regId}\\s+not_paused\\s+HTTP 200\\s+RPR-WAA-004`));
    assert.match(stop.stdout, new RegExp(`${hot.regId}\\s+applied`));
    assert.equal(await statusOf(hot.regId), 'REJECTED');
    assert.equal(await statusOf(notPaused.regId), 'PROCESSING');
  });
});

test('--resume: RIDs an earlier attempt settled are not sent again; the action and source come from the run', async () => {
  const a = paused('PAUSE');
  const b = paused('PAUSE');
  const c = paused('PAUSE');
  await scenario([a, b, c]);
  const logDir = mkdtempSync(join(tmpdir(), 'action-resume-'));
  const run = createRun(join(logDir, 'runs'), {
    flags: { workflowAction: 'RESUME_PROCESSING', db: true, pauseRule: 'PAUSE', batchSize: '10' }, configFile: null, settings: {},
    source: 'action RESUME_PROCESSING (db, pause rule PAUSE)',
  });
  const journal = run.openJournal();
  journal.append({ t: 'action_send', at: new Date().toISOString(), action: 'RESUME_PROCESSING', rids: [a.regId, b.regId] });
  journal.append({ t: 'action_result', at: new Date().toISOString(), rid: a.regId, outcome: 'applied', http: 200, errorCode: null, message: '' });
  journal.append({ t: 'action_result', at: new Date().toISOString(), rid: b.regId, outcome: 'server_error', http: 503, errorCode: null, message: '' });
  journal.close();
  const resumed = await runCliBinary(['action', 'ignored', '--resume', run.meta.id, '--dry-run'], {
    env: { REGPROC_CLIENT_PWD: CLIENT_SECRET, REPROCESS_DB_URL: TEST_DB_URL, DB_SCHEMA: file.db.schema }, logDir,
  });
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stdout, /RESUME_PROCESSING to .*: 2 RID\(s\)/);
  assert.doesNotMatch(resumed.stdout, new RegExp(a.regId));
  assert.match(resumed.stdout, new RegExp(b.regId));
  assert.match(resumed.stdout, new RegExp(c.regId));
});

/** `reprocess action <name> <opts>` in this process (opts as commander names them): output, exit code, dirs. */
async function actionInProcess(name: string, opts: Record<string, unknown>): Promise<{ code: number; stdout: string; stderr: string; runsDir: string; logDir: string }> {
  let stdout = '';
  let stderr = '';
  const logDir = mkdtempSync(join(tmpdir(), 'action-in-process-'));
  const runsDir = join(logDir, 'runs');
  const code = await actionCommand(name, { logDir, runsDir, ...opts }, {
    out: (line) => { stdout += line + '\n'; }, err: (line) => { stderr += line + '\n'; },
    env: { REGPROC_CLIENT_PWD: CLIENT_SECRET, REPROCESS_DB_URL: TEST_DB_URL, DB_SCHEMA: file.db.schema },
  });
  return { code, stdout, stderr, runsDir, logDir };
}

/** A RID with several active rows, each paused under the given rules (null: not PAUSED, PROCESSING). */
function ridWithRows(rules: (string | null)[]): (RegistrationRowInput & { rule?: string })[] {
  const first = stuckRow();
  return rules.map((rule, i) => ({
    ...stuckRow({ regId: first.regId, statusCode: rule === null ? 'PROCESSING' : 'PAUSED', crDtimes: new Date(Date.now() - (5 - i) * 86_400_000) }),
    ...(rule ? { rule } : {}),
  }));
}

test('action --db: a RID whose active rows are all PAUSED is taken (alone in its request); one with a row not PAUSED, or under another rule, is named as skipped', async () => {
  const both = ridWithRows(['PAUSE', 'PAUSE']);
  const half = ridWithRows(['PAUSE', null]);
  const otherRule = ridWithRows(['PAUSE', 'SOME_OTHER_RULE']);
  const single = [paused('PAUSE'), paused('PAUSE')];
  await scenario([...both, ...half, ...otherRule, ...single]);
  const rid = (rows: { regId: string }[]) => rows[0]!.regId;

  const dry = await actionInProcess('RESUME_PROCESSING', { db: true, dryRun: true, pauseRule: 'PAUSE', batchSize: '10' });
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /: 3 RID\(s\) in 2 request\(s\) of up to 10/);
  assert.match(dry.stdout, new RegExp(`^  ${rid(both)}  .*\\(2 active rows, all PAUSED: sent alone\\)`, 'm'));
  assert.match(dry.stdout, new RegExp(`skipped: db .*: ${rid(half)}: 2 active rows \\(PAUSED, PROCESSING\\), not all PAUSED`));
  assert.match(dry.stdout, new RegExp(`skipped: db .*: ${rid(otherRule)}: 1 of its 2 active rows are paused under SOME_OTHER_RULE, not --pause-rule PAUSE`));

  await withSim(async (url) => {
    const run = await actionInProcess('RESUME_PROCESSING', { db: true, pauseRule: 'PAUSE', batchSize: '10', delay: '0', server: url });
    assert.equal(run.code, 1, 'skipped RIDs make the exit code 1');
    assert.equal(await statusOf(rid(both)), 'RESUMABLE,RESUMABLE');
    for (const r of single) assert.equal(await statusOf(r.regId), 'RESUMABLE');
    assert.equal(await statusOf(rid(half)), 'PAUSED,PROCESSING', 'MOSIP would have resumed the PROCESSING row too');
    assert.equal(await statusOf(rid(otherRule)), 'PAUSED,PAUSED');
    assert.match(run.stderr, new RegExp(`${rid(half)}: skipped: 2 active rows`));
    assert.match(run.stdout, /skipped 2; run /);
    // The journal names them; the RID with two rows went alone in its request.
    const runId = /run (\S+)$/m.exec(run.stdout)![1]!;
    const records = readJournal(openRun(run.runsDir, runId).journalPath);
    assert.deepEqual(records.filter((x) => x.t === 'action_skipped').map((x) => (x as { rid: string }).rid).sort(), [rid(half), rid(otherRule)].sort());
    const sends = records.filter((x) => x.t === 'action_send') as { rids: string[] }[];
    assert.deepEqual(sends.find((x) => x.rids.includes(rid(both)))!.rids, [rid(both)]);
  });
});

test('action: resuming packets paused under HOTLISTED_OPERATOR needs --include-hotlisted (shown in the dry run); --pause-rule PAUSE does not take PAUSE,HOTLISTED_OPERATOR', async () => {
  const hot = paused('HOTLISTED_OPERATOR');
  const both = paused('PAUSE,HOTLISTED_OPERATOR');
  const plain = paused('PAUSE');
  await scenario([hot, both, plain]);
  const dry = await actionInProcess('RESUME_PROCESSING', { db: true, dryRun: true, pauseRule: 'PAUSE' });
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /: 1 RID\(s\)/);
  assert.match(dry.stdout, /HOTLISTED_OPERATOR: left out and named below \(add --include-hotlisted/);
  assert.match(dry.stdout, new RegExp(`skipped: .*${both.regId}: paused under PAUSE,HOTLISTED_OPERATOR: .*add --include-hotlisted`));
  const noRule = await actionInProcess('RESUME_FROM_BEGINNING', { db: true, dryRun: true });
  assert.match(noRule.stdout, /: 1 RID\(s\)/);
  assert.match(noRule.stdout, new RegExp(`skipped: .*${hot.regId}: paused under HOTLISTED_OPERATOR`));
  const consent = await actionInProcess('RESUME_PROCESSING', { db: true, dryRun: true, includeHotlisted: true });
  assert.match(consent.stdout, /: 3 RID\(s\)/);
  assert.match(consent.stdout, /HOTLISTED_OPERATOR: INCLUDED \(--include-hotlisted\)/);
  // Listed RIDs are checked the same way.
  const listed = await actionInProcess('RESUME_PROCESSING', { registration: [hot.regId, plain.regId], dryRun: true });
  assert.match(listed.stdout, /: 1 RID\(s\)/);
  assert.match(listed.stdout, new RegExp(`skipped: --registration #1: ${hot.regId}: paused under HOTLISTED_OPERATOR`));
  // Naming the rule is not consent; stopping them needs none.
  const named = await actionInProcess('RESUME_PROCESSING', { db: true, dryRun: true, pauseRule: 'HOTLISTED_OPERATOR' });
  assert.equal(named.code, 2);
  assert.match(named.stderr, /--pause-rule HOTLISTED_OPERATOR with RESUME_PROCESSING .* add --include-hotlisted/);
  const stop = await actionInProcess('STOP_PROCESSING', { db: true, dryRun: true, yes: true, pauseRule: 'HOTLISTED_OPERATOR' });
  assert.equal(stop.code, 0, stop.stderr);
  assert.match(stop.stdout, /: 2 RID\(s\)/);
});

test('action with --log-format json and --pushgateway: every line (stdout, stderr, the log file) is a JSON log line; the final push counts what the journal has', async () => {
  const rows = [paused('PAUSE'), paused('PAUSE'), paused('PAUSE')];
  await scenario(rows);
  const gateway = await startPushgatewayStandIn();
  try {
    await withSim(async (url) => {
      const run = await actionInProcess('RESUME_PROCESSING', {
        db: true, pauseRule: 'PAUSE', batchSize: '2', delay: '0', server: url, logFormat: 'json', pushgateway: gateway.url, metricsPort: '0', reason: 'resume the PAUSE rule',
      });
      assert.equal(run.code, 0, run.stderr);
      const parse = (text: string) => text.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      const logFile = parse(readFileSync(join(run.logDir, 'last.log'), 'utf8'));
      const stdout = parse(run.stdout);
      const stderr = parse(run.stderr);
      const records = [...stdout, ...stderr, ...logFile];
      const runId = logFile[0]!.run_id as string;
      for (const r of records) assert.ok(typeof r.time === 'string' && ['info', 'warn', 'error'].includes(String(r.level)) && typeof r.msg === 'string', JSON.stringify(r));
      // The log file has the run's id on every line; the terminal from the moment the run has one (null before).
      for (const r of [...logFile, ...stdout]) assert.equal(r.run_id, runId, JSON.stringify(r));
      const started = stderr.findIndex((r) => /^action run \S+ started/.test(String(r.msg)));
      assert.ok(started >= 0);
      for (const [i, r] of stderr.entries()) assert.equal(r.run_id, i < started ? null : runId, JSON.stringify(r));
      const ridLines = records.filter((r) => 'rid' in r);
      assert.equal(ridLines.length, 6, 'three RIDs, on stdout and in the log');
      for (const r of ridLines) assert.ok(r.outcome === 'applied' && r.http_status === 200 && typeof r.ms === 'number' && 'workflow_id' in r, JSON.stringify(r));
      assert.ok(records.some((r) => /metrics: http:\/\/127\.0\.0\.1:\d+\/metrics/.test(String(r.msg))), 'the metrics address is said');

      const pushes = gateway.received.filter((x) => x.path === `/metrics/job/reprocess/run_id/${runId}`);
      assert.ok(pushes.length >= 1 && pushes.every((x) => x.method === 'PUT'));
      const last = parsePrometheusText(pushes.at(-1)!.body);
      const journal = readJournal(openRun(run.runsDir, runId).journalPath).filter((x) => x.t === 'action_result');
      assert.equal(sampleValue(last, 'reprocess_actions_total', { action: 'RESUME_PROCESSING', outcome: 'applied' }), journal.length);
      assert.equal(journal.length, 3);
      assert.equal(sampleValue(last, 'reprocess_packets_selected'), 3);
      assert.equal(sampleValue(last, 'reprocess_packets_remaining'), 0);
      assert.equal(sampleValue(last, 'reprocess_exit_code'), 0);
      assert.equal(sampleValue(last, 'reprocess_run_info', { run_id: runId, reason: 'resume the PAUSE rule' }), 1);
      assert.ok(!pushes.some((x) => x.body.includes(CLIENT_SECRET)));
    });
  } finally {
    await gateway.close();
  }
});
