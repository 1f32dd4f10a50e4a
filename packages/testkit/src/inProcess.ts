// A run as `reprocess` makes it (resolveRunRequest, then runReprocess or dryRunReprocess; verifyRun for `verify`), in
// the test's own process. For tests of what the library decides (what is sent, the canary, batches, budgets,
// verify's classes): a child process costs about half a CPU-second, and the CLI adds only the printing. What needs a
// process of its own stays with runCli (cli.ts): exit codes and output as an operator sees them, signals, kill -9,
// locks between processes, secrets in output.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  dryRunReprocess, resolveRunRequest, runReprocess, verifyRun,
  type DryRunReport, type RunEvent, type RunFlags, type RunResult, type VerifyReport,
} from 'mosip-reprocess';
import { actionCommand } from 'mosip-reprocess/cli/actionCommand.js';
import { runCommand } from 'mosip-reprocess/cli/runCommand.js';

export interface LibraryRun {
  result: RunResult;
  events: RunEvent[];
  /** The note, warning and breaker events as the CLI prints them on stderr ("warning: " before a warning), one a line. */
  notes: string;
  logDir: string;
  runsDir: string;
}

function dirs(logDir?: string): { logDir: string; runsDir: string } {
  const dir = logDir ?? mkdtempSync(join(tmpdir(), 'reprocess-logs-'));
  return { logDir: dir, runsDir: join(dir, 'runs') };
}

/** `reprocess <flags>` for a run (not a dry run), in this process, with a fresh log and runs dir unless given. */
export async function runInProcess(
  flags: RunFlags, env: Record<string, string>,
  options: { logDir?: string; signal?: AbortSignal; onEvent?: (event: RunEvent) => void } = {},
): Promise<LibraryRun> {
  const { logDir, runsDir } = dirs(options.logDir);
  const request = resolveRunRequest({ ...flags, logDir, runsDir }, env);
  const events: RunEvent[] = [];
  const result = await runReprocess(request, (e) => { events.push(e); options.onEvent?.(e); }, options.signal ? { signal: options.signal } : {});
  const notes = events.flatMap((e) => (e.type === 'note' ? [e.message] : e.type === 'warning' || e.type === 'breaker' ? [`warning: ${e.message}`] : [])).join('\n');
  return { result, events, notes, logDir, runsDir };
}

/** `reprocess <flags> --dry-run --json`, in this process: the report the CLI prints as JSON. */
export async function dryRunInProcess(flags: RunFlags, env: Record<string, string>): Promise<DryRunReport> {
  const { logDir, runsDir } = dirs();
  return dryRunReprocess(resolveRunRequest({ ...flags, dryRun: true, logDir, runsDir }, env));
}

/** `reprocess verify <run-id> --json --runs-dir <runsDir> [flags]`, in this process: the report the CLI prints as JSON. */
export function verifyInProcess(runId: string, runsDir: string, env: Record<string, string>, flags: Record<string, unknown> = {}): Promise<VerifyReport> {
  return verifyRun({ runId, flags: { ...flags, runsDir }, env });
}

/** What the CLI printed and its exit code, for a command run in this process (cliInProcess, actionInProcess). */
export interface InProcessCli {
  code: number;
  stdout: string;
  stderr: string;
  logDir: string;
  runsDir: string;
}

export interface InProcessCliOptions {
  logDir?: string;
  /** Default <logDir>/runs. */
  runsDir?: string;
  /** Ctrl-C: the command's stop signal. */
  signal?: AbortSignal;
  /** Each stderr line as it is printed (e.g. to see "run <id> started" while the run goes on). */
  onErr?: (line: string) => void;
}

async function printed(
  options: InProcessCliOptions, run: (dirs: { logDir: string; runsDir: string }, io: Parameters<typeof runCommand>[1]) => Promise<number>,
  env: Record<string, string>,
): Promise<InProcessCli> {
  const { logDir } = dirs(options.logDir);
  const runsDir = options.runsDir ?? join(logDir, 'runs');
  const out: string[] = [];
  const err: string[] = [];
  const code = await run({ logDir, runsDir }, {
    out: (line) => out.push(line),
    err: (line) => { err.push(line); options.onErr?.(line); },
    env,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return { code, stdout: out.join('\n'), stderr: err.join('\n'), logDir, runsDir };
}

/**
 * `reprocess <flags>` as the CLI runs it, in this process: its exit code (errors mapped as the CLI maps them) and
 * what it prints. For harnesses that need exit codes and output without a child process (src/scenarios).
 */
export function cliInProcess(flags: RunFlags, env: Record<string, string>, options: InProcessCliOptions = {}): Promise<InProcessCli> {
  return printed(options, (d, io) => runCommand({ ...flags, logDir: d.logDir, runsDir: d.runsDir }, io), env);
}

/** `reprocess action <action> <flags>` as the CLI runs it, in this process. */
export function actionInProcess(action: string, flags: Record<string, unknown>, env: Record<string, string>, options: InProcessCliOptions = {}): Promise<InProcessCli> {
  return printed(options, (d, io) => actionCommand(action, { ...flags, logDir: d.logDir, runsDir: d.runsDir }, io), env);
}
