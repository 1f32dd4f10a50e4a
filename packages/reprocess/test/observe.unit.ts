// The metrics (fed by a run's events, served on /metrics, pushed to a Pushgateway) and the log lines (text and
// JSON), in this process, with no database: the events are those a run emits. Network: 127.0.0.1 only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePrometheusText, sampleValue, startPushgatewayStandIn, type Sample } from '@mosip-reprocess/testkit/prometheus.js';
import { RunMetrics, METRICS } from 'mosip-reprocess/report/metrics/runMetrics.js';
import { serveMetrics } from 'mosip-reprocess/report/metrics/server.js';
import { startObservation } from 'mosip-reprocess/report/metrics/observe.js';
import { MetricsPusher } from 'mosip-reprocess/report/metrics/push.js';
import { eventLines, renderLine } from 'mosip-reprocess/report/logLines.js';
import { RunLog } from 'mosip-reprocess/report/logFiles.js';
import { InputError } from 'mosip-reprocess';
import type { PacketResult, RunEvent, RunSummary } from 'mosip-reprocess';
import type { NotifyOutcome } from '@mosip-reprocess/contract/wire.js';

const RUN_ID = '20261130-010000-ab12';

function packet(i: number) {
  return { rid: `1000100010001000${String(i).padStart(8, '0')}`, process: 'NEW', workflowInstanceId: `wf-${i}`, iteration: 1, source: 'REGISTRATION_CLIENT', origin: 'db' };
}

function result(i: number, outcome: NotifyOutcome, httpStatus: number | null, latencyMs: number): PacketResult {
  return { packet: packet(i), outcome, httpStatus, reply: outcome === 'forwarded' ? 'Packet notified successfully' : 'null', latencyMs, attempts: 1, startedAt: '2026-11-30T01:00:00.000Z' };
}

function summary(over: Partial<RunSummary> = {}): RunSummary {
  return {
    startedAt: '2026-11-30T01:00:00.000Z', finishedAt: '2026-11-30T01:00:10.000Z', durationMs: 10_000, sent: 3,
    counts: { forwarded: 2, not_uploaded: 0, not_found: 0, stage_error: 0, unauthorized: 0, forbidden: 0, server_error: 0, network_error: 0, in_doubt: 1 },
    duplicatesSkipped: 0, rowsSkipped: 0, alreadyDone: 0, batches: 0, stop: null, exitCode: 1,
    resilience: { retries: 0, settledFromDb: 0, breakerTrips: 0, reauthentications: 0 }, peakRssMb: 100, reason: 'night of 30 Nov', ...over,
  };
}

/** A short run as events: 5 selected, 3 answered (2 forwarded, 1 in doubt), 1 withdrawn, the breaker opens and closes. */
function runEvents(): RunEvent[] {
  return [
    { type: 'started', runId: RUN_ID, resumed: false, source: 'db (APPROACH 1)', journalPath: '/tmp/j', runsDir: '/tmp' },
    { type: 'held_back', counts: { paused: 4, uploader_budget: 1 } },
    { type: 'total', packets: 5 },
    { type: 'sending', packet: packet(1) },
    { type: 'sending', packet: packet(2) },
    { type: 'packet', result: result(1, 'forwarded', 200, 120), at: '2026-11-30T01:00:01.500Z' },
    { type: 'breaker', state: 'open', message: 'circuit breaker open: 5 of the last 5 sends failed; pausing 15 s before a probe' },
    { type: 'sending', packet: packet(3) },
    { type: 'packet', result: result(2, 'in_doubt', null, 30_000), at: '2026-11-30T01:00:31.000Z' },
    { type: 'breaker', state: 'closed', message: 'circuit breaker: the probe went through; resuming' },
    { type: 'packet', result: result(3, 'forwarded', 200, 2_600), at: '2026-11-30T01:00:33.250Z' },
    { type: 'sending', packet: packet(4) },
    { type: 'withdrawn', packet: packet(4) },
  ];
}

const value = (samples: Sample[], name: string, labels: Record<string, string> = {}) => sampleValue(samples, name, labels);

test('metrics: the figures follow the events (counts by outcome, in flight, selected and remaining, held back, breaker, reply times, last success, run info)', async () => {
  const m = new RunMetrics({ reason: 'night of 30 Nov', fixedRate: 2, processMetrics: false });
  let samples = parsePrometheusText(await m.text());
  // Before anything: every outcome at 0 (an alert on in_doubt needs the series), no timestamp, no exit code.
  assert.equal(value(samples, 'reprocess_notifications_total', { outcome: 'in_doubt' }), 0);
  assert.equal(value(samples, 'reprocess_held_back', { reason: 'paused' }), 0);
  assert.equal(value(samples, 'reprocess_last_success_timestamp_seconds'), undefined);
  assert.equal(value(samples, 'reprocess_exit_code'), undefined);
  assert.equal(value(samples, 'reprocess_send_rate'), 2);

  const events = runEvents();
  const inFlightAfter: number[] = [];
  for (const e of events) {
    m.observe(e);
    inFlightAfter.push(value(parsePrometheusText(await m.text()), 'reprocess_in_flight')!);
  }
  assert.deepEqual(inFlightAfter, [0, 0, 0, 1, 2, 1, 1, 2, 1, 1, 0, 1, 0]);
  samples = parsePrometheusText(await m.text());
  assert.equal(value(samples, 'reprocess_notifications_total', { outcome: 'forwarded' }), 2);
  assert.equal(value(samples, 'reprocess_notifications_total', { outcome: 'in_doubt' }), 1);
  assert.equal(value(samples, 'reprocess_notifications_total', { outcome: 'not_found' }), 0);
  assert.equal(value(samples, 'reprocess_packets_selected'), 5);
  assert.equal(value(samples, 'reprocess_packets_remaining'), 2);
  assert.equal(value(samples, 'reprocess_held_back', { reason: 'paused' }), 4);
  assert.equal(value(samples, 'reprocess_held_back', { reason: 'uploader_budget' }), 1);
  assert.equal(value(samples, 'reprocess_breaker_open'), 0);
  assert.equal(value(samples, 'reprocess_run_info', { run_id: RUN_ID, source: 'db (APPROACH 1)', reason: 'night of 30 Nov' }), 1);
  assert.equal(value(samples, 'reprocess_last_success_timestamp_seconds'), Date.parse('2026-11-30T01:00:33.250Z') / 1000);
  // Replies: two with an HTTP reply (0.12 s and 2.6 s); the lost one (in doubt) is not a reply time.
  assert.equal(value(samples, 'reprocess_reply_seconds_count'), 2);
  assert.equal(value(samples, 'reprocess_reply_seconds_sum'), 2.72);
  assert.equal(value(samples, 'reprocess_reply_seconds_bucket', { le: '0.25' }), 1);
  assert.equal(value(samples, 'reprocess_reply_seconds_bucket', { le: '5' }), 2);

  // The breaker's gauge while it is open (and probing): 1.
  const b = new RunMetrics({ reason: null, fixedRate: null, processMetrics: false });
  b.observe({ type: 'breaker', state: 'open', message: 'x' });
  assert.equal(value(parsePrometheusText(await b.text()), 'reprocess_breaker_open'), 1);
  b.observe({ type: 'breaker', state: 'half_open', message: 'x' });
  assert.equal(value(parsePrometheusText(await b.text()), 'reprocess_breaker_open'), 1);

  // The end: nothing in flight; a stopped run keeps its remaining count, and the exit code appears.
  m.observe({ type: 'finished', runId: RUN_ID, summary: summary({ stop: { kind: 'interrupted', message: 'stopped by Ctrl-C (SIGINT)', signal: 'SIGINT' }, exitCode: 130 }), resumeCommand: 'reprocess --resume x' });
  samples = parsePrometheusText(await m.text());
  assert.equal(value(samples, 'reprocess_in_flight'), 0);
  assert.equal(value(samples, 'reprocess_packets_remaining'), 2);
  assert.equal(value(samples, 'reprocess_exit_code'), 130);
});

test('metrics: --pace auto figures from the pace events; dropped is a counter of the drops found; a finished run leaves nothing remaining', async () => {
  const m = new RunMetrics({ reason: null, fixedRate: null, processMetrics: false });
  const status = (rate: number, dropped: number, maxWaitMs: number) => ({ rate, phase: 'steady' as const, inside: 7, unseen: 2, maxWaitMs, exited: 3, dropped, held: 1 });
  m.observe({ type: 'total', packets: 2 });
  m.observe({ type: 'pace', status: status(4.5, 0, 2500), reason: 'r' });
  m.observe({ type: 'pace', status: status(3, 2, 4000), reason: 'r' });
  m.observe({ type: 'pace', status: status(3, 2, 1000), reason: 'r' });
  m.observe({ type: 'pace', status: status(2, 3, 500), reason: 'r' });
  m.observe({ type: 'packet', result: result(1, 'forwarded', 200, 10) });
  m.observe({ type: 'finished', runId: RUN_ID, summary: summary({ sent: 1 }), resumeCommand: null });
  const samples = parsePrometheusText(await m.text());
  assert.equal(value(samples, 'reprocess_dropped_total'), 3);
  assert.equal(value(samples, 'reprocess_send_rate'), 2);
  assert.equal(value(samples, 'reprocess_pipeline_wait_seconds'), 0.5);
  assert.equal(value(samples, 'reprocess_pipeline_packets', { state: 'inside' }), 7);
  assert.equal(value(samples, 'reprocess_pipeline_packets', { state: 'held' }), 1);
  assert.equal(value(samples, 'reprocess_packets_remaining'), 0, 'a run that reached its end has nothing of its selection left');
  // Unpaced (--delay 0): the rate is +Inf, as Prometheus writes it.
  const unpaced = new RunMetrics({ reason: null, fixedRate: Infinity, processMetrics: false });
  assert.match(await unpaced.text(), /^reprocess_send_rate \+Inf$/m);
  // Every name the module exports is in METRICS (the README's table, the alerts and the dashboard use those).
  const known = new Set<string>(Object.values(METRICS).map((x) => x.name));
  for (const s of samples) assert.ok(known.has(s.name.replace(/_(bucket|sum|count)$/, '')) || known.has(s.name), s.name);
});

test('metrics server: GET /metrics on 127.0.0.1 by default, 404 elsewhere; a port in use is a setting error (exit 2) before anything is sent', async () => {
  const observation = await startObservation({ metricsPort: 0, metricsHost: '127.0.0.1', pushgateway: undefined, progressInterval: 30, reason: undefined }, { fixedRate: 1, onWarning: () => undefined });
  assert.ok(observation);
  try {
    assert.match(observation.url!, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    observation.observe({ type: 'started', runId: RUN_ID, resumed: false, source: '--registration', journalPath: '/j', runsDir: '/r' });
    const res = await fetch(observation.url!);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const samples = parsePrometheusText(await res.text());
    assert.equal(value(samples, 'reprocess_run_info', { run_id: RUN_ID, source: '--registration', reason: '' }), 1);
    assert.ok(value(samples, 'process_resident_memory_bytes')! > 0, 'the process metrics are there');
    assert.equal((await fetch(observation.url!.replace('/metrics', '/'))).status, 404);

    const port = Number(new URL(observation.url!).port);
    await assert.rejects(serveMetrics(observation.metrics, '127.0.0.1', port), (err: unknown) => err instanceof InputError && /--metrics-port \d+: cannot listen there \(EADDRINUSE/.test(err.message));
  } finally {
    await observation.close();
  }
  // Closed with the run: the port is free again.
  const probe = createServer();
  await new Promise<void>((resolve, reject) => { probe.once('error', reject); probe.listen(Number(new URL(observation.url!).port), '127.0.0.1', resolve); });
  probe.close();
  // Neither --metrics-port nor --pushgateway: nothing at all.
  assert.equal(await startObservation({ metricsPort: undefined, metricsHost: '127.0.0.1', pushgateway: undefined, progressInterval: 30, reason: undefined }, { fixedRate: 1, onWarning: () => undefined }), null);
});

test('pushgateway: PUT <url>/metrics/job/reprocess/run_id/<id> at each interval and once at the end with the final figures; a Pushgateway that is down is one warning, never a failure, and its password is never shown', async () => {
  const gateway = await startPushgatewayStandIn();
  const warnings: string[] = [];
  try {
    const observation = (await startObservation(
      { metricsPort: undefined, metricsHost: '127.0.0.1', pushgateway: `${gateway.url}/base`, progressInterval: 0.02, reason: undefined },
      { fixedRate: 1, onWarning: (w) => warnings.push(w) },
    ))!;
    assert.equal(observation.url, null, 'no server without --metrics-port');
    // No push before the run has its id (the grouping key).
    observation.observe({ type: 'total', packets: 2 });
    observation.observe({ type: 'started', runId: RUN_ID, resumed: false, source: 'db (APPROACH 1)', journalPath: '/j', runsDir: '/r' });
    await gateway.waitFor(1); // an interval's push
    observation.observe({ type: 'packet', result: result(1, 'forwarded', 200, 50), at: '2026-11-30T01:00:01.000Z' });
    observation.observe({ type: 'packet', result: result(2, 'not_found', 200, 50), at: '2026-11-30T01:00:02.000Z' });
    observation.observe({ type: 'finished', runId: RUN_ID, summary: summary(), resumeCommand: null });
    await observation.close();
    const count = gateway.received.length;
    for (const r of gateway.received) {
      assert.equal(r.method, 'PUT');
      assert.equal(r.path, `/base/metrics/job/reprocess/run_id/${RUN_ID}`);
    }
    const last = parsePrometheusText(gateway.received.at(-1)!.body);
    assert.equal(value(last, 'reprocess_notifications_total', { outcome: 'forwarded' }), 1);
    assert.equal(value(last, 'reprocess_notifications_total', { outcome: 'not_found' }), 1);
    assert.equal(value(last, 'reprocess_exit_code'), 1);
    assert.equal(value(last, 'reprocess_packets_remaining'), 0);
    assert.deepEqual(warnings, []);
    // Nothing is pushed after the end.
    await new Promise((r) => setImmediate(r));
    assert.equal(gateway.received.length, count);
  } finally {
    await gateway.close();
  }

  // Down (a closed port): the final push fails with a warning that names the Pushgateway without its password.
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const m = new RunMetrics({ reason: null, fixedRate: 1, processMetrics: false });
  m.observe({ type: 'started', runId: RUN_ID, resumed: false, source: 'x', journalPath: '/j', runsDir: '/r' });
  const down: string[] = [];
  const pusher = new MetricsPusher(m, `http://ops:gateway-pass-93@127.0.0.1:${port}`, { intervalMs: 0, onWarning: (w) => down.push(w) });
  await pusher.finish();
  assert.equal(down.length, 1);
  assert.match(down[0]!, /could not push the metrics to the Pushgateway http:\/\/ops:\(hidden\)@127\.0\.0\.1:\d+ \(.*ECONNREFUSED/);
  assert.ok(!down[0]!.includes('gateway-pass-93'));
});

test('log lines: every event that reaches the terminal has a line; in JSON each is one object with time, level, msg and run_id, and a packet\'s has rid, workflow_id, outcome, http_status and ms', () => {
  const events: RunEvent[] = [
    ...runEvents(),
    { type: 'note', message: 'canary FAILED: its row did not move\n  likely cause: the stage is not running' },
    { type: 'warning', message: 'could not reach https://user:db-secret-1@db.example/x' },
    { type: 'finished', runId: RUN_ID, summary: summary({ stop: { kind: 'max_duration', message: '--max-duration reached' } }), resumeCommand: `reprocess --resume ${RUN_ID} --runs-dir /r` },
  ];
  const lines = events.flatMap((e) => eventLines(e, RUN_ID));
  const json = lines.map((l) => renderLine(l, 'json'));
  for (const text of json) {
    assert.ok(!text.includes('\n'), 'one line each');
    const o = JSON.parse(text) as Record<string, unknown>;
    assert.ok(!Number.isNaN(Date.parse(String(o.time))) && String(o.time).endsWith('Z'), `time: ${text}`);
    assert.ok(['info', 'warn', 'error'].includes(String(o.level)), `level: ${text}`);
    assert.equal(typeof o.msg, 'string');
    assert.equal(o.run_id, RUN_ID);
  }
  const packets = json.map((t) => JSON.parse(t) as Record<string, unknown>).filter((o) => 'rid' in o);
  assert.equal(packets.length, 3);
  assert.deepEqual(
    { ...packets[1], time: undefined },
    { time: undefined, level: 'warn', msg: `${packet(2).rid} in_doubt (no reply)`, run_id: RUN_ID, rid: packet(2).rid, workflow_id: 'wf-2', process: 'NEW', outcome: 'in_doubt', http_status: null, ms: 30_000, attempts: 1, started_at: '2026-11-30T01:00:00.000Z', reply: 'null' },
  );
  assert.equal((packets[0] as { time: string }).time, '2026-11-30T01:00:01.500Z', 'a packet\'s time is its journal record\'s');
  const all = json.join('\n');
  // What the terminal shows is there: the breaker, the canary verdict, the stop and the command that continues.
  assert.match(all, /"level":"warn","msg":"circuit breaker open/);
  assert.match(all, /canary FAILED/);
  assert.match(all, /"msg":"stopped: --max-duration reached"/);
  assert.match(all, new RegExp(`"msg":"to continue this run: reprocess --resume ${RUN_ID} --runs-dir /r \\(with the same environment\\)"`));
  assert.match(all, /"msg":"summary: 3 sent \(forwarded 2, in_doubt 1\); stopped: --max-duration reached; exit code 1"/);
  assert.ok(!all.includes('db-secret-1') && all.includes('user:(hidden)@'));
  // The text form is what the terminal has always printed.
  const text = lines.map((l) => renderLine(l, 'text'));
  assert.ok(text.includes('warning: circuit breaker open: 5 of the last 5 sends failed; pausing 15 s before a probe'));
  assert.ok(text.includes('stopped: --max-duration reached'));
  assert.ok(text.some((t) => t.startsWith('\nSummary\n  packets sent        3')));
  assert.deepEqual(lines.filter((l) => l.stream === 'out').length, 4, 'packets and the summary go to stdout');
});

test('log file: --log-format json writes every line as JSON, plain messages included', () => {
  const dir = mkdtempSync(join(tmpdir(), 'reprocess-logjson-'));
  const log = new RunLog(dir, 'json');
  log.write('before the run has an id');
  log.runId = RUN_ID;
  for (const l of eventLines({ type: 'packet', result: result(7, 'forwarded', 200, 80) }, RUN_ID)) log.line(l);
  log.write('pace: auto 2.0/s');
  log.close();
  const records = readFileSync(join(dir, 'last.log'), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(records.map((r) => [r.level, r.run_id, r.msg]), [
    ['info', null, 'before the run has an id'],
    ['info', RUN_ID, `${packet(7).rid} forwarded (HTTP 200)`],
    ['info', RUN_ID, 'pace: auto 2.0/s'],
  ]);
  assert.equal(readFileSync(join(dir, 'out.log'), 'utf8'), readFileSync(join(dir, 'last.log'), 'utf8'));
});
