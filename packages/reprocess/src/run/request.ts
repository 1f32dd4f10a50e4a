// A run request: where the packets come from, how the run goes, and the resolved settings. Built from the
// command line's flags (or from code) before anything is created, sent or fetched: every check of the
// settings happens here (config/runSettings.ts), so a bad value never leaves a run directory or a used token
// behind; a continuation (--resume, --run-name) is the run its runs directory names, with its own database.
import { loadSettings } from '../config/load.js';
import { checkRunName, checkSettings, modeOf, type Mode, type RunFlags } from '../config/runSettings.js';
import { validateBeforeRun } from '../config/validate.js';
import { InputError, UnreachableError } from '../errors.js';
import { replayJournal, type Replayed } from '../journal/replay.js';
import { findRunByName, openRun, type RunHandle } from '../journal/runStore.js';
import { continuedRun, withRunDatabase } from '../journal/runIdentity.js';
import { runStatus } from '../journal/wholeRun.js';
import type { Settings } from '../config/settings.js';

export { flagsToKeep, type Mode, type RunFlags } from '../config/runSettings.js';
export { resumeCommand } from '../journal/runIdentity.js';

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
  /** --run-name of a run that already finished: there is nothing to do; the command exits with its exit code. */
  finished: { runId: string; name: string; exitCode: number } | null;
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
    checkRunName(flags.runName);
    if (flags.resume) throw new InputError('--run-name finds its run by name: give --run-name or --resume, not both');
    if (flags.dryRun) throw new InputError('--run-name names a run that sends; a dry run has no run to name');
    const id = findRunByName(loaded.settings.runsDir, flags.runName);
    if (id) {
      // From the journal's tail: a finished run of millions of packets is not read whole at every pod start.
      const named = runStatus(openRun(loaded.settings.runsDir, id));
      if (named.status === 'running') throw new UnreachableError(`run ${id} (--run-name ${flags.runName}) is still running on this host (pid ${named.lastStart?.pid}); not starting it twice`);
      if (named.unfinished) flags = { ...flags, resume: id };
      else finished = { runId: id, name: flags.runName, exitCode: named.lastEnd?.exitCode ?? 0 };
    }
  }
  let dbConfigured: boolean | null = null;
  if (flags.resume) {
    const continued = continuedRun(loaded.settings.runsDir, flags.resume, 'run', flags);
    const { run } = continued;
    flags = { ...continued.flags, resume: run.id } as RunFlags;
    const configFile = flags.config ?? run.meta.configFile ?? env.REPROCESS_CONFIG;
    loaded = loadSettings({ flags, env, configFile: configFile ?? undefined });
    // The run's own database, never a default (journal/runIdentity.ts).
    ({ loaded, dbConfigured } = withRunDatabase(run, loaded, modeOf(flags, loaded.settings) === 'db'));
    validateBeforeRun({ settings: loaded.settings, origins: loaded.origins, dryRun: Boolean(flags.dryRun) });
    // A --pace auto resume looks for late drops among the forwarded packets: it needs their rid and send time.
    resume = { run, replayed: replayJournal(run.journalPath, { detail: loaded.settings.pace === 'auto' }) };
  }
  const { settings, origins } = loaded;
  const mode = modeOf(flags, settings);
  dbConfigured ??= mode === 'db' || 'dbUrl' in origins || 'dbHost' in origins;
  checkSettings(flags, settings, mode, dbConfigured, origins);
  return { mode, settings, origins, flags, dbConfigured, resume, finished };
}

