// `reprocess demo` (src/demo): it runs the real run path end to end on its own embedded database, the packets really
// move, every row is accounted for, the secret never shows, and it leaves nothing running (a small demo here, the
// full-size one and --keep in demo.soak.ts). Also `sim --pipeline` and the embedded server's handling of concurrent
// connections, which the demo depends on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { runCommand } from 'mosip-reprocess/cli/runCommand.js';
import { renderOutcome, runDemo } from '../src/demo/demo.js';
import type { PipelineStats } from '../src/sim/pipeline.js';
import type { RunSummary } from 'mosip-reprocess/domain/runResult.js';
import { emptyCounts } from 'mosip-reprocess/run/runner.js';
import { demoRedrivesEveryRow } from './demoCases.js';
import { checkPatchedVersions, defaultTemplateDir, installedVersions, PATCHED_VERSIONS, startEmbeddedPostgres, templatePath } from '../src/embedded/pglite.js';
import { InputError } from 'mosip-reprocess/errors.js';
import { runSimulatorCommand } from '../src/sim/cli.js';
import { insertRegistrations } from '../src/sql/registrationRows.js';
import { freshSchema } from '@mosip-reprocess/testkit/db.js';
import { stuckRow } from '@mosip-reprocess/testkit/rows.js';

const SECRET = 'Demo-Secret-never-printed-4711';

test('the demo re-drives every eligible packet through dry run, canary and batches, and accounts for every row', async () => {
  // 80 rows in batches of 12 here; 300 in batches of 60 in demo.soak.ts.
  await demoRedrivesEveryRow(80, 12);
});

test('the demo\'s closing account says what MOSIP 1.2.0.1 writes: a duplicate\'s sub status RPR-SEN-SUCCESS-001, the last stage CredentialRequestorStage', () => {
  // Only the fields the account reads.
  const batches = { sent: 5, batches: 1, counts: { ...emptyCounts(), forwarded: 3, not_uploaded: 2 } } as RunSummary;
  const pipeline = { completed: 3, failed: 0, reprocess: 0, backlog: 0, inFlight: 0, superseded: 0, dbErrors: 0 } as PipelineStats;
  const text = renderOutcome(null, batches, pipeline, 5, 0).join('\n');
  assert.match(text, /refused as duplicates +2 {2}latest status REJECTED \(sub status RPR-SEN-SUCCESS-001\); status_code unchanged/);
  assert.doesNotMatch(text, /RPR-SEZ-002/);
  assert.match(text, /ended PROCESSED +3 {2}through all 10 stages, the last one CredentialRequestorStage/);
});

test('bad demo options stop it before anything starts', async () => {
  const parent = mkdtempSync(join(tmpdir(), 'reprocess-demo-'));
  try {
    await assert.rejects(runDemo({ packets: 'many', dir: parent }, { out: () => undefined, err: () => undefined }), InputError);
    await assert.rejects(runDemo({ failureMode: 'sometimes', dir: parent }, { out: () => undefined, err: () => undefined }),
      /--failure-mode must be one of FAILED, REPROCESS, mixed/);
    await assert.rejects(runDemo({ failureRate: 2, dir: parent }, { out: () => undefined, err: () => undefined }), /--failure-rate/);
    assert.deepEqual(readdirSync(parent), [], 'nothing created for bad options');
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
    for (let i = 0; i < 2400 && !url; i++) { // up to a minute, however loaded the machine
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
    for (let i = 0; i < 2400 && (await processed()) < rows.length; i++) await new Promise((r) => setTimeout(r, 25));
    assert.equal(await processed(), rows.length);

    stop();
    await running;
    assert.match(lines.join('\n'), /pipeline: 5 packets received, 5 PROCESSED, 0 FAILED, 0 REPROCESS, 0 held IN_PROGRESS, 0 still in flight/);
    assert.match(lines.join('\n'), /MOSIP simulator stopped/);

    await assert.rejects(runSimulatorCommand({ port: 0, dbUrl: db.url, schema: db.schema, pipeline: { latency: '5' } },
      { out: () => undefined, env: { REGPROC_CLIENT_PWD: SECRET }, untilStopped: Promise.resolve() }), /add --pipeline/);
  } finally {
    await db.drop();
  }
});

test('sim --pipeline-hold and --clock-skew: the packet is kept IN_PROGRESS at bio dedupe, written on a clock 90 s behind', async () => {
  const db = await freshSchema('demo_hold');
  try {
    const row = stuckRow();
    await insertRegistrations(db.pool, db.schema, [row]);
    const lines: string[] = [];
    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => { stop = resolve; });
    const running = runSimulatorCommand({
      port: 0, dbUrl: db.url, schema: db.schema, clockSkew: '-90s',
      pipeline: { enabled: true, latency: '1', capacity: '0', hold: '100%', holdAt: 'biographic_verification' },
    }, { out: (l) => lines.push(l), env: { REGPROC_CLIENT_PWD: SECRET }, untilStopped: stopped });
    let url: string | undefined;
    for (let i = 0; i < 2400 && !url; i++) {
      url = /listening on (\S+)/.exec(lines.join('\n'))?.[1];
      if (!url) await new Promise((r) => setTimeout(r, 25));
    }
    assert.ok(url, lines.join('\n'));
    assert.match(lines.join('\n'), /pod clocks: +90s behind the database's/);
    assert.match(lines.join('\n'), /100% of the packets are kept IN_PROGRESS at BIOGRAPHIC_VERIFICATION \(waiting for ABIS\)/);
    const out: string[] = [];
    const code = await runCommand(
      { db: true, dbUrl: db.url, schema: db.schema, server: url, delay: 0, logDir: join(tmpdir(), 'demo-hold-logs'), runsDir: join(tmpdir(), 'demo-hold-runs') },
      { out: (l) => out.push(l), err: (l) => out.push(l), env: { REGPROC_CLIENT_PWD: SECRET } },
    );
    assert.equal(code, 0, out.join('\n'));
    const held = async () => (await db.pool.query<{ latest_trn_status_code: string; off_s: number }>(
      `SELECT latest_trn_status_code, extract(epoch FROM latest_trn_dtimes - (now() AT TIME ZONE 'UTC'))::float8 AS off_s
         FROM "${db.schema}".registration WHERE latest_trn_type_code = 'BIOGRAPHIC_VERIFICATION'`)).rows[0];
    for (let i = 0; i < 2400 && !(await held()); i++) await new Promise((r) => setTimeout(r, 25));
    const h = await held();
    assert.equal(h?.latest_trn_status_code, 'IN_PROGRESS');
    assert.ok(Math.abs(h!.off_s + 90) < 30, `written ${h!.off_s} s off the database's clock, not -90 s`);
    stop();
    await running;
    assert.match(lines.join('\n'), /pipeline: 1 packets received, 0 PROCESSED, 0 FAILED, 0 REPROCESS, 1 held IN_PROGRESS/);
  } finally {
    await db.drop();
  }
});

test('the embedded server keeps each connection\'s queries whole while another holds a transaction', async () => {
  // pglite-socket alone interleaves Parse/Bind/Execute of different connections here: wrong or empty results.
  // Also: an in-memory start reuses the saved empty cluster when there is one, and leaves one for the next start.
  const template = templatePath(defaultTemplateDir());
  const hadTemplate = existsSync(template);
  const embedded = await startEmbeddedPostgres();
  assert.equal(embedded.startedFrom, hadTemplate ? 'template' : 'initdb');
  assert.ok(existsSync(template), `the empty cluster is saved at ${template}`);
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

test('the embedded server runs only on the exact pglite-socket and PGlite versions its patch was written for', () => {
  assert.deepEqual(installedVersions(), PATCHED_VERSIONS, 'the installed versions are the pinned ones');
  checkPatchedVersions({ ...PATCHED_VERSIONS });
  assert.throws(() => checkPatchedVersions({ ...PATCHED_VERSIONS, '@electric-sql/pglite-socket': '0.2.18' }),
    /patches @electric-sql\/pglite-socket 0\.2\.17 exactly, but @electric-sql\/pglite-socket 0\.2\.18 is installed: run `npm ci`/);
  assert.throws(() => checkPatchedVersions({ ...PATCHED_VERSIONS, '@electric-sql/pglite': '0.6.0' }), /@electric-sql\/pglite 0\.6\.0 is installed/);
});
