// What a run is, as a resume must repeat it: its kind (notification or workflow action run), its flags and its
// database. Every continuation (--resume <id>, --resume last, --run-name, `action --resume`) finds its run and merges
// its flags through continuedRun, and takes its database through withRunDatabase.
// run.json keeps the database without its password (journal/runStore.ts, StoredDb); every continuation of a run
// (--resume <id>, --resume last, --run-name, `action --resume`) uses that database, with the password from the
// environment or the config file as at the start, or is refused with exit 2 saying what to give. A resume never
// falls back to a default database: that is how a --file run resumed with no database lost its hold-back check,
// its run lock and its in-doubt check, and a --db run resumed against localhost.
import { resolve } from 'node:path';
import { describeDb, type DbSettings } from '../db/connect.js';
import { InputError } from '../errors.js';
import type { LoadedSettings } from '../config/load.js';
import type { Settings } from '../config/settings.js';
import { openRun, runKindOf, type RunHandle, type RunKind, type StoredDb } from './runStore.js';
import { latestUnfinishedRun } from './wholeRun.js';

/**
 * What the operator types to continue a run that stopped: the run id and, always, its runs directory. The run's
 * database and settings come from its run.json; secrets from the environment, as at its start.
 */
export function resumeCommand(runId: string, runsDir: string, kind: RunKind = 'run'): string {
  return `reprocess ${kind === 'action' ? 'action ' : ''}--resume ${runId} --runs-dir ${shellQuote(resolve(runsDir))}`;
}

function shellQuote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * The run a continuation of `kind` continues: `wanted` is its id, or "last" for the newest unfinished run of that
 * kind. A run of the other kind is refused with the command that does continue it (a notification command never
 * takes over an action run, nor the reverse). `flags`: the run's kept flags, under the ones given now.
 */
export function continuedRun(runsDir: string, wanted: string, kind: RunKind, given: Record<string, unknown>): { run: RunHandle; flags: Record<string, unknown> } {
  const command = kind === 'action' ? 'action --resume' : '--resume';
  const id = wanted === 'last' ? latestUnfinishedRun(runsDir, kind) : wanted;
  if (!id) throw new InputError(`${command} last: no unfinished ${kind === 'action' ? 'action ' : ''}run in ${runsDir} (see --runs-dir; \`reprocess runs\` lists them)`);
  const run = openRun(runsDir, id);
  const actual = runKindOf(run.meta);
  if (actual !== kind) {
    throw new InputError(actual === 'action'
      ? `run ${id} is a workflow action run (${run.meta.source}): continue it with \`${resumeCommand(id, runsDir, 'action')}\`; nothing was sent`
      : `run ${id} is not an action run; continue it with \`${resumeCommand(id, runsDir)}\``);
  }
  const now = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined));
  return { run, flags: { ...run.meta.flags, ...now } };
}

/** Settings that choose the database; given in any layer (flag, environment, config file), they name one. */
const DB_KEYS = ['dbUrl', 'dbHost', 'dbPort', 'dbUser', 'dbName', 'dbSchema', 'dbSsl'] as const;

/** The database of these settings as run.json keeps it (no password), or null when the run has none. */
export function storedDbOf(s: Settings, dbConfigured: boolean): StoredDb | null {
  if (!dbConfigured) return null;
  if (s.dbUrl) {
    const u = new URL(s.dbUrl);
    const hadPassword = u.password !== '';
    u.password = '';
    return { url: u.toString(), ssl: s.dbSsl, schema: s.dbSchema, hadPassword };
  }
  return { host: s.dbHost, port: s.dbPort, user: s.dbUser, name: s.dbName, ssl: s.dbSsl, schema: s.dbSchema, hadPassword: false };
}

/** "user@host:port/db schema s": how messages name a database. */
export function whereOf(db: DbSettings, schema: string): string {
  return `${describeDb(db)} schema ${schema}`;
}

function storedSettings(stored: StoredDb): DbSettings {
  return stored.url !== undefined
    ? { url: stored.url }
    : { host: stored.host, port: stored.port, user: stored.user, database: stored.name };
}

function givenSettings(s: Settings): DbSettings {
  return { url: s.dbUrl, host: s.dbHost, port: s.dbPort, user: s.dbUser, database: s.dbName };
}

/**
 * The loaded settings of a continuation of `run`, with the run's own database put in. Throws InputError when
 * they name another database, or when the run's URL carried a password and none is given now.
 * `dbConfigured` says whether the continuation has a database (the run's, or, for a run that had none, one given now).
 */
export function withRunDatabase(run: RunHandle, loaded: LoadedSettings, needsDb: boolean): { loaded: LoadedSettings; dbConfigured: boolean } {
  const { settings, origins } = loaded;
  const given = DB_KEYS.filter((k) => k in origins);
  const stored = run.meta.db;
  if (stored === undefined) {
    // A run written before run.json kept its database: only what is given now can say which it was.
    if (needsDb && !given.some((k) => k !== 'dbSchema' && k !== 'dbSsl')) {
      throw new InputError(`run ${run.id} was started before runs kept their database, and none is given: give the same database as its start `
        + '(--db-url postgres://user@host:port/db, or DB_HOST, DB_PORT, DB_USER, DB_NAME; --schema; the password in DB_PWD); nothing was sent');
    }
    return { loaded, dbConfigured: needsDb || given.includes('dbUrl') || given.includes('dbHost') };
  }
  if (stored === null) {
    // The run had no database; one given now only adds checks (hold-back, lock, in-doubt).
    return { loaded, dbConfigured: given.includes('dbUrl') || given.includes('dbHost') };
  }
  const theirs = whereOf(storedSettings(stored), stored.schema);
  const differing = given.filter((k) => !sameAsStored(k, settings, stored));
  if (differing.length > 0) {
    const ours = whereOf(givenSettings(settings), settings.dbSchema);
    const from = differing.map((k) => origins[k]).join(', ');
    throw new InputError(`run ${run.id} sent its packets with database ${theirs} (ssl ${stored.ssl}); this resume is given ${ours} (ssl ${settings.dbSsl}; from ${from}). `
      + 'A resume uses the run\'s own database: give the same one, or none at all (run.json keeps it, without the password); nothing was sent');
  }
  if (stored.hadPassword && !settings.dbPassword) {
    throw new InputError(`run ${run.id} connected to ${theirs} with a password in its database URL, which run.json does not keep: `
      + 'set DB_PWD (or dbPassword in the config file) to resume it; nothing was sent');
  }
  const db: Partial<Settings> = stored.url !== undefined
    ? { dbUrl: withPassword(stored.url, settings.dbPassword) }
    : { dbUrl: undefined, dbHost: stored.host!, dbPort: stored.port!, dbUser: stored.user!, dbName: stored.name! };
  return {
    loaded: {
      settings: { ...settings, ...db, dbSsl: stored.ssl, dbSchema: stored.schema },
      origins: { ...origins, ...(stored.url !== undefined ? { dbUrl: `run.json of ${run.id}` } : { dbHost: `run.json of ${run.id}` }), dbSchema: origins.dbSchema ?? `run.json of ${run.id}` },
    },
    dbConfigured: true,
  };
}

/** Whether the setting given now says what the run's own database says (each part on its own: a resume may repeat some). */
function sameAsStored(key: (typeof DB_KEYS)[number], s: Settings, stored: StoredDb): boolean {
  if (key === 'dbSchema') return s.dbSchema === stored.schema;
  if (key === 'dbSsl') return s.dbSsl === stored.ssl;
  const theirs = fieldsOf(storedSettings(stored));
  if (key === 'dbUrl') return describeDb({ url: s.dbUrl }) === describeDb(theirs);
  const ours = { dbHost: s.dbHost, dbPort: s.dbPort, dbUser: s.dbUser, dbName: s.dbName }[key];
  const stored_ = { dbHost: theirs.host, dbPort: theirs.port, dbUser: theirs.user, dbName: theirs.database }[key];
  return String(ours) === String(stored_);
}

/** Host, port, user and database of settings given either way. */
function fieldsOf(db: DbSettings): DbSettings {
  if (db.url === undefined) return { host: db.host, port: db.port ?? 5432, user: db.user, database: db.database };
  const u = new URL(db.url);
  return { host: u.hostname, port: Number(u.port || 5432), user: decodeURIComponent(u.username), database: decodeURIComponent(u.pathname.replace(/^\//, '')) };
}

function withPassword(url: string, password: string | undefined): string {
  if (!password) return url;
  const u = new URL(url);
  u.password = encodeURIComponent(password);
  return u.toString();
}
