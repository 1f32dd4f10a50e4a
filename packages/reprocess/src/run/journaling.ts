// The journal's part of a send: a packet's send record is on disk before its request leaves (the runner waits for
// appendDurable: group commit, journal/journal.ts), a withdrawn record voids one written ahead that never left, and
// its result follows the reply. What the journal says is what every continuation of the run trusts.
import type { Journal } from '../journal/journal.js';
import type { EventSink } from './events.js';
import type { PacketResult, RunObserver } from '../domain/runResult.js';

export interface JournalingObserver extends RunObserver {
  /** Packets whose send record was written and not withdrawn: what left (or is leaving) in this attempt. */
  readonly sentSoFar: number;
}

/** `onResult` sees each result first (e.g. --pace auto starts watching a forwarded packet); then it is journaled and told. */
export function journalingObserver(journal: Journal, emit: EventSink, onResult: (result: PacketResult) => void): JournalingObserver {
  let sent = 0;
  return {
    get sentSoFar() { return sent; },
    onSend(packet) {
      sent += 1;
      return journal.appendDurable({
        t: 'send', at: new Date().toISOString(), wf: packet.workflowInstanceId, rid: packet.rid, process: packet.process,
        iteration: packet.iteration, source: packet.source, origin: packet.origin, attempt: 1,
        ...(packet.stage ? { stage: packet.stage } : {}),
        ...(packet.before ? { before: packet.before } : {}),
      });
    },
    onLeave(packet) {
      emit({ type: 'sending', packet });
    },
    onWithdraw(packet) {
      sent -= 1;
      journal.append({ t: 'withdrawn', at: new Date().toISOString(), wf: packet.workflowInstanceId, rid: packet.rid });
      emit({ type: 'withdrawn', packet });
    },
    onPacket(result) {
      onResult(result);
      // The event carries the record's time: the log line and the metrics' last success are the journal's.
      const at = new Date().toISOString();
      journal.append({
        t: 'result', at, wf: result.packet.workflowInstanceId, rid: result.packet.rid,
        attempt: result.attempts, outcome: result.outcome, http: result.httpStatus, reply: result.reply,
        latencyMs: result.latencyMs, startedAt: result.startedAt,
      });
      emit({ type: 'packet', result, at });
    },
    onWarning(message) {
      emit({ type: 'warning', message });
    },
  };
}
