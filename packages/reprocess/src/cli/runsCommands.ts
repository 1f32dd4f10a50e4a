// `reprocess runs`, `reprocess report <run-id>`, `reprocess verify <run-id>`: what runs there were, what each
// did, and whether the packets it forwarded really moved on.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadSettings } from '../config/load.js';
import { createPool } from '../db/connect.js';
import { readJournal, replay } from '../journal/replay.js';
import { listRunIds, openRun, type RunHandle } from '../journal/runStore.js';
import { OUTCOMES } from '@mosip-reprocess/contract/wire.js';
import { emptyCounts } from '../run/runner.js';
import { summaryText } from '../report/format.js';
import type { RunSummary } from '../run/types.js';
import { dbSettingsOf } from './packetSource.js';
import { runReported, type Io } from './runCommand.js';

interface RunState {
  run: RunHandle;
  summary: (RunSummary & { runId: string }) | null;
  status: 'finished' | 'stopped' | 'running or crashed';
  acknowledged: number;
  inFlight: number;
  counts: RunSummary['counts'];
}

function stateOf(run: RunHandle): RunState {
  const replayed = replay(readJournal(run.journalPath));
  const counts = emptyCounts();
  for (const r of replayed.results.values()) counts[r.outcome] += 1;
  const summary = existsSync(run.summaryPath) ? JSON.parse(readFileSync(run.summaryPath, 'utf8')) as RunState['summary'] : null;
  const status = !replayed.ended ? 'running or crashed' : summary?.stop ? 'stopped' : 'finished';
  return { run, summary, status, acknowledged: replayed.results.size, inFlight: replayed.inFlight.size, counts };
}

function runsDirOf(io: Io, opts: { runsDir?: string; config?: string }): string {
  const flags: Record<string, unknown> = opts.runsDir ? { runsDir: opts.runsDir } : {};
  return loadSettings({ flags, env: io.env, configFile: opts.config ?? io.env.REPROCESS_CONFIG }).settings.runsDir;
}

export function listRuns(io: Io, opts: { runsDir?: string; config?: string; json?: boolean }): void {
  const dir = runsDirOf(io, opts);
  const states = listRunIds(dir).map((id) => stateOf(openRun(dir, id)));
  if (opts.json) {
    io.out(JSON.stringify(states.map((s) => ({
      runId: s.run.id, createdAt: s.run.meta.createdAt, source: s.run.meta.source, status: s.status,
      acknowledged: s.acknowledged, inFlight: s.inFlight, counts: s.counts, resumes: s.run.meta.resumes.length,
    }))));
    return;
  }
  if (states.length === 0) {
    io.out(`no runs in ${dir}`);
    return;
  }
  io.out(`${'run id'.padEnd(22)}  ${'started (UTC)'.padEnd(19)}  ${'status'.padEnd(18)}  ${'sent'.padStart(7)}  ${'forwarded'.padStart(9)}  source`);
  for (const s of states) {
    io.out(`${s.run.id.padEnd(22)}  ${s.run.meta.createdAt.slice(0, 19).replace('T', ' ')}  ${s.status.padEnd(18)}  ${String(s.acknowledged + s.inFlight).padStart(7)}  ${String(s.counts.forwarded).padStart(9)}  ${s.run.meta.source}`);
  }
}

export function showReport(io: Io, id: string, opts: { runsDir?: string; config?: string; json?: boolean }): void {
  const s = stateOf(openRun(runsDirOf(io, opts), id));
  if (opts.json) {
    io.out(JSON.stringify({ runId: id, status: s.status, source: s.run.meta.source, settings: s.run.meta.settings, summary: s.summary, counts: s.counts, inFlight: s.inFlight }));
    return;
  }
  io.out(`run ${id}: ${s.status}; source ${s.run.meta.source}; started ${s.run.meta.createdAt}${s.run.meta.resumes.length ? `; resumed ${s.run.meta.resumes.length}x` : ''}`);
  if (s.summary && s.status !== 'running or crashed') {
    io.out(summaryText(s.summary));
  } else {
    io.out('No summary was written (the run is still going, or it crashed). From the journal:');
    for (const o of OUTCOMES) if (s.counts[o] > 0) io.out(`  ${o.padEnd(18)}  ${String(s.counts[o]).padStart(6)}`);
    io.out(`  acknowledged        ${s.acknowledged}`);
    if (s.inFlight > 0) io.out(`  sent, no reply      ${s.inFlight} (settled on --resume ${id})`);
  }
}

export function registerRunsCommands(program: Command, stdio: () => Io): void {
  const guarded = (work: (io: Io) => unknown) => () => runReported(stdio(), work);
  program.command('runs')
    .description('list the runs kept in the runs directory, newest last')
    .option('--runs-dir <dir>', 'runs directory (default ./reprocess-runs)')
    .option('--config <file>', 'YAML config file')
    .option('--json', 'print JSON')
    .action((opts: { runsDir?: string; config?: string; json?: boolean }) => guarded((io) => listRuns(io, opts))());
  program.command('report')
    .description("print a run's summary again; --html writes the morning-after report (one self-contained file), --csv one line per packet")
    .argument('<run-id>')
    .option('--runs-dir <dir>', 'runs directory (default ./reprocess-runs)')
    .option('--config <file>', 'YAML config file')
    .option('--json', 'print JSON')
    .option('--html [file]', 'write the report as one HTML file that fetches nothing (default <run dir>/report.html)')
    .option('--csv [file]', 'write one CSV line per packet (default <run dir>/packets.csv)')
    .option('--db-url <url>', 'with --html/--csv: read where the packets are now (or DB_HOST, DB_PORT, DB_USER, DB_PWD, DB_NAME)')
    .option('--schema <name>', 'schema of the registration tables (default regprc)')
    .action((id: string, opts: ReportOptions) => guarded((io) => (opts.html || opts.csv ? writeReportFiles(io, id, opts) : showReport(io, id, opts)))());
  program.command('verify')
    .description('for every packet a run notified, look at its row now: moved on, processed, still at securezone, rejected, failed, untouched')
    .argument('<run-id>')
    .option('--runs-dir <dir>', 'runs directory (default ./reprocess-runs)')
    .option('--config <file>', 'YAML config file (database settings)')
    .option('--db-url <url>', 'postgres:// URL (or DB_HOST, DB_PORT, DB_USER, DB_PWD, DB_NAME)')
    .option('--schema <name>', 'schema of the registration tables (default regprc)')
    .option('--json', 'print JSON')
    .action((id: string, opts: { runsDir?: string; config?: string; dbUrl?: string; schema?: string; json?: boolean }) =>
      guarded((io) => verifyRun(io, id, opts))());
}

export async function verifyRun(io: Io, id: string, opts: { runsDir?: string; config?: string; dbUrl?: string; schema?: string; json?: boolean }): Promise<number> {
  const { verifyPackets, renderVerify } = await import('../report/verify.js');
  const flags: Record<string, unknown> = { ...(opts.runsDir ? { runsDir: opts.runsDir } : {}), ...(opts.dbUrl ? { dbUrl: opts.dbUrl } : {}), ...(opts.schema ? { schema: opts.schema } : {}) };
  const { settings } = loadSettings({ flags, env: io.env, configFile: opts.config ?? io.env.REPROCESS_CONFIG });
  const run = openRun(settings.runsDir, id);
  const replayed = replay(readJournal(run.journalPath));
  const entries = [...replayed.results.values()].map((r) => ({
    workflowInstanceId: r.wf, rid: r.rid, outcome: r.outcome, startedAt: new Date(r.startedAt),
  }));
  const pool = createPool(dbSettingsOf(settings));
  try {
    const report = await verifyPackets(pool, settings.dbSchema, entries);
    io.out(opts.json ? JSON.stringify({ runId: id, ...report }) : `run ${id}\n${renderVerify(report)}`);
    return 0;
  } finally {
    await pool.end();
  }
}

interface ReportOptions { runsDir?: string; config?: string; json?: boolean; html?: string | boolean; csv?: string | boolean; dbUrl?: string; schema?: string }

/** `report <run-id> --html [file] --csv [file]`: the files, and where the packets are now when a database is configured. */
export async function writeReportFiles(io: Io, id: string, opts: ReportOptions): Promise<void> {
  const { writeRunHtml } = await import('../report/html/buildRunReport.js');
  const { writeRunCsv } = await import('../report/csv.js');
  const flags: Record<string, unknown> = { ...(opts.runsDir ? { runsDir: opts.runsDir } : {}), ...(opts.dbUrl ? { dbUrl: opts.dbUrl } : {}), ...(opts.schema ? { schema: opts.schema } : {}) };
  const { settings, origins } = loadSettings({ flags, env: io.env, configFile: opts.config ?? io.env.REPROCESS_CONFIG });
  const run = openRun(settings.runsDir, id);
  const pool = 'dbUrl' in origins || 'dbHost' in origins ? createPool(dbSettingsOf(settings)) : null;
  const target = (given: string | boolean, name: string) => resolve(typeof given === 'string' ? given : join(run.dir, name));
  const csvPath = opts.csv ? target(opts.csv, 'packets.csv') : null;
  try {
    if (opts.html) {
      const path = target(opts.html, 'report.html');
      const csvCommand = `reprocess report ${id} --csv${settings.runsDir !== 'reprocess-runs' ? ` --runs-dir ${settings.runsDir}` : ''}`;
      const r = await writeRunHtml(run, path, { db: pool, schema: settings.dbSchema, csvCommand });
      if (!r.whereNow) io.err(`note: ${r.whereNowNote}`);
      io.out(`report: ${path} (${r.packets} packets, ${r.notForwarded} not forwarded)`);
    }
    if (csvPath) {
      const r = await writeRunCsv(run.journalPath, csvPath, pool, settings.dbSchema, run.meta.resumes);
      if (r.dbError) io.err(`note: the database could not be read; the "now_" columns are empty: ${r.dbError}`);
      io.out(`csv: ${csvPath} (${r.packets} packets${r.withWhereNow ? ', with where each is now' : ''})`);
    }
  } finally {
    await pool?.end();
  }
}
