// Issue #10 end to end: the real binary in child processes, the simulator over HTTP, the real PostgreSQL. One run
// per database (two real processes), --reason, the window floor, and paused packets left out of --db and --file.
// Runs whose output is the library's own notes (what was left out and why) run in this process, as the CLI makes
// them (testkit's runInProcess); the binary covers the lock, exit codes, the dry run's text and --include-paused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { insertRegistrations, type RegistrationRowInput } from '@mosip-reprocess/simulator/sql/registrationRows.js';
import { runCli as runCliBinary, runIdOf, type CliRun, type CliOptions } from '@mosip-reprocess/testkit/cli.js';
import { stuckRow } from '@mosip-reprocess/testkit/rows.js';
import { TEST_DB_URL } from '@mosip-reprocess/testkit/db.js';
import { simulatorForFile } from '@mosip-reprocess/testkit/fileSimulator.js';
import { runInProcess } from '@mosip-reprocess/testkit/inProcess.js';

const CLIENT_SECRET = 'safety-secret';
const file = simulatorForFile('clisafe', CLIENT_SECRET);

const baseEnv = () => ({ REGPROC_CLIENT_PWD: CLIENT_SECRET, REPROCESS_DB_URL: TEST_DB_URL, DB_SCHEMA: file.db.schema });
function runCli(args: string[], extra: Partial<CliOptions> = {}, env: Record<string, string> = {}): Promise<CliRun> {
  return runCliBinary(args, { env: { ...baseEnv(), ...env }, ...extra });
}

async function scenario(rows: RegistrationRowInput[], pauseRules: Record<string, string> = {}): Promise<void> {
  const s = `"${file.db.schema}"`;
  await file.db.pool.query(`TRUNCATE ${s}.registration, ${s}.registration_list, ${s}.registration_transaction`);
  await insertRegistrations(file.db.pool, file.db.schema, rows);
  for (const [wf, rule] of Object.entries(pauseRules)) {
    await file.db.pool.query(`UPDATE ${s}.registration SET pause_rule_ids = $1 WHERE workflow_instance_id = $2`, [rule, wf]);
  }
}

const withSim = file.withSim;

test('one run per database: a second process stops before sending, exit 3, naming the first run, its host and reason', async () => {
  await scenario(Array.from({ length: 30 }, () => stuckRow()));
  await withSim(async (url, sim) => {
    let firstStarted!: () => void;
    const started = new Promise<void>((resolve) => { firstStarted = resolve; });
    let stopFirst: (() => void) | null = null;
    const first = runCli(['--db', '--server', url, '--delay', '1', '--reason', 'night of 30 Nov (OPS-17)'], {
      onSpawn(child, out) {
        stopFirst = () => child.kill('SIGINT');
        const poll = setInterval(() => {
          if (/forwarded/.test(out.stdout())) { clearInterval(poll); firstStarted(); }
        }, 20);
        child.on('close', () => { clearInterval(poll); firstStarted(); });
      },
    });
    await started;
    const sentBefore = sim.stats().requests.notification ?? 0;
    const second = await runCli(['--db', '--server', url, '--delay', '0', '--reason', 'cron']);
    stopFirst!();
    const firstRun = await first;
    assert.equal(second.code, 3, second.stderr);
    const firstId = runIdOf(firstRun);
    assert.match(second.stderr, new RegExp(`another reprocess run holds the lock for .*schema ${file.db.schema}: run ${firstId} on host ${hostname()} \\(pid \\d+\\), started \\S+; reason "night of 30 Nov \\(OPS-17\\)"`));
    assert.match(second.stderr, /Nothing was sent/);
    assert.doesNotMatch(second.stderr, /run \d{8}-\d{6}-[0-9a-f]{4} started/);
    // The second run sent nothing: every notification came from the first, which was still sending.
    const firstSent = firstRun.stdout.split('\n').filter((l) => /forwarded/.test(l) && !/^\s*forwarded\s+\d+/.test(l)).length;
    assert.ok(firstSent >= 1 && sentBefore >= 1);
    assert.equal(sim.stats().requests.notification ?? 0, firstSent);

    // The reason is in the journal's start record, the summary, the logs and `reprocess runs`.
    const dir = join(firstRun.runsDir, firstId);
    assert.match(readFileSync(join(dir, 'journal.jsonl'), 'utf8'), /"t":"start".*"reason":"night of 30 Nov \(OPS-17\)"/);
    assert.equal(JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')).reason, 'night of 30 Nov (OPS-17)');
    assert.match(readFileSync(join(firstRun.logDir, 'last.log'), 'utf8'), /reason="night of 30 Nov \(OPS-17\)"/);
    const runs = await runCli(['runs'], { logDir: firstRun.logDir });
    assert.match(runs.stdout, new RegExp(`${firstId}.*reason: "night of 30 Nov \\(OPS-17\\)"`));

    // Once the first has ended, the lock is free again; a dry run never takes it.
    const third = await runInProcess({ db: true, server: url, delay: '0', limit: '1' }, baseEnv());
    assert.equal(third.result.exitCode, 0, third.notes);
    assert.equal(third.result.summary.sent, 1);
  });
});

test('--older-than of 6300 s or less is refused with exit 2 and the reason; --allow-short-window lifts it', async () => {
  await scenario([stuckRow()]);
  await withSim(async (url, sim) => {
    const refused = await runCli(['--db', '--server', url, '--older-than', '90m']);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /--older-than 5400 s is not above 6300 s, the shortest reprocess window MOSIP's own start-up checks accept/);
    assert.match(refused.stderr, /ABIS: .* manual adjudication: .* duplicate UINs were issued before 1\.2\.0\.1 \(MOSIP-26697\)/);
    assert.equal(sim.stats().requests.notification ?? 0, 0);
    const dry = await runCli(['--db', '--dry-run', '--older-than', '90m']);
    assert.equal(dry.code, 2);
    const allowed = await runCli(['--db', '--dry-run', '--older-than', '90m', '--allow-short-window']);
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.match(allowed.stdout, /MOSIP's reprocessor: no PACKET_REPROCESS transaction in the last 60 min/);
  });
});

test('paused packets are left out of --db and --file runs, reported, and sent only with --include-paused', async () => {
  const plain = stuckRow();
  const paused = stuckRow({ statusCode: 'PAUSED' });
  const hotlisted = stuckRow({ statusCode: 'PAUSED' });
  const spent = stuckRow({ trnRetryCount: 9 });
  await scenario([plain, paused, hotlisted, spent], { [paused.workflowInstanceId]: 'PAUSE', [hotlisted.workflowInstanceId]: 'HOTLISTED_OPERATOR' });
  await withSim(async (url, sim) => {
    const dry = await runCli(['--db', '--dry-run']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /matched\s+1\s+rows/);
    assert.match(dry.stdout, /Held back: 3 packets of the rows the guide's query would take left out, 0 sent anyway/);
    assert.match(dry.stdout, /paused\s+PAUSED\s+HOTLISTED_OPERATOR\s+1\s+left out/);

    const run = await runInProcess({ db: true, server: url, delay: '0' }, baseEnv());
    assert.equal(run.result.exitCode, 0, run.notes);
    assert.match(run.notes, /3 packet\(s\) the guide's query selects are left out because MOSIP would not move them now: .*PAUSED \(pause rule HOTLISTED_OPERATOR\)/);
    assert.deepEqual(Object.keys(sim.stats().notificationsByWorkflowId), [plain.workflowInstanceId]);

    const dir = mkdtempSync(join(tmpdir(), 'safety-file-'));
    const file = join(dir, 'list.txt');
    writeFileSync(file, [plain, hotlisted, spent].map((r) => `${r.regId}, NEW, ${r.workflowInstanceId}`).join('\n') + '\n');
    const listed = await runInProcess({ file, server: url, delay: '0' }, baseEnv());
    assert.equal(listed.result.exitCode, 0, listed.notes);
    assert.match(listed.notes, new RegExp(`list\\.txt:2: ${hotlisted.regId} ${hotlisted.workflowInstanceId}: skipped: status_code PAUSED \\(pause rule HOTLISTED_OPERATOR\\)`));
    assert.match(listed.notes, new RegExp(`list\\.txt:3: ${spent.regId} ${spent.workflowInstanceId}: skipped: trn_retry_count 9`));
    assert.equal(sim.stats().notificationsByWorkflowId[hotlisted.workflowInstanceId], undefined);

    const unchecked = await runInProcess({ file, server: url, delay: '0', limit: '1' }, { ...baseEnv(), REPROCESS_DB_URL: '' });
    assert.match(unchecked.notes, /no database configured: pauses and retry budgets could not be checked/);

    const anyway = await runCli(['--registration', `${hotlisted.regId}, NEW, ${hotlisted.workflowInstanceId}`, '--include-paused', '--server', url, '--delay', '0']);
    assert.equal(anyway.code, 0, anyway.stderr);
    assert.match(anyway.stderr, /--include-paused: packets MOSIP paused are sent too/);
    assert.match(anyway.stderr, /--registration: .*sent anyway: status_code PAUSED/);
    assert.equal(sim.stats().notificationsByWorkflowId[hotlisted.workflowInstanceId], 1);
  });
});

test('a password inside a URL setting (--server user:pass@) is kept nowhere: run.json, the logs, errors; the run still reaches the server', async () => {
  await scenario([stuckRow(), stuckRow()]);
  const password = 'url-pass-9f3e';
  await withSim(async (url) => {
    const withUser = url.replace('http://', `http://operator:${password}@`);
    const { result, logDir, runsDir } = await runInProcess({ db: true, delay: '0', server: withUser, authServer: withUser }, baseEnv());
    assert.equal(result.exitCode, 0, 'the tool never sends the URL\'s user and password, so the run is the same');
    const runJson = readFileSync(join(runsDir, result.runId, 'run.json'), 'utf8');
    const logs = readdirSync(logDir).filter((f) => f.endsWith('.log')).map((f) => readFileSync(join(logDir, f), 'utf8')).join('\n');
    assert.ok(logs.includes('operator:(hidden)@'), 'the log names the server, without its password');
    for (const [where, text] of [['run.json', runJson], ['logs', logs]] as const) assert.ok(!text.includes(password), `${where} holds the URL's password`);
    assert.equal(JSON.parse(runJson).flags.server, url.replace('http://', 'http://operator:(hidden)@'));
  });
  // An error that names the server: the password is hidden there too.
  const refused = await runInProcess({ db: true, delay: '0', server: `http://operator:${password}@127.0.0.1:9` }, baseEnv()).catch((err: Error) => err);
  assert.ok(refused instanceof Error);
  assert.match(refused.message, /operator:\(hidden\)@127\.0\.0\.1:9/);
  assert.ok(!refused.message.includes(password));
  // A bad URL value is shown in the error without its password.
  const bad = await runInProcess({ db: true, server: `ftp://operator:${password}@host` }, baseEnv()).catch((err: Error) => err);
  assert.ok(bad instanceof Error && !bad.message.includes(password) && /ftp:\/\/operator:\(hidden\)@host/.test(bad.message), String(bad));
});
