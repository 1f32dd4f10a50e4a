// A whole run, from a resolved request to its summary, as a short sequence of named steps; each promise the run
// makes is kept in one place:
//   a stop stops          run/stop.ts (one signal every wait takes)
//   guards always on      the run lock (run/lock.ts) before anything, the hold-back rule in every source
//   never twice           run/continuation.ts (what earlier attempts did), the filters of packetStream below,
//                         run/journaling.ts (a send is journaled before it leaves)
//   numbers add up        run/summary.ts
// The data flows one way: source -> filter (journal, dedupe, shard, limit) -> pacer -> notifier -> journal -> report.
// It prints nothing: it tells an event sink, and returns a typed result. The CLI and the demo both drive it.
import { hostname } from 'node:os';
import type pg from 'pg';
import { redactSettings } from '../config/load.js';
import { createPool, describeDb } from '../db/connect.js';
import { InputError, UnreachableError } from '../errors.js';
import { notAlreadyDone } from '../filter/alreadyDone.js';
import { applyFilters } from '../filter/chain.js';
import { firstOfEachWorkflow } from '../filter/dedupe.js';
import { inShard, parseShard } from '../filter/shard.js';
import type { Journal } from '../journal/journal.js';
import { createRun, openRun, type RunHandle } from '../journal/runStore.js';
import { latestUnfinishedRun, readWholeRun, runStatus } from '../journal/wholeRun.js';
import { AuthError, MosipClient, preloadClient } from '../notifier/client.js';
import { describeAutoPace, type AutoPacer } from '../pacer/autoPacer.js';
import type { Packet } from '../domain/packet.js';
import { workflowKey } from '../domain/packetKey.js';
import { RunLog } from '../report/logFiles.js';
import { messageLine } from '../report/logLines.js';
import { startObservation, type Observation } from '../report/metrics/observe.js';
import { openSource, type OpenedSource } from '../source/openSource.js';
import { dbSettingsOf, withDb } from '../db/runDatabase.js';
import { budgetDeadlines, untilDeadline } from './budget.js';
import { clockOffsetWarning, measureClockOffset } from './clockOffset.js';
import { planContinuation, redriveDropped, settleUndecided, type Continuation } from './continuation.js';
import type { EventSink } from './events.js';
import { storedDbOf } from '../journal/runIdentity.js';
import { journalingObserver, type JournalingObserver } from './journaling.js';
import type { RunLock } from './lock.js';
import { takeRunLock } from './lockedRun.js';
import { flagsToKeep, resumeCommand, type RunRequest } from './request.js';
import { buildSender, sendAll } from './sending.js';
import { openCohortStage, type CohortStage } from './cohortStage.js';
import { RunStop } from './stop.js';
import { summarize, writeSummary } from './summary.js';
import { runTeller } from './telling.js';
import type { RunSummary } from '../domain/runResult.js';
import type { Clock } from '../clock.js';

export interface RunOptions {
  /** Aborting stops taking new packets; those in flight finish, the journal and summary are written. */
  signal?: AbortSignal;
  /** The pacer's clock; default the system clock (tests pass a manual one). */
  clock?: Clock;
}

export interface RunResult {
  runId: string;
  /** Absolute runs directory holding the run's directory. */
  runsDir: string;
  journalPath: string;
  /** This attempt's summary (also in summary.json, with the earlier attempts of a resumed run). */
  summary: RunSummary;
  /** See RunSummary.exitCode. */
  exitCode: number;
  /** The command that continues the run when it stopped before finishing; null otherwise. */
  resumeCommand: string | null;
  logFiles: { last: string; out: string };
}

/**
 * An error after the run had begun: what went wrong, and what had been sent by then (the CLI must not say
 * "nothing was sent" when something was).
 */
export class RunInterrupted extends Error {
  override name = 'RunInterrupted';
  constructor(override readonly cause: unknown, readonly runId: string, readonly sent: number, readonly resumeCommand: string) {
    super((cause as Error)?.message ?? String(cause));
  }
}

/** Runs the request to its end. Throws InputError / UnreachableError before anything is sent, RunInterrupted after. */
export async function runReprocess(request: RunRequest, emit: EventSink, options: RunOptions = {}): Promise<RunResult> {
  const { settings, flags } = request;
  if (flags.dryRun) throw new InputError('a dry run is dryRunReprocess(), not runReprocess()');
  if (request.finished) throw new InputError(`run ${request.finished.runId} (--run-name ${request.finished.name}) already finished; check request.finished first`);
  // A stop stops: one signal for the whole run (the operator's, the time budgets', the lost lock's), which every
  // wait below takes (run/stop.ts).
  const stop = new RunStop(options.signal, budgetDeadlines({ maxDurationSeconds: settings.maxDuration, until: settings.until ? untilDeadline(settings.until) : undefined }, Date.now()));
  const open: Opened = { pool: null, lock: null, client: null, journal: null, log: null, run: null, packets: null, autoPacer: null, observer: null, observation: null };
  // Every event from here on: to the caller, the metrics and the log file (run/telling.ts).
  const teller = runTeller(emit);
  const say = teller.tell;
  try {
    // 0. The metrics (--metrics-port, --pushgateway): a port that cannot be had is a setting error, nothing sent.
    open.observation = await startObservation(settings, { fixedRate: fixedRate(request), onWarning: (message) => say({ type: 'warning', message }) });
    teller.observe(open.observation);
    if (open.observation?.url) say({ type: 'note', message: `metrics: ${open.observation.url}` });
    // 1. Guards first: the run lock and the database's clock (read side by side, each on its own connection)
    //    before anything is read or sent. The HTTP client's code loads while the database answers.
    open.pool = request.dbConfigured ? createPool(dbSettingsOf(settings)) : null;
    const clockChecked = open.pool ? warnOfClockOffset(request, open.pool, say) : null;
    clockChecked?.catch(() => undefined); // awaited below, after the lock (whose failure is the one to report)
    setImmediate(preloadClient);
    open.lock = await takeRunLock(request, 'run', say);
    open.lock?.whenLost((message) => stop.stop({ kind: 'lock_lost', message: `the run lock was lost: ${message}` }));
    await clockChecked;
    // 2. Never twice: what earlier attempts did (run/continuation.ts).
    const continuation = await planContinuation(request, open.pool);
    // 3. The source (its reads end at a stop) and the client, the client built while the database answers. The
    //    token is fetched once the source is open: bad input sends nothing, not even a token request. (The --db
    //    source's first page is read meanwhile.)
    const opening = openSource(request.mode, flags, settings, open.pool, say, continuation.remaining, continuation.done, stop.signal);
    opening.catch(() => undefined); // awaited below; this only keeps a failure there from counting as unhandled meanwhile
    open.client = new MosipClient({
      server: settings.server!, authServer: settings.authServer, clientId: settings.clientId,
      clientSecret: settings.clientSecret!, appId: settings.appId, timeoutSeconds: settings.timeout,
      caFile: settings.caFile, insecure: settings.insecure, connections: settings.concurrency,
    });
    const source = await opening;
    // --cohort / --canary --by-cohort: the selection's cohorts are read now, before a token or a run directory exists.
    const cohorts = await withDb(settings, () => openCohortStage(request, open.pool, say, continuation.done));
    await authenticate(open.client);
    // 4. The run's directory, journal and log: from here on, packets may be sent.
    const { run, journal, log } = openRunRecord(request, say);
    Object.assign(open, { run, journal, log });
    teller.openLog(log, run.id);
    for (const r of continuation.lateDrops) journal.append(r);
    // The start record goes to disk with the first send records (the same write, the same sync), before any of them leaves.
    journal.append({ t: 'start', at: new Date().toISOString(), attempt: attemptNumber(request, run), host: hostname(), pid: process.pid, reason: settings.reason ?? null });
    // The lock's description names the run (another run refused by it says whose it is): a statement on the lock's
    // own connection, made while the first packets go out rather than before them (the lock is held either way).
    const lockNamed = open.lock?.setRunId(run.id);
    say({ type: 'started', runId: run.id, resumed: Boolean(request.resume), source: sourceText(request), journalPath: run.journalPath, runsDir: settings.runsDir });
    if (settings.insecure) say({ type: 'warning', message: '--insecure: the server certificate is NOT verified' });
    // 5. Never twice, continued: the undecided are decided, the dropped re-driven first.
    const notSentAgain = await settleUndecided(request, open.pool, continuation, journal, say, stop.signal);
    const alreadyDone = continuation.alreadyDone + notSentAgain;
    if (alreadyDone > 0) say({ type: 'note', message: `resume: ${alreadyDone} packet(s) already done in this run are skipped` });
    const redrive = await redriveDropped(request, open.pool, continuation, say);
    // 6. The stream of packets to send: each workflow id once, this shard's, within --limit.
    const skipped = { duplicates: source.duplicates, rows: 0, batches: 0 };
    const stream = packetStream(request, source, redrive, continuation, notSentAgain, skipped, say, cohorts);
    open.packets = stream[Symbol.asyncIterator]();
    // 7. Send: every send journaled before it leaves; the counts and held-back figure read once the first is out.
    let counting = false;
    open.observer = journalingObserver(journal, say, (result) => {
      if (open.autoPacer && result.outcome === 'forwarded') {
        open.autoPacer.track({ workflowInstanceId: result.packet.workflowInstanceId, rid: result.packet.rid, sentAt: new Date(result.startedAt), before: result.packet.before });
      }
      if (!counting) {
        counting = true;
        source.count?.().then((n) => say({ type: 'total', packets: n }), () => undefined);
        void source.heldBack();
      }
    });
    const startedAt = new Date();
    const sender = buildSender({
      request, pool: open.pool, client: open.client, lock: open.lock, journal, observer: open.observer, stop, emit: say,
      acknowledged: continuation.acknowledged, clock: options.clock,
    });
    open.autoPacer = sender.autoPacer;
    const { outcome, cohortsNotSent } = await sendAll(open.packets, sender, request, open.pool, journal, say, stop, cohorts);
    // The source is closed however the sends ended: a --query-file cursor and its READ ONLY snapshot end now.
    await closeSource(open.packets);
    await lockNamed;
    // 8. Numbers that add up: one last look at the pipeline, the held-back count, the summary and the end record.
    const pace = open.autoPacer ? await open.autoPacer.stop() : null;
    if (pace) log.write(`pace: ${describeAutoPace(pace)}`);
    const summary = summarize({
      startedAt, outcome, skipped, alreadyDone, notifier: sender.notifier, breaker: sender.breaker,
      authentications: open.client.authentications, reason: settings.reason ?? null,
      heldBack: await source.heldBack(), pace, redriven: redrive.length, cohortsNotSent,
    });
    journal.append({ t: 'end', at: summary.finishedAt, exitCode: summary.exitCode, stop: summary.stop?.message ?? null, stopKind: summary.stop?.kind ?? null });
    await journal.flush();
    writeSummary(run, summary);
    const unfinished = summary.stop !== null && summary.stop.kind !== 'canary_failed';
    const continueWith = unfinished ? resumeCommand(run.id, settings.runsDir) : null;
    // The summary, why it stopped and how to continue: in the log file as on the terminal; the metrics' final values.
    say({ type: 'finished', runId: run.id, summary, resumeCommand: continueWith });
    return {
      runId: run.id, runsDir: settings.runsDir, journalPath: run.journalPath, summary, exitCode: summary.exitCode,
      resumeCommand: continueWith, logFiles: { last: log.lastLog, out: log.outLog },
    };
  } catch (err) {
    const sent = open.observer?.sentSoFar ?? 0;
    if (open.run && sent > 0) throw new RunInterrupted(err, open.run.id, sent, resumeCommand(open.run.id, settings.runsDir));
    throw err;
  } finally {
    stop.dispose();
    await closeSource(open.packets);
    await open.autoPacer?.stop().catch(() => undefined);
    await open.lock?.release().catch(() => undefined);
    await open.journal?.close().catch((err: unknown) => say({ type: 'warning', message: `journal ${open.journal?.path}: ${(err as Error).message}` }));
    // The final push (its warning, if it fails, still reaches the log), then the metrics server stops.
    await open.observation?.close();
    teller.closeLog();
    await open.client?.close().catch(() => undefined);
    await open.pool?.end().catch(() => undefined);
  }
}

/** What a run holds open, closed in runReprocess's finally whatever happened. */
interface Opened {
  pool: pg.Pool | null;
  lock: RunLock | null;
  client: MosipClient | null;
  journal: Journal | null;
  log: RunLog | null;
  run: RunHandle | null;
  packets: AsyncIterator<Packet> | null;
  autoPacer: AutoPacer | null;
  observer: JournalingObserver | null;
  observation: Observation | null;
}

/** The fixed pacer's rate for the metrics, packets per second (Infinity unpaced); null with --pace auto (it tells its own). */
function fixedRate(request: RunRequest): number | null {
  const s = request.settings;
  if (s.pace === 'auto') return null;
  return s.rate ?? (s.delay > 0 ? 1 / s.delay : Infinity);
}

function sourceText(request: RunRequest): string {
  const { mode, settings, flags } = request;
  return mode === 'db'
    ? (settings.queryFile ? `query file ${settings.queryFile}` : `db (APPROACH ${settings.approach}${flags.all ? ', --all' : ''})`)
    : mode === 'file' ? `file ${flags.file}` : '--registration';
}

/** Measured, never trusted silently (run/clockOffset.ts): the run's rules compare no clocks where they can help it. */
async function warnOfClockOffset(request: RunRequest, pool: pg.Pool, emit: EventSink): Promise<void> {
  const { offsetMs } = await withDb(request.settings, () => measureClockOffset(pool));
  const warning = clockOffsetWarning(offsetMs);
  if (warning) emit({ type: 'warning', message: warning });
}

async function authenticate(client: MosipClient): Promise<void> {
  try {
    await client.authenticate();
  } catch (err) {
    if (err instanceof AuthError) throw new UnreachableError(err.message);
    throw err;
  }
}

/** The run's directory (new, or the resumed one with this attempt noted), its journal and its log. */
function openRunRecord(request: RunRequest, emit: EventSink): { run: RunHandle; journal: Journal; log: RunLog } {
  const { settings, flags } = request;
  if (!request.resume) noteCrashedRun(settings.runsDir, emit);
  const run = request.resume?.run ?? createRun(settings.runsDir, {
    kind: 'run', db: storedDbOf(settings, request.dbConfigured),
    flags: flagsToKeep(flags), configFile: flags.config ?? null,
    settings: redactSettings(settings), source: sourceText(request),
    ...(flags.runName !== undefined ? { name: flags.runName } : {}),
  });
  if (request.resume) {
    run.meta.resumes.push(new Date().toISOString());
    run.saveMeta();
  }
  const journal = run.openJournal();
  const log = new RunLog(settings.logDir, settings.logFormat);
  log.runId = run.id;
  const db = request.dbConfigured ? describeDb(dbSettingsOf(settings)) : null;
  const headline = `run ${run.id} ${request.resume ? 'resumed' : 'started'} ${new Date().toISOString()} source=${sourceText(request)}${db ? ` db=${db}` : ''}${settings.reason ? ` reason=${JSON.stringify(settings.reason)}` : ''}`;
  const line = messageLine('info', headline, run.id, { source: sourceText(request), db, reason: settings.reason ?? null, settings: redactSettings(settings) });
  log.line({ ...line, text: `${line.text} settings=${JSON.stringify(redactSettings(settings))}` });
  return { run, journal, log };
}

function attemptNumber(request: RunRequest, run: RunHandle): number {
  return request.resume ? Math.max(request.resume.replayed.attempts, run.meta.resumes.length) + 1 : 1;
}

/**
 * The packets to send, in order: the dropped ones to re-drive first, then the source; the chosen cohorts' only;
 * each workflow id once per run and never one already done; this shard's only; at most what --limit leaves (with
 * --all, batches of it).
 */
function packetStream(
  request: RunRequest, source: OpenedSource, redrive: readonly Packet[], continuation: Continuation, notSentAgain: number,
  skipped: { duplicates: number; rows: number; batches: number }, say: EventSink, cohorts: CohortStage | null,
): AsyncIterable<Packet> {
  const { settings, flags } = request;
  const seen = new Set(continuation.done);
  const rows = source.stream(() => { skipped.rows += 1; }, seen, () => { skipped.batches += 1; });
  const ordered = redriveFirst(redrive, rows);
  // --cohort / --by-cohort: only the chosen cohorts' packets (run/cohortStage.ts).
  return applyFilters(cohorts ? cohorts.wrap(ordered, seen) : ordered, [
    notAlreadyDone(continuation.done, () => undefined),
    firstOfEachWorkflow((p) => {
      skipped.duplicates += 1;
      say({ type: 'warning', message: `${p.origin}: workflow id ${p.workflowInstanceId} already taken in this run; skipped` });
    }, seen),
    inShard(settings.shard ? parseShard(settings.shard) : null),
  ], flags.all ? Infinity : continuation.remaining - notSentAgain);
}

/** A crash leaves no message behind: the next start in the same runs directory says how to continue it. */
function noteCrashedRun(runsDir: string, emit: EventSink): void {
  const id = latestUnfinishedRun(runsDir);
  if (!id) return;
  const run = openRun(runsDir, id);
  // A stopped run (Ctrl-C) is told apart from the tail; only a crashed one's journal is read whole, for its count.
  if (runStatus(run).status !== 'crashed') return;
  const whole = readWholeRun(run);
  emit({ type: 'warning', message: `run ${id} did not finish (it crashed or was killed, ${whole.inFlight} packet(s) in doubt); to continue it: ${resumeCommand(id, runsDir)}` });
}

/** The re-driven packets first, then the source without them (the same workflow id is sent once). */
function redriveFirst(redrive: readonly Packet[], rest: AsyncIterable<Packet>): AsyncIterable<Packet> {
  if (redrive.length === 0) return rest;
  const taken = new Set(redrive.map((p) => workflowKey(p.workflowInstanceId)));
  return (async function* () {
    yield* redrive;
    for await (const p of rest) if (!taken.has(workflowKey(p.workflowInstanceId))) yield p;
  })();
}

/** Ends the source's iteration (idempotent; a source that fails to close has nothing more to give). */
async function closeSource(iterator: AsyncIterator<Packet> | null): Promise<void> {
  await iterator?.return?.()?.catch(() => undefined);
}
