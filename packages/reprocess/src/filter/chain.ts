// The filters between the source and the pacer, applied in one pass: each is a synchronous decision on one
// packet (keep it or not; a filter reports what it drops itself), and one generator applies them in order.
// A generator per filter cost each packet a few promise hops per filter on the hot path.
import type { Packet } from '../domain/packet.js';

/** Keeps a packet (true) or drops it (false, after reporting it if the filter reports drops). */
export type PacketFilter = (packet: Packet) => boolean;

/** The packets that pass every filter, in order, at most `max`; stops pulling from the source once they are taken. */
export async function* applyFilters(
  packets: AsyncIterable<Packet>, filters: readonly PacketFilter[], max = Infinity,
): AsyncGenerator<Packet, void, void> {
  if (max <= 0) return;
  let taken = 0;
  next: for await (const packet of packets) {
    for (const keep of filters) if (!keep(packet)) continue next;
    yield packet;
    if (++taken >= max) return;
  }
}
