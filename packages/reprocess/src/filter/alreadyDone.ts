import type { Packet } from '../domain/packet.js';
import { workflowKey } from '../domain/packetKey.js';
import type { PacketFilter } from './chain.js';

/**
 * Drops packets this run already has an answer for (from the journal on --resume, or an earlier batch of
 * --all), whatever the answer was: a `null` reply leaves the row eligible, and the guide's one-day window
 * does not protect against sending it again.
 */
export function notAlreadyDone(done: ReadonlySet<string>, onSkip: (packet: Packet) => void): PacketFilter {
  return (p) => {
    if (!done.has(workflowKey(p.workflowInstanceId))) return true;
    onSkip(p);
    return false;
  };
}
