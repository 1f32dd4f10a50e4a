// A whole run, from a resolved request to its summary: open (or resume) the run, pick the source, filter,
// pace, notify, journal and summarise. The data flows one way:
//   source -> filter (journal, dedupe, shard, limit) -> pacer -> notifier -> journal -> report.
// It prints nothing: it tells an event sink, and returns a typed result. The CLI and the demo both drive it.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
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
import { latestUnfinishedRun, readWholeRun, runStatus, type StoredSummary } from '../journal/wholeRun.js';
import { CircuitBreaker } from '../notifier/breaker.js';
import { AuthError, MosipClient } from '../notifier/client.js';
import { dbDeliveryCheck } from '../notifier/deliveryEvidence.js';
import { ResilientNotifier, settleAfterMsFor } from '../notifier/resilientNotifier.js';
import { Pacer } from '../pacer/pacer.js';
import { AutoPacer, AUTO_DEFAULT_CONCURRENCY, describeAutoPace } from '../pacer/autoPacer.js';
import { findDropped, stillDropped } from '../pacer/pipelineWatch.js';
import type { Packet } from '../domain/packet.js';
import { workflowKey } from '../domain/packetKey.js';
import type { DroppedRecord, SendRecord } from '../journal/records.js';
import { lastSends } from '../journal/replay.js';
import { packetLine, summaryText } from '../report/format.js';
import { RunLog } from '../report/logFiles.js';
import { openSource, dbSettingsOf, withDb } from '../source/openSource.js';
import { makeBudget, untilDeadline } from './budget.js';
import { watchCanary } from './canary.js';
import { runCohortCanaries, type CohortCanaryOutcome } from './cohortCanary.js';
import { openCohortStage } from './cohortStage.js';
import type { EventSink } from './events.js';
import { settleInDoubt } from './inDoubt.js';
import { lockedBudget, lockedGate, takeRunLock } from './lockedRun.js';
import type { RunLock } from './lock.js';
import { flagsToKeep, resumeCommand, type RunRequest } from './request.js';
import { emptyCounts, exitCodeOf, runPackets, type RunOutcome } from './runner.js';
import type { PacketResult, RunObserver, RunSummary, StopReason } from './types.js';
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
  exitCode: 0 | 1 | 3;
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
  const { settings, flags, mode } = request;
  if (flags.dryRun) throw new InputError('a dry run is dryRunReprocess(), not runReprocess()');
  if (request.finished) throw new InputError(`run ${request.finished.runId} (--run-name ${request.finished.name}) already finished; check request.finished first`);
  const signal = options.signal;
  const shard = settings.shard ? parseShard(settings.shard) : null;
  const until = settings.until ? untilDeadline(settings.until) : undefined;
  const dbSettings = dbSettingsOf(settings);
  const replayed = request.resume?.replayed ?? null;
  let pool: pg.Pool | null = null;
  let client: MosipClient | null = null;
  let journal: Journal | null = null;
  let log: RunLog | null = null;
  let run: RunHandle | null = null;
  let lock: RunLock | null = null;
  let sentSoFar = 0;
  let autoPacer: AutoPacer | null = null;
  const pendingDropRecords: DroppedRecord[] = [];
  try {
    pool = request.dbConfigured ? createPool(dbSettings) : null;
    // One run per database: taken before anything is read or sent, held to the end (src/run/lock.ts).
    lock = await takeRunLock(request, 'run', emit);
    const sourceText = mode === 'db'
      ? (settings.queryFile ? `query file ${settings.queryFile}` : `db (APPROACH ${settings.approach}${flags.all ? ', --all' : ''})`)
      : mode === 'file' ? `file ${flags.file}` : '--registration';

    // A resumed --pace auto run first looks for packets the pipeline dropped after the earlier attempt ended (its
    // own watcher journaled those it saw): their rows have not moved for longer than --message-max-age.
    const lateDrops = replayed && settings.pace === 'auto' && pool
      ? await withDb(settings, () => findDropped(pool!, settings.dbSchema,
        // The resume of a --pace auto run replays with `detail` (request.ts): each result's rid and start time.
        [...replayed.results].filter(([wf, r]) => r.outcome === 'forwarded' && !replayed.dropped.has(wf))
          .map(([, r]) => ({ workflowInstanceId: r.wf!, rid: r.rid!, sentAt: new Date(r.startedAt!) })),
        settings.messageMaxAge * 1000))
      : [];
    const lateDropSends = lateDrops.length > 0
      ? lastSends(request.resume!.run.journalPath, new Set(lateDrops.map((d) => d.workflowInstanceId.toLowerCase())))
      : new Map<string, SendRecord>();
    for (const d of lateDrops) {
      const send = lateDropSends.get(d.workflowInstanceId.toLowerCase());
      if (!send) continue;
      const record = {
        t: 'dropped' as const, at: new Date().toISOString(), wf: d.workflowInstanceId, rid: d.rid, sentAt: d.sentAt.toISOString(),
        lastMoved: d.lastMoved?.toISOString() ?? null, stalledSeconds: Math.round(d.stalledMs / 1000),
      };
      pendingDropRecords.push(record);
      replayed!.dropped.set(d.workflowInstanceId.toLowerCase(), { send, record });
    }

    // Acknowledged = the stage gave a definitive answer. A 5xx or a reply the database showed unhandled is not
    // one: a resume sends it again. A packet left in doubt is not sent again, unless --resend-in-doubt says so.
    // Packets the pipeline dropped (--pace auto found them stalled) are not done either: they are sent again, first.
    const done = new Set<string>();
    for (const [wf, r] of replayed?.results ?? []) {
      if (!r.transient && !(flags.resendInDoubt && r.outcome === 'in_doubt') && !replayed?.dropped.has(wf)) done.add(wf);
    }
    const alreadyAcknowledged = done.size;
    for (const wf of replayed?.settled ?? []) done.add(wf);
    // --limit is the whole run's size: a resume takes only what the earlier attempts left (in-doubt packets an
    // earlier resume settled count as taken too).
    const remaining = Math.max(0, settings.limit - (flags.all ? 0 : alreadyAcknowledged + (replayed?.settled.size ?? 0)));
    const opening = openSource(mode, flags, settings, pool, emit, remaining, done);
    opening.catch(() => undefined); // awaited below; this only keeps a failure there from counting as unhandled meanwhile
    // Built while the database answers: loading the HTTP client is a good part of the time to the first packet.
    client = new MosipClient({
      server: settings.server!, authServer: settings.authServer, clientId: settings.clientId,
      clientSecret: settings.clientSecret!, appId: settings.appId, timeoutSeconds: settings.timeout,
      caFile: settings.caFile, insecure: settings.insecure, connections: settings.concurrency,
    });
    const source = await opening;
    // --cohort / --canary --by-cohort: the selection's cohorts are read now, before a token or a run directory exists.
    const cohorts = await withDb(settings, () => openCohortStage(request, pool, emit, done));
    try {
      await client.authenticate();
    } catch (err) {
      if (err instanceof AuthError) throw new UnreachableError(err.message);
      throw err;
    }

    if (!request.resume) noteCrashedRun(settings.runsDir, emit);
    run = request.resume?.run ?? createRun(settings.runsDir, {
      flags: flagsToKeep(flags), configFile: flags.config ?? null,
      settings: redactSettings(settings), source: sourceText,
      ...(flags.runName !== undefined ? { name: flags.runName } : {}),
    });
    const resumed = Boolean(request.resume);
    if (resumed) {
      run.meta.resumes.push(new Date().toISOString());
      run.saveMeta();
    }
    const attempt = resumed ? Math.max(replayed?.attempts ?? 0, run.meta.resumes.length) + 1 : 1;
    journal = run.openJournal();
    await journal.appendDurable({ t: 'start', at: new Date().toISOString(), attempt, host: hostname(), pid: process.pid, reason: settings.reason ?? null });
    for (const r of pendingDropRecords) journal.append(r);
    const runId = run.id;
    await lock?.setRunId(runId);
    const resumeWith = resumeCommand(runId, settings.runsDir);
    log = new RunLog(settings.logDir);
    log.write(`run ${runId} ${resumed ? 'resumed' : 'started'} ${new Date().toISOString()} source=${sourceText}${pool ? ` db=${describeDb(dbSettings)}` : ''}${settings.reason ? ` reason=${JSON.stringify(settings.reason)}` : ''} settings=${JSON.stringify(redactSettings(settings))}`);
    emit({ type: 'started', runId, resumed, source: sourceText, journalPath: run.journalPath, runsDir: settings.runsDir });
    if (settings.insecure) emit({ type: 'warning', message: '--insecure: the server certificate is NOT verified' });

    // A resumed run first settles the packets whose reply never came; those not sent again count as done.
    let settledInDoubt = 0;
    if (replayed && replayed.inFlight.size > 0) {
      const decisions = await withDb(settings, () => settleInDoubt(pool, settings.dbSchema, [...replayed.inFlight.values()], Boolean(flags.resendInDoubt), {
        settleAfterMs: settleAfterMsFor(settings.timeout), signal,
        onWait: (message) => emit({ type: 'note', message }),
      }));
      for (const d of decisions) {
        journal.append({ t: 'in_doubt', at: new Date().toISOString(), wf: d.send.wf, rid: d.send.rid, decision: d.decision, detail: d.detail });
        if (d.decision !== 'resend') {
          done.add(d.send.wf.toLowerCase());
          settledInDoubt += 1;
        }
        emit({ type: 'note', message: `in doubt: ${d.send.rid} ${d.send.wf} (sent ${d.send.at}, no reply journaled): ${d.decision === 'resend' ? 'will be sent again' : d.decision === 'delivered' ? 'delivered, not sent again' : 'NOT sent again'}; ${d.detail}` });
      }
    }
    const alreadyDone = alreadyAcknowledged + (replayed?.settled.size ?? 0) + settledInDoubt;
    if (alreadyDone > 0) emit({ type: 'note', message: `resume: ${alreadyDone} packet(s) already done in this run are skipped` });

    // Dropped by the pipeline in an earlier attempt: sent again ahead of the rest, unless the row moved since
    // (then the pipeline did take it, late, and it is left alone).
    const redrive: Packet[] = [];
    if (replayed && replayed.dropped.size > 0) {
      const entries = [...replayed.dropped.values()];
      const stalled = pool ? await withDb(settings, () => stillDropped(pool!, settings.dbSchema, entries.map((e) => e.record))) : null;
      for (const { send, record } of entries) {
        const wf = send.wf.toLowerCase();
        if (stalled && !stalled.has(wf)) {
          done.add(wf);
          emit({ type: 'note', message: `dropped earlier: ${send.rid} ${send.wf} has moved since; not sent again` });
          continue;
        }
        redrive.push({ rid: send.rid, process: send.process, workflowInstanceId: send.wf, iteration: send.iteration, source: send.source, origin: `${send.origin} (dropped by the pipeline at ${record.at}; re-driven)` });
      }
      if (redrive.length > 0) emit({ type: 'note', message: `resume: ${redrive.length} packet(s) the pipeline dropped are sent again first` });
    }

    const skipped = { duplicates: source.duplicates, rows: 0, batches: 0 };
    const seen = new Set(done);
    // --limit is the whole run's size (minus what a resumed run already did); with --all it is the batch size.
    const selected = source.stream(() => { skipped.rows += 1; }, seen, () => { skipped.batches += 1; });
    const ordered = redriveFirst(redrive, selected);
    const stream = applyFilters(cohorts ? cohorts.wrap(ordered, seen) : ordered, [
      notAlreadyDone(done, () => undefined),
      firstOfEachWorkflow((p) => {
        skipped.duplicates += 1;
        emit({ type: 'warning', message: `${p.origin}: workflow id ${p.workflowInstanceId} already taken in this run; skipped` });
      }, seen),
      inShard(shard),
    ], flags.all ? Infinity : remaining - settledInDoubt);

    // The total (for a progress bar) and the held-back count (a warning, the summary) each read the whole
    // selection: counted after the first packet, so they never delay the first one.
    let counting = false;
    const startCount = () => {
      if (counting) return;
      counting = true;
      source.count?.().then((n) => emit({ type: 'total', packets: n }), () => undefined);
      void source.heldBack();
    };
    const j = journal;
    const runLog = log;
    const observer: RunObserver = {
      // The packet leaves once the promise resolves: its send record is on disk (group commit, journal.ts).
      onSend(packet) {
        sentSoFar += 1;
        return j.appendDurable({
          t: 'send', at: new Date().toISOString(), wf: packet.workflowInstanceId, rid: packet.rid, process: packet.process,
          iteration: packet.iteration, source: packet.source, origin: packet.origin, attempt: 1,
          ...(packet.stage ? { stage: packet.stage } : {}),
        });
      },
      onWithdraw(packet) {
        sentSoFar -= 1;
        j.append({ t: 'withdrawn', at: new Date().toISOString(), wf: packet.workflowInstanceId, rid: packet.rid });
      },
      onPacket(result: PacketResult) {
        if (autoPacer && result.outcome === 'forwarded') {
          autoPacer.track(result.packet.workflowInstanceId, result.packet.rid, new Date(result.startedAt));
        }
        j.append({
          t: 'result', at: new Date().toISOString(), wf: result.packet.workflowInstanceId, rid: result.packet.rid,
          attempt: result.attempts, outcome: result.outcome, http: result.httpStatus, reply: result.reply,
          latencyMs: result.latencyMs, startedAt: result.startedAt,
        });
        runLog.write(packetLine(result));
        emit({ type: 'packet', result });
        startCount();
      },
      onWarning(message) {
        runLog.write(`warning: ${message}`);
        emit({ type: 'warning', message });
      },
    };

    const started = new Date();
    const budget = makeBudget({
      maxPackets: settings.maxPackets, alreadySent: flags.all ? alreadyAcknowledged : 0,
      maxDurationSeconds: settings.maxDuration, until,
    });
    client.onNewToken = (reason) => j.append({ t: 'token', at: new Date().toISOString(), reason });
    const breaker = new CircuitBreaker({
      window: 20, minSamples: 5, failureRate: settings.breakerThreshold,
      cooldownMs: settings.breakerCooldown * 1000, patienceMs: settings.breakerPatience * 1000,
    }, (message) => {
      runLog.write(message);
      j.append({ t: 'breaker', at: new Date().toISOString(), state: breaker.current, detail: message });
      emit({ type: 'warning', message });
    });
    // A lost reply is sent again only when the database shows it unhandled 2 x --timeout after the attempt
    // started; with no database, or a query that fails, it is left in doubt (notifier/resilientNotifier.ts).
    const notifier = new ResilientNotifier(client, breaker, {
      retry: { retries: settings.retries, baseDelayMs: settings.retryDelay.firstMs, maxDelayMs: settings.retryDelay.maxMs },
      deliveryCheck: pool ? dbDeliveryCheck(pool, settings.dbSchema) : null,
      settleAfterMs: settleAfterMsFor(settings.timeout),
      signal,
    });
    const intervalMs = settings.rate !== undefined ? 1000 / settings.rate : settings.delay * 1000;
    if (settings.pace === 'auto') {
      // --rate / --delay / --concurrency are upper bounds only when given; the default 1 s delay does not apply.
      const maxRate = 'rate' in request.origins ? settings.rate : 'delay' in request.origins && settings.delay > 0 ? 1 / settings.delay : undefined;
      autoPacer = new AutoPacer({
        db: pool!, schema: settings.dbSchema, messageMaxAgeMs: settings.messageMaxAge * 1000,
        maxWaitMs: (settings.maxWait ?? settings.messageMaxAge / 2) * 1000,
        ...(maxRate !== undefined ? { maxRate } : {}),
        ...(settings.maxInPipeline !== undefined ? { maxInPipeline: settings.maxInPipeline } : {}),
        onDropped(d) {
          const stalledSeconds = Math.round(d.stalledMs / 1000);
          j.append({
            t: 'dropped', at: new Date().toISOString(), wf: d.workflowInstanceId, rid: d.rid, sentAt: d.sentAt.toISOString(),
            lastMoved: d.lastMoved?.toISOString() ?? null, stalledSeconds,
          });
          const message = `dropped by the pipeline: ${d.rid} ${d.workflowInstanceId}: its row has not moved for ${stalledSeconds} s (over --message-max-age ${settings.messageMaxAge} s); --resume sends it again`;
          runLog.write(`warning: ${message}`);
          emit({ type: 'warning', message });
        },
        onDecision(decision) {
          const status = autoPacer!.status();
          // For the morning-after report's timeline: the rate, how many were inside and how long they waited.
          j.append({
            t: 'pace', at: new Date().toISOString(), ratePerSec: status.rate, inPipeline: status.inside, notSeen: status.unseen,
            waitingMs: status.maxWaitMs, maxWaitMs: (settings.maxWait ?? settings.messageMaxAge / 2) * 1000,
          });
          emit({ type: 'pace', status, reason: decision.reason });
        },
        onPollError(error) {
          emit({ type: 'warning', message: `--pace auto cannot read the database (${(error as Error).message}); sending waits until it can` });
        },
      });
      emit({ type: 'note', message: `pace auto: starting at ${autoPacer.controller.rate}/s, aiming to keep the waiting time inside the pipeline near ${(settings.maxWait ?? settings.messageMaxAge / 2) / 4} s (--max-wait ${settings.maxWait ?? settings.messageMaxAge / 2} s, --message-max-age ${settings.messageMaxAge} s)${maxRate !== undefined ? `, at most ${Number(maxRate.toFixed(3))}/s` : ''}` });
    }
    const concurrency = autoPacer && !('concurrency' in request.origins) ? AUTO_DEFAULT_CONCURRENCY : settings.concurrency;
    const base = {
      notifier, gate: lockedGate(autoPacer ?? new Pacer(intervalMs, options.clock), lock), observer, budget: lockedBudget(budget, lock), concurrency,
      // Unpaced, the slots set the pace: send records go to disk a window ahead, one sync per window (runner.ts).
      journalAhead: !autoPacer && intervalMs === 0 ? concurrency : 0,
      ...(signal ? { signal } : {}),
    };
    const iterator = stream[Symbol.asyncIterator]();
    let outcome: RunOutcome = { sent: 0, counts: emptyCounts(), stop: null };
    let canaryStop: StopReason | null = null;
    let cohortCanaries: CohortCanaryOutcome | null = null;

    if (flags.canary && cohorts?.canaries) {
      // --by-cohort: one canary per cohort; the run goes on with the cohorts whose canary moved on (cohortCanary.ts).
      cohortCanaries = await runCohortCanaries({
        canaries: cohorts.canaries, allow: (ids) => cohorts.allow(ids),
        send: (packets, onResult) => runPackets({ ...base, packets, observer: { ...observer, onPacket(r) { onResult(r); observer.onPacket(r); } } }),
        packets: borrow(iterator, cohorts.canaries.length),
        db: pool!, schema: settings.dbSchema, timeoutMs: settings.canaryTimeout * 1000, emit,
        journalNote: (message) => j.append({ t: 'note', at: new Date().toISOString(), message }),
        ...(signal ? { signal } : {}),
      });
      outcome = cohortCanaries.outcome;
      if (cohortCanaries.stop && !outcome.stop) canaryStop = cohortCanaries.stop;
    } else if (flags.canary) {
      let canaryResult: PacketResult | null = null;
      const first = await runPackets({
        ...base,
        packets: borrow(iterator, 1),
        observer: { ...observer, onPacket(r) { canaryResult = r; observer.onPacket(r); } },
      });
      outcome = first;
      if (canaryResult && !first.stop) {
        emit({ type: 'note', message: 'canary: watching its row until it moves past securezone...' });
        const verdict = await watchCanary(pool!, settings.dbSchema, canaryResult, {
          timeoutMs: settings.canaryTimeout * 1000,
          ...(signal ? { signal } : {}),
        });
        journal.append({ t: 'note', at: new Date().toISOString(), message: `canary: ${verdict.ok ? 'passed' : 'FAILED'}: ${verdict.detail}` });
        emit({ type: 'note', message: `canary ${verdict.ok ? 'passed' : 'FAILED'}: ${verdict.detail}${!verdict.ok && verdict.hint ? `\n  likely cause: ${verdict.hint}` : ''}` });
        if (!verdict.ok) {
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
    const lockStop = lock?.stopMessage();
    if (lockStop) outcome = { ...outcome, stop: { kind: 'lock_lost', message: `the run lock was lost: ${lockStop}` } };
    // One last look at the pipeline: drops found by now are counted and journaled.
    const pace = autoPacer ? await autoPacer.stop() : null;
    if (pace) log.write(`pace: ${describeAutoPace(pace)}`);

    const finished = new Date();
    // The held-back count runs beside the sends (started by the first packet, or here); the summary waits for it.
    const heldBack = await source.heldBack();
    const summary: RunSummary = {
      startedAt: started.toISOString(),
      finishedAt: finished.toISOString(),
      durationMs: finished.getTime() - started.getTime(),
      sent: outcome.sent,
      counts: outcome.counts,
      duplicatesSkipped: skipped.duplicates,
      rowsSkipped: skipped.rows,
      alreadyDone,
      batches: skipped.batches,
      stop: outcome.stop,
      exitCode: exitCodeOf(outcome, skipped.rows),
      resilience: {
        retries: notifier.retriesMade, settledFromDb: notifier.settledFromDb, breakerTrips: breaker.trips,
        reauthentications: client.authentications - 1,
      },
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
      reason: settings.reason ?? null,
      ...(heldBack !== null ? { heldBack } : {}),
      ...(pace ? {
        pipeline: { dropped: pace.dropped, inside: pace.inside, unseen: pace.unseen, exited: pace.exited, redriven: redrive.length, finalRate: pace.rate },
      } : {}),
    };
    // A packet the pipeline dropped was not reprocessed: the run did not do all it was asked.
    if (pace && pace.dropped > 0 && summary.exitCode === 0) summary.exitCode = 1;
    // --by-cohort: the cohorts whose canary failed were not sent.
    if (cohortCanaries && cohortCanaries.failed.length > 0 && summary.exitCode === 0) summary.exitCode = 1;
    journal.append({ t: 'end', at: finished.toISOString(), exitCode: summary.exitCode, stop: summary.stop?.message ?? null, stopKind: summary.stop?.kind ?? null });
    await journal.flush();
    writeSummary(run, summary);
    log.write(summaryText(summary));
    const unfinished = summary.stop !== null && summary.stop.kind !== 'canary_failed';
    return {
      runId, runsDir: settings.runsDir, journalPath: run.journalPath, summary, exitCode: summary.exitCode,
      resumeCommand: unfinished ? resumeWith : null, logFiles: { last: log.lastLog, out: log.outLog },
    };
  } catch (err) {
    if (run && sentSoFar > 0) throw new RunInterrupted(err, run.id, sentSoFar, resumeCommand(run.id, settings.runsDir));
    throw err;
  } finally {
    await autoPacer?.stop().catch(() => undefined);
    await lock?.release().catch(() => undefined);
    log?.close();
    await journal?.close().catch((err: unknown) => emit({ type: 'warning', message: `journal ${journal?.path}: ${(err as Error).message}` }));
    await client?.close().catch(() => undefined);
    await pool?.end().catch(() => undefined);
  }
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

/** summary.json: the whole run's figures (every attempt) on top, and each attempt's own summary in `attempts`. */
function writeSummary(run: RunHandle, attemptSummary: RunSummary): void {
  // Only the earlier attempts' summary is needed here, not the journal (gigabytes after millions of packets).
  const earlier = existsSync(run.summaryPath) ? JSON.parse(readFileSync(run.summaryPath, 'utf8')) as StoredSummary : null;
  const attempts = [...(earlier?.attempts ?? (earlier ? [stripStored(earlier)] : [])), attemptSummary];
  const stored: StoredSummary = { runId: run.id, ...attemptSummary, attempts };
  writeFileSync(run.summaryPath, JSON.stringify(stored, null, 2) + '\n');
}

function stripStored(s: StoredSummary): RunSummary {
  const { runId: _runId, attempts: _attempts, ...rest } = s;
  return rest;
}

function addCounts(a: RunOutcome['counts'], b: RunOutcome['counts']): RunOutcome['counts'] {
  const out = { ...a };
  for (const k of Object.keys(b) as (keyof typeof b)[]) out[k] += b[k];
  return out;
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

/** Lends up to `max` items of a shared iterator; the runner closing its view does not close the source. */
function borrow<T>(iterator: AsyncIterator<T>, max: number): AsyncIterable<T> {
  let taken = 0;
  return {
    [Symbol.asyncIterator]: () => ({
      next: () => (taken++ < max ? iterator.next() : Promise.resolve({ done: true, value: undefined })),
      return: async () => ({ done: true, value: undefined }),
    }),
  };
}
