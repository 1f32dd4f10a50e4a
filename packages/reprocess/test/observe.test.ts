// A run's metrics and JSON log against the simulator and the test PostgreSQL, in this process: /metrics scraped
// while the run waits on its canary (so what it shows is exact), the final push to a Pushgateway stand-in equal to
// the summary and the journal, and every line of the log file a JSON log line. Network: 127.0.0.1 only.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPipeline } from '@mosip-reprocess/simulator/sim/pipeline.js';
import { startSimulator } from '@mosip-reprocess/simulator/sim/server.js';
import { insertRegistrations } from '@mosip-reprocess/simulator/sql/registrationRows.js';
import { freshSchema, TEST_DB_URL, type TestSchema } from '@mosip-reprocess/testkit/db.js';
import { runInProcess } from '@mosip-reprocess/testkit/inProcess.js';
import { parsePrometheusText, sampleValue, startPushgatewayStandIn, type Sample } from '@mosip-reprocess/testkit/prometheus.js';
import { stuckRow } from '@mosip-reprocess/testkit/rows.js';
import { OUTCOMES } from '@mosip-reprocess/contract/wire.js';
import { readJournal } from 'mosip-reprocess/journal/replay.js';
import { runCommand, type Io } from 'mosip-reprocess/cli/runCommand.js';
import { resolveTriageRequest } from 'mosip-reprocess/triage/request.js';
import { triageReprocess } from 'mosip-reprocess/triage/triage.js';

const SECRET = 'observe-secret';
let db: TestSchema;
before(async () => { db = await freshSchema('observe'); });
after(async () => { await db.drop(); });
const env = () => ({ REGPROC_CLIENT_PWD: SECRET, REPROCESS_DB_URL: TEST_DB_URL, DB_SCHEMA: db.schema });

test('a run with --metrics-port, --pushgateway and --log-format json: /metrics while the canary is watched, the final push equal to the summary and the journal, every log line JSON', async () => {
  const rows = Array.from({ length: 6 }, () => stuckRow());
  const paused = [stuckRow({ statusCode: 'PAUSED' }), stuckRow({ statusCode: 'PAUSED' })];
  await insertRegistrations(db.pool, db.schema, [...rows, ...paused]);
  const pipeline = startPipeline({ pool: db.pool, schema: db.schema, stageLatencyMs: 10, capacityPerSecond: Infinity, seed: 1 });
  // The canary's row moves on only once the test has scraped: until then its forward waits here.
  const waiting: Parameters<typeof pipeline.onForward>[0][] = [];
  let gate = true;
  const release = () => { gate = false; for (const m of waiting.splice(0)) pipeline.onForward(m); };
  const sim = await startSimulator({ db: db.pool, schema: db.schema, clients: [{ secret: SECRET }], onForward: (m) => (gate ? void waiting.push(m) : pipeline.onForward(m)) });
  const gateway = await startPushgatewayStandIn();
  let url: string | null = null;
  let scraped: Promise<Sample[]> | null = null;
  let total: number | null = null;
  try {
    const { result, logDir } = await runInProcess({
      db: true, canary: true, canaryTimeout: '30s', delay: '0', concurrency: '2', server: sim.url,
      metricsPort: '0', pushgateway: gateway.url, logFormat: 'json', reason: 'observe: night of the test', progressInterval: '0s',
    }, env(), {
      onEvent(e) {
        if (e.type === 'total') total = e.packets;
        if (e.type === 'note' && e.message.startsWith('metrics: ')) url = e.message.slice('metrics: '.length);
        if (e.type === 'note' && e.message.startsWith('canary: watching')) {
          scraped = fetch(url!).then((r) => r.text()).then(parsePrometheusText).finally(release);
        }
      },
    });
    const summary = result.summary;
    assert.equal(result.exitCode, 0);
    assert.equal(summary.sent, 6);
    assert.equal(summary.heldBack, 2);

    // While the canary was watched: exactly the canary answered, nothing in flight.
    assert.ok(scraped, 'the canary was watched');
    const during = await scraped!;
    assert.match(url!, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    assert.equal(sampleValue(during, 'reprocess_notifications_total', { outcome: 'forwarded' }), 1);
    assert.equal(OUTCOMES.reduce((n, o) => n + sampleValue(during, 'reprocess_notifications_total', { outcome: o })!, 0), 1);
    assert.equal(sampleValue(during, 'reprocess_in_flight'), 0);
    assert.equal(sampleValue(during, 'reprocess_breaker_open'), 0);
    assert.equal(sampleValue(during, 'reprocess_run_info', { run_id: result.runId, reason: 'observe: night of the test' }), 1);
    // The server ends with the run.
    await assert.rejects(fetch(url!));

    // The final push: the summary's and the journal's figures.
    const pushes = gateway.received.filter((r) => r.method === 'PUT' && r.path === `/metrics/job/reprocess/run_id/${result.runId}`);
    assert.equal(pushes.length, gateway.received.length, 'every push to the run\'s group');
    assert.equal(pushes.length, 1, '--progress-interval 0: only the final push');
    const final = parsePrometheusText(pushes[0]!.body);
    const journal = readJournal(result.journalPath);
    const results = journal.filter((r) => r.t === 'result') as { outcome: string; http: number | null; latencyMs: number; at: string }[];
    for (const outcome of OUTCOMES) {
      assert.equal(sampleValue(final, 'reprocess_notifications_total', { outcome }), summary.counts[outcome], outcome);
      assert.equal(summary.counts[outcome], results.filter((r) => r.outcome === outcome).length, outcome);
    }
    // The run's own count, read once the canary was out (it had left the selection by then), as the progress bar's.
    assert.equal(sampleValue(final, 'reprocess_packets_selected'), total);
    assert.equal(sampleValue(final, 'reprocess_packets_remaining'), 0);
    assert.equal(sampleValue(final, 'reprocess_in_flight'), 0);
    assert.equal(sampleValue(final, 'reprocess_held_back', { reason: 'paused' }), summary.heldBack);
    assert.equal(sampleValue(final, 'reprocess_exit_code'), summary.exitCode);
    assert.equal(sampleValue(final, 'reprocess_send_rate'), Infinity, '--delay 0: unpaced');
    const replied = results.filter((r) => r.http !== null);
    assert.equal(sampleValue(final, 'reprocess_reply_seconds_count'), replied.length);
    assert.equal(Number(sampleValue(final, 'reprocess_reply_seconds_sum')!.toFixed(6)), Number((replied.reduce((n, r) => n + r.latencyMs, 0) / 1000).toFixed(6)));
    const lastForwarded = Math.max(...results.filter((r) => r.outcome === 'forwarded').map((r) => Date.parse(r.at)));
    assert.equal(sampleValue(final, 'reprocess_last_success_timestamp_seconds'), lastForwarded / 1000);
    assert.ok(sampleValue(final, 'process_resident_memory_bytes')! > 0);
    for (const r of gateway.received) assert.ok(!r.body.includes(SECRET) && !r.body.includes(TEST_DB_URL));

    // The log file: every line a JSON log line with the run's id; the packets, the held-back warning, the canary
    // verdict and the summary are there.
    const lines = readFileSync(join(logDir, 'last.log'), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const l of lines) {
      assert.ok(typeof l.time === 'string' && !Number.isNaN(Date.parse(l.time)), JSON.stringify(l));
      assert.ok(['info', 'warn', 'error'].includes(String(l.level)) && typeof l.msg === 'string', JSON.stringify(l));
      assert.equal(l.run_id, result.runId, JSON.stringify(l));
    }
    const packets = lines.filter((l) => 'rid' in l);
    assert.equal(packets.length, 6);
    for (const p of packets) {
      assert.deepEqual([typeof p.workflow_id, p.outcome, p.http_status, typeof p.ms], ['string', 'forwarded', 200, 'number'], JSON.stringify(p));
    }
    const messages = lines.map((l) => String(l.msg));
    assert.ok(messages.some((m) => /^2 packet\(s\) the guide's query selects are left out because MOSIP would not move them now/.test(m)), 'the held-back warning');
    assert.ok(messages.some((m) => /^canary passed/.test(m)), 'the canary verdict');
    assert.ok(messages.some((m) => /^summary: 6 sent \(forwarded 6\); exit code 0$/.test(m)), 'the summary');
  } finally {
    release();
    await gateway.close();
    await sim.close();
    await pipeline.stop();
  }
});

test('the CLI: with --json stdout keeps its result objects and every stderr line is a JSON log line (the command that continues a stopped run included); with --log-format json stdout\'s lines are log lines too', async () => {
  const row = stuckRow();
  await insertRegistrations(db.pool, db.schema, [row, stuckRow()]);
  const sim = await startSimulator({ db: db.pool, schema: db.schema, clients: [{ secret: SECRET }] });
  try {
    let stdout = '';
    let stderr = '';
    const io: Io = { out: (l) => { stdout += l + '\n'; }, err: (l) => { stderr += l + '\n'; }, env: env(), stderrIsTTY: false };
    const dir = mkdtempSync(join(tmpdir(), 'reprocess-observe-cli-'));
    // --max-packets 1 stops the run with one packet left: a stopped run, told how to continue.
    const code = await runCommand({ db: true, maxPackets: '1', delay: '0', json: true, server: sim.url, logDir: dir, runsDir: join(dir, 'runs') }, io);
    assert.equal(code, 0, stderr);
    const out = stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(out.map((o) => o.type), ['packet', 'summary']);
    const err = stderr.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const runId = out[1]!.runId as string;
    for (const e of err) assert.ok(typeof e.time === 'string' && typeof e.level === 'string' && typeof e.msg === 'string' && 'run_id' in e, JSON.stringify(e));
    assert.ok(err.some((e) => e.run_id === runId && /^run \S+ started: /.test(String(e.msg))));
    assert.ok(err.some((e) => e.level === 'warn' && /^stopped: /.test(String(e.msg))));
    assert.ok(err.some((e) => e.run_id === runId && new RegExp(`^to continue this run: .*--resume ${runId}`).test(String(e.msg))));
    // The log file has the same lines in text (its default), the command that continues the run included.
    const log = readFileSync(join(dir, 'last.log'), 'utf8');
    assert.match(log, new RegExp(`^to continue this run: .*--resume ${runId}`, 'm'));
    assert.match(log, /^stopped: /m);

    // --log-format json alone: stdout's packet lines and the summary are log lines too, and so is every stderr line.
    stdout = '';
    stderr = '';
    const second = await runCommand({ db: true, delay: '0', logFormat: 'json', server: sim.url, logDir: dir, runsDir: join(dir, 'runs') }, io);
    assert.equal(second, 0, stderr);
    const lines = [...stdout.trimEnd().split('\n'), ...stderr.trimEnd().split('\n')].map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const l of lines) assert.ok(typeof l.time === 'string' && typeof l.level === 'string' && typeof l.msg === 'string' && 'run_id' in l, JSON.stringify(l));
    const packet = lines.find((l) => 'rid' in l)!;
    assert.deepEqual([packet.outcome, packet.http_status, typeof packet.ms, typeof packet.workflow_id], ['forwarded', 200, 'number', 'string']);
    assert.ok(lines.some((l) => l.exit_code === 0 && /^summary: 1 sent/.test(String(l.msg))));
  } finally {
    await sim.close();
  }
});

test('triage with --pushgateway: the selection it scanned and the held-back counts, under a triage id', async () => {
  await db.pool.query(`TRUNCATE "${db.schema}".registration, "${db.schema}".registration_list, "${db.schema}".registration_transaction`);
  await insertRegistrations(db.pool, db.schema, [stuckRow(), stuckRow(), stuckRow(), stuckRow({ statusCode: 'PAUSED' })]);
  const gateway = await startPushgatewayStandIn();
  try {
    const notes: string[] = [];
    const report = await triageReprocess(resolveTriageRequest({ db: true, pushgateway: gateway.url, metricsPort: '0' }, env()), { tell: (n) => { if (n.type === 'note') notes.push(n.message); } });
    assert.ok(notes.some((n) => /^metrics: http:\/\/127\.0\.0\.1:\d+\/metrics$/.test(n)));
    assert.equal(gateway.received.length, 1, 'the final push');
    const [push] = gateway.received;
    assert.match(push!.path, /^\/metrics\/job\/reprocess\/run_id\/triage-\d{8}-\d{6}-[0-9a-f]{4}$/);
    const pushed = parsePrometheusText(push!.body);
    assert.equal(sampleValue(pushed, 'reprocess_packets_selected'), report.selected);
    assert.equal(report.selected, 4);
    assert.equal(sampleValue(pushed, 'reprocess_held_back', { reason: 'paused' }), report.heldBack.paused);
    assert.equal(report.heldBack.paused, 1);
  } finally {
    await gateway.close();
  }
});
