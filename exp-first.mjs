// temporary experiment: first-notification time, 10k vs 1M rows, interleaved, every trial printed
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { createPool } from 'mosip-reprocess/db/connect.js';
import { seedScenario } from '@mosip-reprocess/simulator/sim/seed.js';
import { createSchema } from '@mosip-reprocess/contract/schema.js';
import { findPostgresBinDir, startRealPostgres } from '@mosip-reprocess/testkit/postgresServer.js';
const ROOT = process.cwd();
const BIN = join(ROOT, 'packages', 'reprocess', 'bin', 'reprocess.js');
const WORK = '/tmp/expfirst';
rmSync(WORK, { recursive: true, force: true });
const pg = await startRealPostgres(findPostgresBinDir());
const pool = createPool({ url: pg.url, max: 4 });
const LARGE = Number(process.env.ROWS ?? 1_000_000);
for (const [schema, count] of [['s', 10000], ['l', LARGE]]) {
  await createSchema(pool, schema);
  await seedScenario(pool, schema, { count, seed: 7 });
  await pool.query(`VACUUM (ANALYZE) "${schema}".registration`);
  await pool.query(`VACUUM (ANALYZE) "${schema}".registration_transaction`);
}
const standIn = spawn(process.execPath, [join(ROOT, 'dist/bench/standInMain.js'), '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise((r) => standIn.stdout.once('data', (d) => r(d.toString().trim())));
let n = 0;
function run(schema, extra = []) {
  return new Promise((resolve) => {
    const at = Date.now();
    const c = spawn(process.execPath, [BIN, '--db', '--delay', '0', '--retries', '0', '--server', url, '--limit', '5000', '--concurrency', '8', '--json', '--log-dir', join(WORK, 'logs'), '--runs-dir', join(WORK, `r${++n}`), ...extra],
      { env: { PATH: process.env.PATH, REGPROC_CLIENT_PWD: 'bench-secret', REPROCESS_DB_URL: pg.url, DB_SCHEMA: schema, ...(process.env.TRACE ? { REPROCESS_TRACE_START: '1' } : {}) } });
    let out = ''; let err = '';
    c.stdout.on('data', (d) => { out += d; }); c.stderr.on('data', (d) => { err += d; });
    c.on('close', () => {
      const starts = out.split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((r) => r.type === 'packet').map((r) => Date.parse(r.startedAt));
      resolve(Math.min(...starts) - at);
    });
  });
}
const res = { s: [], l: [] };
for (let i = 0; i < Number(process.env.TRIALS ?? 7); i++) {
  for (const s of (i % 2 ? ['l', 's'] : ['s', 'l'])) res[s].push(await run(s));
}
console.log(JSON.stringify(res));
standIn.kill(); await pool.end(); await pg.stop?.();
process.exit(0);
