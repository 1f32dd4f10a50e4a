// `npm run bench`: the performance figures, each with the ratio it is judged by, all measured in this one run
// on this machine (never a timed test). Needs PostgreSQL installed (initdb/pg_ctl); starts its own server.
// Writes the results to BENCHMARKS.md.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { createPool } from 'mosip-reprocess/db/connect.js';
import { freePort } from '@mosip-reprocess/simulator/embedded/pglite.js';
import { AUTH_PATH, NOTIFICATION_PATH, authCookie, authRequestBody, notificationBody, tokenFromSetCookie } from '@mosip-reprocess/contract/wire.js';
import { seedScenario } from '@mosip-reprocess/simulator/sim/seed.js';
import { createSchema } from '@mosip-reprocess/contract/schema.js';
import { findPostgresBinDir, startRealPostgres } from '@mosip-reprocess/testkit/postgresServer.js';
import { pacingBench } from './pacing.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = join(ROOT, 'packages', 'reprocess', 'bin', 'reprocess.js');
const SECRET = 'bench-secret';
const LARGE = Number(process.env.BENCH_ROWS ?? 1_000_000);
const SMALL = 10_000;

interface CliResult { firstPacketMs: number | null; wallMs: number; summary: { sent: number; durationMs: number; peakRssMb: number; counts: Record<string, number> }; starts: number[] }

function log(line: string): void {
  process.stdout.write(line + '\n');
}

/** Runs the real CLI and times it from spawn to its first packet line. */
function runCli(args: string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [BIN, ...args, '--json'], { env: { PATH: process.env.PATH ?? '', REGPROC_CLIENT_PWD: SECRET, ...env } });
    let firstPacketMs: number | null = null;
    let buffer = '';
    let summary: CliResult['summary'] | null = null;
    const starts: number[] = [];
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    child.stdout.on('data', (d: Buffer) => {
      buffer += d.toString();
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        const record = JSON.parse(line) as { type: string; startedAt?: string };
        if (record.type === 'packet') {
          firstPacketMs ??= performance.now() - started;
          starts.push(Date.parse(record.startedAt!));
        }
        if (record.type === 'summary') summary = record as unknown as CliResult['summary'];
      }
    });
    child.on('close', (code) => {
      if (!summary) return reject(new Error(`reprocess exited ${code} without a summary: ${stderr}`));
      resolve({ firstPacketMs, wallMs: performance.now() - started, summary, starts });
    });
  });
}

async function startSim(dbUrl: string, schema: string): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, [BIN, 'sim', '--port', String(port), '--db-url', dbUrl, '--schema', schema],
    { env: { PATH: process.env.PATH ?? '', REGPROC_CLIENT_PWD: SECRET }, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('listening')) resolve(); });
    child.on('exit', (code) => reject(new Error(`simulator exited ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}`, child };
}

/** autocannon against the same endpoint doing the same work: a notification for a distinct row each time. */
async function rawCeiling(simUrl: string, packets: { rid: string; process: string; workflowInstanceId: string }[]): Promise<number> {
  const auth = await fetch(simUrl + AUTH_PATH, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify(authRequestBody('mosip-regproc-client', SECRET, 'regproc')),
  });
  const token = tokenFromSetCookie(auth.headers.getSetCookie());
  if (!token) throw new Error('no token from the simulator');
  let next = 0;
  const result = await autocannon({
    url: simUrl + NOTIFICATION_PATH,
    method: 'POST',
    connections: 32,
    duration: 10,
    headers: { 'content-type': 'application/json', cookie: authCookie(token) },
    requests: [{
      setupRequest: (req) => {
        const packet = packets[next++ % packets.length]!;
        return { ...req, body: JSON.stringify(notificationBody({ ...packet, iteration: 1, source: null })) };
      },
    }],
  });
  return result.requests.average;
}

const NOTES = [
  'How to read it:',
  '- "First notification" counts from the process start (Node itself, settings, database, token, run directory)',
  '  to the first packet line; the selection reads keyset pages of 500, so it does not grow with the table.',
  '- Peak RSS is the tool\'s own `maxRSS` after 5,000 packets; the same on both tables means memory is flat.',
  '- The ceiling is what the simulator and PostgreSQL can take on this machine for the same notifications.',
  '  On 2 cores the simulator, PostgreSQL, the tool and the load generator share the CPU, so the figures move',
  '  by ±20 % from run to run; the ratios are taken within one run for that reason.',
  '- Each packet costs the tool a journal line flushed to disk before it is sent (fdatasync).',
  '',
];

const ratio = (a: number, b: number) => (b === 0 ? 'n/a' : (a / b).toFixed(2));

async function main(): Promise<void> {
  const binDir = findPostgresBinDir();
  if (!binDir) throw new Error('the benchmark needs PostgreSQL installed (apt-get install -y postgresql)');
  log(`machine: ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`);
  const pg = await startRealPostgres(binDir);
  const pool = createPool({ url: pg.url, max: 4 });
  const sims: ChildProcess[] = [];
  try {
    log(`PostgreSQL: ${pg.version}`);
    for (const [schema, count] of [['bench_small', SMALL], ['bench_large', LARGE]] as const) {
      await createSchema(pool, schema);
      const t = performance.now();
      const seeded = await seedScenario(pool, schema, { count, seed: 7 });
      await pool.query(`ANALYZE "${schema}".registration`);
      log(`seeded ${schema}: ${count} rows (${seeded.approach1Eligible} eligible) in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    }
    const small = await startSim(pg.url, 'bench_small');
    const large = await startSim(pg.url, 'bench_large');
    sims.push(small.child, large.child);
    const env = (schema: string) => ({ REPROCESS_DB_URL: pg.url, DB_SCHEMA: schema });
    const common = ['--db', '--delay', '0', '--retries', '0', '--log-dir', join(ROOT, '.bench', 'logs'), '--runs-dir', join(ROOT, '.bench', 'runs')];

    // 1. First packet and memory: the same 5000 packets' work on a 10k and a 1M row table.
    const first10k = await runCli([...common, '--server', small.url, '--limit', '5000', '--concurrency', '8'], env('bench_small'));
    const first1m = await runCli([...common, '--server', large.url, '--limit', '5000', '--concurrency', '8'], env('bench_large'));
    // 2. Throughput at delay 0.
    const throughput: Record<number, number> = {};
    for (const c of [1, 8, 32]) {
      const r = await runCli([...common, '--server', large.url, '--limit', '3000', '--concurrency', String(c)], env('bench_large'));
      throughput[c] = r.summary.sent / (r.summary.durationMs / 1000);
      log(`concurrency ${c}: ${throughput[c]!.toFixed(0)} packets/s (${r.summary.counts.forwarded} forwarded)`);
    }
    // 3. The raw HTTP ceiling of the same endpoint and the same work (a forwarded notification).
    const { rows } = await pool.query<{ reg_id: string; process: string; workflow_instance_id: string }>(
      `SELECT reg_id, process, workflow_instance_id FROM bench_large.registration WHERE is_active ORDER BY workflow_instance_id DESC LIMIT 100000`);
    const ceiling = await rawCeiling(large.url, rows.map((r) => ({ rid: r.reg_id, process: r.process, workflowInstanceId: r.workflow_instance_id })));
    log(`raw HTTP ceiling: ${ceiling.toFixed(0)} req/s`);
    // 4. Pacing: 60 packets at --delay 1.
    const paced = await runCli(['--db', '--delay', '1', '--log-dir', join(ROOT, '.bench', 'logs'), '--runs-dir', join(ROOT, '.bench', 'runs'),
      '--server', small.url, '--limit', '60'], env('bench_small'));
    const span = (paced.starts.at(-1)! - paced.starts[0]!) / 1000;
    // 5. Pacing by what the pipeline drains (bench/pacing.ts).
    const pacing = await pacingBench(pg.url, log);

    const lines = [
      '# Benchmarks',
      '',
      `Measured by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}: ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB,`,
      `Node ${process.version}, ${pg.version} (started by the benchmark, fsync off), the simulator in its own process.`,
      'Every ratio compares two figures measured in the same run. Reproduce with `npm run bench`',
      '(needs PostgreSQL: `apt-get install -y postgresql`; `BENCH_ROWS=100000 npm run bench` for a shorter run).',
      '',
      '| what | figure | ratio | target |',
      '|---|---|---|---|',
      `| first notification sent, ${SMALL.toLocaleString('en')} rows (from process start) | ${first10k.firstPacketMs!.toFixed(0)} ms | | |`,
      `| first notification sent, ${LARGE.toLocaleString('en')} rows (from process start) | ${first1m.firstPacketMs!.toFixed(0)} ms | ${ratio(first1m.firstPacketMs!, first10k.firstPacketMs!)} × the small table | < 1000 ms |`,
      `| peak RSS, 5,000 packets from ${SMALL.toLocaleString('en')} rows | ${first10k.summary.peakRssMb} MB | | |`,
      `| peak RSS, 5,000 packets from ${LARGE.toLocaleString('en')} rows | ${first1m.summary.peakRssMb} MB | ${ratio(first1m.summary.peakRssMb, first10k.summary.peakRssMb)} × the small table | flat (≈ 1.0) |`,
      `| packets/s, delay 0, concurrency 1 | ${throughput[1]!.toFixed(0)} | ${ratio(throughput[1]!, ceiling)} of the ceiling | |`,
      `| packets/s, delay 0, concurrency 8 | ${throughput[8]!.toFixed(0)} | ${ratio(throughput[8]!, ceiling)} of the ceiling | |`,
      `| packets/s, delay 0, concurrency 32 | ${throughput[32]!.toFixed(0)} | ${ratio(throughput[32]!, ceiling)} of the ceiling | ≥ 0.5 |`,
      `| raw HTTP ceiling (autocannon, 32 connections, 10 s, same endpoint and work) | ${ceiling.toFixed(0)} req/s | 1.00 | |`,
      `| pacing: 60 packets at --delay 1, first to last start | ${span.toFixed(2)} s | ${ratio(span, 59)} × the 59 s expected | 1.00 |`,
      ...pacing,
      '',
      ...NOTES,
    ];
    writeFileSync(join(ROOT, 'BENCHMARKS.md'), lines.join('\n'));
    log(lines.join('\n'));
  } finally {
    for (const s of sims) s.kill('SIGTERM');
    await pool.end();
    pg.stop();
  }
}

await main();
