// The run itself: take packets from the source (already filtered), wait for the pacer, notify, record.
// It stops early, with a reason, when carrying on could only repeat the same failure on every packet.
import type { Packet } from '../domain/packet.js';
import { AuthError, type NotifyResult } from '../mosip/client.js';
import { OUTCOMES, type NotifyOutcome } from '../mosip/wire.js';
import type { Pacer } from '../pacer/pacer.js';
import type { RunObserver, RunSummary, StopReason } from './types.js';

export interface Notifier {
  notify(packet: Packet): Promise<NotifyResult>;
}

export interface RunInput {
  packets: AsyncIterable<Packet>;
  notifier: Notifier;
  pacer: Pacer;
  observer: RunObserver;
  /** Aborting stops taking new packets; the one in flight finishes and is recorded. */
  signal?: AbortSignal;
  /** Consecutive 5xx/network failures after which the server is taken as down (default 5). */
  maxConsecutiveFailures?: number;
  /** Counters owned by the filters, reported in the summary. */
  skipped?: () => { duplicates: number; rows: number };
}

const TRANSPORT_FAILURES: ReadonlySet<NotifyOutcome> = new Set(['server_error', 'network_error']);

function emptyCounts(): Record<NotifyOutcome, number> {
  return Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<NotifyOutcome, number>;
}

export async function runPackets(input: RunInput): Promise<RunSummary> {
  const started = new Date();
  const counts = emptyCounts();
  const maxFailures = input.maxConsecutiveFailures ?? 5;
  let sent = 0;
  let consecutiveFailures = 0;
  let stop: StopReason | null = null;

  const iterator = input.packets[Symbol.asyncIterator]();
  try {
    for (;;) {
      if (input.signal?.aborted) {
        stop = { kind: 'interrupted', message: 'stopped by the operator' };
        break;
      }
      const next = await iterator.next();
      if (next.done) break;
      const packet = next.value;
      try {
        await input.pacer.wait(input.signal);
      } catch {
        stop = { kind: 'interrupted', message: 'stopped by the operator' };
        break;
      }
      const startedAt = new Date().toISOString();
      let result: NotifyResult;
      try {
        result = await input.notifier.notify(packet);
      } catch (err) {
        if (err instanceof AuthError) {
          stop = { kind: err.kind === 'refused' ? 'auth_failed' : 'unreachable', message: err.message };
          break;
        }
        throw err;
      }
      sent += 1;
      counts[result.outcome] += 1;
      input.observer.onPacket({ packet, startedAt, ...result });

      if (result.outcome === 'forbidden') {
        stop = { kind: 'forbidden', message: `the server answered 403 (${result.reply}): the client lacks the REGISTRATION_PROCESSOR role or its audience is not allowed` };
        break;
      }
      if (result.outcome === 'unauthorized') {
        stop = { kind: 'unauthorized', message: `the server answered 401 even with a fresh token (${result.reply})` };
        break;
      }
      consecutiveFailures = TRANSPORT_FAILURES.has(result.outcome) ? consecutiveFailures + 1 : 0;
      if (consecutiveFailures >= maxFailures) {
        stop = { kind: 'unreachable', message: `${consecutiveFailures} notifications in a row failed (last: ${result.reply}); the server looks down` };
        break;
      }
    }
  } finally {
    await iterator.return?.();
  }

  const finished = new Date();
  const skipped = input.skipped?.() ?? { duplicates: 0, rows: 0 };
  const fatal = stop !== null && stop.kind !== 'interrupted';
  const allForwarded = counts.forwarded === sent && stop === null && skipped.rows === 0;
  return {
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    durationMs: finished.getTime() - started.getTime(),
    sent,
    counts,
    duplicatesSkipped: skipped.duplicates,
    rowsSkipped: skipped.rows,
    stop,
    exitCode: fatal ? 3 : allForwarded ? 0 : 1,
  };
}
