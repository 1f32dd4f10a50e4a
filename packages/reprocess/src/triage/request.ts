// `reprocess triage` and `reprocess explain` take a run's selection and database flags (and the hold-back settings
// that decide what a run would do); resolved here with the run's own loader and selection checks, before anything
// is read. Both only read, so they need no server, secret or lock.
import { existsSync, statSync } from 'node:fs';
import { loadSettings } from '../config/load.js';
import type { Settings } from '../config/settings.js';
import { InputError } from '../errors.js';
import { checkSelection, modeOf, type RunFlags } from '../config/runSettings.js';
import type { TriageRequest } from './triage.js';

/** Settings from flags, environment and --config, with the origins for messages. */
export function resolveReadSettings(flags: RunFlags, env: NodeJS.ProcessEnv): { settings: Settings; origins: Record<string, string> } {
  const loaded = loadSettings({ flags, env, configFile: flags.config ?? env.REPROCESS_CONFIG });
  const runsDir = loaded.settings.runsDir;
  if (existsSync(runsDir) && !statSync(runsDir).isDirectory()) {
    throw new InputError(`${loaded.origins.runsDir ?? '--runs-dir'} ${runsDir}: not a directory (the journals of earlier runs are read from it)`);
  }
  return loaded;
}

export function resolveTriageRequest(flags: RunFlags, env: NodeJS.ProcessEnv): TriageRequest {
  const { settings, origins } = resolveReadSettings(flags, env);
  const mode = modeOf(flags, settings);
  const dbConfigured = mode === 'db' || 'dbUrl' in origins || 'dbHost' in origins;
  if (!dbConfigured) throw new InputError('triage reads the packets\' rows and history in the database: configure it (DB_HOST or --db-url)');
  checkSelection(settings, mode, origins);
  return { mode, flags, settings, dbConfigured };
}
