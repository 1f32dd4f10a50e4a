// `reprocess runs`, `reprocess report <run-id>`, `reprocess verify <run-id>`: what runs there were, what each
// did over all its attempts, and whether the packets it notified really moved on. Parsing and printing only.
import type { Command } from 'commander';
import { loadSettings } from '../config/load.js';
import { listRunIds, openRun, runKindOf, runReasonOf } from '../journal/runStore.js';
import { readWholeRun, type WholeRun } from '../journal/wholeRun.js';
import { OUTCOMES } from '@mosip-reprocess/contract/wire.js';
import { OUTCOME_LABELS, summaryText } from '../report/format.js';
import { renderVerify } from '../report/verify.js';
import { resumeCommand } from '../journal/runIdentity.js';
import { verifyRun } from '../run/verifyRun.js';
import { jsonAwareStderr, runReported, type Io } from './runCommand.js';

interface DirOptions { runsDir?: string; config?: string; json?: boolean }

function runsDirOf(io: Io, opts: DirOptions): string {
  const flags: Record<string, unknown> = opts.runsDir ? { runsDir: opts.runsDir } : {};
  return loadSettings({ flags, env: io.env, configFile: opts.config ?? io.env.REPROCESS_CONFIG }).settings.runsDir;
}

const sentOf = (w: WholeRun) => w.notified + w.inFlight;
/** --reason of the run (kept with its settings in run.json). */
const reasonOf = (w: WholeRun): string | null => runReasonOf(w.run.meta);

export function listRuns(io: Io, opts: DirOptions): void {
  const dir = runsDirOf(io, opts);
  const runs = listRunIds(dir).map((id) => readWholeRun(openRun(dir, id)));
  if (opts.json) {
    io.out(JSON.stringify(runs.map((w) => ({
      runId: w.run.id, kind: runKindOf(w.run.meta), createdAt: w.run.meta.createdAt, source: w.run.meta.source, reason: reasonOf(w), status: w.status, unfinished: w.unfinished,
      notified: w.notified, inFlight: w.inFlight, counts: w.counts, attempts: 1 + w.run.meta.resumes.length,
      resumeCommand: w.unfinished ? resumeCommand(w.run.id, dir, runKindOf(w.run.meta)) : null,
    }))));
    return;
  }
  if (runs.length === 0) {
    io.out(`no runs in ${dir}`);
    return;
  }
  io.out(`${'run id'.padEnd(22)}  ${'started (UTC)'.padEnd(19)}  ${'status'.padEnd(18)}  ${'sent'.padStart(7)}  ${'forwarded'.padStart(9)}  source`);
  for (const w of runs) {
    const attempts = w.run.meta.resumes.length > 0 ? `, ${1 + w.run.meta.resumes.length} attempts` : '';
    io.out(`${w.run.id.padEnd(22)}  ${w.run.meta.createdAt.slice(0, 19).replace('T', ' ')}  ${w.status.padEnd(18)}  ${String(sentOf(w)).padStart(7)}  ${String(w.counts.forwarded + w.counts.delivered_on_resume).padStart(9)}  ${w.run.meta.source}${attempts}${reasonOf(w) ? `; reason: ${JSON.stringify(reasonOf(w))}` : ''}`);
  }
  const unfinished = runs.filter((w) => w.unfinished);
  if (unfinished.length > 0) {
    io.out('');
    io.out('Unfinished (stopped or crashed); to continue one:');
    for (const w of unfinished) io.out(`  ${resumeCommand(w.run.id, dir, runKindOf(w.run.meta))}`);
    io.out('  (or `reprocess --resume last` for the newest notification run, `reprocess action --resume last` for the newest action run)');
  }
}

/** Totals over every attempt, each packet once at its latest outcome. */
function wholeRunLines(w: WholeRun): string[] {
  const lines = ['', `Whole run (${1 + w.run.meta.resumes.length} attempt(s))`, `  packets notified    ${sentOf(w)}`];
  for (const o of OUTCOMES) if (w.counts[o] > 0) lines.push(`  ${o.padEnd(18)}  ${String(w.counts[o]).padStart(6)}  ${OUTCOME_LABELS[o]}`);
  if (w.counts.delivered_on_resume > 0) lines.push(`  ${'delivered'.padEnd(18)}  ${String(w.counts.delivered_on_resume).padStart(6)}  reply lost in a crash; the database showed the stage handled it`);
  if (w.counts.in_doubt > 0) lines.push(`  ${'in_doubt'.padEnd(18)}  ${String(w.counts.in_doubt).padStart(6)}  reply lost; the database could not say whether the stage handled it; not sent again`);
  if (w.inFlight > 0) lines.push(`  ${'sent, no reply'.padEnd(18)}  ${String(w.inFlight).padStart(6)}  settled by the next --resume`);
  return lines;
}

export function showReport(io: Io, id: string, opts: DirOptions): void {
  const dir = runsDirOf(io, opts);
  const w = readWholeRun(openRun(dir, id));
  if (opts.json) {
    io.out(JSON.stringify({
      runId: id, status: w.status, unfinished: w.unfinished, source: w.run.meta.source, settings: w.run.meta.settings,
      wholeRun: { notified: sentOf(w), counts: w.counts, inFlight: w.inFlight }, attempts: w.attempts,
      attemptSummaries: w.summary?.attempts ?? (w.summary ? [w.summary] : []),
      resumeCommand: w.unfinished ? resumeCommand(id, dir, runKindOf(w.run.meta)) : null,
    }));
    return;
  }
  io.out(`run ${id}: ${w.status}; source ${w.run.meta.source}; started ${w.run.meta.createdAt}${w.run.meta.resumes.length ? `; resumed ${w.run.meta.resumes.length}x` : ''}${reasonOf(w) ? `; reason: ${JSON.stringify(reasonOf(w))}` : ''}`);
  for (const line of wholeRunLines(w)) io.out(line);
  io.out('');
  io.out('Attempts');
  for (const a of w.attempts) {
    const counts = Object.entries(a.counts).map(([o, n]) => `${o} ${n}`).join(', ') || 'no reply journaled';
    const settled = a.settled.delivered + a.settled.unresolved + a.settled.resend > 0
      ? `; settled in doubt: ${a.settled.delivered} delivered, ${a.settled.unresolved} not sent again, ${a.settled.resend} sent again` : '';
    const end = a.endedAt ? `ended ${a.endedAt}${a.stop ? ` (stopped: ${a.stop})` : ''}, exit code ${a.exitCode}` : 'no end recorded (crashed or killed, or still running)';
    io.out(`  ${String(a.attempt).padStart(2)}. ${a.attempt === 1 ? 'run   ' : 'resume'} ${a.startedAt ?? '?'}: ${a.sent} sent (${counts})${settled}; ${end}`);
  }
  const last = w.summary;
  if (last && w.status !== 'crashed' && w.status !== 'running' && w.status !== 'running or crashed') {
    io.out('');
    io.out('Latest attempt');
    io.out(summaryText(last).split('\n').filter((l) => l && l !== 'Summary').join('\n'));
  }
  if (w.status === 'crashed' || w.status === 'running or crashed' || w.status === 'running') {
    io.out('');
    io.out(w.status === 'running' ? 'The latest attempt is still running.' : 'The latest attempt wrote no summary (it crashed or was killed).');
  }
  if (w.unfinished) io.out(`To continue: ${resumeCommand(id, dir, runKindOf(w.run.meta))}`);
}

export function registerRunsCommands(program: Command, stdio: () => Io): void {
  // With --json, stderr (an error, a note) is JSON log lines too.
  const guarded = (work: (io: Io) => unknown, json?: boolean) => () => runReported(jsonAwareStderr(stdio(), { format: json ? 'json' : 'text', runId: null }), work);
  program.command('runs')
    .description('list the runs kept in the runs directory, newest last, and how to continue the unfinished ones')
    .option('--runs-dir <dir>', 'runs directory (default ./reprocess-runs)')
    .option('--config <file>', 'YAML config file')
    .option('--json', 'print JSON')
    .action((opts: DirOptions) => guarded((io) => listRuns(io, opts), opts.json)());
  program.command('report')
    .description("print a run's totals over all its attempts, and each attempt's summary; --html writes the morning-after report, --csv one line per packet")
    .argument('<run-id>')
    .option('--runs-dir <dir>', 'runs directory (default ./reprocess-runs)')
    .option('--config <file>', 'YAML config file')
    .option('--json', 'print JSON')
    .option('--html [file]', 'write the report as one self-contained HTML file that loads nothing (default <run dir>/report.html)')
    .option('--csv [file]', 'write one CSV line per packet (default <run dir>/packets.csv)')
    .option('--db-url <url>', 'with --html/--csv: also show where the packets are now (or DB_HOST, DB_PORT, DB_USER, DB_PWD, DB_NAME)')
    .option('--schema <name>', 'schema of the registration tables (default regprc)')
    .action((id: string, opts: ReportOptions) => guarded((io) => (opts.html || opts.csv ? reportFiles(io, id, opts) : showReport(io, id, opts)), opts.json)());
  program.command('verify')
    .description('for every packet a run notified (in any attempt), look at its row now: moved on, processed, still at securezone, dropped by the pipeline, rejected, failed, untouched')
    .argument('<run-id>')
    .option('--runs-dir <dir>', 'runs directory (default ./reprocess-runs)')
    .option('--config <file>', 'YAML config file (database settings)')
    .option('--db-url <url>', 'postgres:// URL (or DB_HOST, DB_PORT, DB_USER, DB_PWD, DB_NAME)')
    .option('--schema <name>', 'schema of the registration tables (default regprc)')
    .option('--message-max-age <age>', 'a packet in flight whose row has not moved for longer was dropped by the pipeline (default: the run\'s own, else 3600s)')
    .option('--json', 'print JSON')
    .action((id: string, opts: DirOptions & { dbUrl?: string; schema?: string; messageMaxAge?: string }) => guarded(async (io) => {
      const flags: Record<string, unknown> = {
        ...(opts.runsDir ? { runsDir: opts.runsDir } : {}), ...(opts.dbUrl ? { dbUrl: opts.dbUrl } : {}), ...(opts.schema ? { schema: opts.schema } : {}),
        ...(opts.messageMaxAge ? { messageMaxAge: opts.messageMaxAge } : {}),
      };
      const report = await verifyRun({ runId: id, flags, env: io.env, configFile: opts.config ?? io.env.REPROCESS_CONFIG });
      io.out(opts.json ? JSON.stringify({ runId: id, ...report }) : `run ${id}\n${renderVerify(report)}`);
    }, opts.json)());
}

interface ReportOptions extends DirOptions { html?: string | boolean; csv?: string | boolean; dbUrl?: string; schema?: string }

/** `report <run-id> --html [file] --csv [file]`: writes the files and prints their paths. */
async function reportFiles(io: Io, id: string, opts: ReportOptions): Promise<void> {
  const { writeReportFiles } = await import('../report/html/reportFiles.js');
  const flags: Record<string, unknown> = { ...(opts.runsDir ? { runsDir: opts.runsDir } : {}), ...(opts.dbUrl ? { dbUrl: opts.dbUrl } : {}), ...(opts.schema ? { schema: opts.schema } : {}) };
  const written = await writeReportFiles({
    runId: id, flags, env: io.env, configFile: opts.config ?? io.env.REPROCESS_CONFIG,
    ...(opts.html ? { html: opts.html } : {}), ...(opts.csv ? { csv: opts.csv } : {}),
  });
  for (const note of written.notes) io.err(`note: ${note}`);
  if (written.html) io.out(`report: ${written.html.path} (${written.html.packets} packets, ${written.html.notForwarded} not forwarded)`);
  if (written.csv) io.out(`csv: ${written.csv.path} (${written.csv.packets} packets${written.csv.withWhereNow ? ', with where each is now' : ''})`);
}
