import type { Packet } from '../domain/packet.js';
import { workflowKey } from '../domain/packetKey.js';

/**
 * Drops packets this run already has an answer for (from the journal on --resume, or an earlier batch of
 * --all), whatever the answer was: a `null` reply leaves the row eligible, and the guide's one-day window
 * does not protect against sending it again.
 */
export async function* skipAlreadyDone(
  packets: AsyncIterable<Packet>, done: ReadonlySet<string>, onSkip: (packet: Packet) => void,
): AsyncGenerator<Packet, void, void> {
  for await (const p of packets) {
    if (done.has(workflowKey(p.workflowInstanceId))) onSkip(p);
    else yield p;
  }
}
