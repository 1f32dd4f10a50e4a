// A run request: where the packets come from, how the run goes, and the resolved settings. Built from the
// command line's flags (or from code) before anything is created, sent or fetched: every check of the
// settings happens here, so a bad value never leaves a run directory or a used token behind.
import { resolve } from 'node:path';
import { flagAttribute, loadSettings } from '../config/load.js';
import { SECRET_KEYS, SETTINGS, type Settings } from '../config/settings.js';
import { validateBeforeRun } from '../config/validate.js';
import { InputError, UnreachableError } from '../errors.js';
import { checkWindowFloor } from '../config/safety.js';
import { checkCohortFlags } from '../triage/cohortFlags.js';
import { replayJournal, type Replayed } from '../journal/replay.js';
import { findRunByName, openRun, type RunHandle } from '../journal/runStore.js';
import { latestUnfinishedRun, runStatus } from '../journal/wholeRun.js';

const RUN_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/** Flags that are not settings: where packets come from and how the run goes. */
export interface RunFlags extends Record<string, unknown> {
  db?: boolean;
  file?: string;
  registration?: string[];
  config?: string;
  dryRun?: boolean;
  canary?: boolean;
  all?: boolean;
  /** A run id, or "last": the newest unfinished run in the runs directory. */
  resume?: string;
  /** Idempotent runs: resume the unfinished run of this name, do nothing if it finished, else start it. */
  runName?: string;
  resendInDoubt?: boolean;
  /** --cohort (repeatable): only packets of these triage cohorts (src/triage/cohort.ts). */
  cohort?: string[];
  /** --by-cohort, with --canary: one canary per cohort first (src/run/cohortCanary.ts). */
  byCohort?: boolean;
}

export type Mode = 'db' | 'file' | 'registration';

export interface RunRequest {
  mode: Mode;
  settings: Settings;
  /** Where each setting came from (flag, environment, file:line), for messages. */
  origins: Record<string, string>;
  /** The flags as given (merged with the stored ones on --resume). */
  flags: RunFlags;
  /** Whether database settings were given (always for --db; optional for --file and --registration). */
  dbConfigured: boolean;
  /** The run being resumed and what its journal says, or null for a new run. */
  resume: { run: RunHandle; replayed: Replayed } | null;
  /** --run-name of a run that already finished: there is nothing to do. */
  finished: { runId: string; name: string } | null;
}

export function modeOf(flags: RunFlags, s: Settings): Mode {
  const modes: Mode[] = [];
  if (flags.db || (s.queryFile && !flags.file && !flags.registration)) modes.push('db');
  if (flags.file !== undefined) modes.push('file');
  if (flags.registration !== undefined) modes.push('registration');
  if (modes.length === 0) throw new InputError('say where the packets come from: --db, --file <path> or --registration "<rid>, <process>, <workflow id>"');
  if (modes.length > 1) throw new InputError(`use one source at a time, not ${modes.map((m) => `--${m}`).join(' and ')}`);
  return modes[0]!;
}

/** --pace auto and its settings (src/pacer/auto.ts). */
function checkPace(s: Settings, origins: Record<string, string>, dbConfigured: boolean): void {
  if (s.pace !== 'auto') {
    for (const key of ['maxWait', 'maxInPipeline'] as const) {
      if (key in origins) throw new InputError(`${origins[key]}: ${key === 'maxWait' ? '--max-wait' : '--max-in-pipeline'} sets how --pace auto paces; add --pace auto`);
    }
    return;
  }
  if (!dbConfigured) {
    throw new InputError('--pace auto sets its rate by watching the notified packets in the database (read only), and no database is configured: '
      + 'set DB_HOST (or --db-url), or pace with --delay/--rate instead');
  }
  const maxWait = s.maxWait ?? s.messageMaxAge / 2;
  if (maxWait >= s.messageMaxAge) {
    throw new InputError(`--max-wait ${maxWait}s must be under --message-max-age ${s.messageMaxAge}s: a packet that waits that long is dropped by the pipeline`);
  }
}

/** The checks of the selection flags alone, shared with `reprocess triage` (which takes the same ones). */
export function checkSelection(s: Settings, mode: Mode, origins: Record<string, string>): void {
  // The age window selects rows only in the built-in --db selection.
  if (mode === 'db' && !s.queryFile) checkWindowFloor(s, origins.olderThan ?? '--older-than');
  if (s.stages.length > 0 && s.approach !== 2) {
    throw new InputError('--stages adds latest_trn_type_code values to APPROACH 2; use it with --approach 2');
  }
  if (mode !== 'db' && (s.approach !== 1 || s.stages.length > 0)) {
    throw new InputError('--approach and --stages choose rows in the database; they do not apply to --file or --registration');
  }
  if (s.queryFile && s.approach === 2) {
    throw new InputError('--query-file replaces the built-in selection; put any stage filter in the query itself instead of --approach 2');
  }
}

function checkSettings(flags: RunFlags, s: Settings, mode: Mode, dbConfigured: boolean, origins: Record<string, string>): void {
  checkSelection(s, mode, origins);
  checkCohortFlags(flags, dbConfigured);
  if (flags.all && mode !== 'db') throw new InputError('--all runs batches of the database selection; with --file or --registration every listed packet is sent anyway');
  if (flags.all && s.queryFile) throw new InputError('--all re-runs the built-in selection; it does not apply to --query-file');
  if (flags.dryRun && mode === 'db' && s.queryFile) throw new InputError('--dry-run with --query-file: run the query yourself; the breakdown covers the built-in selection');
  if (s.rate !== undefined && s.delay !== 1) throw new InputError('give --rate or --delay, not both (--rate R is --delay 1/R)');
  checkPace(s, origins, dbConfigured);
  if (flags.dryRun) return; // a dry run needs neither server nor secret
  if (flags.canary && !dbConfigured) throw new InputError('--canary watches the packet in the database: configure it (DB_HOST or --db-url)');
  if (!s.server) throw new InputError('no MOSIP server: give --server <url>, REPROCESS_SERVER, or "server:" in the config file');
  if (!s.clientSecret) throw new InputError('no client secret: set REGPROC_CLIENT_PWD (or clientSecret in the config file)');
}

/** The flags worth keeping in run.json so that --resume repeats the same run. A URL with a password is dropped. */
export function flagsToKeep(flags: RunFlags): Record<string, unknown> {
  const keep: Record<string, unknown> = {};
  const settingAttrs = new Map(SETTINGS.filter((s) => 'flag' in s).map((s) => [flagAttribute((s as { flag: string }).flag), s.key]));
  for (const [name, value] of Object.entries(flags)) {
    if (value === undefined || ['resume', 'dryRun', 'config', 'resendInDoubt', 'debug', 'runName'].includes(name)) continue;
    const key = settingAttrs.get(name);
    if (key && SECRET_KEYS.has(key)) continue;
    keep[name] = value;
  }
  return keep;
}

/**
 * Resolves flags (and the environment and config file) into a request, or throws an InputError naming the
 * flag or setting. For --resume, the stored run's flags lie under the ones given now.
 */
export function resolveRunRequest(givenFlags: RunFlags, env: NodeJS.ProcessEnv): RunRequest {
  let flags = givenFlags;
  let resume: RunRequest['resume'] = null;
  let finished: RunRequest['finished'] = null;
  let loaded = loadSettings({ flags, env, configFile: flags.config ?? env.REPROCESS_CONFIG });
  // Directories and files the run needs, checked before the runs directory is even read (--run-name, --resume).
  validateBeforeRun({ settings: loaded.settings, origins: loaded.origins, dryRun: Boolean(flags.dryRun) });
  if (flags.runName !== undefined) {
    if (!RUN_NAME.test(flags.runName)) throw new InputError(`--run-name "${flags.runName}": use 1 to 63 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit`);
    if (flags.resume) throw new InputError('--run-name finds its run by name: give --run-name or --resume, not both');
    if (flags.dryRun) throw new InputError('--run-name names a run that sends; a dry run has no run to name');
    const id = findRunByName(loaded.settings.runsDir, flags.runName);
    if (id) {
      // From the journal's tail: a finished run of millions of packets is not read whole at every pod start.
      const named = runStatus(openRun(loaded.settings.runsDir, id));
      if (named.status === 'running') throw new UnreachableError(`run ${id} (--run-name ${flags.runName}) is still running on this host (pid ${named.lastStart?.pid}); not starting it twice`);
      if (named.unfinished) flags = { ...flags, resume: id };
      else finished = { runId: id, name: flags.runName };
    }
  }
  if (flags.resume) {
    const id = flags.resume === 'last' ? latestUnfinishedRun(loaded.settings.runsDir) : flags.resume;
    if (!id) throw new InputError(`--resume last: no unfinished run in ${loaded.settings.runsDir} (see --runs-dir; \`reprocess runs\` lists them)`);
    const run = openRun(loaded.settings.runsDir, id);
    const given = Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined));
    flags = { ...run.meta.flags, ...given, resume: id };
    const configFile = flags.config ?? run.meta.configFile ?? env.REPROCESS_CONFIG;
    loaded = loadSettings({ flags, env, configFile: configFile ?? undefined });
    validateBeforeRun({ settings: loaded.settings, origins: loaded.origins, dryRun: Boolean(flags.dryRun) });
    // A --pace auto resume looks for late drops among the forwarded packets: it needs their rid and send time.
    resume = { run, replayed: replayJournal(run.journalPath, { detail: loaded.settings.pace === 'auto' }) };
  }
  const { settings, origins } = loaded;
  const mode = modeOf(flags, settings);
  const dbConfigured = mode === 'db' || 'dbUrl' in origins || 'dbHost' in origins;
  checkSettings(flags, settings, mode, dbConfigured, origins);
  return { mode, settings, origins, flags, dbConfigured, resume, finished };
}

/** What the operator types to continue a run that stopped: the run id and, always, its runs directory. */
export function resumeCommand(runId: string, runsDir: string): string {
  return `reprocess --resume ${runId} --runs-dir ${shellQuote(resolve(runsDir))}`;
}

function shellQuote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}
