// `reprocess demo` (src/demo): it runs the real run path end to end on its own embedded database, the packets really
// move, every row is accounted for, the secret never shows, and it leaves nothing running. Also `sim --pipeline`
// and the embedded server's handling of concurrent connections, which the demo depends on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { runCommand } from 'mosip-reprocess/cli/runCommand.js';
import { runDemo, type DemoResult } from '../src/demo/demo.js';
import { startEmbeddedPostgres } from '../src/embedded/pglite.js';
import { InputError } from 'mosip-reprocess/errors.js';
import { runSimulatorCommand } from '../src/sim/cli.js';
import { insertRegistrations } from '../src/sql/registrationRows.js';
import { freshSchema } from '@mosip-reprocess/testkit/db.js';
import { stuckRow } from '@mosip-reprocess/testkit/rows.js';

const SECRET = 'Demo-Secret-never-printed-4711';

/** Whether something accepts TCP connections on 127.0.0.1:port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
const networkHandles = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap' || r === 'TCPSocketWrap').length;

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath ?? e.path, e.name));
}

test('the demo re-drives every eligible packet through dry run, canary and batches, and accounts for every row', async () => {
  const parent = mkdtempSync(join(tmpdir(), 'reprocess-demo-'));
  const lines: string[] = [];
  const handlesBefore = networkHandles();
  let result: DemoResult;
  try {
    result = await runDemo({
      packets: 300, delay: 0, batchSize: 60, pipelineLatency: 1, pipelineCapacity: 0, failureRate: 0.02, failureMode: 'mixed',
      seed: 1, drainTimeout: 20, dir: parent, secret: SECRET,
    }, { out: (l) => lines.push(l), err: (l) => lines.push(l) });
    const output = lines.join('\n');

    assert.equal(result.exitCode, 0, output);
    assert.equal(result.dryRunExitCode, 0);
    assert.match(output, /DRY RUN: nothing is sent/);
    assert.match(output, /delay scaled from 1 s to 0 ms for the demo/);

    // The canary: one packet, forwarded, watched until it moved past securezone.
    assert.ok(result.canary?.passed, 'the canary passed');
    assert.equal(result.canary.summary?.sent, 1);
    assert.equal(result.canary.summary?.counts.forwarded, 1);
    assert.match(output, /canary passed/);

    // The batches: together with the canary, exactly the packets the dry run counted, each once.
    const batches = result.batches?.summary;
    assert.ok(batches, 'the batch run wrote its summary');
    assert.equal(batches.stop, null);
    assert.ok(result.eligibleBefore > 2 * 60, `enough eligible packets for several batches (${result.eligibleBefore})`);
    assert.ok(batches.batches >= 3, `several batches (${batches.batches})`);
    assert.equal(result.canary.summary!.sent + batches.sent, result.eligibleBefore, 'sent = what the dry run selected');
    const forwarded = result.canary.summary!.counts.forwarded + batches.counts.forwarded;
    assert.equal(result.simulator.forwardedTotal, forwarded, 'the stage forwarded what the runs saw forwarded');
    assert.equal(sum(result.simulator.notificationsByWorkflowId), result.eligibleBefore);
    assert.ok(Object.values(result.simulator.notificationsByWorkflowId).every((n) => n === 1), 'each packet notified once');
    // Not forwarded: the backlog's duplicate resends (refused) and inactive rows (not found); nothing else.
    assert.equal(batches.counts.not_uploaded + batches.counts.not_found, batches.sent - batches.counts.forwarded);
    // Nothing eligible left but the inactive rows, which the stage cannot find and so cannot change.
    assert.equal(result.eligibleAfter, batches.counts.not_found);

    // The pipeline moved every forwarded packet to an end.
    assert.ok(result.drained);
    const p = result.pipeline;
    assert.equal(p.accepted, forwarded);
    assert.equal(p.backlog + p.inFlight, 0);
    assert.equal(p.superseded + p.dbErrors, 0, `no superseded or failed writes (last error: ${p.lastError})`);
    assert.equal(p.completed + p.failed + p.reprocess, forwarded);
    assert.ok(p.completed > forwarded / 2, 'most ended PROCESSED');

    // Before/after: the database agrees with the pipeline, and every row is counted once in each table.
    const { before, after } = result;
    assert.equal(before.total, 300);
    assert.equal(after.total, 300);
    for (const s of [before, after]) {
      assert.equal(sum(s.byStatus), s.total);
      assert.equal(sum(s.byType), s.total);
    }
    assert.equal((after.byStatus.PROCESSED ?? 0) - (before.byStatus.PROCESSED ?? 0), p.completed, 'PROCESSED went up by what completed');
    assert.equal((after.byStatus.FAILED ?? 0) - (before.byStatus.FAILED ?? 0), p.failed);
    // PRINT_SERVICE is where completed packets end (and where the ones failing at the last stage stop).
    assert.ok((after.byType.PRINT_SERVICE ?? 0) - (before.byType.PRINT_SERVICE ?? 0) >= p.completed);
    assert.match(output, /status_code\s+before\s+after\s+change/);
    assert.match(output, new RegExp(`ended PROCESSED\\s+${p.completed}\\b`));

    // Nothing left running: the simulator and the database no longer accept connections, no socket is left open.
    assert.equal(await listening(result.simulatorPort), false, 'the simulator port is closed');
    assert.equal(await listening(Number(new URL(result.databaseUrl).port)), false, 'the embedded database port is closed');
    await new Promise((r) => setTimeout(r, 200)); // closing sockets finish their shutdown
    assert.equal(networkHandles(), handlesBefore, 'no server or socket left open');

    // Where things went: journals and logs kept, the database removed (no --keep), and the secret nowhere.
    assert.equal(result.dataDir, null);
    assert.equal(existsSync(join(result.dir, 'pgdata')), false);
    assert.equal(readdirSync(result.runsDir).length, 2, 'two runs: the canary and the batches');
    assert.ok(existsSync(join(result.logDir, 'out.log')));
    assert.match(output, new RegExp(`journal of each run\\s+.*runs`));
    // The morning-after report of the batch run, its CSV and the dry run's HTML: written, and their paths printed.
    for (const f of ['dry-run.html', 'report.html', 'packets.csv']) {
      assert.ok(existsSync(join(result.dir, f)), f);
      assert.match(output, new RegExp(`${f.replace('.', '\\.')}\\s+\\S*${f.replace('.', '\\.')}`));
    }
    assert.equal(readFileSync(join(result.dir, 'packets.csv'), 'utf8').trim().split('\n').length, 1 + batches.sent, 'one CSV line per packet of the batch run');
    for (const file of filesUnder(result.dir)) assert.ok(!readFileSync(file, 'utf8').includes(SECRET), `secret in ${file}`);
    assert.ok(!output.includes(SECRET), 'secret printed');
  } finally {
    rmSync(parent, { recursive: true, force: true });
  }
});

test('demo --keep keeps the database files; bad options stop it before anything starts', async () => {
  const parent = mkdtempSync(join(tmpdir(), 'reprocess-demo-'));
  try {
    await assert.rejects(runDemo({ packets: 'many', dir: parent }, { out: () => undefined, err: () => undefined }), InputError);
    await assert.rejects(runDemo({ failureMode: 'sometimes', dir: parent }, { out: () => undefined, err: () => undefined }),
      /--failure-mode must be one of FAILED, REPROCESS, mixed/);
    await assert.rejects(runDemo({ failureRate: 2, dir: parent }, { out: () => undefined, err: () => undefined }), /--failure-rate/);
    assert.deepEqual(readdirSync(parent), [], 'nothing created for bad options');

    const lines: string[] = [];
    const result = await runDemo({
      packets: 20, delay: 0, pipelineLatency: 0, pipelineCapacity: 0, failureRate: 0, keep: true, dir: parent,
    }, { out: (l) => lines.push(l), err: (l) => lines.push(l) });
    assert.equal(result.exitCode, 0, lines.join('\n'));
    assert.equal(result.dataDir, join(result.dir, 'pgdata'));
    assert.ok(readdirSync(result.dataDir).length > 0, 'PGlite data directory kept');
    assert.equal(result.pipeline.completed, result.pipeline.accepted, 'no failures with --failure-rate 0');
    assert.match(lines.join('\n'), /kept by --keep/);
  } finally {
    rmSync(parent, { recursive: true, force: true });
  }
});

test('sim --pipeline: packets forwarded by the standalone simulator move through the stages to PROCESSED', async () => {
  const db = await freshSchema('demo_sim');
  try {
    const rows = Array.from({ length: 5 }, () => stuckRow());
    await insertRegistrations(db.pool, db.schema, rows);
    const lines: string[] = [];
    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => { stop = resolve; });
    const running = runSimulatorCommand({
      port: 0, dbUrl: db.url, schema: db.schema,
      pipeline: { enabled: true, latency: '1', capacity: '0', failureRate: '0', failureMode: 'FAILED', seed: '3' },
    }, { out: (l) => lines.push(l), env: { REGPROC_CLIENT_PWD: SECRET }, untilStopped: stopped });
    let url: string | undefined;
    for (let i = 0; i < 200 && !url; i++) {
      url = /listening on (\S+)/.exec(lines.join('\n'))?.[1];
      if (!url) await new Promise((r) => setTimeout(r, 25));
    }
    assert.ok(url, `the simulator started: ${lines.join('\n')}`);
    assert.match(lines.join('\n'), /pipeline: {7}10 stages x 1 ms, no admission limit, no failures, seed 3/);

    const out: string[] = [];
    const code = await runCommand(
      { db: true, dbUrl: db.url, schema: db.schema, server: url, delay: 0, logDir: join(tmpdir(), 'demo-sim-logs'), runsDir: join(tmpdir(), 'demo-sim-runs') },
      { out: (l) => out.push(l), err: (l) => out.push(l), env: { REGPROC_CLIENT_PWD: SECRET } },
    );
    assert.equal(code, 0, out.join('\n'));
    const processed = async () => (await db.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "${db.schema}".registration WHERE status_code = 'PROCESSED' AND latest_trn_type_code = 'PRINT_SERVICE'`,
    )).rows[0]!.n;
    for (let i = 0; i < 200 && (await processed()) < rows.length; i++) await new Promise((r) => setTimeout(r, 25));
    assert.equal(await processed(), rows.length);

    stop();
    await running;
    assert.match(lines.join('\n'), /pipeline: 5 packets received, 5 PROCESSED, 0 FAILED, 0 REPROCESS, 0 still in flight/);
    assert.match(lines.join('\n'), /MOSIP simulator stopped/);

    await assert.rejects(runSimulatorCommand({ port: 0, dbUrl: db.url, schema: db.schema, pipeline: { latency: '5' } },
      { out: () => undefined, env: { REGPROC_CLIENT_PWD: SECRET }, untilStopped: Promise.resolve() }), /add --pipeline/);
  } finally {
    await db.drop();
  }
});

test('the embedded server keeps each connection\'s queries whole while another holds a transaction', async () => {
  // pglite-socket alone interleaves Parse/Bind/Execute of different connections here: wrong or empty results.
  const embedded = await startEmbeddedPostgres();
  const pool = new pg.Pool({ connectionString: embedded.url, max: 8 });
  try {
    for (let round = 0; round < 3; round++) {
      const holder = await pool.connect();
      await holder.query('BEGIN');
      await holder.query('SELECT $1::int', [round]);
      const others = Array.from({ length: 6 }, (_, i) => pool.query<{ v: number; t: string }>('SELECT $1::int AS v, $2::text AS t', [i, `q${i}`]));
      await new Promise((r) => setTimeout(r, 30)); // they queue behind the open transaction
      await holder.query('COMMIT');
      holder.release();
      const results = await Promise.all(others);
      results.forEach((r, i) => assert.deepEqual(r.rows, [{ v: i, t: `q${i}` }]));
    }
  } finally {
    await pool.end();
    await embedded.stop();
  }
});
