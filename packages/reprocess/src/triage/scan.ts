// Reads a run's selection (the same flags: --db with --approach/--stages/--older-than, --query-file, --file,
// --registration, --shard) with each packet's facts (src/sql/packetFacts.ts), a batch at a time: keyset pages of
// the guide's rows for --db, batches of 500 workflow ids for the others. Memory stays flat: a batch is handed to the
// visitor and dropped. The triage, the --cohort check and the per-cohort canary all read the selection here.
import type pg from 'pg';
import type { Packet } from '../domain/packet.js';
import { workflowKey } from '../domain/packetKey.js';
import { withReconnect } from '../db/reconnect.js';
import { inShard, parseShard } from '../filter/shard.js';
import { holdBackRulesOf } from '../config/safety.js';
import type { Settings } from '../config/settings.js';
import { customQueryPackets, keysetPages, rowToPacket } from '../source/dbSource.js';
import { loadPacketsFromArg, loadPacketsFromFile } from '../source/loadPackets.js';
import { criteriaOf } from '../source/openSource.js';
import { dbSettingsOf, guardDb, withDb } from '../db/runDatabase.js';
import type { EligibilityCriteria } from '../sql/eligibility.js';
import { packetFacts, type PacketFactsRow } from '../sql/packetFacts.js';
import { selectTriagePage } from '../sql/triagePage.js';
import { utcCutoff } from '../sql/utcCutoff.js';
import type { Mode, RunFlags } from '../config/runSettings.js';

export const SCAN_BATCH = 500;

/** A packet of the selection: how a run would send it, and its facts. */
export interface ScannedPacket {
  packet: Packet;
  facts: PacketFactsRow;
}

export interface ScanSource {
  mode: Mode;
  flags: RunFlags;
  settings: Settings;
}

export interface ScanVisitor {
  /** One batch of packets with an active row; return false to stop reading. */
  batch(packets: ScannedPacket[]): boolean | void;
  /** A listed packet (or query row) without an active row: the stage would not find it. */
  notFound?(packet: Packet): void;
  /** A query row without reg_id, process or workflow id. */
  skipped?(reason: string): void;
}

export interface ScanResult {
  /** The --db criteria (the cutoff as computed at the start), or null for a list / query. */
  criteria: EligibilityCriteria | null;
  /** In words, as a run's journal names its source. */
  description: string;
}

/** Reads the selection to its end (or until the visitor says stop). */
export async function scanSelection(source: ScanSource, pool: pg.Pool, visitor: ScanVisitor): Promise<ScanResult> {
  const { mode, flags, settings: s } = source;
  const shard = s.shard ? parseShard(s.shard) : null;
  const ofShard = inShard(shard);
  const rules = holdBackRulesOf(s);
  if (mode === 'db' && !s.queryFile) {
    const criteria = criteriaOf(s, await withDb(s, () => utcCutoff(pool, s.olderThan)));
    const read = (after: string, size: number) => withReconnect(() => selectTriagePage(pool, s.dbSchema, criteria, after, size));
    await withDb(s, async () => {
      for await (const page of keysetPages(read, SCAN_BATCH)) {
        const kept = page.map((f) => ({ packet: rowToPacket(f, 'db'), facts: f })).filter((x) => ofShard(x.packet));
        if (kept.length > 0 && visitor.batch(kept) === false) return;
      }
    });
    return { criteria, description: `db (APPROACH ${s.approach})${shard ? `, shard ${s.shard}` : ''}` };
  }

  // Listed packets and query rows: looked up by workflow id, a batch at a time, each packet once.
  const seen = new Set<string>();
  let batch: Packet[] = [];
  let stopped = false;
  const flush = async () => {
    const facts = await withReconnect(() => packetFacts(pool, s.dbSchema, batch.map((p) => p.workflowInstanceId), rules));
    const byWf = new Map(facts.map((f) => [workflowKey(f.workflow_instance_id), f]));
    const found: ScannedPacket[] = [];
    for (const packet of batch) {
      const f = byWf.get(workflowKey(packet.workflowInstanceId));
      if (f) found.push({ packet: { ...packet, ...(f.latest_trn_type_code ? { stage: f.latest_trn_type_code } : {}) }, facts: f });
      else visitor.notFound?.(packet);
    }
    batch = [];
    if (found.length > 0 && visitor.batch(found) === false) stopped = true;
  };
  const take = async (packets: AsyncIterable<Packet> | Iterable<Packet>) => {
    for await (const p of packets) {
      const key = workflowKey(p.workflowInstanceId);
      if (seen.has(key) || !ofShard(p)) continue;
      seen.add(key);
      batch.push(p);
      if (batch.length >= SCAN_BATCH) await flush();
      if (stopped) return;
    }
    if (batch.length > 0) await flush();
  };
  if (mode === 'db') {
    await take(guardDb(s, customQueryPackets(dbSettingsOf(s), s.queryFile!, Infinity, (reason) => visitor.skipped?.(reason))));
    return { criteria: null, description: `query file ${s.queryFile}${shard ? `, shard ${s.shard}` : ''}` };
  }
  const loaded = await withDb(s, () => mode === 'file'
    ? loadPacketsFromFile(flags.file!, pool, s.dbSchema)
    : loadPacketsFromArg(flags.registration!, pool, s.dbSchema));
  await withDb(s, () => take(loaded.packets));
  return { criteria: null, description: `${mode === 'file' ? `file ${flags.file}` : '--registration'}${shard ? `, shard ${s.shard}` : ''}` };
}
