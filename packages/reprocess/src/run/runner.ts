// The run itself: take packets from the source (already filtered), wait for a free slot and the pacer,
// notify, record. It stops early, with a reason, on 401/403 (every packet would fail the same way), when the
// notifier gives up on the server (circuit breaker), when the operator asks, or when a budget runs out.
import type { Packet } from '../domain/packet.js';
import { AuthError, type Notifier, type NotifyResult } from '../notifier/client.js';
import { BreakerGaveUp } from '../notifier/breaker.js';
import { OUTCOMES, type NotifyOutcome } from '@mosip-reprocess/contract/wire.js';
import { ABORTED, signalExitCode, stopReasonOf } from './stop.js';
import { FATAL_STOPS, type PacketResult, type RunObserver, type StopReason } from '../domain/runResult.js';
import { WriteAheadWindow } from './writeAhead.js';


/** Decides when the next send may start (the pacer, or a rate limiter). */
export interface Gate {
  wait(signal?: AbortSignal): Promise<void>;
}

export interface RunInput {
  packets: AsyncIterable<Packet>;
  notifier: Notifier;
  gate: Gate;
  observer: RunObserver;
  /** Notifications in flight at once (default 1). */
  concurrency?: number;
  /**
   * The run's stop signal (run/stop.ts): aborting it stops taking new packets at once, whatever the loop waits on
   * (the source, a slot, the gate); those in flight finish and are recorded. Its reason is the run's stop reason.
   */
  signal?: AbortSignal;
  /** Checked before each packet: a budget that has run out (packets, duration, clock time). */
  budget?: (sentSoFar: number) => StopReason | null;
  /**
   * Send records written ahead of the free slots, up to this many packets (default 0: a packet's record is
   * written when its slot is free). Only for an open gate (--delay 0): then the slots, not the pacer, set the
   * pace, and the records of a whole window share one write and one fdatasync instead of the few that free
   * up together; the window is sized by the measured rate and sync time (run/writeAhead.ts). Whatever is still
   * ahead when the run stops is withdrawn (observer.onWithdraw); after a crash it is in doubt like a packet in
   * flight, so at most concurrency + journalAhead packets are.
   */
  journalAhead?: number;
  /** The clock that times the window's syncs and leaves (tests pass their own); default performance.now. */
  now?: () => number;
}

export interface RunOutcome {
  sent: number;
  counts: Record<NotifyOutcome, number>;
  stop: StopReason | null;
}

export function emptyCounts(): Record<NotifyOutcome, number> {
  return Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<NotifyOutcome, number>;
}

export async function runPackets(input: RunInput): Promise<RunOutcome> {
  const counts = emptyCounts();
  const concurrency = Math.max(1, input.concurrency ?? 1);
  let sent = 0;
  let stop: StopReason | null = null;
  let failure: unknown = null;
  const inFlight = new Set<Promise<void>>();
  /** Wakes the loop when a send ends (one waiter, instead of a race over every send in flight). */
  let slotFreed: (() => void) | null = null;

  const record = (packet: Packet, startedAt: string, result: NotifyResult) => {
    counts[result.outcome] += 1;
    const full: PacketResult = { packet, startedAt, ...result };
    input.observer.onPacket(full);
    if (stop && FATAL_STOPS.has(stop.kind)) return;
    if (result.outcome === 'forbidden') {
      stop = { kind: 'forbidden', message: `the server answered 403 (${result.reply}): the client lacks the REGISTRATION_PROCESSOR role or its audience is not allowed` };
    } else if (result.outcome === 'unauthorized') {
      stop = { kind: 'unauthorized', message: `the server answered 401 even with a fresh token (${result.reply})` };
    }
    // 5xx and lost replies are handled by the notifier (retries) and the circuit breaker, which stops the run.
  };

  const stopped = (): StopReason => stopReasonOf(input.signal?.reason);

  /**
   * Sends once the packet's send record is durable (`durable`); a journal that cannot be written stops the run.
   * A packet that never left (the breaker gave up or the run stopped before its first attempt, no token could be
   * had) is withdrawn: the journal says so, and it is not in doubt. One that left at least once is recorded with
   * its last attempt's result (transient, so a resume sends it again).
   */
  const send = async (packet: Packet, durable: void | Promise<void>) => {
    const startedAt = new Date().toISOString();
    try {
      await durable;
    } catch (err) {
      failure ??= err;
      return;
    }
    input.observer.onLeave?.(packet);
    try {
      record(packet, startedAt, await input.notifier.notify(packet));
    } catch (err) {
      const left = (err as { lastResult?: NotifyResult }).lastResult;
      if (left) record(packet, startedAt, left);
      else {
        sent -= 1;
        input.observer.onWithdraw?.(packet);
      }
      if (err instanceof AuthError) {
        if (!stop || !FATAL_STOPS.has(stop.kind)) {
          stop = { kind: err.kind === 'refused' ? 'auth_failed' : 'unreachable', message: `cannot get a new token: ${err.message}` };
        }
      } else if (err instanceof BreakerGaveUp) {
        stop ??= { kind: 'unreachable', message: err.message };
      } else if (input.signal?.aborted) {
        stop ??= stopped(); // stopped while it waited for the breaker or a retry
      } else if (!left) {
        failure ??= err;
      }
    }
  };

  const iterator = input.packets[Symbol.asyncIterator]();
  const windowSize = Math.max(0, input.journalAhead ?? 0);
  const window = windowSize > 0 ? new WriteAheadWindow(windowSize, concurrency, input.now) : null;
  /** Packets whose send record is written (or being written) and which have not left yet, in order. */
  const ahead: { packet: Packet; durable: void | Promise<void> }[] = [];
  let exhausted = false;
  const journal = (packet: Packet) => {
    const durable = input.observer.onSend?.(packet);
    // Awaited when the packet leaves; until then a failed write must not be an unhandled rejection.
    if (durable) durable.catch(() => undefined);
    return durable;
  };
  /** Ends the wait for the source's next packet when the run is stopped (the run's one abort listener calls it). */
  let sourceWaitAborted: ((value: typeof ABORTED) => void) | null = null;
  /** The next packet from the source; null when it is exhausted or the run is stopped meanwhile. */
  const nextPacket = async (): Promise<Packet | null> => {
    const next = input.signal ? await new Promise<IteratorResult<Packet> | typeof ABORTED>((resolve, reject) => {
      if (input.signal!.aborted) return resolve(ABORTED);
      sourceWaitAborted = resolve;
      iterator.next().then(resolve, reject);
    }) : await iterator.next();
    sourceWaitAborted = null;
    if (next === ABORTED) {
      stop ??= stopped();
      return null;
    }
    if (next.done) exhausted = true;
    return next.done ? null : next.value;
  };
  /**
   * Refills the window in one go once it runs low, early enough that its sync is done before the packets still
   * ahead have left: one write and one sync per refill, its size and timing measured (run/writeAhead.ts).
   */
  const refill = async (w: WriteAheadWindow) => {
    const { lead, target } = w.sizing;
    if (ahead.length > lead) return;
    let last: void | Promise<void> = undefined;
    while (ahead.length < target && !exhausted && !stop && !input.budget?.(sent + ahead.length)) {
      const packet = await nextPacket();
      if (packet) ahead.push({ packet, durable: last = journal(packet) });
    }
    if (last) w.timeSync(last);
  };
  /** Resolves when a send ends or the run is stopped (one abort listener for the run: adding one per wait costs). */
  const slotOrStop = () => new Promise<void>((resolve) => { slotFreed = resolve; });
  const wakeOnStop = () => {
    slotFreed?.();
    sourceWaitAborted?.(ABORTED);
  };
  input.signal?.addEventListener('abort', wakeOnStop, { once: true });
  try {
    while (!stop && !failure) {
      if (input.signal?.aborted) { stop = stopped(); break; }
      const budgetStop = input.budget?.(sent);
      if (budgetStop) { stop = budgetStop; break; }
      let packet: Packet | null;
      let durable: void | Promise<void> = undefined;
      if (window) {
        await refill(window);
        packet = ahead[0]?.packet ?? null;
      } else {
        packet = await nextPacket();
      }
      if (!packet) break;
      while (inFlight.size >= concurrency && !input.signal?.aborted) await slotOrStop();
      if (input.signal?.aborted) stop ??= stopped();
      if (stop || failure) break;
      try {
        await input.gate.wait(input.signal);
      } catch (err) {
        stop ??= input.signal?.aborted ? stopped() : { kind: 'unreachable', message: (err as Error).message };
        break;
      }
      if (stop) break;
      if (window) {
        durable = ahead.shift()!.durable;
        window.leave();
      } else {
        // Not awaited here: the sends queued while one journal sync runs share the next one (group commit).
        durable = journal(packet);
      }
      sent += 1;
      const task: Promise<void> = send(packet, durable).finally(() => {
        inFlight.delete(task);
        slotFreed?.();
      });
      inFlight.add(task);
    }
  } finally {
    input.signal?.removeEventListener('abort', wakeOnStop);
    // Written ahead but never sent: the journal says so, and a resume sends them like any packet not sent.
    for (const { packet } of ahead.splice(0)) input.observer.onWithdraw?.(packet);
    await Promise.allSettled(inFlight);
    await iterator.return?.();
  }
  if (failure) throw failure;
  return { sent, counts, stop };
}

/**
 * 3 for a fatal stop; 128 + the signal's number for a stop by a signal (130 SIGINT, 143 SIGTERM, 129 SIGHUP); 0
 * when every packet sent was forwarded and nothing was left undone; 1 otherwise.
 */
export function exitCodeOf(outcome: RunOutcome, rowsSkipped: number): number {
  if (outcome.stop && FATAL_STOPS.has(outcome.stop.kind)) return 3;
  if (outcome.stop?.signal) return signalExitCode(outcome.stop.signal);
  const planned = outcome.stop === null || ['max_packets', 'max_duration', 'until'].includes(outcome.stop.kind);
  return planned && outcome.counts.forwarded === outcome.sent && rowsSkipped === 0 ? 0 : 1;
}
