// Runs the real `reprocess` binary in a child process, as an operator would, with a fresh log and runs dir.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RUN_ID_SOURCE } from 'mosip-reprocess/journal/runId.js';

export const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'reprocess', 'bin', 'reprocess.js');

export interface CliRun { code: number; stdout: string; stderr: string; logDir: string; runsDir: string }

export interface CliOptions {
  env: Record<string, string>;
  /** Reuse a log/runs dir (for --resume); default a fresh temp dir. */
  logDir?: string;
  /** The runs dir; default <logDir>/runs (shards of one Job share it while each has its own logs). */
  runsDir?: string;
  /** Called once the child is running, e.g. to kill it. */
  onSpawn?: (child: ChildProcess, output: { stdout: () => string; stderr: () => string }) => void;
}

export function runCli(args: string[], options: CliOptions): Promise<CliRun> {
  const logDir = options.logDir ?? mkdtempSync(join(tmpdir(), 'reprocess-logs-'));
  const runsDir = options.runsDir ?? join(logDir, 'runs');
  return new Promise((resolve) => {
    const subcommand = ['runs', 'report', 'verify'].includes(args[0] ?? '');
    const dirs = subcommand ? ['--runs-dir', runsDir] : ['--log-dir', logDir, '--runs-dir', runsDir];
    const child = spawn(process.execPath, [BIN, ...args, ...dirs], {
      env: { PATH: process.env.PATH ?? '', ...options.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    options.onSpawn?.(child, { stdout: () => stdout, stderr: () => stderr });
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 + 9 : -1), stdout, stderr, logDir, runsDir }));
  });
}

/** Everything a run wrote: stdout, stderr, logs, and every file of its runs dir. */
export function allText(run: CliRun): string {
  const files = readdirSync(run.logDir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => readFileSync(join(e.parentPath ?? e.path, e.name), 'utf8'));
  return run.stdout + run.stderr + files.join('\n');
}

/** The run id a run printed ("run 20261123-180421-5721 started"). */
export function runIdOf(run: Pick<CliRun, 'stderr'>): string {
  const m = new RegExp(`run (${RUN_ID_SOURCE}) (started|resumed)`).exec(run.stderr);
  if (!m) throw new Error(`no run id in: ${run.stderr}`);
  return m[1]!;
}

export function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}
