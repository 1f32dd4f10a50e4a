// The run itself: take packets from the source (already filtered), wait for the pacer and a free slot,
// notify, record. It stops early, with a reason, when carrying on could only repeat the same failure on every
// packet, when the operator asks, or when a budget (packets, duration, clock time) is used up.
import type { Packet } from '../domain/packet.js';
import { AuthError, type NotifyResult } from '../mosip/client.js';
import { OUTCOMES, type NotifyOutcome } from '../mosip/wire.js';
import { FATAL_STOPS, type PacketResult, type RunObserver, type StopReason } from './types.js';

export interface Notifier {
  notify(packet: Packet): Promise<NotifyResult>;
}

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
  /** Aborting stops taking new packets; those in flight finish and are recorded. */
  signal?: AbortSignal;
  /** Consecutive 5xx/network failures after which the server is taken as down (default 5). */
  maxConsecutiveFailures?: number;
  /** Checked before each packet: a budget that has run out (packets, duration, clock time). */
  budget?: (sentSoFar: number) => StopReason | null;
}

export interface RunOutcome {
  sent: number;
  counts: Record<NotifyOutcome, number>;
  stop: StopReason | null;
}

const TRANSPORT_FAILURES: ReadonlySet<NotifyOutcome> = new Set(['server_error', 'network_error']);

export function emptyCounts(): Record<NotifyOutcome, number> {
  return Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<NotifyOutcome, number>;
}

const INTERRUPTED: StopReason = { kind: 'interrupted', message: 'stopped by the operator' };

export async function runPackets(input: RunInput): Promise<RunOutcome> {
  const counts = emptyCounts();
  const concurrency = Math.max(1, input.concurrency ?? 1);
  const maxFailures = input.maxConsecutiveFailures ?? 5;
  let sent = 0;
  let consecutiveFailures = 0;
  let stop: StopReason | null = null;
  let failure: unknown = null;
  const inFlight = new Set<Promise<void>>();

  const record = (packet: Packet, startedAt: string, result: NotifyResult) => {
    counts[result.outcome] += 1;
    const full: PacketResult = { packet, startedAt, ...result };
    input.observer.onPacket(full);
    if (stop && FATAL_STOPS.has(stop.kind)) return;
    if (result.outcome === 'forbidden') {
      stop = { kind: 'forbidden', message: `the server answered 403 (${result.reply}): the client lacks the REGISTRATION_PROCESSOR role or its audience is not allowed` };
    } else if (result.outcome === 'unauthorized') {
      stop = { kind: 'unauthorized', message: `the server answered 401 even with a fresh token (${result.reply})` };
    } else {
      consecutiveFailures = TRANSPORT_FAILURES.has(result.outcome) ? consecutiveFailures + 1 : 0;
      if (consecutiveFailures >= maxFailures) {
        stop = { kind: 'unreachable', message: `${consecutiveFailures} notifications in a row failed (last: ${result.reply}); the server looks down` };
      }
    }
  };

  const send = async (packet: Packet) => {
    const startedAt = new Date().toISOString();
    try {
      record(packet, startedAt, await input.notifier.notify(packet));
    } catch (err) {
      if (err instanceof AuthError) {
        if (!stop || !FATAL_STOPS.has(stop.kind)) {
          stop = { kind: err.kind === 'refused' ? 'auth_failed' : 'unreachable', message: err.message };
        }
      } else {
        failure ??= err;
      }
    }
  };

  const iterator = input.packets[Symbol.asyncIterator]();
  try {
    while (!stop && !failure) {
      if (input.signal?.aborted) { stop = INTERRUPTED; break; }
      const budgetStop = input.budget?.(sent);
      if (budgetStop) { stop = budgetStop; break; }
      const next = await iterator.next();
      if (next.done) break;
      while (inFlight.size >= concurrency) await Promise.race(inFlight);
      if (stop || failure) break;
      try {
        await input.gate.wait(input.signal);
      } catch {
        stop = INTERRUPTED;
        break;
      }
      if (stop) break;
      const packet = next.value;
      input.observer.onSend?.(packet);
      sent += 1;
      const task: Promise<void> = send(packet).finally(() => inFlight.delete(task));
      inFlight.add(task);
    }
  } finally {
    await Promise.allSettled(inFlight);
    await iterator.return?.();
  }
  if (failure) throw failure;
  return { sent, counts, stop };
}

/** 3 for a fatal stop; 0 when every packet sent was forwarded and nothing was left undone; 1 otherwise. */
export function exitCodeOf(outcome: RunOutcome, rowsSkipped: number): 0 | 1 | 3 {
  if (outcome.stop && FATAL_STOPS.has(outcome.stop.kind)) return 3;
  const planned = outcome.stop === null || ['max_packets', 'max_duration', 'until'].includes(outcome.stop.kind);
  return planned && outcome.counts.forwarded === outcome.sent && rowsSkipped === 0 ? 0 : 1;
}
