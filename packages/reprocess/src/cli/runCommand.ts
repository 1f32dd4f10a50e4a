// `reprocess --db | --file F | --registration R`: resolve settings, open the run, pick the source, run, report.
// The data flows one way: source -> filter (journal, dedupe, shard) -> pacer -> notifier -> journal -> report.
import type pg from 'pg';
import { existsSync, writeFileSync } from 'node:fs';
import { createPool, describeDb } from '../db/connect.js';
import { InputError, UnreachableError } from '../errors.js';
import { skipAlreadyDone } from '../filter/alreadyDone.js';
import { dedupeByWorkflowId } from '../filter/dedupe.js';
import { inShard, parseShard } from '../filter/shard.js';
import { take } from '../filter/take.js';
import { flagAttribute, loadSettings, redactSettings } from '../config/load.js';
import { SECRET_KEYS, SETTINGS, type Settings } from '../config/settings.js';
import type { Journal } from '../journal/journal.js';
import { readJournal, replay, type Replayed } from '../journal/replay.js';
import { createRun, openRun, type RunHandle } from '../journal/runStore.js';
import { AuthError, MosipClient } from '../notifier/client.js';
import { Pacer } from '../pacer/pacer.js';
import { RunLog } from '../report/logFiles.js';
import { packetJson, packetLine, summaryJson, summaryText } from '../report/format.js';
import { Progress } from '../report/progress.js';
import { makeBudget, untilDeadline } from '../run/budget.js';
import { CircuitBreaker } from '../notifier/breaker.js';
import { watchCanary } from '../run/canary.js';
import { dbDeliveryCheck } from '../notifier/deliveryEvidence.js';
import { isTransient, ResilientNotifier } from '../notifier/resilientNotifier.js';
import { settleInDoubt } from '../run/inDoubt.js';
import { emptyCounts, exitCodeOf, runPackets, type RunOutcome } from '../run/runner.js';
import type { PacketResult, RunObserver, RunSummary, StopReason } from '../run/types.js';
import { dryRun } from './dryRun.js';
import { dbSettingsOf, openSource, withDb, type Mode } from './packetSource.js';

/** Flags that are not settings: where packets come from and how the run goes. */
export interface RunFlags extends Record<string, unknown> {
  db?: boolean;
  file?: string;
  registration?: string[];
  config?: string;
  dryRun?: boolean;
  canary?: boolean;
  all?: boolean;
  resume?: string;
  resendInDoubt?: boolean;
}

export interface Io {
  out(line: string): void;
  err(line: string): void;
  env: NodeJS.ProcessEnv;
  /** Fires when the operator asks to stop (Ctrl-C). */
  signal?: AbortSignal;
  /** Whether stderr is a terminal (progress bar) or not (progress lines). */
  stderrIsTTY?: boolean;
  /** Where the progress bar or lines go (stderr). */
  progress?(text: string): void;
}

function modeOf(flags: RunFlags, s: Settings): Mode {
  const modes: Mode[] = [];
  if (flags.db || (s.queryFile && !flags.file && !flags.registration)) modes.push('db');
  if (flags.file !== undefined) modes.push('file');
  if (flags.registration !== undefined) modes.push('registration');
  if (modes.length === 0) throw new InputError('say where the packets come from: --db, --file <path> or --registration "<rid>, <process>, <workflow id>"');
  if (modes.length > 1) throw new InputError(`use one source at a time, not ${modes.map((m) => `--${m}`).join(' and ')}`);
  return modes[0]!;
}

function checkSettings(flags: RunFlags, s: Settings, mode: Mode): void {
  if (s.stages.length > 0 && s.approach !== 2) {
    throw new InputError('--stages adds latest_trn_type_code values to APPROACH 2; use it with --approach 2');
  }
  if (mode !== 'db' && (s.approach !== 1 || s.stages.length > 0)) {
    throw new InputError('--approach and --stages choose rows in the database; they do not apply to --file or --registration');
  }
  if (s.queryFile && s.approach === 2) {
    throw new InputError('--query-file replaces the built-in selection; put any stage filter in the query itself instead of --approach 2');
  }
  if (flags.all && mode !== 'db') throw new InputError('--all runs batches of the database selection; with --file or --registration every listed packet is sent anyway');
  if (flags.all && s.queryFile) throw new InputError('--all re-runs the built-in selection; it does not apply to --query-file');
  if (s.rate !== undefined && s.delay !== 1) throw new InputError('give --rate or --delay, not both (--rate R is --delay 1/R)');
  if (flags.dryRun) return; // a dry run needs neither server nor secret
  if (!s.server) throw new InputError('no MOSIP server: give --server <url>, REPROCESS_SERVER, or "server:" in the config file');
  if (!s.clientSecret) throw new InputError('no client secret: set REGPROC_CLIENT_PWD (or clientSecret in the config file)');
  if (s.caFile && !existsSync(s.caFile)) throw new InputError(`--ca-file ${s.caFile}: no such file`);
}

/** The flags worth keeping in run.json so that --resume repeats the same run. A URL with a password is dropped. */
function flagsToKeep(flags: RunFlags): Record<string, unknown> {
  const keep: Record<string, unknown> = {};
  const settingAttrs = new Map(SETTINGS.filter((s) => 'flag' in s).map((s) => [flagAttribute((s as { flag: string }).flag), s.key]));
  for (const [name, value] of Object.entries(flags)) {
    if (value === undefined || ['resume', 'dryRun', 'config', 'resendInDoubt'].includes(name)) continue;
    const key = settingAttrs.get(name);
    if (key && SECRET_KEYS.has(key)) continue;
    keep[name] = value;
  }
  return keep;
}

interface Prepared {
  settings: Settings;
  origins: Record<string, string>;
  flags: RunFlags;
  run: RunHandle | null;
  replayed: Replayed | null;
}

/** Settings for a new run, or for --resume: the stored run's flags under the ones given now. */
function prepare(flags: RunFlags, io: Io): Prepared {
  if (!flags.resume) {
    const { settings, origins } = loadSettings({ flags, env: io.env, configFile: flags.config ?? io.env.REPROCESS_CONFIG });
    return { settings, origins, flags, run: null, replayed: null };
  }
  const first = loadSettings({ flags, env: io.env, configFile: flags.config ?? io.env.REPROCESS_CONFIG });
  const run = openRun(first.settings.runsDir, flags.resume);
  const given = Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined));
  const merged: RunFlags = { ...run.meta.flags, ...given };
  const configFile = flags.config ?? run.meta.configFile ?? io.env.REPROCESS_CONFIG;
  const { settings, origins } = loadSettings({ flags: merged, env: io.env, configFile });
  const records = readJournal(run.journalPath);
  return { settings, origins, flags: merged, run, replayed: replay(records) };
}

/** Runs the whole command and returns the exit code. Never throws for expected failures. */
export async function runCommand(givenFlags: RunFlags, rawIo: Io): Promise<number> {
  let pool: pg.Pool | null = null;
  let client: MosipClient | null = null;
  let journal: Journal | null = null;
  let log: RunLog | null = null;
  let progress: Progress | null = null;
  // A line on stderr first clears the progress bar drawn there, so the two never run into each other.
  const io: Io = { ...rawIo, err: (line) => { progress?.clear(); rawIo.err(line); } };
  try {
    const { settings, origins, flags, run: resumed, replayed } = prepare(givenFlags, io);
    const mode = modeOf(flags, settings);
    checkSettings(flags, settings, mode);
    const shard = settings.shard ? parseShard(settings.shard) : null;
    const until = settings.until ? untilDeadline(settings.until) : undefined;
    const dbConfigured = mode === 'db' || 'dbUrl' in origins || 'dbHost' in origins;
    const dbSettings = dbSettingsOf(settings);
    pool = dbConfigured ? createPool(dbSettings) : null;
    const sourceText = mode === 'db'
      ? (settings.queryFile ? `query file ${settings.queryFile}` : `db (APPROACH ${settings.approach}${flags.all ? ', --all' : ''})`)
      : mode === 'file' ? `file ${flags.file}` : '--registration';

    if (flags.dryRun) return await dryRun(mode, flags, settings, pool, io);

    // Everything that can be checked is checked before the first packet is sent.
    // Acknowledged = the stage gave a definitive answer. A 5xx or lost reply is not one: a resume sends it again.
    const done = new Set<string>();
    for (const [wf, r] of replayed?.results ?? []) if (!isTransient(r)) done.add(wf);
    const alreadyAcknowledged = done.size;
    for (const wf of replayed?.settled ?? []) done.add(wf);
    // --limit is the whole run's size: a resume takes only what the earlier attempts left (in-doubt packets an
    // earlier resume settled count as taken too).
    const remaining = Math.max(0, settings.limit - (flags.all ? 0 : alreadyAcknowledged + (replayed?.settled.size ?? 0)));
    const source = await openSource(mode, flags, settings, pool, io, remaining, done);

    client = new MosipClient({
      server: settings.server!, authServer: settings.authServer, clientId: settings.clientId,
      clientSecret: settings.clientSecret!, appId: settings.appId, timeoutSeconds: settings.timeout,
      caFile: settings.caFile, insecure: settings.insecure, connections: settings.concurrency,
    });
    try {
      await client.authenticate();
    } catch (err) {
      if (err instanceof AuthError) throw new UnreachableError(err.message);
      throw err;
    }

    const run = resumed ?? createRun(settings.runsDir, {
      flags: flagsToKeep(flags), configFile: flags.config ?? io.env.REPROCESS_CONFIG ?? null,
      settings: redactSettings(settings), source: sourceText,
    });
    if (resumed) {
      run.meta.resumes.push(new Date().toISOString());
      run.saveMeta();
    }
    journal = run.openJournal();
    log = new RunLog(settings.logDir);
    log.write(`run ${run.id} ${resumed ? 'resumed' : 'started'} ${new Date().toISOString()} source=${sourceText}${pool ? ` db=${describeDb(dbSettings)}` : ''} settings=${JSON.stringify(redactSettings(settings))}`);
    io.err(`run ${run.id} ${resumed ? 'resumed' : 'started'}: ${sourceText}; journal ${run.journalPath}`);
    if (settings.insecure) io.err('warning: --insecure: the server certificate is NOT verified');

    // A resumed run first settles the packets whose reply never came; those not sent again count as done.
    let settledInDoubt = 0;
    if (replayed && replayed.inFlight.size > 0) {
      const decisions = await withDb(settings, () => settleInDoubt(pool, settings.dbSchema, [...replayed.inFlight.values()], Boolean(flags.resendInDoubt)));
      for (const d of decisions) {
        journal.append({ t: 'in_doubt', at: new Date().toISOString(), wf: d.send.wf, rid: d.send.rid, decision: d.decision, detail: d.detail });
        if (d.decision !== 'resend') {
          done.add(d.send.wf.toLowerCase());
          settledInDoubt += 1;
        }
        io.err(`in doubt: ${d.send.rid} ${d.send.wf} (sent ${d.send.at}, no reply journaled): ${d.decision === 'resend' ? 'will be sent again' : d.decision === 'delivered' ? 'delivered, not sent again' : 'NOT sent again'}; ${d.detail}`);
      }
    }
    if (alreadyAcknowledged > 0) io.err(`resume: ${alreadyAcknowledged} packet(s) already acknowledged in this run are skipped`);

    const skipped = { duplicates: source.duplicates, rows: 0, alreadyDone: 0, batches: 0 };
    const seen = new Set(done);
    const filtered = inShard(
      dedupeByWorkflowId(
        skipAlreadyDone(source.stream(() => { skipped.rows += 1; }, seen, () => { skipped.batches += 1; }), done, () => { skipped.alreadyDone += 1; }),
        (p) => {
          skipped.duplicates += 1;
          io.err(`warning: ${p.origin}: workflow id ${p.workflowInstanceId} already taken in this run; skipped`);
        },
        seen,
      ),
      shard,
    );
    // --limit is the whole run's size (minus what a resumed run already did); with --all it is the batch size.
    const stream = flags.all ? filtered : take(filtered, remaining - settledInDoubt);

    progress = new Progress({ isTTY: Boolean(io.stderrIsTTY), write: (t) => (io.progress ?? io.err)(t) }, null, settings.progressInterval * 1000);
    // The total is for the progress bar only: count after the first packet, so it never delays the first one.
    let counting = !source.count;
    const startCount = () => {
      if (counting) return;
      counting = true;
      const p = progress!;
      source.count!().then((n) => p.setTotal(n), () => undefined);
    };
    const j = journal;
    const runLog = log;
    const observer: RunObserver = {
      onSend(packet) {
        return j.appendDurable({
          t: 'send', at: new Date().toISOString(), wf: packet.workflowInstanceId, rid: packet.rid, process: packet.process,
          iteration: packet.iteration, source: packet.source, origin: packet.origin, attempt: 1,
        });
      },
      onPacket(result: PacketResult) {
        j.append({
          t: 'result', at: new Date().toISOString(), wf: result.packet.workflowInstanceId, rid: result.packet.rid,
          attempt: result.attempts, outcome: result.outcome, http: result.httpStatus, reply: result.reply,
          latencyMs: result.latencyMs, startedAt: result.startedAt,
        });
        const line = packetLine(result);
        runLog.write(line);
        progress?.clear();
        io.out(settings.json ? JSON.stringify(packetJson(result)) : line);
        progress?.record(result.outcome);
        startCount();
      },
      onWarning(message) {
        runLog.write(`warning: ${message}`);
        io.err(`warning: ${message}`);
      },
    };

    const started = new Date();
    const budget = makeBudget({
      maxPackets: settings.maxPackets, alreadySent: flags.all ? alreadyAcknowledged : 0,
      maxDurationSeconds: settings.maxDuration, until,
    });
    const breaker = new CircuitBreaker({
      window: 20, minSamples: 5, failureRate: settings.breakerThreshold,
      cooldownMs: settings.breakerCooldown * 1000, patienceMs: settings.breakerPatience * 1000,
    }, (message) => { runLog.write(message); io.err(message); });
    const notifier = new ResilientNotifier(client, breaker, { retries: settings.retries, baseDelayMs: 500, maxDelayMs: 15_000 },
      pool ? dbDeliveryCheck(pool, settings.dbSchema) : null, io.signal);
    const intervalMs = settings.rate !== undefined ? 1000 / settings.rate : settings.delay * 1000;
    const base = {
      notifier, gate: new Pacer(intervalMs), observer, budget, concurrency: settings.concurrency,
      ...(io.signal ? { signal: io.signal } : {}),
    };
    const iterator = stream[Symbol.asyncIterator]();
    let outcome: RunOutcome = { sent: 0, counts: emptyCounts(), stop: null };
    let canaryStop: StopReason | null = null;

    if (flags.canary) {
      if (!pool) throw new InputError('--canary watches the packet in the database: configure it (DB_HOST or --db-url)');
      let canaryResult: PacketResult | null = null;
      const first = await runPackets({
        ...base,
        packets: borrow(iterator, 1),
        observer: { ...observer, onPacket(r) { canaryResult = r; observer.onPacket(r); } },
      });
      outcome = first;
      if (canaryResult && !first.stop) {
        io.err('canary: watching its row until it moves past securezone...');
        const verdict = await watchCanary(pool, settings.dbSchema, canaryResult, {
          timeoutMs: settings.canaryTimeout * 1000,
          ...(io.signal ? { signal: io.signal } : {}),
        });
        journal.append({ t: 'note', at: new Date().toISOString(), message: `canary: ${verdict.ok ? 'passed' : 'FAILED'}: ${verdict.detail}` });
        io.err(`canary ${verdict.ok ? 'passed' : 'FAILED'}: ${verdict.detail}`);
        if (!verdict.ok) {
          if (verdict.hint) io.err(`  likely cause: ${verdict.hint}`);
          canaryStop = { kind: 'canary_failed', message: `canary failed: ${verdict.detail}${verdict.hint ? `; likely cause: ${verdict.hint}` : ''}` };
        }
      }
    }
    if (!canaryStop && !outcome.stop) {
      const rest = await runPackets({ ...base, packets: borrow(iterator, Infinity) });
      outcome = { sent: outcome.sent + rest.sent, counts: addCounts(outcome.counts, rest.counts), stop: rest.stop };
    } else {
      await iterator.return?.();
    }
    if (canaryStop) outcome = { ...outcome, stop: canaryStop };
    progress.stop();

    const finished = new Date();
    const summary: RunSummary = {
      startedAt: started.toISOString(),
      finishedAt: finished.toISOString(),
      durationMs: finished.getTime() - started.getTime(),
      sent: outcome.sent,
      counts: outcome.counts,
      duplicatesSkipped: skipped.duplicates,
      rowsSkipped: skipped.rows,
      alreadyDone: skipped.alreadyDone,
      batches: skipped.batches,
      stop: outcome.stop,
      exitCode: exitCodeOf(outcome, skipped.rows),
      resilience: {
        retries: notifier.retriesMade, settledFromDb: notifier.settledFromDb, breakerTrips: breaker.trips,
        reauthentications: client.authentications - 1,
      },
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    };
    journal.append({ t: 'end', at: finished.toISOString(), exitCode: summary.exitCode, stop: summary.stop?.message ?? null });
    await journal.flush();
    writeFileSync(run.summaryPath, JSON.stringify({ runId: run.id, ...summary }, null, 2) + '\n');
    if (summary.sent === 0 && !summary.stop) io.err('nothing to do: no packet matched');
    log.write(summaryText(summary));
    io.out(settings.json ? JSON.stringify({ ...summaryJson(summary), runId: run.id }) : summaryText(summary));
    if (!settings.json) {
      io.out(`  run                 ${run.id} (journal ${run.journalPath})`);
      io.out(`  log                 ${log.lastLog} (all runs: ${log.outLog})`);
    }
    if (summary.stop) io.err(`stopped: ${summary.stop.message}`);
    if (summary.stop && summary.stop.kind !== 'canary_failed') {
      io.err(`to continue this run: reprocess --resume ${run.id}${settings.runsDir !== 'reprocess-runs' ? ` --runs-dir ${settings.runsDir}` : ''} (with the same environment)`);
    }
    return summary.exitCode;
  } catch (err) {
    return reportFailure(err, io);
  } finally {
    progress?.stop();
    log?.close();
    await journal?.close().catch((err: unknown) => io.err(`error: journal ${journal?.path}: ${(err as Error).message}`));
    await client?.close().catch(() => undefined);
    await pool?.end().catch(() => undefined);
  }
}

function addCounts(a: RunOutcome['counts'], b: RunOutcome['counts']): RunOutcome['counts'] {
  const out = { ...a };
  for (const k of Object.keys(b) as (keyof typeof b)[]) out[k] += b[k];
  return out;
}

/** Lends up to `max` items of a shared iterator; the runner closing its view does not close the source. */
function borrow<T>(iterator: AsyncIterator<T>, max: number): AsyncIterable<T> {
  let taken = 0;
  return {
    [Symbol.asyncIterator]: () => ({
      next: async () => (taken++ < max ? iterator.next() : { done: true, value: undefined }),
      return: async () => ({ done: true, value: undefined }),
    }),
  };
}

/** Runs a subcommand's work, turning an expected failure into its message and exit code. */
export async function runReported(io: Io, work: (io: Io) => unknown): Promise<void> {
  try {
    await work(io);
  } catch (err) {
    process.exitCode = reportFailure(err, io);
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
