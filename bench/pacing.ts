// The pacing scenario of `npm run bench` (issue 11): N packets into the pipeline model with MOSIP's limits, a
// capacity of C packets per second per stage and a message age limit of T seconds, re-driven by the real run path
// with a fixed --delay 0, the best fixed delay 1/C (known only to whoever knows C), and --pace auto, which knows
// nothing of C; then --pace auto again with the capacity halved in the middle of the run. Figures from the model
// (what MOSIP would have dropped), ratios against N / C, all from this one run.
// Standalone: `node dist/bench/pacing.js` (starts its own PostgreSQL, prints the table).
import { fileURLToPath } from 'node:url';
import { runPacingScenario, type PacingResult, type PacingScenario } from '@mosip-reprocess/simulator/bench/pacingScenario.js';
import { findPostgresBinDir, startRealPostgres } from '@mosip-reprocess/testkit/postgresServer.js';

export const PACING = { packets: 1000, capacityPerSecond: 20, maxMessageAgeSeconds: 20, stages: 2, stageLatencyMs: 50 } as const;

/** Runs the four pacing runs on the database at dbUrl; returns the BENCHMARKS.md section. */
export async function pacingBench(dbUrl: string, log: (line: string) => void): Promise<string[]> {
  const { packets: N, capacityPerSecond: C, maxMessageAgeSeconds: T } = PACING;
  const ideal = N / C;
  const run = async (label: string, s: Partial<PacingScenario> & Pick<PacingScenario, 'pace'>): Promise<PacingResult> => {
    const r = await runPacingScenario(dbUrl, { ...PACING, ...s });
    log(`pacing, ${label}: sent ${r.sent}, dropped ${r.dropped}, processed ${r.completed}, last send ${r.sendSeconds.toFixed(1)} s, `
      + `all out ${r.allOutSeconds.toFixed(1)} s${r.peakWaitSeconds !== null ? `, peak wait ${r.peakWaitSeconds.toFixed(1)} s` : ''}`);
    return r;
  };
  // The fixed runs get the 10 notifications in flight that --pace auto uses by default (MOSIP's worker pool), so
  // that the sender's own speed is not what paces them.
  const flat = await run('fixed --delay 0', { pace: { kind: 'fixed', delaySeconds: 0 }, concurrency: 10 });
  const best = await run(`fixed --delay ${1 / C}`, { pace: { kind: 'fixed', delaySeconds: 1 / C }, concurrency: 10 });
  const auto = await run('--pace auto', { pace: { kind: 'auto' } });
  const halved = await run('--pace auto, capacity halved mid-run', { pace: { kind: 'auto' }, halveCapacityAfterSeconds: ideal / 2 });

  const row = (what: string, r: PacingResult, target: string, idealSeconds = ideal) =>
    `| ${what} | ${(r.sent / r.sendSeconds).toFixed(1)}/s | ${r.dropped} | ${r.allOutSeconds.toFixed(1)} s | ${(r.allOutSeconds / idealSeconds).toFixed(2)} | ${r.peakWaitSeconds === null ? '' : `${r.peakWaitSeconds.toFixed(1)} s`} | ${target} |`;
  // Halved at N/(2C): the first half at C, the second at C/2, so the best possible is N/(2C) + N/C.
  const halvedIdeal = ideal / 2 + ideal;
  return [
    '',
    `## Pacing: ${N.toLocaleString('en')} packets into a pipeline of capacity C = ${C}/s per stage, message age limit T = ${T} s`,
    '',
    `The pipeline model (${PACING.stages} stages x ${PACING.stageLatencyMs} ms) drops a message older than T when a stage gets to it,`,
    'writing nothing, as MOSIP does (3600 s there). "All out": from the start of the run until every packet left the pipeline',
    `(processed or dropped). N / C = ${ideal} s is the least any pacing can take.`,
    '',
    '| pacing | sent at | dropped | all out | × N / C | peak wait seen | target |',
    '|---|---|---|---|---|---|---|',
    row('fixed `--delay 0 --concurrency 10`', flat, 'how many are lost'),
    row(`fixed \`--delay ${1 / C} --concurrency 10\` (1/C: needs C known)`, best, ''),
    row('`--pace auto` (C unknown)', auto, '0 dropped, ≤ 1.25'),
    row('`--pace auto`, C halved after N / (2C)', halved, '0 dropped', halvedIdeal),
    '',
    `For the halved run the ratio is against ${halvedIdeal} s (half the packets at C, half at C / 2). --pace auto started at 1 packet/s and`,
    `found C from the waiting time of the packets inside the pipeline (--max-wait defaults to T / 2 = ${T / 2} s; it aims at a quarter of that).`,
    ...(flat.sent / flat.sendSeconds < 1.5 * C
      ? ['', `Note: the fixed \`--delay 0\` run could only send at ${(flat.sent / flat.sendSeconds).toFixed(1)}/s on this machine (the tool, the simulator and`,
        `PostgreSQL share its cores), not much faster than C, so it lost ${flat.dropped === 0 ? 'nothing' : `only ${flat.dropped}`}; where the tool sends faster than C for longer`,
        'than T (e.g. 219/s at concurrency 1 on an idle machine, above), every packet beyond C × T + what drains in the meantime is dropped.']
      : []),
  ];
}

async function standalone(): Promise<void> {
  const binDir = findPostgresBinDir();
  if (!binDir) throw new Error('needs PostgreSQL installed (initdb/pg_ctl)');
  const pg = await startRealPostgres(binDir);
  try {
    const lines = await pacingBench(pg.url, (line) => process.stdout.write(`${line}\n`));
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await pg.stop();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await standalone();
