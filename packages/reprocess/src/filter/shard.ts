// Scale-out: several instances split one selection between them, each taking the workflow ids that hash to
// its shard. The split is stable (it depends on the id only), so no packet is taken by two instances.
import { createHash } from 'node:crypto';
import { InputError } from '../errors.js';
import type { Packet } from '../domain/packet.js';

export interface Shard {
  index: number;
  count: number;
}

/** Parses "2/4" (the 2nd of 4 shards, 1-based). */
export function parseShard(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index < 1 || index > count) {
    throw new InputError(`--shard "${text}": expected K/N with 1 <= K <= N, e.g. 1/4`);
  }
  return { index, count };
}

export function shardOf(workflowInstanceId: string, count: number): number {
  const digest = createHash('sha1').update(workflowInstanceId.toLowerCase()).digest();
  return (digest.readUInt32BE(0) % count) + 1;
}

/** Keeps the packets of this instance's shard (all of them without --shard). */
export function inShard(shard: Shard | null): (packet: Pick<Packet, 'workflowInstanceId'>) => boolean {
  return (p) => !shard || shardOf(p.workflowInstanceId, shard.count) === shard.index;
}
