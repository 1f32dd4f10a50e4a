// `reprocess verify <run-id>`: did it work? Each packet a run notified is classified by its registration row NOW,
// compared with when the notification was sent. Entries are read in chunks (one SQL statement per chunk), and
// only counts and a bounded list of packets needing attention are kept, so a run of millions verifies in flat
// memory.
//
// The class of each packet is the one verdict of its row (domain/rowVerdict.ts, precedence and reasons there),
// the same the canary and the lost-reply rule use: written since the send when its latest_trn_id or
// latest_trn_dtimes differ from what the run read before the send. For sends journaled without that (older runs),
// by default a row written up to CLOCK_SKEW_MS before the send's start counts; `clockSkewMs` changes it (0: exact).
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import { rowsNowForSentPackets, type PacketRowNow } from '../sql/selectRowsSinceSend.js';
import { CLOCK_SKEW_MS, GOOD_VERDICTS, ROW_VERDICT_MEANINGS, ROW_VERDICTS, rowVerdict, type RowBefore, type RowVerdict } from '../domain/rowVerdict.js';
import { cell, percent, plural, renderTable } from './table.js';

export const VERIFY_CLASSES = ROW_VERDICTS;
export type VerifyClass = RowVerdict;
export const VERIFY_CLASS_MEANINGS = ROW_VERDICT_MEANINGS;
const NEEDS_NO_ATTENTION = GOOD_VERDICTS;

/** One packet a run notified, as the run's journal recorded it. */
export interface VerifyEntry {
  workflowInstanceId: string;
  rid: string;
  /** The reply class of the notification (forwarded, not_found, ...). */
  outcome: string;
  startedAt: Date;
  /** The row as read before the send, from its send record (absent in journals written before it was kept). */
  before?: RowBefore | null;
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
  /** Packets in any class but the good ones (moved_on, processed, held: GOOD_VERDICTS). */
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
   * operator's clock running ahead of MOSIP's. Default CLOCK_SKEW_MS (the canary's and the lost-reply rule's); 0 is exact.
   */
  clockSkewMs?: number;
  /** --message-max-age in seconds: a packet in flight whose row has not moved for longer is `dropped`. Default 3600. */
  messageMaxAgeSeconds?: number;
}

/** The class of a packet given its row now (null: no row): the one verdict of domain/rowVerdict.ts. */
export function classifyPacket(row: PacketRowNow | null, messageMaxAgeSeconds = 3600): VerifyClass {
  return rowVerdict(row, messageMaxAgeSeconds);
}

/** Classifies every entry (an array, or a stream read a chunk at a time) against the registration table. */
export async function verifyPackets(
  db: Queryable, schema: string, entries: Iterable<VerifyEntry> | AsyncIterable<VerifyEntry>, options: VerifyOptions = {},
): Promise<VerifyReport> {
  const chunkSize = options.chunkSize ?? 1000;
  const attentionLimit = options.maxAttentionItems ?? 1000;
  const skewMs = options.clockSkewMs ?? CLOCK_SKEW_MS;
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
      workflowInstanceId: e.workflowInstanceId, startedAt: e.startedAt, before: e.before,
    })), skewMs);
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
