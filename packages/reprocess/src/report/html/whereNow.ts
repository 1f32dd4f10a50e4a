// Where the packets of a run are now: each packet's registration row, read a chunk of workflow ids per statement
// (src/sql/selectRowsSinceSend.ts) and classified by `verify`'s rule (report/verify.ts: classifyPacket, with its
// clock allowance), tallied by class and
// by the stage its row is at now. Per-packet results go to an optional callback (the CSV) and are not kept.
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import { rowsNowForSentPackets, type PacketRowNow } from '../../sql/selectRowsSinceSend.js';
import { classifyPacket, VERIFY_CLASSES, type VerifyClass } from '../verify.js';
import type { PacketFinal } from './packetFinals.js';

export interface WhereNow {
  checkedAt: string;
  total: number;
  counts: Record<VerifyClass, number>;
  /** latest_trn_type_code now (or "(no row)") -> class -> packets. */
  byStageNow: Record<string, Partial<Record<VerifyClass, number>>>;
}

export const NO_ROW = '(no row)';

export async function whereNow(
  db: Queryable, schema: string, packets: AsyncIterable<PacketFinal>,
  each?: (p: PacketFinal, cls: VerifyClass, row: PacketRowNow | null) => void | Promise<void>, chunkSize = 1000,
): Promise<WhereNow> {
  const out: WhereNow = {
    checkedAt: new Date().toISOString(),
    total: 0,
    counts: Object.fromEntries(VERIFY_CLASSES.map((c) => [c, 0])) as Record<VerifyClass, number>,
    byStageNow: {},
  };
  const settle = async (chunk: PacketFinal[]) => {
    const rows = await rowsNowForSentPackets(db, schema, chunk.map((p) => ({ workflowInstanceId: p.wf, startedAt: new Date(p.startedAt), before: p.before })));
    for (let i = 0; i < chunk.length; i++) {
      const row = rows[i] ?? null;
      const cls = classifyPacket(row);
      out.total += 1;
      out.counts[cls] += 1;
      const stage = row ? (row.latestTrnTypeCode ?? '(none)') : NO_ROW;
      const g = (out.byStageNow[stage] ??= {});
      g[cls] = (g[cls] ?? 0) + 1;
      await each?.(chunk[i]!, cls, row);
    }
  };
  let chunk: PacketFinal[] = [];
  for await (const p of packets) {
    if (Number.isNaN(Date.parse(p.startedAt))) continue;
    chunk.push(p);
    if (chunk.length >= chunkSize) { await settle(chunk); chunk = []; }
  }
  if (chunk.length > 0) await settle(chunk);
  return out;
}
