// How the packets of an attempt leave: the notifier (retries, the circuit breaker, the lost-reply rule), the
// gate (the fixed pacer or --pace auto, then the run lock), the budgets, and the canary before the rest.
import type pg from 'pg';
import type { Clock } from '../clock.js';
import type { Packet } from '../domain/packet.js';
import type { Journal } from '../journal/journal.js';
import { CircuitBreaker } from '../notifier/breaker.js';
import type { MosipClient } from '../notifier/client.js';
import { dbDeliveryCheck } from '../notifier/deliveryEvidence.js';
import { ResilientNotifier, settleAfterMsFor } from '../notifier/resilientNotifier.js';
import { AutoPacer, AUTO_DEFAULT_CONCURRENCY } from '../pacer/autoPacer.js';
import { droppedMeaning } from '../pacer/pipelineWatch.js';
import { Pacer } from '../pacer/pacer.js';
import { makeBudget } from './budget.js';
import { watchCanary } from './canary.js';
import { runCohortCanaries } from './cohortCanary.js';
import type { CohortStage } from './cohortStage.js';
import type { EventSink } from './events.js';
import type { RunLock } from './lock.js';
import { lockedBudget, lockedGate } from './lockedRun.js';
import type { RunRequest } from './request.js';
import { emptyCounts, runPackets, type RunInput, type RunOutcome } from './runner.js';
import type { RunStop } from './stop.js';
import { WRITE_AHEAD_MAX } from './writeAhead.js';
import type { PacketResult, RunObserver, StopReason } from '../domain/runResult.js';

export interface Sender {
  notifier: ResilientNotifier;
  breaker: CircuitBreaker;
  /** --pace auto's pacer (it watches the forwarded packets), or null. */
  autoPacer: AutoPacer | null;
  /** What runPackets needs besides the packets. */
  input: Omit<RunInput, 'packets'>;
}

export interface SenderParts {
  request: RunRequest;
  pool: pg.Pool | null;
  client: MosipClient;
  lock: RunLock | null;
  journal: Journal;
  observer: RunObserver;
  stop: RunStop;
  emit: EventSink;
  /** Definitive replies of earlier attempts: an --all run's --max-packets counts them. */
  acknowledged: number;
  clock?: Clock | undefined;
}

export function buildSender(p: SenderParts): Sender {
  const { request, journal, emit } = p;
  const { settings, flags } = request;
  const signal = p.stop.signal;
  p.client.onNewToken = (reason) => journal.append({ t: 'token', at: new Date().toISOString(), reason });
  const breaker = new CircuitBreaker({
    window: 20, minSamples: 5, failureRate: settings.breakerThreshold,
    cooldownMs: settings.breakerCooldown * 1000, patienceMs: settings.breakerPatience * 1000,
  }, (message) => {
    journal.append({ t: 'breaker', at: new Date().toISOString(), state: breaker.current, detail: message });
    emit({ type: 'breaker', state: breaker.current, message });
  });
  // A lost reply is decided by the lost-reply rule (notifier/lostReply.ts); with no database it is left in doubt.
  const notifier = new ResilientNotifier(p.client, breaker, {
    retry: { retries: settings.retries, baseDelayMs: settings.retryDelay.firstMs, maxDelayMs: settings.retryDelay.maxMs },
    deliveryCheck: p.pool ? dbDeliveryCheck(p.pool, settings.dbSchema, signal) : null,
    settleAfterMs: settleAfterMsFor(settings.timeout),
    signal,
  });
  const intervalMs = settings.rate !== undefined ? 1000 / settings.rate : settings.delay * 1000;
  const autoPacer = settings.pace === 'auto' ? buildAutoPacer(request, p.pool!, journal, emit) : null;
  const concurrency = autoPacer && !('concurrency' in request.origins) ? AUTO_DEFAULT_CONCURRENCY : settings.concurrency;
  // Time budgets fire the run's stop signal (run/stop.ts); the count budget is checked before each send.
  const budget = makeBudget({ maxPackets: settings.maxPackets, alreadySent: flags.all ? p.acknowledged : 0 });
  return {
    notifier, breaker, autoPacer,
    input: {
      notifier, observer: p.observer, concurrency, signal,
      gate: lockedGate(autoPacer ?? new Pacer(intervalMs, p.clock), p.lock),
      budget: lockedBudget(budget, p.lock),
      // Unpaced, the slots set the pace: send records go to disk a window ahead, one sync per window, the window
      // sized by the measured rate and sync time up to WRITE_AHEAD_MAX (runner.ts, run/writeAhead.ts).
      journalAhead: !autoPacer && intervalMs === 0 ? WRITE_AHEAD_MAX : 0,
    },
  };
}

/** --pace auto (pacer/auto.ts): --rate / --delay / --concurrency are upper bounds only when given. */
function buildAutoPacer(request: RunRequest, pool: pg.Pool, journal: Journal, emit: EventSink): AutoPacer {
  const { settings } = request;
  const maxWaitSeconds = settings.maxWait ?? settings.messageMaxAge / 2;
  const maxRate = 'rate' in request.origins ? settings.rate : 'delay' in request.origins && settings.delay > 0 ? 1 / settings.delay : undefined;
  const pacer: AutoPacer = new AutoPacer({
    db: pool, schema: settings.dbSchema, messageMaxAgeMs: settings.messageMaxAge * 1000, maxWaitMs: maxWaitSeconds * 1000,
    ...(maxRate !== undefined ? { maxRate } : {}),
    ...(settings.maxInPipeline !== undefined ? { maxInPipeline: settings.maxInPipeline } : {}),
    onDropped(d) {
      const stalledSeconds = Math.round(d.stalledMs / 1000);
      journal.append({
        t: 'dropped', at: new Date().toISOString(), wf: d.workflowInstanceId, rid: d.rid, sentAt: d.sentAt.toISOString(),
        lastMoved: d.lastMoved?.toISOString() ?? null, stalledSeconds,
      });
      emit({ type: 'warning', message: `dropped by the pipeline: ${d.rid} ${d.workflowInstanceId}: still as the notification left it for ${stalledSeconds} s (over --message-max-age ${settings.messageMaxAge} s); --resume sends it again` });
    },
    onDecision(decision) {
      const status = pacer.status();
      // For the morning-after report's timeline: the rate, how many were inside and how long they waited.
      journal.append({
        t: 'pace', at: new Date().toISOString(), ratePerSec: status.rate, inPipeline: status.inside, notSeen: status.unseen,
        waitingMs: status.maxWaitMs, maxWaitMs: maxWaitSeconds * 1000,
      });
      emit({ type: 'pace', status, reason: decision.reason });
    },
    onPollError(error) {
      emit({ type: 'warning', message: `--pace auto cannot read the database (${(error as Error).message}); sending waits until it can` });
    },
  });
  emit({ type: 'note', message: `pace auto: starting at ${pacer.controller.rate}/s, aiming to keep the waiting time inside the pipeline near ${maxWaitSeconds / 4} s (--max-wait ${maxWaitSeconds} s)${maxRate !== undefined ? `, at most ${Number(maxRate.toFixed(3))}/s` : ''}; ${droppedMeaning(settings.messageMaxAge)}` });
  return pacer;
}

/**
 * Sends the packets: with --canary the first alone (with --by-cohort one of each cohort: run/cohortCanary.ts),
 * watched until it moves past securezone, then the rest only if it did. A stop while the canary is watched stops
 * the run (it is not a failed canary). `cohortsNotSent`: cohorts left alone because their canary failed.
 */
export async function sendAll(
  packets: AsyncIterator<Packet>, sender: Sender, request: RunRequest, pool: pg.Pool | null, journal: Journal, emit: EventSink, stop: RunStop,
  cohorts: CohortStage | null,
): Promise<{ outcome: RunOutcome; cohortsNotSent: number }> {
  const { settings, flags } = request;
  let outcome: RunOutcome = { sent: 0, counts: emptyCounts(), stop: null };
  if (flags.canary && cohorts?.canaries) {
    const observer = sender.input.observer;
    const canaries = await runCohortCanaries({
      canaries: cohorts.canaries, allow: (ids) => cohorts.allow(ids),
      send: (batch, onResult) => runPackets({ ...sender.input, packets: batch, observer: { ...observer, onPacket(r) { onResult(r); observer.onPacket(r); } } }),
      packets: borrow(packets, cohorts.canaries.length),
      db: pool!, schema: settings.dbSchema, timeoutMs: settings.canaryTimeout * 1000, emit, signal: stop.signal,
      journalNote: (message) => journal.append({ t: 'note', at: new Date().toISOString(), message }),
    });
    outcome = canaries.outcome;
    if (stop.reason) return { outcome: { ...outcome, stop: stop.reason }, cohortsNotSent: canaries.failed.length };
    if (outcome.stop || canaries.stop) return { outcome: { ...outcome, stop: outcome.stop ?? canaries.stop }, cohortsNotSent: canaries.failed.length };
    const rest = await runPackets({ ...sender.input, packets: borrow(packets, Infinity) });
    return { outcome: { sent: outcome.sent + rest.sent, counts: addCounts(outcome.counts, rest.counts), stop: rest.stop }, cohortsNotSent: canaries.failed.length };
  }
  if (flags.canary) {
    let canary: PacketResult | null = null;
    const observer = sender.input.observer;
    outcome = await runPackets({
      ...sender.input, packets: borrow(packets, 1),
      observer: { ...observer, onPacket(r) { canary = r; observer.onPacket(r); } },
    });
    if (canary && !outcome.stop) {
      emit({ type: 'note', message: 'canary: watching its row until it moves past securezone...' });
      const verdict = await watchCanary(pool!, settings.dbSchema, canary, { timeoutMs: settings.canaryTimeout * 1000, signal: stop.signal });
      if (stop.reason) return { outcome: { ...outcome, stop: stop.reason }, cohortsNotSent: 0 };
      journal.append({ t: 'note', at: new Date().toISOString(), message: `canary: ${verdict.ok ? 'passed' : 'FAILED'}: ${verdict.detail}` });
      emit({ type: 'note', message: `canary ${verdict.ok ? 'passed' : 'FAILED'}: ${verdict.detail}${!verdict.ok && verdict.hint ? `\n  likely cause: ${verdict.hint}` : ''}` });
      if (!verdict.ok) {
        const failed: StopReason = { kind: 'canary_failed', message: `canary failed: ${verdict.detail}${verdict.hint ? `; likely cause: ${verdict.hint}` : ''}` };
        return { outcome: { ...outcome, stop: failed }, cohortsNotSent: 0 };
      }
    }
    if (outcome.stop) return { outcome, cohortsNotSent: 0 };
  }
  const rest = await runPackets({ ...sender.input, packets: borrow(packets, Infinity) });
  return { outcome: { sent: outcome.sent + rest.sent, counts: addCounts(outcome.counts, rest.counts), stop: rest.stop }, cohortsNotSent: 0 };
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
      next: () => (taken++ < max ? iterator.next() : Promise.resolve({ done: true, value: undefined })),
      return: async () => ({ done: true, value: undefined }),
    }),
  };
}
