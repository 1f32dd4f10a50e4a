// The settings of a run as its command line, environment and config file give them, checked before anything is
// created, sent or fetched: where the packets come from (the mode), and every combination of settings that cannot
// work. The run (run/request.ts) adds what only its runs directory can say (--resume, --run-name); `reprocess k8s`
// checks the pod's own command line with the same rules.
import { hideUrlPasswords } from './redact.js';
import { flagAttribute, loadSettings, type LoadedSettings } from './load.js';
import { SECRET_KEYS, SETTINGS, type Settings } from './settings.js';
import { validateBeforeRun } from './validate.js';
import { InputError } from '../errors.js';
import { checkWindowFloor } from './safety.js';
import { checkCohortFlags } from './cohortFlags.js';

export const RUN_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

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
  /** --cohort (repeatable): only packets of these triage cohorts (domain/cohort.ts). */
  cohort?: string[];
  /** --by-cohort, with --canary: one canary per cohort first (run/cohortCanary.ts). */
  byCohort?: boolean;
}

export type Mode = 'db' | 'file' | 'registration';


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

export function checkSettings(flags: RunFlags, s: Settings, mode: Mode, dbConfigured: boolean, origins: Record<string, string>): void {
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
    keep[name] = hideUrlPasswords(value); // run.json: a URL's password is not kept (the tool never sends it)
  }
  return keep;
}

/** --run-name's form (a directory name, a Kubernetes-friendly one). */
export function checkRunName(name: string): void {
  if (!RUN_NAME.test(name)) throw new InputError(`--run-name "${name}": use 1 to 63 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit`);
}

/** The settings of a new run (no --resume: its runs directory is not read), checked; throws InputError naming the flag or setting. */
export function resolveRunSettings(flags: RunFlags, env: NodeJS.ProcessEnv): LoadedSettings & { mode: Mode; dbConfigured: boolean } {
  if (flags.runName !== undefined) checkRunName(flags.runName);
  const loaded = loadSettings({ flags, env, configFile: flags.config ?? env.REPROCESS_CONFIG });
  validateBeforeRun({ settings: loaded.settings, origins: loaded.origins, dryRun: Boolean(flags.dryRun) });
  const mode = modeOf(flags, loaded.settings);
  const dbConfigured = mode === 'db' || 'dbUrl' in loaded.origins || 'dbHost' in loaded.origins;
  checkSettings(flags, loaded.settings, mode, dbConfigured, loaded.origins);
  return { ...loaded, mode, dbConfigured };
}
