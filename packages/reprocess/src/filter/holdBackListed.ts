// Listed packets (--file, --registration, --query-file results) pass the hold-back rule here: each batch's active
// rows are looked up, and a packet MOSIP would not move now is reported by its origin (file line, query row) and
// skipped, unless the operator's --include-* flag takes it (then it is reported as sent anyway). The same read
// gives each packet that goes on its row as read before the send (Packet.before: the clock-free evidence of the
// lost-reply, in-doubt and verify rules).
import type pg from 'pg';
import type { Packet } from '../domain/packet.js';
import { workflowKey } from '../domain/packetKey.js';
import { includedReasons, holdBackMessage, type HoldBackFacts, type HoldBackRules, type RepeatedFailure } from '../domain/holdBack.js';
import { lookupHoldBack, type HoldBackRow } from '../sql/lookupHoldBack.js';
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';

export interface HeldPacket {
  packet: Packet;
  facts: HoldBackFacts;
  /** Sent anyway (--include-paused / --include-exhausted). */
  included: boolean;
  /** "<origin>: <rid> <workflow id>: <why>" */
  message: string;
}

export const HOLD_BACK_BATCH = 500;

/** The packets that pass, in order; `onHeld` hears about every held one (skipped or included). */
export async function* holdBackListed(
  packets: AsyncIterable<Packet> | Iterable<Packet>, db: Queryable | pg.Pool, schema: string, rules: HoldBackRules,
  onHeld: (held: HeldPacket) => void, batchSize = HOLD_BACK_BATCH,
): AsyncGenerator<Packet, void, void> {
  const included = new Set(includedReasons(rules));
  let batch: Packet[] = [];
  const flush = async function* (): AsyncGenerator<Packet, void, void> {
    const found = await lookupHoldBack(db, schema, batch.map((p) => p.workflowInstanceId), rules);
    const byWf = new Map(found.map((r) => [workflowKey(r.workflow_instance_id), r]));
    for (const packet of batch) {
      const row = byWf.get(workflowKey(packet.workflowInstanceId));
      if (!row) {
        yield packet;
        continue;
      }
      const read: Packet = { ...packet, before: { trnId: row.latest_trn_id, dtimes: row.latest_trn_dtimes_exact } };
      if (row.reason === null) {
        yield read;
        continue;
      }
      const facts: HoldBackFacts = {
        reason: row.reason, status_code: row.status_code, pause_rule_ids: row.pause_rule_ids,
        trn_retry_count: row.trn_retry_count, reg_process_retry_count: row.reg_process_retry_count, latest_trn_dtimes: row.latest_trn_dtimes,
        repeat: repeatOf(row),
      };
      const take = included.has(row.reason);
      onHeld({
        packet, facts, included: take,
        message: `${packet.origin}: ${packet.rid} ${packet.workflowInstanceId}: ${take ? 'sent anyway: ' : 'skipped: '}${holdBackMessage(facts, rules)}`,
      });
      if (take) yield read;
    }
    batch = [];
  };
  for await (const p of packets) {
    batch.push(p);
    if (batch.length >= batchSize) yield* flush();
  }
  if (batch.length > 0) yield* flush();
}

/** The repeated failure of a row held as repeating (null for the other reasons). */
function repeatOf(row: HoldBackRow): RepeatedFailure | null {
  if (row.reason !== 'repeating' || row.f_type === null || row.f_status === null || row.f_sub === null) return null;
  return { trnTypeCode: row.f_type, statusCode: row.f_status, subStatusCode: row.f_sub, times: row.times ?? 0 };
}
