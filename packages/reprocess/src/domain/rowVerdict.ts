// One verdict of a packet's registration row relative to when a notification for it was sent. `verify`, the
// canary and the lost-reply / in-doubt rule all read the row with the same statement
// (sql/selectRowsSinceSend.ts) and judge it here, so they cannot disagree about the same row.
//
// What the contract says a row can tell (../shared/mosip-contract.md sections 1 and 4):
// - Stages (securezone included) write latest_trn_type_code, latest_trn_status_code and latest_trn_dtimes; they
//   never change status_code (updateStatusCode=false restores the stored value).
// - Only the workflow engine changes status_code (camel workflow-cmd: complete-as-failed, mark-as-reprocess, ...;
//   its latest type is then INTERNAL_WORKFLOW_ACTION) and the reprocessor (PACKET_REPROCESS, REPROCESS_FAILED).
// So status_code alone never says what happened after a send: a FAILED packet that was re-driven keeps
// status_code FAILED while it moves through the stages. Only PROCESSED is final whoever reads it: the packet is done.
//
// Precedence (the first rule that matches decides; "written since the send" = latest_trn_dtimes >= the send's start):
//   1. missing            no row with the workflow id, or it is inactive/deleted (MOSIP's stages do not see it)
//   2. processed          status_code PROCESSED
//   3. untouched          latest_trn_dtimes NULL or before the send: nothing wrote the row after it
//   4. rejected_duplicate latest SECUREZONE_NOTIFICATION + REJECTED
//   5. failed             latest_trn_status_code FAILED, ERROR, REPROCESS_FAILED or REJECTED; or status_code
//                         FAILED, REPROCESS_FAILED or REJECTED set by the workflow engine (latest type
//                         INTERNAL_WORKFLOW_ACTION: complete-as-failed / complete-as-rejected). The reprocessor's
//                         REPROCESS_FAILED sets the latest status too, so the first half covers it.
//   6. reprocess          latest_trn_status_code REPROCESS, or status_code REPROCESS set by the workflow engine
//                         (mark-as-reprocess: INTERNAL_WORKFLOW_ACTION)
//   7. dropped            (only when a message age limit is given: verify, --pace auto) what would be at_securezone
//                         or moved_on, but latest_trn_dtimes has not moved for longer than --message-max-age
//                         (default 3600 s): a stage dropped the message unread (MOSIP drops messages older than that
//                         without a database write; contract section 8)
//   8. at_securezone      latest SECUREZONE_NOTIFICATION (normally SUCCESS): accepted, never left the stage
//   9. moved_on           any other stage wrote the row after the send
import { STATUS, TRN_STATUS, TRN_TYPE } from '@mosip-reprocess/contract/enums.js';

export const ROW_VERDICTS = [
  'moved_on', 'processed', 'at_securezone', 'dropped', 'rejected_duplicate', 'reprocess', 'failed', 'untouched', 'missing',
] as const;
export type RowVerdict = (typeof ROW_VERDICTS)[number];

/** What an operator needs to know about each verdict. */
export const ROW_VERDICT_MEANINGS: Record<RowVerdict, string> = {
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

/** The verdicts that need nothing more: the packet went on (or is done). `verify` lists every other one. */
export const GOOD_VERDICTS: ReadonlySet<RowVerdict> = new Set(['moved_on', 'processed']);
/**
 * The packet left securezone and a later stage took it: the canary passes on exactly these. `reprocess` is one
 * of them: a later stage asked for a retry, which the workflow engine makes on its own (verify still lists it,
 * to be looked at again later). The canary fails on failed, rejected_duplicate and missing at once, and on the
 * pending verdicts when its time is up.
 */
export const MOVED_ON_VERDICTS: ReadonlySet<RowVerdict> = new Set(['moved_on', 'processed', 'reprocess']);
/** The verdicts that can still change for the better without anyone acting: the packet may yet move on. */
export const PENDING_VERDICTS: ReadonlySet<RowVerdict> = new Set(['at_securezone', 'untouched']);

/**
 * How long after one of our clock's instants the database may have stamped the same instant (both NTP-synced in
 * a MOSIP cluster). Every verdict looks this far before the send's start, in the direction that never makes a
 * handled packet look untouched: a lost reply is then never sent again because of a clock a little ahead.
 */
export const CLOCK_SKEW_MS = 1000;

/** The columns a verdict reads (sql/selectRowsSinceSend.ts's PacketRowNow). */
export interface RowSinceSend {
  statusCode: string | null;
  latestTrnTypeCode: string | null;
  latestTrnStatusCode: string | null;
  /** is_active = true AND is_deleted = false. */
  active: boolean;
  /** latest_trn_dtimes >= the send's start (less the skew); false when NULL. */
  writtenSinceSend: boolean;
  /** Seconds since latest_trn_dtimes on the database's clock (null when NULL or not read). */
  idleSeconds?: number | null;
}

const FAILED_TRN_STATUSES: ReadonlySet<string> = new Set([TRN_STATUS.FAILED, TRN_STATUS.ERROR, TRN_STATUS.REPROCESS_FAILED, TRN_STATUS.REJECTED]);
const FAILED_STATUS_CODES: ReadonlySet<string> = new Set([STATUS.FAILED, STATUS.REPROCESS_FAILED, STATUS.REJECTED]);

/**
 * The verdict of a packet's row now (null: no row has its workflow id). See the precedence at the top.
 * `messageMaxAgeSeconds`: MOSIP's message age limit, past which a packet still in flight counts as dropped
 * (verify and --pace auto give it; the canary and the lost-reply rule look at fresh sends and do not).
 */
export function rowVerdict(row: RowSinceSend | null, messageMaxAgeSeconds = Infinity): RowVerdict {
  if (row === null || !row.active) return 'missing';
  if (row.statusCode === STATUS.PROCESSED) return 'processed';
  if (!row.writtenSinceSend) return 'untouched';
  const type = row.latestTrnTypeCode;
  const trn = row.latestTrnStatusCode;
  const setByEngine = type === TRN_TYPE.INTERNAL_WORKFLOW_ACTION;
  if (type === TRN_TYPE.SECUREZONE_NOTIFICATION && trn === TRN_STATUS.REJECTED) return 'rejected_duplicate';
  if (trn !== null && FAILED_TRN_STATUSES.has(trn)) return 'failed';
  if (setByEngine && row.statusCode !== null && FAILED_STATUS_CODES.has(row.statusCode)) return 'failed';
  if (trn === TRN_STATUS.REPROCESS || (setByEngine && row.statusCode === STATUS.REPROCESS)) return 'reprocess';
  if (row.idleSeconds != null && row.idleSeconds > messageMaxAgeSeconds) return 'dropped';
  if (type === TRN_TYPE.SECUREZONE_NOTIFICATION) return 'at_securezone';
  return 'moved_on';
}

/**
 * Whether the row shows that the send took effect: something (the securezone stage, or a stage after it, or
 * the workflow engine acting on it) wrote the active row at or after the send's start. This is the lost-reply
 * and in-doubt rule's evidence; a packet whose row shows it is never sent again. A row not written since the
 * send (untouched, whatever its status_code) or no active row means the send did not take effect.
 */
export function handledSinceSend(row: RowSinceSend | null): boolean {
  return row !== null && row.active && row.writtenSinceSend;
}
