// Where a packet is now: the one verdict of its registration row relative to a notification sent for it. `verify`,
// the canary, the lost-reply and in-doubt rules and --pace auto's watcher all read the row with the same statement
// (sql/selectRowsSinceSend.ts) and judge it here, so they cannot disagree about the same row.
//
// What a row can tell (docs/mosip-facts.md, "Who changes the status code" and "What the stage writes"):
// - Stages (securezone included) write latest_trn_type_code, latest_trn_status_code, latest_trn_id (a new
//   transaction row's id) and latest_trn_dtimes on every step; they never change status_code.
// - Only the workflow engine changes status_code (complete-as-failed, mark-as-reprocess, pause; its latest type
//   is then INTERNAL_WORKFLOW_ACTION) and the reprocessor (PACKET_REPROCESS, REPROCESS_FAILED).
// So status_code alone never says what happened after a send: a FAILED packet that was re-driven keeps status_code
// FAILED while it moves through the stages. Only PROCESSED is final whoever reads it: the packet is done.
//
// "Written since the send" needs no clock: the row's latest_trn_id and latest_trn_dtimes as read BEFORE the send
// (kept in the send record) are compared with the row now; any write changes them. Only a send with no row read
// before it (no database when it was selected, a journal from an older version) falls back to comparing
// latest_trn_dtimes (the stage pod's clock) with the send's start on this host's clock, less CLOCK_SKEW_MS and
// corrected by the offset measured at the run's start.
//
// Precedence (the first rule that matches decides):
//   1. missing            no row with the workflow id, or it is inactive/deleted (MOSIP's stages do not see it)
//   2. processed          status_code PROCESSED (or, written since the send, latest_trn_status_code PROCESSED)
//   3. untouched          not written since the send
//   4. rejected_duplicate latest SECUREZONE_NOTIFICATION + REJECTED
//   5. failed             latest_trn_status_code FAILED, ERROR, REPROCESS_FAILED or REJECTED; or status_code FAILED,
//                         REPROCESS_FAILED or REJECTED set by the workflow engine (INTERNAL_WORKFLOW_ACTION)
//   6. reprocess          latest_trn_status_code REPROCESS, or status_code REPROCESS set by the workflow engine
//   7. paused             status_code PAUSED, RESUMABLE or PAUSED_FOR_ADDITIONAL_INFO set by the workflow engine or
//                         the workflow action API since the send (latest INTERNAL_WORKFLOW_ACTION or WORKFLOW_RESUME)
//   8. dropped / at_securezone
//                         latest SECUREZONE_NOTIFICATION: the row is as the notification left it. Dropped when it has
//                         not moved for longer than --message-max-age (given by verify and --pace auto): nothing
//                         consumed the message and MOSIP drops a message that old unread, writing nothing. Only such
//                         a packet is re-driven by a --pace auto resume.
//   9. held               a later stage wrote IN_PROGRESS: it holds the packet (manual adjudication waiting for a
//                         person, bio dedupe waiting for ABIS); it is in no queue, whatever its age
//  10. stalled            a later stage wrote it, and nothing since for longer than --message-max-age: its message
//                         to the next stage was dropped; MOSIP's reprocessor sends such a row (latest SUCCESS, older
//                         than its elapse time) to the next stage itself. Never re-driven from securezone by the tool
//  11. moved_on           any other later-stage write: between stages, or in one
import { STATUS, TRN_STATUS, TRN_TYPE } from '@mosip-reprocess/contract/enums.js';

export const ROW_VERDICTS = [
  'moved_on', 'processed', 'held', 'at_securezone', 'stalled', 'dropped', 'paused', 'rejected_duplicate', 'reprocess', 'failed',
  'untouched', 'missing',
] as const;
export type RowVerdict = (typeof ROW_VERDICTS)[number];

/** What an operator needs to know about each verdict. */
export const ROW_VERDICT_MEANINGS: Record<RowVerdict, string> = {
  moved_on: 'left securezone: a later stage wrote the row after the send',
  processed: 'status_code PROCESSED: done',
  held: 'a later stage holds it (latest status IN_PROGRESS: manual adjudication waiting for a person, bio dedupe waiting for ABIS, ...); not in a queue',
  at_securezone: 'securezone accepted it but it never left: securezone.routing.enabled=false, or the camel route or Kafka is down (or still in flight: verify again later)',
  stalled: 'a later stage wrote it, then nothing for longer than --message-max-age: its message to the next stage was dropped; MOSIP\'s reprocessor sends such a row on (latest SUCCESS, older than its elapse time); not re-driven from securezone',
  dropped: 'dropped by the pipeline: still as the notification left it (at securezone) for longer than --message-max-age (MOSIP drops a message that old unread, writing nothing); send it again (reprocess --resume <run-id> for a --pace auto run)',
  paused: 'paused by MOSIP after the send (status_code PAUSED, RESUMABLE or PAUSED_FOR_ADDITIONAL_INFO): its pause rule decides; `reprocess action` moves it',
  // MOSIP writes a duplicate as latest status REJECTED with the stage's success sub status RPR-SEN-SUCCESS-001;
  // RPR-SEZ-002 is only its audit code (docs/mosip-facts.md, "What the stage writes").
  rejected_duplicate: 'securezone REJECTED it as a duplicate (latest status REJECTED, sub status RPR-SEN-SUCCESS-001, comment: Duplicate Packet against same additional info request Id.); the automated reprocessor will not pick it up again',
  reprocess: 'marked REPROCESS after the send: the workflow engine will retry it',
  failed: 'failed after the send (a stage, or the workflow engine), or REJECTED by a later stage',
  untouched: 'nothing wrote the row after the send (e.g. a null reply)',
  missing: 'no active row with this workflow id',
};

/** The verdicts that need nothing more: the packet went on, is done, or a stage holds it. `verify` lists every other one. */
export const GOOD_VERDICTS: ReadonlySet<RowVerdict> = new Set(['moved_on', 'processed', 'held']);
/**
 * The packet left securezone and a later stage (or the workflow engine after it) took it: the canary passes on
 * exactly these. It fails on failed, rejected_duplicate, missing and dropped at once, and on the pending verdicts
 * when its time is up.
 */
export const MOVED_ON_VERDICTS: ReadonlySet<RowVerdict> = new Set(['moved_on', 'processed', 'reprocess', 'held', 'stalled', 'paused']);
/** The verdicts that can still change for the better without anyone acting: the packet may yet move on. */
export const PENDING_VERDICTS: ReadonlySet<RowVerdict> = new Set(['at_securezone', 'untouched']);

/** The statuses MOSIP's workflow engine sets to pause a packet (its pause rules; `reprocess action` moves them). */
export const PAUSE_STATUS_CODES: ReadonlySet<string> = new Set([STATUS.PAUSED, STATUS.RESUMABLE, STATUS.PAUSED_FOR_ADDITIONAL_INFO]);

/**
 * How far before a send's start (on this host's clock, after the measured offset) a row's latest_trn_dtimes (a
 * stage pod's clock) may lie and still count as written since the send, when no row was read before the send. In
 * the direction that never makes a handled packet look untouched: a lost reply is never sent again because of a
 * clock a little ahead.
 */
export const CLOCK_SKEW_MS = 1000;

/** latest_trn_id and latest_trn_dtimes (exact UTC text, microseconds) as read before a send: any write changes one. */
export interface RowBefore {
  trnId: string | null;
  dtimes: string | null;
}

/** The columns a verdict reads (sql/selectRowsSinceSend.ts's PacketRowNow). */
export interface RowSinceSend {
  statusCode: string | null;
  latestTrnTypeCode: string | null;
  latestTrnStatusCode: string | null;
  /** is_active = true AND is_deleted = false. */
  active: boolean;
  /** Written since the send (see writtenSince). */
  writtenSinceSend: boolean;
  /** Seconds since latest_trn_dtimes on the database's clock (null when NULL or not read). */
  idleSeconds?: number | null;
}

/**
 * Whether the row was written since the send: its latest_trn_id or latest_trn_dtimes differ from what was read
 * before the send. Without a row read before it, the clock comparison the row's statement made (`byClock`).
 */
export function writtenSince(now: { latestTrnId: string | null; latestTrnDtimesExact: string | null }, before: RowBefore | null | undefined, byClock: boolean): boolean {
  if (!before) return byClock;
  return now.latestTrnId !== before.trnId || now.latestTrnDtimesExact !== before.dtimes;
}

const FAILED_TRN_STATUSES: ReadonlySet<string> = new Set([TRN_STATUS.FAILED, TRN_STATUS.ERROR, TRN_STATUS.REPROCESS_FAILED, TRN_STATUS.REJECTED]);
const FAILED_STATUS_CODES: ReadonlySet<string> = new Set([STATUS.FAILED, STATUS.REPROCESS_FAILED, STATUS.REJECTED]);

/**
 * The verdict of a packet's row now (null: no row has its workflow id). See the precedence at the top.
 * `messageMaxAgeSeconds`: MOSIP's message age limit, past which a packet at securezone counts as dropped and one a
 * later stage left as stalled (verify and --pace auto give it; the canary and the lost-reply rule look at fresh
 * sends and do not).
 */
export function rowVerdict(row: RowSinceSend | null, messageMaxAgeSeconds = Infinity): RowVerdict {
  if (row === null || !row.active) return 'missing';
  if (row.statusCode === STATUS.PROCESSED) return 'processed';
  if (!row.writtenSinceSend) return 'untouched';
  const type = row.latestTrnTypeCode;
  const trn = row.latestTrnStatusCode;
  if (trn === TRN_STATUS.PROCESSED) return 'processed';
  const setByEngine = type === TRN_TYPE.INTERNAL_WORKFLOW_ACTION;
  if (type === TRN_TYPE.SECUREZONE_NOTIFICATION && trn === TRN_STATUS.REJECTED) return 'rejected_duplicate';
  if (trn !== null && FAILED_TRN_STATUSES.has(trn)) return 'failed';
  if (setByEngine && row.statusCode !== null && FAILED_STATUS_CODES.has(row.statusCode)) return 'failed';
  if (trn === TRN_STATUS.REPROCESS || (setByEngine && row.statusCode === STATUS.REPROCESS)) return 'reprocess';
  // A pause set after the send (an --include-paused packet keeps its old PAUSED while it moves on: not this).
  if ((setByEngine || type === TRN_TYPE.WORKFLOW_RESUME) && row.statusCode !== null && PAUSE_STATUS_CODES.has(row.statusCode)) return 'paused';
  const idle = row.idleSeconds ?? 0;
  if (type === TRN_TYPE.SECUREZONE_NOTIFICATION) return idle > messageMaxAgeSeconds ? 'dropped' : 'at_securezone';
  if (trn === TRN_STATUS.IN_PROGRESS) return 'held';
  return idle > messageMaxAgeSeconds ? 'stalled' : 'moved_on';
}

/**
 * Whether the row shows that the send took effect: something (the securezone stage, a stage after it, or the
 * workflow engine acting on it) wrote the active row since the send. This is the lost-reply and in-doubt rule's
 * evidence; a packet whose row shows it is never sent again. A row not written since the send (untouched, whatever
 * its status_code) or no active row means the send did not take effect.
 */
export function handledSinceSend(row: RowSinceSend | null): boolean {
  return row !== null && row.active && row.writtenSinceSend;
}
