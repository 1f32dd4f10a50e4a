// The checks a run makes before it does anything: before a database connection, a token, a run directory, a
// journal or a log file exists. Each names the flag (or environment variable, or file:line) that was wrong and
// is an InputError (exit 2). Values themselves (numbers, durations, URLs) are checked when settings load.
import { accessSync, constants, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { InputError } from '../errors.js';
import { readQueryFile } from './queryFile.js';
import { flagName, settingByKey, type Settings } from './settings.js';

export interface RunIntent {
  settings: Settings;
  /** Where each explicitly set value came from (loadSettings' origins). */
  origins: Record<string, string>;
  /** A dry run writes nothing: the directories are not checked. */
  dryRun?: boolean;
}

/** Throws an InputError for the first thing that would make the run fail after it started creating things. */
export function validateBeforeRun(intent: RunIntent): void {
  const { settings: s } = intent;
  const name = (key: string) => nameOf(key, intent.origins);
  if (s.queryFile) readQueryFile(s.queryFile, name('queryFile'));
  if (s.caFile) checkReadableFile(s.caFile, name('caFile'));
  if (intent.dryRun) return;
  checkUsableDir(s.runsDir, name('runsDir'));
  checkUsableDir(s.logDir, name('logDir'), ['out.log', 'last.log']);
}

/** "--runs-dir", "environment variable REPROCESS_RUNS_DIR", "night.yaml:3 (runsDir)", or "--runs-dir (default)". */
function nameOf(key: string, origins: Record<string, string>): string {
  const given = origins[key];
  if (given) return given;
  const setting = settingByKey(key);
  return `${(setting && flagName(setting)) ?? key} (default)`;
}

function checkReadableFile(path: string, name: string): void {
  try {
    if (!statSync(path).isFile()) throw new InputError(`${name} ${path}: not a regular file`);
    accessSync(path, constants.R_OK);
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(`${name} ${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
}

/**
 * The directory exists and is writable, or can be created: its nearest existing ancestor is a writable
 * directory. `files` are names the run writes inside it, which must not be directories.
 */
function checkUsableDir(dir: string, name: string, files: readonly string[] = []): void {
  const abs = resolve(dir);
  let path = abs;
  for (;;) {
    let isDir: boolean;
    try {
      isDir = statSync(path).isDirectory();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if ((code === 'ENOENT' || code === 'ENOTDIR') && dirname(path) !== path) {
        path = dirname(path);
        continue;
      }
      throw new InputError(`${name} ${dir}: cannot use it (${code ?? String(err)})`);
    }
    if (!isDir) {
      throw new InputError(path === abs
        ? `${name} ${dir}: is a file, not a directory`
        : `${name} ${dir}: cannot create it, ${path} is a file, not a directory`);
    }
    try {
      accessSync(path, constants.W_OK | constants.X_OK);
    } catch {
      throw new InputError(path === abs
        ? `${name} ${dir}: this user cannot write there`
        : `${name} ${dir}: cannot create it, this user cannot write in ${path}`);
    }
    break;
  }
  if (path !== abs) return;
  for (const file of files) {
    let isDir = false;
    try {
      isDir = statSync(join(abs, file)).isDirectory();
    } catch {
      // absent: the run creates it
    }
    if (isDir) throw new InputError(`${name} ${dir}: ${file} there is a directory; the run writes a file of that name`);
  }
}
