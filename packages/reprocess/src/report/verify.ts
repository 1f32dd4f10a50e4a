// `reprocess verify <run-id>`: did it work? Each packet a run notified is classified by its registration row NOW,
// compared with when the notification was sent. Entries are read in chunks (one SQL statement per chunk), and
// only counts and a bounded list of packets needing attention are kept, so a run of millions verifies in flat
// memory.
//
// Precedence (the first rule that matches decides; "written since the send" = latest_trn_dtimes >= startedAt):
//   1. missing            no row with the workflow id, or it is inactive/deleted (MOSIP's stages do not see it)
//   2. processed          status_code PROCESSED
//   3. untouched          latest_trn_dtimes NULL or before startedAt: nothing wrote the row after the send
//   4. rejected_duplicate latest SECUREZONE_NOTIFICATION + REJECTED
//   5. failed             latest_trn_status_code FAILED, ERROR, REPROCESS_FAILED or REJECTED; or status_code
//                         FAILED, REPROCESS_FAILED or REJECTED set by the workflow engine (latest type
//                         INTERNAL_WORKFLOW_ACTION: complete-as-failed / complete-as-rejected). The reprocessor's
//                         REPROCESS_FAILED sets the latest status too, so the first half covers it.
//   6. reprocess          latest_trn_status_code REPROCESS, or status_code REPROCESS set by the workflow engine
//                         (mark-as-reprocess: INTERNAL_WORKFLOW_ACTION)
//   7. dropped            what would be at_securezone or moved_on, but latest_trn_dtimes has not moved for longer
//                         than --message-max-age (default 3600 s): a stage dropped the message unread (MOSIP drops
//                         messages older than that without a database write; contract section 8)
//   8. at_securezone      latest SECUREZONE_NOTIFICATION (normally SUCCESS): accepted, never left the stage
//   9. moved_on           any other stage wrote the row after the send
// Why status_code alone does not decide "failed": stages never rewrite status_code (contract section 1, item 4;
// only the workflow engine does), so a FAILED packet that was re-driven keeps status_code FAILED while it moves
// through the stages. Its latest transaction, written after the send, is what tells the truth. For the same
// reason a FAILED packet nothing touched after the send is `untouched`: the send had no effect.
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import { rowsNowForSentPackets, type PacketRowNow } from '../sql/verify.js';
import { cell, percent, plural, renderTable } from './table.js';

export const VERIFY_CLASSES = [
  'moved_on', 'processed', 'at_securezone', 'dropped', 'rejected_duplicate', 'reprocess', 'failed', 'untouched', 'missing',
] as const;
export type VerifyClass = (typeof VERIFY_CLASSES)[number];

/** What an operator needs to know about each class. */
export const VERIFY_CLASS_MEANINGS: Record<VerifyClass, string> = {
  moved_on: 'left securezone: a later stage wrote the row after the send',
  processed: 'status_code PROCESSED: done',
  at_securezone: 'securezone accepted it but it never left: securezone.routing.enabled=false, or the camel route or Kafka is down (or still in flight: verify again later)',
  dropped: 'dropped by the pipeline: its row has not moved for longer than --message-max-age (MOSIP drops a message that old unread, writing nothing); send it again (reprocess --resume <run-id> for a --pace auto run)',
  rejected_duplicate: 'securezone REJECTED it as a duplicate (RPR-SEZ-002); the automated reprocessor will not pick it up again',
  reprocess: 'marked REPROCESS after the send: the workflow engine will retry it',
  failed: 'failed after the send (a stage, or the workflow engine), or REJECTED by a later stage',
  untouched: 'nothing wrote the row after the send (e.g. a null reply)',
  missing: 'no active row with this workflow id',
};

const NEEDS_NO_ATTENTION: ReadonlySet<VerifyClass> = new Set(['moved_on', 'processed']);
const SECUREZONE = 'SECUREZONE_NOTIFICATION';
const FAILED_TRN_STATUSES = new Set(['FAILED', 'ERROR', 'REPROCESS_FAILED', 'REJECTED']);
const FAILED_STATUS_CODES = new Set(['FAILED', 'REPROCESS_FAILED', 'REJECTED']);
/** The latest transaction type the workflow engine writes when it sets status_code (contract section 4). */
const WORKFLOW_ACTION = 'INTERNAL_WORKFLOW_ACTION';

/** One packet a run notified, as the run's journal recorded it. */
export interface VerifyEntry {
  workflowInstanceId: string;
  rid: string;
  /** The reply class of the notification (forwarded, not_found, ...). */
  outcome: string;
  startedAt: Date;
}

export interface AttentionItem {
  rid: string;
  workflowInstanceId: string;
  class: VerifyClass;
  outcome: string;
  /** When the send started (ISO). */
  startedAt: string;
  /** Why it is in this class, in words. */
  detail: string;
  /** false: no row has this workflow id (the row fields below are then null). */
  rowFound: boolean;
  statusCode: string | null;
  latestTrnTypeCode: string | null;
  latestTrnStatusCode: string | null;
  regStageName: string | null;
  /** ISO UTC text. */
  latestTrnDtimes: string | null;
}

export interface VerifyReport {
  kind: 'verify';
  /** When the rows were read (ISO). */
  checkedAt: string;
  /** Packets verified (entries given). */
  total: number;
  /** Every class, zeros included. */
  counts: Record<VerifyClass, number>;
  /** outcome of the send -> class -> count: e.g. forwarded packets that sit at securezone. */
  byOutcome: Record<string, Partial<Record<VerifyClass, number>>>;
  /** Packets in any class but moved_on and processed. */
  needingAttention: number;
  /** The first `attentionLimit` of them, in entry order. */
  attention: AttentionItem[];
  attentionLimit: number;
}

export interface VerifyOptions {
  /** Workflow ids per SQL statement. Default 1000. */
  chunkSize?: number;
  /** Attention items kept in the report (all are counted). Default 1000. */
  maxAttentionItems?: number;
  /**
   * A row written up to this many ms before startedAt still counts as written since the send: allowance for the
   * operator's clock running ahead of MOSIP's. Default 0 (exact).
   */
  clockSkewMs?: number;
  /** --message-max-age in seconds: a packet in flight whose row has not moved for longer is `dropped`. Default 3600. */
  messageMaxAgeSeconds?: number;
}

/** The class of a packet given its row now (null: no row). See the precedence at the top of this file. */
export function classifyPacket(row: PacketRowNow | null, messageMaxAgeSeconds = 3600): VerifyClass {
  if (row === null || !row.active) return 'missing';
  if (row.statusCode === 'PROCESSED') return 'processed';
  if (!row.writtenSinceSend) return 'untouched';
  const type = row.latestTrnTypeCode;
  const trn = row.latestTrnStatusCode;
  const setByEngine = type === WORKFLOW_ACTION;
  if (type === SECUREZONE && trn === 'REJECTED') return 'rejected_duplicate';
  if (trn !== null && FAILED_TRN_STATUSES.has(trn)) return 'failed';
  if (setByEngine && row.statusCode !== null && FAILED_STATUS_CODES.has(row.statusCode)) return 'failed';
  if (trn === 'REPROCESS' || (setByEngine && row.statusCode === 'REPROCESS')) return 'reprocess';
  if (row.idleSeconds !== null && row.idleSeconds > messageMaxAgeSeconds) return 'dropped';
  if (type === SECUREZONE) return 'at_securezone';
  return 'moved_on';
}

/** Classifies every entry (an array, or a stream read a chunk at a time) against the registration table. */
export async function verifyPackets(
  db: Queryable, schema: string, entries: Iterable<VerifyEntry> | AsyncIterable<VerifyEntry>, options: VerifyOptions = {},
): Promise<VerifyReport> {
  const chunkSize = options.chunkSize ?? 1000;
  const attentionLimit = options.maxAttentionItems ?? 1000;
  const skewMs = options.clockSkewMs ?? 0;
  const report: VerifyReport = {
    kind: 'verify',
    checkedAt: new Date().toISOString(),
    total: 0,
    counts: Object.fromEntries(VERIFY_CLASSES.map((c) => [c, 0])) as Record<VerifyClass, number>,
    byOutcome: {},
    needingAttention: 0,
    attention: [],
    attentionLimit,
  };

  const settle = async (chunk: VerifyEntry[]) => {
    const rows = await rowsNowForSentPackets(db, schema, chunk.map((e) => ({
      workflowInstanceId: e.workflowInstanceId, startedAt: new Date(e.startedAt.getTime() - skewMs),
    })));
    chunk.forEach((entry, i) => tallyPacket(report, entry, rows[i] ?? null, options.messageMaxAgeSeconds ?? 3600));
  };

  let chunk: VerifyEntry[] = [];
  for await (const entry of entries) {
    chunk.push(entry);
    if (chunk.length >= chunkSize) {
      await settle(chunk);
      chunk = [];
    }
  }
  if (chunk.length > 0) await settle(chunk);
  return report;
}

function tallyPacket(report: VerifyReport, entry: VerifyEntry, row: PacketRowNow | null, messageMaxAgeSeconds: number): void {
  const cls = classifyPacket(row, messageMaxAgeSeconds);
  report.total += 1;
  report.counts[cls] += 1;
  const perOutcome = (report.byOutcome[entry.outcome] ??= {});
  perOutcome[cls] = (perOutcome[cls] ?? 0) + 1;
  if (NEEDS_NO_ATTENTION.has(cls)) return;
  report.needingAttention += 1;
  if (report.attention.length >= report.attentionLimit) return;
  report.attention.push({
    rid: entry.rid,
    workflowInstanceId: entry.workflowInstanceId,
    class: cls,
    outcome: entry.outcome,
    startedAt: entry.startedAt.toISOString(),
    detail: detailOf(cls, row),
    rowFound: row !== null,
    statusCode: row?.statusCode ?? null,
    latestTrnTypeCode: row?.latestTrnTypeCode ?? null,
    latestTrnStatusCode: row?.latestTrnStatusCode ?? null,
    regStageName: row?.regStageName ?? null,
    latestTrnDtimes: row?.latestTrnDtimes ?? null,
  });
}

function detailOf(cls: VerifyClass, row: PacketRowNow | null): string {
  if (cls === 'missing') return row === null ? 'no row with this workflow id' : 'the row is inactive or deleted';
  if (cls === 'untouched') return row?.latestTrnDtimes === null ? 'latest_trn_dtimes is NULL' : 'latest transaction is older than the send';
  return VERIFY_CLASS_MEANINGS[cls];
}

// ---- rendering ---------------------------------------------------------------------------------------------

/** The report as text: counts per class with their meaning, replies by class, then the packets needing attention. */
export function renderVerify(r: VerifyReport): string {
  const out: string[] = [`Verification of ${plural(r.total, 'notified packet')} (rows read at ${r.checkedAt})`, ''];
  out.push(...renderTable(
    [{ header: 'CLASS' }, { header: 'COUNT', align: 'right' }, { header: '%', align: 'right' }, { header: 'MEANING' }],
    VERIFY_CLASSES.map((c) => [c, String(r.counts[c]), percent(r.counts[c], r.total), VERIFY_CLASS_MEANINGS[c]]),
  ));

  const outcomes = Object.keys(r.byOutcome).sort();
  if (outcomes.length > 0) {
    const used = VERIFY_CLASSES.filter((c) => outcomes.some((o) => (r.byOutcome[o]![c] ?? 0) > 0));
    out.push('', 'By reply to the notification');
    out.push(...renderTable(
      [{ header: 'REPLY' }, ...used.map((c) => ({ header: c, align: 'right' as const }))],
      outcomes.map((o) => [o, ...used.map((c) => String(r.byOutcome[o]![c] ?? 0))]),
    ));
  }

  out.push('', r.needingAttention === 0 ? 'Needs attention: none' : `Needs attention: ${plural(r.needingAttention, 'packet')}${r.needingAttention > r.attention.length ? ` (first ${r.attention.length} listed)` : ''}`);
  if (r.attention.length > 0) {
    out.push(...renderTable(
      [
        { header: 'RID' }, { header: 'WORKFLOW_INSTANCE_ID' }, { header: 'CLASS' }, { header: 'REPLY' }, { header: 'STATUS_CODE' },
        { header: 'LATEST_TRN_TYPE' }, { header: 'LATEST_TRN_STATUS' }, { header: 'STAGE' }, { header: 'LATEST_TRN_DTIMES (UTC)' },
      ],
      r.attention.map((a) => [
        a.rid, a.workflowInstanceId, a.class, a.outcome,
        ...(a.rowFound
          ? [cell(a.statusCode), cell(a.latestTrnTypeCode), cell(a.latestTrnStatusCode), cell(a.regStageName), cell(a.latestTrnDtimes)]
          : ['(no row)', '', '', '', '']),
      ]),
    ));
  }
  return out.join('\n');
}
