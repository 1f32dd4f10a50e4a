import type { Packet } from '../domain/packet.js';
import { workflowKey } from '../domain/packetKey.js';

/** Passes each workflow id once per run (keyed by workflowKey); a repeat is reported and never sent twice. */
export async function* dedupeByWorkflowId(
  packets: AsyncIterable<Packet>, onDuplicate: (packet: Packet) => void, seen: Set<string> = new Set(),
): AsyncGenerator<Packet, void, void> {
  for await (const packet of packets) {
    const key = workflowKey(packet.workflowInstanceId);
    if (seen.has(key)) {
      onDuplicate(packet);
      continue;
    }
    seen.add(key);
    yield packet;
  }
}
