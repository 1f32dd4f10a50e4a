// The simulator's commands, for the CLI to wire: run the simulator, create the regprc tables, seed a backlog.
// They parse and print only; the work is in server.ts, sql/schema.ts and seed.ts. Secrets are never printed.
import type pg from 'pg';
import { createPool, describeDb } from 'mosip-reprocess/db/connect.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../embedded/pglite.js';
import { InputError, UnreachableError } from 'mosip-reprocess/errors.js';
import { AUTH_PATH, NOTIFICATION_PATH } from '@mosip-reprocess/contract/wire.js';
import { isValidSchemaName } from '@mosip-reprocess/contract/sql/ident.js';
import { createSchema } from '@mosip-reprocess/contract/schema.js';
import {
  describeFaults, FaultSettingsError, parseFaultPatch, parseMillisText, parseRangeText, parseRateText, type FaultSettings,
} from './faults.js';
import { DEFAULT_CLIENT_ID, MAX_CLOCK_SKEW_MS } from './options.js';
import { DEFAULT_SECUREZONE_WORKERS } from './workerPool.js';
import { DEFAULT_STAGES, PIPELINE_DEFAULTS, startPipeline, type PipelineModel } from './pipeline.js';
import { describePipeline, numberOption, parsePipelineSettings } from '../demo/pipelineOptions.js';
import { formatMs, parseDurationMs, parseNumber, ValueProblem } from 'mosip-reprocess/config/values.js';
import { seedScenario, type SeedSummary } from './seed.js';
import { FAULTS_PATH, HEALTH_PATH, startSimulator, STATS_PATH } from './server.js';
import { waitForStopSignal } from './signals.js';

/** Where output goes and where the secret may come from; tests pass their own. */
export interface CommandIo {
  out(line: string): void;
  env: NodeJS.ProcessEnv;
  /** Resolves when the running simulator should stop. Default: SIGINT or SIGTERM. */
  untilStopped?: Promise<unknown>;
}

const defaultIo = (): CommandIo => ({ out: (line) => process.stdout.write(`${line}\n`), env: process.env });

export const SECRET_ENV = 'REGPROC_CLIENT_PWD';
export const DEFAULT_SIMULATOR_PORT = 8090; // mosip.regproc.securezone.notification.server.port

export interface DbCommandOptions {
  /** postgres:// URL of the database to use. */
  dbUrl?: string;
  /** Default 'regprc'. */
  schema?: string;
}

export interface SimulatorCommandOptions extends DbCommandOptions {
  host?: string;
  /** Default 8090; 0 picks a free port. */
  port?: number | string;
  /** JWT lifetime in seconds. Default 86400. */
  tokenLifetime?: number | string;
  /** securezone.routing.enabled. Default true. */
  routing?: boolean;
  clientId?: string;
  /** The client secret; default: the REGPROC_CLIENT_PWD environment variable. */
  secret?: string;
  /** Fault injection (faults.ts), as given on the command line; none by default. */
  faults?: FaultFlags;
  /** The simulated 1.2.0.1 pipeline behind the stage (pipeline.ts); off by default. */
  pipeline?: PipelineFlags;
  /** --securezone-workers <n>: notifications the stage handles at once, more wait (default 10, MOSIP's worker pool). */
  securezoneWorkers?: number | string;
  /** --clock-skew <offset>: the MOSIP pods' clock off the database's, e.g. "+90s" (ahead), "-5s" (behind); default 0. */
  clockSkew?: string | number;
}

/** --pipeline and the --pipeline-* flags, as text (numbers are accepted too). */
export interface PipelineFlags {
  /** --pipeline: forwarded packets move through the stages in the database. */
  enabled?: boolean;
  /** --pipeline-latency <ms> per stage (default 200). */
  latency?: string | number;
  /** --pipeline-capacity <packets/s>, 0 = no limit (default 20). */
  capacity?: string | number;
  /** --pipeline-failure-rate <p> per stage step (default 0). */
  failureRate?: string | number;
  /** --pipeline-failure-mode FAILED|REPROCESS|mixed (default REPROCESS). */
  failureMode?: string;
  /** --pipeline-seed <n> (default: random, printed). */
  seed?: string | number;
  /** --pipeline-max-message-age <age> (default 3600s). */
  maxMessageAge?: string | number;
  /** --pipeline-upload-retry-limit <n> (default 10). */
  uploadRetryLimit?: string | number;
  /** --pipeline-hold <share>: packets a later stage takes and keeps IN_PROGRESS (default none). */
  hold?: string | number;
  /** --pipeline-hold-at BIOGRAPHIC_VERIFICATION|MANUAL_ADJUDICATION (default BIOGRAPHIC_VERIFICATION). */
  holdAt?: string;
}

/** The --fault-* flags, as text (numbers are accepted too). */
export interface FaultFlags {
  /** --fault-seed <n>. */
  seed?: string | number;
  /** --fault-5xx-rate <rate>: "0.1" or "10%". */
  serverErrorRate?: string | number;
  /** --fault-5xx-status <code> (default 503). */
  serverErrorStatus?: string | number;
  /** --fault-5xx-body plain|html. */
  serverErrorBody?: string;
  /** --fault-slow-ms <ms>: a fixed delay. */
  slowMs?: string | number;
  /** --fault-slow <min-max>: a random delay in ms (added to --fault-slow-ms). */
  slowRange?: string;
  /** --fault-slow-rate <rate> (default 1). */
  slowRate?: string | number;
  /** --fault-drop-rate <rate>. */
  dropRate?: string | number;
  /** --fault-drop-mode before|after (default after). */
  dropMode?: string;
  /** --fault-token-uses <n>. */
  tokenUses?: string | number;
  /** --fault-token-max-age <seconds>. */
  tokenMaxAge?: string | number;
  /** --fault-403-rate <rate|all>. */
  forbiddenRate?: string | number;
  /** --fault-down-after <n requests>. */
  downAfter?: string | number;
  /** --fault-down-for <duration>: "10s", "500ms", "2m" (a bare number is ms). */
  downFor?: string | number;
  /** --fault-down-mode refuse|503 (default refuse). */
  downMode?: string;
}

/** Turns the --fault-* flags into checked fault settings; undefined when none was given. */
export function faultSettingsFromFlags(flags: FaultFlags | undefined): FaultSettings | undefined {
  if (!flags || Object.values(flags).every((v) => v === undefined)) return undefined;
  const text = (v: string | number) => String(v);
  // Ranges are checked with the fault settings (parseFaultPatch); here only "is it a whole number".
  const whole = (flag: string, v: string | number) => {
    try {
      return parseNumber(v, { min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER, integer: true });
    } catch {
      throw new FaultSettingsError(`${flag} must be a whole number, got ${v}`);
    }
  };
  try {
    const raw: Record<string, unknown> = {};
    if (flags.seed !== undefined) raw.seed = whole('--fault-seed', flags.seed);
    if (flags.serverErrorRate !== undefined) raw.serverErrorRate = parseRateText('--fault-5xx-rate', text(flags.serverErrorRate));
    if (flags.serverErrorStatus !== undefined) raw.serverErrorStatus = whole('--fault-5xx-status', flags.serverErrorStatus);
    if (flags.serverErrorBody !== undefined) raw.serverErrorBody = flags.serverErrorBody;
    if (flags.slowMs !== undefined) raw.slowMs = parseMillisText('--fault-slow-ms', text(flags.slowMs));
    if (flags.slowRange !== undefined) raw.slowRangeMs = parseRangeText('--fault-slow', flags.slowRange);
    if (flags.slowRate !== undefined) raw.slowRate = parseRateText('--fault-slow-rate', text(flags.slowRate));
    if (flags.dropRate !== undefined) raw.dropRate = parseRateText('--fault-drop-rate', text(flags.dropRate));
    if (flags.dropMode !== undefined) raw.dropMode = flags.dropMode;
    if (flags.tokenUses !== undefined) raw.tokenMaxUses = whole('--fault-token-uses', flags.tokenUses);
    if (flags.tokenMaxAge !== undefined) raw.tokenMaxAgeSeconds = whole('--fault-token-max-age', flags.tokenMaxAge);
    if (flags.forbiddenRate !== undefined) raw.forbiddenRate = parseRateText('--fault-403-rate', text(flags.forbiddenRate), true);
    if (flags.downFor !== undefined) {
      const down: Record<string, unknown> = { durationMs: parseMillisText('--fault-down-for', text(flags.downFor)) };
      if (flags.downAfter !== undefined) down.startAfterRequests = whole('--fault-down-after', flags.downAfter);
      if (flags.downMode !== undefined) down.mode = flags.downMode;
      raw.down = down;
    } else if (flags.downAfter !== undefined || flags.downMode !== undefined) {
      throw new FaultSettingsError('--fault-down-after and --fault-down-mode need --fault-down-for (how long it stays down)');
    }
    // The same checks as the control endpoint; the patch has no nulls, so it is plain settings.
    return parseFaultPatch(raw) as FaultSettings;
  } catch (error) {
    if (error instanceof FaultSettingsError) throw new InputError(`fault injection: ${error.message}`);
    throw error;
  }
}

/** Turns --pipeline and the --pipeline-* flags into pipeline options; undefined without --pipeline. */
export function pipelineSettingsFromFlags(flags: PipelineFlags | undefined): ReturnType<typeof parsePipelineSettings> | undefined {
  if (!flags) return undefined;
  const given = (['latency', 'capacity', 'failureRate', 'failureMode', 'seed', 'maxMessageAge', 'uploadRetryLimit', 'hold', 'holdAt'] as const).filter((k) => flags[k] !== undefined);
  if (!flags.enabled) {
    if (given.length > 0) throw new InputError('the --pipeline-* options set up the pipeline model: add --pipeline');
    return undefined;
  }
  return parsePipelineSettings(
    flags,
    {
      latency: PIPELINE_DEFAULTS.stageLatencyMs, capacity: PIPELINE_DEFAULTS.capacityPerSecond, failureRate: PIPELINE_DEFAULTS.failureRate,
      failureMode: PIPELINE_DEFAULTS.failureMode, seed: Math.floor(Math.random() * 2 ** 32),
    },
    {
      latency: '--pipeline-latency', capacity: '--pipeline-capacity', failureRate: '--pipeline-failure-rate',
      failureMode: '--pipeline-failure-mode', seed: '--pipeline-seed', maxMessageAge: '--pipeline-max-message-age',
      uploadRetryLimit: '--pipeline-upload-retry-limit', hold: '--pipeline-hold', holdAt: '--pipeline-hold-at',
    },
  );
}

export interface SeedCommandOptions extends DbCommandOptions {
  count: number | string;
  /** PRNG seed. Default 1. */
  seed?: number | string;
}

/** Runs the simulator until stopped. Without --db-url it runs on an embedded, in-memory PostgreSQL. */
export async function runSimulatorCommand(opts: SimulatorCommandOptions, io: CommandIo = defaultIo()): Promise<void> {
  const schema = schemaOption(opts.schema);
  const port = integerOption('port', opts.port ?? DEFAULT_SIMULATOR_PORT, 0, 65535);
  const tokenLifetimeSeconds = integerOption('token lifetime', opts.tokenLifetime ?? 86400, 0, 10 * 365 * 86400);
  const clientId = opts.clientId ?? DEFAULT_CLIENT_ID;
  const secret = opts.secret ?? io.env[SECRET_ENV];
  // The secret has no flag (a flag would show in the process list): the environment, or `secret` in code.
  if (!secret) throw new InputError(`no client secret: set ${SECRET_ENV} to the secret client ${clientId} must present (it is read only from the environment)`);
  const secretOrigin = opts.secret ? 'given in code' : `read from ${SECRET_ENV}`;
  const faults = faultSettingsFromFlags(opts.faults);
  const pipelineSettings = pipelineSettingsFromFlags(opts.pipeline);
  const securezoneWorkers = integerOption('--securezone-workers', opts.securezoneWorkers ?? DEFAULT_SECUREZONE_WORKERS, 1, 10_000);
  const clockSkewMs = clockSkewOption(opts.clockSkew);

  let embedded: EmbeddedPostgres | undefined;
  let pool: pg.Pool | undefined;
  let pipeline: PipelineModel | undefined;
  try {
    let dbDescription: string;
    if (opts.dbUrl) {
      pool = createPool({ url: opts.dbUrl, max: 10, applicationName: 'mosip-simulator' });
      await requireTables(pool, schema);
      dbDescription = `${describeDb({ url: opts.dbUrl })}, schema ${schema}`;
    } else {
      embedded = await startEmbeddedPostgres();
      pool = createPool({ url: embedded.url, max: 10, applicationName: 'mosip-simulator' });
      await createSchema(pool, schema);
      dbDescription = `embedded in-memory PostgreSQL at ${embedded.url}, schema ${schema} (empty: seed it with \`reprocess sim seed --db-url ${embedded.url}${schemaFlag(schema)}\`)`;
    }
    if (pipelineSettings) pipeline = startPipeline({ pool, schema, ...pipelineSettings, clockSkewMs });
    const simulator = await startSimulator({
      host: opts.host, port, db: pool, schema, tokenLifetimeSeconds, routingEnabled: opts.routing ?? true,
      clients: [{ clientId, secret }], faults, securezoneWorkers, clockSkewMs, ...(pipeline ? { onForward: pipeline.onForward } : {}),
    });
    io.out(`MOSIP simulator listening on ${simulator.url}`);
    io.out(`  authmanager:    POST ${simulator.url}${AUTH_PATH} (appId regproc)`);
    io.out(`  securezone:     POST ${simulator.url}${NOTIFICATION_PATH}`);
    io.out(`  health, stats:  GET ${simulator.url}${HEALTH_PATH}, GET ${simulator.url}${STATS_PATH}`);
    io.out(`  client id:      ${clientId} (its secret was ${secretOrigin})`);
    io.out(`  database:       ${dbDescription}`);
    io.out(`  routing:        securezone.routing.enabled=${opts.routing ?? true}`);
    io.out(`  token lifetime: ${tokenLifetimeSeconds} s`);
    io.out(`  workers:        ${securezoneWorkers} notifications handled at once, more wait (MOSIP's worker pool: 10)`);
    io.out(`  pod clocks:     ${clockSkewMs === 0 ? 'agree with the database\'s' : `${formatMs(Math.abs(clockSkewMs))} ${clockSkewMs > 0 ? 'ahead of' : 'behind'} the database's: latest_trn_dtimes, upd_dtimes and cr_dtimes are written off by that`}`);
    io.out(`  faults:         ${describeFaults(simulator.faults())}`);
    io.out(`  fault control:  GET/POST ${simulator.url}${FAULTS_PATH} (JSON, e.g. {"serverErrorRate":0.1} or {"clear":true})`);
    io.out(`  pipeline:       ${pipelineSettings
      ? `${describePipeline(pipelineSettings, DEFAULT_STAGES.length)}${opts.routing === false ? ' (idle: with routing disabled nothing is forwarded to it)' : ''}`
      : 'off (forwarded packets stay at SECUREZONE_NOTIFICATION; --pipeline moves them through the 1.2.0.1 stages)'}`);
    io.out('Stop with Ctrl-C.');
    await (io.untilStopped ?? waitForStopSignal());
    await simulator.close();
    if (pipeline) {
      const p = pipeline.stats();
      await pipeline.stop();
      io.out(`  pipeline: ${p.accepted} packets received, ${p.completed} PROCESSED, ${p.failed} FAILED, ${p.reprocess} REPROCESS, `
        + `${p.held} held IN_PROGRESS, ${p.backlog + p.inFlight} still in flight (dropped), ${p.superseded} superseded, `
        + `${p.dbErrors} database errors, ${p.expired} dropped by a stage for age`);
    }
    io.out('MOSIP simulator stopped.');
  } finally {
    await pipeline?.stop();
    await pool?.end();
    await embedded?.stop();
  }
}

/** Creates the regprc schema and its three tables (idempotent). */
export async function createSchemaCommand(opts: DbCommandOptions, io: CommandIo = defaultIo()): Promise<void> {
  const schema = schemaOption(opts.schema);
  const url = requireDbUrl(opts);
  const pool = createPool({ url, max: 1 });
  try {
    await createSchema(pool, schema).catch((error: unknown) => {
      throw new UnreachableError(`could not create schema ${schema} in ${describeDb({ url })}: ${(error as Error).message}`);
    });
    io.out(`Schema ${schema} with registration, registration_transaction and registration_list is ready in ${describeDb({ url })}.`);
  } finally {
    await pool.end();
  }
}

/** Creates the tables if needed and seeds a realistic backlog; prints what was created. */
export async function seedCommand(opts: SeedCommandOptions, io: CommandIo = defaultIo()): Promise<SeedSummary> {
  const schema = schemaOption(opts.schema);
  const url = requireDbUrl(opts);
  const count = integerOption('count', opts.count, 1, 50_000_000);
  const seed = integerOption('seed', opts.seed ?? 1, 0, 2 ** 32 - 1);
  const pool = createPool({ url, max: 4 });
  try {
    await createSchema(pool, schema);
    const started = Date.now();
    let nextReport = 0.1;
    const summary = await seedScenario(pool, schema, {
      count,
      seed,
      onProgress(inserted, total) {
        if (inserted / total >= nextReport && inserted < total) {
          io.out(`  ${inserted} of ${total} rows...`);
          nextReport += 0.1;
        }
      },
    });
    io.out(`Seeded ${summary.registrations} registration rows and ${summary.syncRows} sync rows into ${describeDb({ url })}, `
      + `schema ${schema}, in ${((Date.now() - started) / 1000).toFixed(1)} s (seed ${seed}).`);
    io.out(`  duplicates (later resends of a RID): ${summary.duplicates}`);
    io.out(`  migrated rows (source NULL):         ${summary.migrated}`);
    io.out(`  retry count over 500:                ${summary.retryCountOver500}`);
    io.out(`  touched in the last day:             ${summary.touchedLastDay}`);
    io.out(`  APPROACH 1 query would select:       ${summary.approach1Eligible}`);
    io.out(`    of which paused or resumable:      ${summary.approach1Paused} (MOSIP's reprocessor leaves these alone)`);
    io.out(`    of which repeating a failure:      ${summary.approach1Repeating} (of ${summary.repeating} refused at packet validation 3-6 times with KER-PUT-020)`);
    io.out(`  history (registration_transaction): ${summary.historyRows} rows`);
    io.out(`  PAUSED by pause_rule_ids: ${formatCounts(summary.byPauseRuleIds)}`);
    io.out(`  by process:     ${formatCounts(summary.byProcess)}`);
    io.out(`  by status_code: ${formatCounts(summary.byStatusCode)}`);
    return summary;
  } finally {
    await pool.end();
  }
}

async function requireTables(pool: pg.Pool, schema: string): Promise<void> {
  let found: boolean;
  try {
    const { rows } = await pool.query<{ found: boolean }>('SELECT to_regclass($1) IS NOT NULL AS found', [`"${schema}".registration`]);
    found = rows[0]?.found === true;
  } catch (error) {
    throw new UnreachableError(`cannot reach the database: ${(error as Error).message}`);
  }
  // The URL is not repeated: it may hold a password.
  if (!found) throw new InputError(`schema ${schema} has no registration table: create the tables first with \`reprocess sim schema --db-url <the same URL>${schemaFlag(schema)}\``);
}

/** The --schema flag to repeat in a suggested command; none for the default. */
function schemaFlag(schema: string): string {
  return schema === 'regprc' ? '' : ` --schema ${schema}`;
}

function requireDbUrl(opts: DbCommandOptions): string {
  if (!opts.dbUrl) throw new InputError('--db-url is required (a postgres:// URL)');
  return opts.dbUrl;
}

function schemaOption(schema: string | undefined): string {
  const name = schema ?? 'regprc';
  if (!isValidSchemaName(name)) throw new InputError(`schema name "${name}" must be lower-case letters, digits and underscores`);
  return name;
}

/** --clock-skew: a signed duration ("+90s" ahead, "-5s" behind; unsigned is ahead), at most a day either way. */
export function clockSkewOption(value: string | number | undefined): number {
  if (value === undefined) return 0;
  const text = String(value).trim();
  const sign = text.startsWith('-') ? -1 : 1;
  try {
    return sign * parseDurationMs(text.replace(/^[+-]/, ''), { bareUnit: 'ms', minMs: 0, maxMs: MAX_CLOCK_SKEW_MS });
  } catch (err) {
    if (!(err instanceof ValueProblem)) throw err;
    throw new InputError(`--clock-skew must be a signed duration like +90s (the pods ahead) or -5s (behind), at most 1d either way; got ${value}`);
  }
}

function integerOption(name: string, value: number | string, min: number, max: number): number {
  return numberOption(name, value, min, max, undefined, true);
}

function formatCounts(counts: Record<string, number>): string {
  return Object.entries(counts).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ');
}
