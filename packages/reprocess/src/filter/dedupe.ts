import type { Packet } from '../domain/packet.js';
import { workflowKey } from '../domain/packetKey.js';
import type { PacketFilter } from './chain.js';

/** Passes each workflow id once per run (keyed by workflowKey); a repeat is reported and never sent twice. */
export function firstOfEachWorkflow(onDuplicate: (packet: Packet) => void, seen: Set<string> = new Set()): PacketFilter {
  return (packet) => {
    const key = workflowKey(packet.workflowInstanceId);
    if (seen.has(key)) {
      onDuplicate(packet);
      return false;
    }
    seen.add(key);
    return true;
  };
}
