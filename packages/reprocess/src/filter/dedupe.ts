import type { Packet } from '../domain/packet.js';

/** Passes each workflow id once per run; a repeat is reported and never sent twice. */
export async function* dedupeByWorkflowId(
  packets: AsyncIterable<Packet>, onDuplicate: (packet: Packet) => void, seen: Set<string> = new Set(),
): AsyncGenerator<Packet, void, void> {
  for await (const packet of packets) {
    const key = packet.workflowInstanceId.toLowerCase();
    if (seen.has(key)) {
      onDuplicate(packet);
      continue;
    }
    seen.add(key);
    yield packet;
  }
}
