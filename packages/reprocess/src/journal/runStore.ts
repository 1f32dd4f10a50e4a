// Where runs live: one directory per run under the runs directory, holding run.json (what was asked, with
// secrets removed), journal.jsonl (what happened, append-only) and summary.json (written at the end).
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError } from '../errors.js';
import { Journal } from './journal.js';
import { isRunId, newRunId } from './runId.js';

export interface RunMeta {
  id: string;
  createdAt: string;
  /** The command line's own flags (source, mode, settings given as flags); never a secret. */
  flags: Record<string, unknown>;
  configFile: string | null;
  /** The resolved settings with secrets replaced. */
  settings: Record<string, unknown>;
  /** e.g. "db (APPROACH 1)", "file registrations.txt". */
  source: string;
  /** Times this run was resumed. */
  resumes: string[];
  /** --run-name: the name that finds this run again (a Job's pod replaced by another runs the same command). */
  name?: string;
  /** A notification run or a workflow action run (absent in runs written before: see journal/runIdentity.ts). */
  kind?: RunKind;
  /**
   * The database the run used, without its password (null: none); a resume uses the same one (journal/runIdentity.ts).
   * Absent in runs written before it was kept.
   */
  db?: StoredDb | null;
}

export type RunKind = 'run' | 'action';

/** A run's database as run.json keeps it: never the password. Either the URL it was given, or its fields. */
export interface StoredDb {
  /** postgres://user@host:port/name[?...], the password removed (when the run was given --db-url). */
  url?: string;
  host?: string;
  port?: number;
  user?: string;
  name?: string;
  ssl: 'off' | 'verify' | 'no-verify';
  schema: string;
  /** The URL the run was given carried a password: a resume needs DB_PWD (or dbPassword) for it. */
  hadPassword: boolean;
}

export interface RunHandle {
  id: string;
  dir: string;
  meta: RunMeta;
  journalPath: string;
  summaryPath: string;
  openJournal(): Journal;
  saveMeta(): void;
}

function handle(dir: string, meta: RunMeta): RunHandle {
  const metaPath = join(dir, 'run.json');
  return {
    id: meta.id,
    dir,
    meta,
    journalPath: join(dir, 'journal.jsonl'),
    summaryPath: join(dir, 'summary.json'),
    openJournal: () => new Journal(join(dir, 'journal.jsonl')),
    saveMeta() {
      // Write-then-rename, so a crash never leaves a half-written run.json.
      writeFileSync(metaPath + '.tmp', JSON.stringify(meta, null, 2) + '\n');
      renameSync(metaPath + '.tmp', metaPath);
    },
  };
}

/** A run's kind; runs written before it was kept are told by their source ("action ..."). */
export function runKindOf(meta: Pick<RunMeta, 'kind' | 'source'>): RunKind {
  return meta.kind ?? (String(meta.source).startsWith('action ') ? 'action' : 'run');
}

/** The run's --reason (kept with its settings; older runs had it among the flags), or null. */
export function runReasonOf(meta: Pick<RunMeta, 'settings' | 'flags'>): string | null {
  const r = meta.settings?.reason ?? meta.flags?.reason;
  return typeof r === 'string' ? r : null;
}

/** The newest run of that --run-name in the runs directory, or null. */
export function findRunByName(runsDir: string, name: string): string | null {
  const ids = listRunIds(runsDir);
  for (let i = ids.length - 1; i >= 0; i--) {
    if (openRun(runsDir, ids[i]!).meta.name === name) return ids[i]!;
  }
  return null;
}

export function createRun(runsDir: string, meta: Omit<RunMeta, 'id' | 'createdAt' | 'resumes'>): RunHandle {
  const createdAt = new Date();
  const id = newRunId(createdAt);
  const dir = join(resolve(runsDir), id);
  mkdirSync(dir, { recursive: true });
  const run = handle(dir, { id, createdAt: createdAt.toISOString(), resumes: [], ...meta });
  run.saveMeta();
  return run;
}

export function openRun(runsDir: string, id: string): RunHandle {
  if (!isRunId(id)) throw new InputError(`"${id}" is not a run id (they look like 20261123-181500-1a2b); \`reprocess runs\` lists them`);
  const dir = join(resolve(runsDir), id);
  const metaPath = join(dir, 'run.json');
  if (!existsSync(metaPath)) throw new InputError(`no run ${id} in ${resolve(runsDir)}; \`reprocess runs\` lists them (see --runs-dir)`);
  return handle(dir, JSON.parse(readFileSync(metaPath, 'utf8')) as RunMeta);
}

/** Run ids in the runs directory, oldest first (by creation time: ids made in the same second do not sort). */
export function listRunIds(runsDir: string): string[] {
  const abs = resolve(runsDir);
  if (!existsSync(abs)) return [];
  return readdirSync(abs)
    .filter((name) => isRunId(name) && existsSync(join(abs, name, 'run.json')))
    .map((id) => ({ id, createdAt: (JSON.parse(readFileSync(join(abs, id, 'run.json'), 'utf8')) as RunMeta).createdAt }))
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id))
    .map((r) => r.id);
}
