// --pace auto: what the run knows about the packets it notified that are still inside the pipeline. Read only and
// cheap: the rows of the packets still tracked, by primary key, in chunks, once per poll, with the one statement
// and the one verdict every reader of a sent packet's row uses (sql/selectRowsSinceSend.ts, domain/rowVerdict.ts).
// A packet stops being tracked as soon as it is out of the pipeline's queues.
//
// The verdict of a forwarded packet's row, as the pacer counts it:
//   - untouched      unseen: the row shows no write since the send yet (its old, stuck timestamp is not a wait);
//                    dropped if it stays so for longer than --message-max-age after the send;
//   - at_securezone  inside, waiting for the first stage to consume the message: wait = now - latest_trn_dtimes;
//   - moved_on       inside, between or in later stages: the same wait;
//   - dropped        still as the notification left it for longer than --message-max-age: MOSIP dropped the
//                    message unread (nothing else counts as dropped, and only these are re-driven by a resume);
//   - held, stalled  a later stage holds it (IN_PROGRESS: a person, ABIS) or left it longer than the message age:
//                    in no queue, so it neither stalls the pacer (no wait) nor counts as drained or dropped;
//   - every other    out: ended (processed, failed, reprocess, rejected), paused by MOSIP, or no active row.
// Whether the row was written since the send is decided without any clock, from the row as read before it
// (domain/rowVerdict.ts). How long a row has stayed as it is is measured on this host's own clock, never from the
// stage pods' stamps (a pod whose clock is off would make a fresh write look old, and a packet look dropped): a
// row still as the notification left it has stayed so since the send; any other, since the watcher first saw it so.
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import { TRN_TYPE } from '@mosip-reprocess/contract/enums.js';
import { rowVerdict, type RowBefore } from '../domain/rowVerdict.js';
import { rowsNowForSentPackets, type PacketRowNow } from '../sql/selectRowsSinceSend.js';
import type { PipelineObservation } from './auto.js';

/** What --pace auto counts as dropped, and what it never does, in the operator's words (the run and the dry run say it). */
export function droppedMeaning(messageMaxAgeSeconds: number): string {
  return `a packet counts as dropped by the pipeline only while its row is still as the notification left it (at SECUREZONE_NOTIFICATION, `
    + `or not written at all) for longer than --message-max-age (${messageMaxAgeSeconds} s, measured on this host's clock since the send): `
    + 'MOSIP drops a message that old unread; --resume sends such a packet again. A packet a later stage wrote is never dropped nor sent '
    + 'again: one a stage holds (IN_PROGRESS: manual adjudication, ABIS) or left longer than that neither stalls the pacer nor counts as drained';
}

/** Ids per statement. */
export const WATCH_CHUNK = 500;

export type PipelineState =
  | { kind: 'unseen' }
  | { kind: 'inside'; waitMs: number }
  | { kind: 'held'; why: string }
  | { kind: 'exited'; why: string }
  | { kind: 'dropped'; stalledMs: number; lastMoved: Date | null; rowNow: RowBefore | null };

/** A notified packet as the watcher knows it: when its send started (host clock) and its row as read before it. */
export interface SentPacket {
  workflowInstanceId: string;
  rid: string;
  sentAt: Date;
  before?: RowBefore | null | undefined;
}

/**
 * Where one forwarded packet is, for the pacer, from its row now (null: no row). `sinceSendMs`: how long ago its
 * send started; `unchangedMs`: how long the watcher has seen the row as it is now (null: first seen now); both on
 * this host's clock. Without that (a resume looking at packets an earlier attempt sent), the row's own age.
 */
export function pipelineState(row: PacketRowNow | null, sinceSendMs: number, messageMaxAgeMs: number, unchangedMs: number | null = null): PipelineState {
  const asLeft = row !== null && row.writtenSinceSend && row.latestTrnTypeCode === TRN_TYPE.SECUREZONE_NOTIFICATION;
  const idleMs = asLeft ? sinceSendMs : unchangedMs ?? Math.max(0, (row?.idleSeconds ?? 0) * 1000);
  const verdict = rowVerdict(row && { ...row, idleSeconds: idleMs / 1000 }, messageMaxAgeMs / 1000);
  const lastMoved = row?.latestTrnDtimes ? new Date(row.latestTrnDtimes) : null;
  const rowNow = row ? { trnId: row.latestTrnId, dtimes: row.latestTrnDtimesExact } : null;
  switch (verdict) {
    case 'untouched':
      return sinceSendMs > messageMaxAgeMs ? { kind: 'dropped', stalledMs: sinceSendMs, lastMoved, rowNow } : { kind: 'unseen' };
    case 'at_securezone':
    case 'moved_on':
      return { kind: 'inside', waitMs: idleMs };
    case 'dropped':
      return { kind: 'dropped', stalledMs: idleMs, lastMoved, rowNow };
    case 'held':
    case 'stalled':
      return { kind: 'held', why: `${verdict}: latest ${row!.latestTrnTypeCode} ${row!.latestTrnStatusCode}` };
    default:
      return { kind: 'exited', why: row ? `${verdict}: latest ${row.latestTrnTypeCode} ${row.latestTrnStatusCode}, status_code ${row.statusCode}` : 'no row' };
  }
}

export interface DroppedPacket extends SentPacket {
  /** latest_trn_dtimes when it was found dropped (null: never written). */
  lastMoved: Date | null;
  stalledMs: number;
  /** Its row as read when it was found dropped: the `before` of a send that re-drives it. */
  rowNow: RowBefore | null;
}

export interface PipelineWatchOptions {
  /** --message-max-age, ms. */
  messageMaxAgeMs: number;
  /** The controller's clock for PipelineObservation.at (ms); default performance.now. */
  now?: () => number;
  /** Called once for each packet found dropped. */
  onDropped?: (packet: DroppedPacket) => void;
}

/**
 * The current states of these sent packets, a chunk of ids per statement. `seen` (the watcher's): for each packet,
 * the row it last saw (latest_trn_id and latest_trn_dtimes) and since when; kept up to date here.
 */
async function statesOf(
  db: Queryable, schema: string, sent: readonly SentPacket[], messageMaxAgeMs: number, seen?: Map<string, { version: string; since: number }>,
): Promise<PipelineState[]> {
  const out: PipelineState[] = [];
  for (let i = 0; i < sent.length; i += WATCH_CHUNK) {
    const chunk = sent.slice(i, i + WATCH_CHUNK);
    const rows = await rowsNowForSentPackets(db, schema, chunk.map((p) => ({ workflowInstanceId: p.workflowInstanceId, startedAt: p.sentAt, before: p.before })));
    const now = Date.now();
    chunk.forEach((p, j) => {
      const row = rows[j] ?? null;
      let unchangedMs: number | null = null;
      if (seen && row) {
        const key = p.workflowInstanceId.toLowerCase();
        const version = `${row.latestTrnId}|${row.latestTrnDtimesExact}`;
        const last = seen.get(key);
        if (last?.version === version) unchangedMs = now - last.since;
        else seen.set(key, { version, since: now });
      }
      out.push(pipelineState(row, now - p.sentAt.getTime(), messageMaxAgeMs, unchangedMs ?? (seen ? 0 : null)));
    });
  }
  return out;
}

export class PipelineWatcher {
  private readonly tracked = new Map<string, SentPacket>();
  /** Each tracked packet's row as last seen, and since when (this host's clock). */
  private readonly seen = new Map<string, { version: string; since: number }>();
  private exited = 0;
  private droppedCount = 0;
  private heldCount = 0;
  private readonly now: () => number;

  constructor(private readonly db: Queryable, private readonly schema: string, private readonly opts: PipelineWatchOptions) {
    this.now = opts.now ?? (() => performance.now());
  }

  /** A packet the stage forwarded (sentAt: when its send started; before: its row as read before the send). */
  track(packet: SentPacket): void {
    this.tracked.set(packet.workflowInstanceId.toLowerCase(), packet);
  }

  /** Packets still tracked (inside or unseen at the last poll, or sent since). */
  get trackedCount(): number {
    return this.tracked.size;
  }

  get droppedSoFar(): number {
    return this.droppedCount;
  }

  /** Packets a later stage holds (or left stalled): out of the queues, neither drained nor dropped. */
  get heldSoFar(): number {
    return this.heldCount;
  }

  /** Reads the tracked packets' rows and returns what the controller needs (sent: packets sent so far); packets found out stop being tracked. */
  async poll(sent: number): Promise<PipelineObservation> {
    let inside = 0;
    let unseen = 0;
    let maxWaitMs = 0;
    const entries = [...this.tracked];
    const states = await statesOf(this.db, this.schema, entries.map(([, p]) => p), this.opts.messageMaxAgeMs, this.seen);
    entries.forEach(([key, t], i) => {
      const state = states[i]!;
      switch (state.kind) {
        case 'unseen': unseen += 1; break;
        case 'inside':
          inside += 1;
          maxWaitMs = Math.max(maxWaitMs, state.waitMs);
          break;
        case 'held':
          this.heldCount += 1;
          this.forget(key);
          break;
        case 'exited':
          this.exited += 1;
          this.forget(key);
          break;
        case 'dropped':
          this.droppedCount += 1;
          this.forget(key);
          this.opts.onDropped?.({ ...t, lastMoved: state.lastMoved, stalledMs: state.stalledMs, rowNow: state.rowNow });
          break;
      }
    });
    return { at: this.now(), inside, unseen, maxWaitMs, exited: this.exited, dropped: this.droppedCount, sent };
  }

  private forget(key: string): void {
    this.tracked.delete(key);
    this.seen.delete(key);
  }
}

/**
 * Of these forwarded packets, those the pipeline has dropped by now, by the rule the run itself applies: a resume
 * of a --pace auto run re-drives these, both the drops its journal names (if their rows still have not moved) and
 * those that came after it ended.
 */
export async function findDropped(db: Queryable, schema: string, sent: readonly SentPacket[], messageMaxAgeMs: number): Promise<DroppedPacket[]> {
  const states = await statesOf(db, schema, sent, messageMaxAgeMs);
  const out: DroppedPacket[] = [];
  sent.forEach((p, i) => {
    const state = states[i]!;
    if (state.kind === 'dropped') out.push({ ...p, lastMoved: state.lastMoved, stalledMs: state.stalledMs, rowNow: state.rowNow });
  });
  return out;
}
