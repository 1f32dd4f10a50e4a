// `reprocess --db | --file F | --registration R`: resolve settings, pick the source, run, report.
// The data flows one way: source -> filter (dedupe) -> pacer -> notifier -> log -> report.
import type pg from 'pg';
import { existsSync } from 'node:fs';
import { createPool, describeDb, type DbSettings } from '../db/connect.js';
import type { Packet } from '../domain/packet.js';
import { APPROACH2_STAGES } from '../domain/enums.js';
import { InputError, UnreachableError } from '../errors.js';
import { dedupeByWorkflowId } from '../filter/dedupe.js';
import { loadSettings, redactSettings } from '../config/load.js';
import type { Settings } from '../config/settings.js';
import { MosipClient } from '../mosip/client.js';
import { Pacer } from '../pacer/pacer.js';
import { RunLog } from '../report/logFiles.js';
import { packetJson, packetLine, summaryJson, summaryText } from '../report/format.js';
import { runPackets } from '../run/runner.js';
import type { RunSummary } from '../run/types.js';
import { customQueryPackets, eligiblePackets } from '../source/dbSource.js';
import { loadPacketsFromArg, loadPacketsFromFile } from '../source/loadPackets.js';
import { utcCutoff, type EligibilityCriteria } from '../sql/selectEligible.js';
import { databaseProblem } from './dbErrors.js';

export interface RunFlags extends Record<string, unknown> {
  db?: boolean;
  file?: string;
  registration?: string[];
  config?: string;
}

export interface Io {
  out(line: string): void;
  err(line: string): void;
  env: NodeJS.ProcessEnv;
  /** Fires when the operator asks to stop (Ctrl-C). */
  signal?: AbortSignal;
}

export function dbSettingsOf(s: Settings): DbSettings {
  return {
    url: s.dbUrl, host: s.dbHost, port: s.dbPort, user: s.dbUser, password: s.dbPassword, database: s.dbName, ssl: s.dbSsl,
  };
}

export function criteriaOf(s: Settings, cutoffUtc: string): EligibilityCriteria {
  return {
    trnStatuses: s.trnStatuses,
    maxRetries: s.maxRetries,
    excludeStatuses: s.excludeStatuses,
    stages: s.approach === 2 ? [...new Set([...APPROACH2_STAGES, ...s.stages])] : null,
    cutoffUtc,
  };
}

type Mode = 'db' | 'file' | 'registration';

function modeOf(flags: RunFlags, s: Settings): Mode {
  const modes: Mode[] = [];
  if (flags.db || (s.queryFile && !flags.file && !flags.registration)) modes.push('db');
  if (flags.file !== undefined) modes.push('file');
  if (flags.registration !== undefined) modes.push('registration');
  if (modes.length === 0) throw new InputError('say where the packets come from: --db, --file <path> or --registration "<rid>, <process>, <workflow id>"');
  if (modes.length > 1) throw new InputError(`use one source at a time, not ${modes.map((m) => `--${m}`).join(' and ')}`);
  return modes[0]!;
}

function checkSettings(s: Settings, mode: Mode): void {
  if (s.stages.length > 0 && s.approach !== 2) {
    throw new InputError('--stages adds latest_trn_type_code values to APPROACH 2; use it with --approach 2');
  }
  if (mode !== 'db' && (s.approach !== 1 || s.stages.length > 0)) {
    throw new InputError('--approach and --stages choose rows in the database; they do not apply to --file or --registration');
  }
  if (s.queryFile && s.approach === 2) {
    throw new InputError('--query-file replaces the built-in selection; put any stage filter in the query itself instead of --approach 2');
  }
  if (!s.server) throw new InputError('no MOSIP server: give --server <url>, REPROCESS_SERVER, or "server:" in the config file');
  if (!s.clientSecret) throw new InputError('no client secret: set REGPROC_CLIENT_PWD (or clientSecret in the config file)');
  if (s.caFile && !existsSync(s.caFile)) throw new InputError(`--ca-file ${s.caFile}: no such file`);
}

/** Runs the whole command and returns the exit code. Never throws for expected failures. */
export async function runCommand(flags: RunFlags, io: Io): Promise<number> {
  let pool: pg.Pool | null = null;
  let client: MosipClient | null = null;
  try {
    const { settings, origins } = loadSettings({ flags, env: io.env, configFile: flags.config ?? io.env.REPROCESS_CONFIG });
    const mode = modeOf(flags, settings);
    checkSettings(settings, mode);
    const dbConfigured = mode === 'db' || 'dbUrl' in origins || 'dbHost' in origins;
    const dbSettings = dbSettingsOf(settings);
    pool = dbConfigured ? createPool(dbSettings) : null;

    // Everything that can be checked is checked before the first packet is sent.
    const log = new RunLog(settings.logDir);
    const packets = await openSource(mode, flags, settings, pool, io);
    const skipped = { duplicates: packets.duplicates, rows: 0 };

    client = new MosipClient({
      server: settings.server!, authServer: settings.authServer, clientId: settings.clientId,
      clientSecret: settings.clientSecret!, appId: settings.appId, timeoutSeconds: settings.timeout,
      caFile: settings.caFile, insecure: settings.insecure,
    });
    const header = `run started ${new Date().toISOString()} source=${mode}${pool ? ` db=${describeDb(dbSettings)}` : ''} settings=${JSON.stringify(redactSettings(settings))}`;
    log.write(header);
    if (settings.insecure) io.err('warning: --insecure: the server certificate is NOT verified');

    const stream = dedupeByWorkflowId(packets.stream(() => { skipped.rows += 1; }), (p) => {
      skipped.duplicates += 1;
      io.err(`warning: ${p.origin}: workflow id ${p.workflowInstanceId} already sent in this run; skipped`);
    });
    const summary: RunSummary = await runPackets({
      packets: stream,
      notifier: client,
      pacer: new Pacer(settings.delay * 1000),
      signal: io.signal,
      skipped: () => skipped,
      observer: {
        onPacket(result) {
          const line = packetLine(result);
          log.write(line);
          io.out(settings.json ? JSON.stringify(packetJson(result)) : line);
        },
        onWarning(message) {
          log.write(`warning: ${message}`);
          io.err(`warning: ${message}`);
        },
      },
    });
    if (summary.sent === 0 && !summary.stop) io.err('nothing to do: no packet matched');
    log.write(summaryText(summary));
    io.out(settings.json ? JSON.stringify(summaryJson(summary)) : summaryText(summary));
    if (!settings.json) io.out(`  log                 ${log.lastLog} (all runs: ${log.outLog})`);
    return summary.exitCode;
  } catch (err) {
    return reportFailure(err, io);
  } finally {
    await client?.close().catch(() => undefined);
    await pool?.end().catch(() => undefined);
  }
}

interface OpenedSource {
  stream(onRowSkipped: () => void): AsyncIterable<Packet>;
  duplicates: number;
}

async function openSource(mode: Mode, flags: RunFlags, s: Settings, pool: pg.Pool | null, io: Io): Promise<OpenedSource> {
  if (mode === 'file' || mode === 'registration') {
    const loaded = await withDb(s, () => mode === 'file'
      ? loadPacketsFromFile(flags.file!, pool, s.dbSchema)
      : loadPacketsFromArg(flags.registration!, pool, s.dbSchema));
    if (loaded.duplicates > 0) io.err(`warning: ${loaded.duplicates} duplicate entr${loaded.duplicates === 1 ? 'y' : 'ies'} in the input; each packet is sent once`);
    const limited = loaded.packets.slice(0, s.limit);
    if (limited.length < loaded.packets.length) io.err(`note: --limit ${s.limit}: taking the first ${s.limit} of ${loaded.packets.length} packets`);
    return {
      duplicates: 0,
      async *stream() { yield* limited; },
    };
  }
  const db = pool!;
  if (s.queryFile) {
    await withDb(s, () => db.query('SELECT 1'));
    return {
      duplicates: 0,
      stream: (onRowSkipped) => guardDb(s, customQueryPackets(db, s.queryFile!, s.limit, (reason) => {
        onRowSkipped();
        io.err(`warning: ${reason}; skipped`);
      })),
    };
  }
  const cutoff = await withDb(s, () => utcCutoff(db, s.olderThan));
  const criteria = criteriaOf(s, cutoff);
  return { duplicates: 0, stream: () => guardDb(s, eligiblePackets(db, s.dbSchema, criteria, s.limit)) };
}

/** Turns connection failures and a missing table into clear errors (exit 3 / exit 2). */
async function withDb<T>(s: Settings, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw databaseProblem(err, describeDb(dbSettingsOf(s)), s.dbSchema) ?? err;
  }
}

async function* guardDb(s: Settings, packets: AsyncIterable<Packet>): AsyncGenerator<Packet, void, void> {
  try {
    yield* packets;
  } catch (err) {
    throw databaseProblem(err, describeDb(dbSettingsOf(s)), s.dbSchema) ?? err;
  }
}

export function reportFailure(err: unknown, io: Io): number {
  if (err instanceof InputError) {
    io.err(`error: ${err.message}`);
    io.err('nothing was sent');
    return 2;
  }
  if (err instanceof UnreachableError) {
    io.err(`error: ${err.message}`);
    return 3;
  }
  io.err(`error: ${(err as Error).message ?? String(err)}`);
  return 3;
}
