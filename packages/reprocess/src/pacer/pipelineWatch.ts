// --pace auto: what the run knows about the packets it notified that are still inside the pipeline. Read only
// and cheap: the rows of the packets still tracked, by primary key, in chunks (sql/pipelineRows.ts), once per
// poll; a packet stops being tracked as soon as it is out (ended, handed back, paused, or dropped).
//
// A packet the securezone stage forwarded is, from its send on:
//   - unseen   until its row shows a write at or after the send (latest_trn_dtimes >= send, less the clock skew
//              allowance): its old, stuck timestamp is not a wait;
//   - inside   once seen, until it is out; its waiting time is now - latest_trn_dtimes (database clock);
//   - exited   when the row reaches a status where the pipeline ends it or hands it back, written after the send:
//              latest_trn_status_code PROCESSED, FAILED, ERROR, REJECTED, REPROCESS_FAILED or REPROCESS; or
//              status_code PROCESSED, FAILED, REJECTED, REPROCESS_FAILED or REPROCESS set by the workflow engine
//              (latest type INTERNAL_WORKFLOW_ACTION); or a pause (status_code PAUSED, RESUMABLE,
//              PAUSED_FOR_ADDITIONAL_INFO); or the row is gone (no active row);
//   - dropped  when, inside, its latest_trn_dtimes has not moved for longer than --message-max-age (a stage
//              dropped the message unread, MOSIP writes nothing: contract section 8), or it stayed unseen that long.
// status_code alone does not end a packet: stages never rewrite it, so a re-driven FAILED packet keeps status_code
// FAILED while it moves (the same rule as verify, report/verify.ts).
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import { CLOCK_SKEW_MS } from '../domain/rowVerdict.js';
import { selectPipelineRows, type PipelineRow } from '../sql/pipelineRows.js';
import type { DroppedRecord } from '../journal/records.js';
import type { PipelineObservation } from './auto.js';

export const ENDING_TRN_STATUSES: ReadonlySet<string> = new Set(['PROCESSED', 'FAILED', 'ERROR', 'REJECTED', 'REPROCESS_FAILED', 'REPROCESS']);
export const ENDING_STATUS_CODES: ReadonlySet<string> = new Set(['PROCESSED', 'FAILED', 'REJECTED', 'REPROCESS_FAILED', 'REPROCESS']);
export const PAUSE_STATUS_CODES: ReadonlySet<string> = new Set(['PAUSED', 'RESUMABLE', 'PAUSED_FOR_ADDITIONAL_INFO']);
const WORKFLOW_ACTION = 'INTERNAL_WORKFLOW_ACTION';

/** Ids per statement. */
export const WATCH_CHUNK = 500;

export type PipelineState =
  | { kind: 'unseen' }
  | { kind: 'inside'; waitMs: number }
  | { kind: 'exited'; why: string }
  | { kind: 'dropped'; stalledMs: number; lastMoved: Date | null };

/** Where one notified packet is, from its row now (undefined: no row) and the send time. */
export function pipelineState(row: PipelineRow | undefined, sentAt: Date, dbNow: Date, messageMaxAgeMs: number): PipelineState {
  if (!row || !row.is_active || row.is_deleted === true) return { kind: 'exited', why: 'no active row' };
  const written = row.latest_trn_dtimes;
  if (written === null || written.getTime() < sentAt.getTime() - CLOCK_SKEW_MS) {
    const since = dbNow.getTime() - sentAt.getTime();
    return since > messageMaxAgeMs ? { kind: 'dropped', stalledMs: since, lastMoved: written } : { kind: 'unseen' };
  }
  if (row.latest_trn_status_code !== null && ENDING_TRN_STATUSES.has(row.latest_trn_status_code)) {
    return { kind: 'exited', why: `latest ${row.latest_trn_type_code} ${row.latest_trn_status_code}` };
  }
  if (row.latest_trn_type_code === WORKFLOW_ACTION && ENDING_STATUS_CODES.has(row.status_code)) {
    return { kind: 'exited', why: `status_code ${row.status_code} (workflow engine)` };
  }
  if (PAUSE_STATUS_CODES.has(row.status_code)) return { kind: 'exited', why: `paused (${row.status_code})` };
  const waitMs = Math.max(0, dbNow.getTime() - written.getTime());
  return waitMs > messageMaxAgeMs ? { kind: 'dropped', stalledMs: waitMs, lastMoved: written } : { kind: 'inside', waitMs };
}

export interface DroppedPacket {
  workflowInstanceId: string;
  rid: string;
  sentAt: Date;
  /** latest_trn_dtimes when it was found dropped (null: never written). */
  lastMoved: Date | null;
  stalledMs: number;
}

interface Tracked {
  workflowInstanceId: string;
  rid: string;
  sentAt: Date;
}

export interface PipelineWatchOptions {
  /** --message-max-age, ms. */
  messageMaxAgeMs: number;
  /** The controller's clock for PipelineObservation.at (ms); default performance.now. */
  now?: () => number;
  /** Called once for each packet found dropped. */
  onDropped?: (packet: DroppedPacket) => void;
}

export class PipelineWatcher {
  private readonly tracked = new Map<string, Tracked>();
  private exited = 0;
  private droppedCount = 0;
  private readonly now: () => number;

  constructor(private readonly db: Queryable, private readonly schema: string, private readonly opts: PipelineWatchOptions) {
    this.now = opts.now ?? (() => performance.now());
  }

  /** A packet the stage forwarded (sentAt: when its send started). */
  track(workflowInstanceId: string, rid: string, sentAt: Date): void {
    this.tracked.set(workflowInstanceId.toLowerCase(), { workflowInstanceId, rid, sentAt });
  }

  /** Packets still tracked (inside or unseen at the last poll, or sent since). */
  get trackedCount(): number {
    return this.tracked.size;
  }

  get droppedSoFar(): number {
    return this.droppedCount;
  }

  /** Reads the tracked packets' rows and returns what the controller needs (sent: packets sent so far); packets found out stop being tracked. */
  async poll(sent: number): Promise<PipelineObservation> {
    let inside = 0;
    let unseen = 0;
    let maxWaitMs = 0;
    const ids = [...this.tracked.keys()];
    for (let i = 0; i < ids.length; i += WATCH_CHUNK) {
      const chunk = ids.slice(i, i + WATCH_CHUNK);
      const { dbNow, rows } = await selectPipelineRows(this.db, this.schema, chunk.map((k) => this.tracked.get(k)!.workflowInstanceId));
      for (const key of chunk) {
        const t = this.tracked.get(key)!;
        const state = pipelineState(rows.get(key), t.sentAt, dbNow, this.opts.messageMaxAgeMs);
        switch (state.kind) {
          case 'unseen': unseen += 1; break;
          case 'inside':
            inside += 1;
            maxWaitMs = Math.max(maxWaitMs, state.waitMs);
            break;
          case 'exited':
            this.exited += 1;
            this.tracked.delete(key);
            break;
          case 'dropped':
            this.droppedCount += 1;
            this.tracked.delete(key);
            this.opts.onDropped?.({ workflowInstanceId: t.workflowInstanceId, rid: t.rid, sentAt: t.sentAt, lastMoved: state.lastMoved, stalledMs: state.stalledMs });
            break;
        }
      }
    }
    return { at: this.now(), inside, unseen, maxWaitMs, exited: this.exited, dropped: this.droppedCount, sent };
  }
}

/**
 * Of the packets journaled as dropped, those whose row still has not moved since (lower-cased workflow ids):
 * --resume sends these again. A row written since was taken by the pipeline after all and is left alone.
 */
export async function stillDropped(db: Queryable, schema: string, dropped: readonly DroppedRecord[]): Promise<Set<string>> {
  const out = new Set<string>();
  for (let i = 0; i < dropped.length; i += WATCH_CHUNK) {
    const chunk = dropped.slice(i, i + WATCH_CHUNK);
    const { rows } = await selectPipelineRows(db, schema, chunk.map((d) => d.wf));
    for (const d of chunk) {
      const row = rows.get(d.wf.toLowerCase());
      if (!row || !row.is_active || row.is_deleted === true) continue;
      const written = row.latest_trn_dtimes?.getTime() ?? null;
      const unmoved = d.lastMoved === null
        ? written === null || written < Date.parse(d.sentAt) - CLOCK_SKEW_MS
        : written !== null && written <= Date.parse(d.lastMoved);
      if (unmoved) out.add(d.wf.toLowerCase());
    }
  }
  return out;
}

/**
 * Of these forwarded packets, those the pipeline has dropped by now (the same rule as during the run): --resume of
 * a --pace auto run looks for drops the run itself could not see any more (found after it ended).
 */
export async function findDropped(
  db: Queryable, schema: string, sent: readonly { workflowInstanceId: string; rid: string; sentAt: Date }[], messageMaxAgeMs: number,
): Promise<DroppedPacket[]> {
  const out: DroppedPacket[] = [];
  for (let i = 0; i < sent.length; i += WATCH_CHUNK) {
    const chunk = sent.slice(i, i + WATCH_CHUNK);
    const { dbNow, rows } = await selectPipelineRows(db, schema, chunk.map((p) => p.workflowInstanceId));
    for (const p of chunk) {
      const state = pipelineState(rows.get(p.workflowInstanceId.toLowerCase()), p.sentAt, dbNow, messageMaxAgeMs);
      if (state.kind === 'dropped') out.push({ ...p, lastMoved: state.lastMoved, stalledMs: state.stalledMs });
    }
  }
  return out;
}
