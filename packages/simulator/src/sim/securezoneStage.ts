// SecurezoneNotificationStage.processURL + process() (MOSIP 1.2.0.1; docs/mosip-facts.md, "Securezone notification
// endpoint"), after authentication. Its two writes are two commits, in MOSIP's order (decideAndRecord): the
// transaction row first, so a failing insert (the NOT NULL sub_status_code on the mismatch and exception paths)
// leaves the database untouched, then the registration row.
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { MAIN_PROCESSES, SECUREZONE_STAGE_NAME, TRN_STATUS, TRN_TYPE } from '@mosip-reprocess/contract/enums.js';
import { forwardedMessage as forwardedReplyText, notUploadedMessage } from '@mosip-reprocess/contract/wire.js';
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import type { SecurezoneStageQueries, StageRegistration } from '../sql/securezoneStage.js';
import { forwardedMessage, type ForwardedMessage } from './forwarding.js';
import { bodyAsJson, getBoolean, getInteger, getString, type JsonFields } from './javaJson.js';
import { nullPointer, RouteFailure } from './routeFailure.js';

export const STAGE_NAME = SECUREZONE_STAGE_NAME;
export const TRN_TYPE_CODE = TRN_TYPE.SECUREZONE_NOTIFICATION;
// StatusUtil.NOTIFICATION_RECEIVED_TO_SECUREZONE and PlatformErrorMessages.RPR_SECUREZONE_DUPLICATE_PACKET.
export const SUCCESS_SUB_STATUS = 'RPR-SEN-SUCCESS-001';
export const SUCCESS_COMMENT = 'Notification received to securezone';
export const DUPLICATE_COMMENT = 'Duplicate Packet against same additional info request Id.';

/** Which branch of the stage a notification took (the simulator's ground truth; MOSIP's reply is coarser). */
export type StagePath =
  | 'forwarded'          // success: row updated, message sent if routing is enabled
  | 'duplicate'          // an earlier packet of the same group exists: REJECTED, not uploaded
  | 'rid_mismatch'       // row found by workflow id, but the body's rid differs
  | 'missing_rid'        // row found, body rid null: NPE caught as RPR-SEZ-001
  | 'no_sync_row'        // no registration_list row for the workflow id: NPE caught as RPR-SEZ-001
  | 'row_not_found'      // no active row: the finally block NPEs, body `null`
  | 'missing_iteration'  // iteration null or absent: NPE, body `null`
  | 'bad_body'           // body not a JSON object or a field of the wrong JSON type
  | 'forward_failed'     // the row was updated but the Kafka send threw (e.g. reg_type null)
  | 'db_error';          // the database could not be reached

export interface StageResult {
  /** The reply message; the HTTP body is wire.encodeReply(replyMessage). */
  replyMessage: string | null;
  path: StagePath;
  /** The body's workflowInstanceId when it is a string, for per-packet counts. */
  workflowInstanceId: string | null;
  forwarded: ForwardedMessage | null;
}

export interface StageDeps {
  pool: pg.Pool;
  queries: SecurezoneStageQueries;
  /** securezone.routing.enabled, read per notification so it can be toggled while running. */
  routingEnabled(): boolean;
  /** Puts a message on the (simulated) bus; a throw is a failed send. */
  send(message: ForwardedMessage): void;
  /** The stage pod's clock offset from the database's, ms: it stamps lastHopTimestamp (its writes: the queries). Default 0. */
  clockOffsetMs?: number;
}

interface NotificationMessage {
  rid: string | null;
  regType: string | null;
  source: string | null;
  iteration: number;
  workflowInstanceId: string | null;
}

/** What the stage decided for a found row, and the status it writes. */
interface Decision {
  path: Extract<StagePath, 'forwarded' | 'duplicate' | 'rid_mismatch' | 'missing_rid' | 'no_sync_row'>;
  isValid: boolean;
  latestTrnStatusCode: string | null;
  subStatusCode: string | null;
  statusComment: string | null;
}

export async function processNotification(deps: StageDeps, rawBody: string): Promise<StageResult> {
  let obj: JsonFields | null;
  try {
    obj = bodyAsJson(rawBody);
  } catch (error) {
    if (!(error instanceof RouteFailure)) throw error;
    return { replyMessage: error.replyMessage, path: 'bad_body', workflowInstanceId: null, forwarded: null };
  }
  const workflowInstanceId = typeof obj?.workflowInstanceId === 'string' ? obj.workflowInstanceId : null;
  const result = (path: StagePath, replyMessage: string | null, forwarded: ForwardedMessage | null = null): StageResult =>
    ({ replyMessage, path, workflowInstanceId, forwarded });

  let message: NotificationMessage;
  try {
    message = readMessage(obj);
  } catch (error) {
    if (!(error instanceof RouteFailure)) throw error;
    // Wrong JSON types fail with a message first; the only message-less failure left is the iteration NPE.
    return result(obj !== null && error.replyMessage === null ? 'missing_iteration' : 'bad_body', error.replyMessage);
  }

  let decision: Decision | null;
  try {
    decision = await decideAndRecord(deps, message);
  } catch (error) {
    return result(error instanceof WriteFailed ? error.path : 'db_error', failureMessageForDbError(error));
  }
  if (decision === null) return result('row_not_found', null); // updateRegistrationStatus(null) NPEs

  const ridText = message.rid ?? 'null';
  if (!decision.isValid) return result(decision.path, notUploadedMessage(ridText));

  // sendMessage() runs after process() returned, so the row is already committed when it throws.
  let forwarded: ForwardedMessage | null = null;
  if (deps.routingEnabled()) {
    try {
      forwarded = forwardedMessage({
        rid: message.rid, regType: message.regType, source: message.source, iteration: message.iteration,
        workflowInstanceId: message.workflowInstanceId, at: new Date(Date.now() + (deps.clockOffsetMs ?? 0)),
      });
      deps.send(forwarded);
    } catch (error) {
      const replyMessage = error instanceof RouteFailure ? error.replyMessage : (error as Error).message;
      return result('forward_failed', replyMessage);
    }
  }
  return result('forwarded', forwardedReplyText(ridText), forwarded);
}

/** processURL's reads, in its order: a null iteration NPEs in setIteration(int) before any lookup. */
function readMessage(obj: JsonFields | null): NotificationMessage {
  const rid = getString(obj, 'rid');
  const regType = getString(obj, 'reg_type');
  getBoolean(obj, 'isValid'); // read (and type-checked), then overwritten by the stage
  const source = getString(obj, 'source');
  const iteration = getInteger(obj, 'iteration');
  if (iteration === null) throw nullPointer();
  const workflowInstanceId = getString(obj, 'workflowInstanceId');
  return { rid, regType, source, iteration, workflowInstanceId };
}

/**
 * Looks the row up, runs the duplicate check, then writes as MOSIP's updateRegistrationStatus does: first the
 * registration_transaction row, committed on its own, then the registration row, committed on its own
 * (RegistrationStatusServiceImpl.java l.296 and l.309 are two repository saves; neither that class, nor
 * TransactionServiceImpl, nor SecurezoneNotificationStage has @Transactional, so each save is its own transaction).
 * So a registration update that fails leaves the transaction row behind. The tool's lost-reply rule reads the
 * registration row, which is written last, so it still sees the stage as done only once the row moved.
 * Each statement runs on the pool, autocommitted, as each of MOSIP's repository calls takes its own connection.
 * Returns null when no active row matched (nothing is written).
 */
async function decideAndRecord(deps: StageDeps, message: NotificationMessage): Promise<Decision | null> {
  const { queries: q, pool } = deps;
  let row: StageRegistration | null;
  let decision: Decision;
  try {
    // With a workflow id, only the workflow id is used; rid, reg_type and iteration are ignored.
    row = message.workflowInstanceId !== null
      ? await q.findActiveByWorkflowId(pool, message.workflowInstanceId)
      : await q.findActiveByRegId(pool, message.rid);
    if (row === null) return null; // nothing written
    decision = await decide(pool, q, message, row);
  } catch (error) {
    // Not reaching the database, or a lookup failing: the stage could not use its database.
    throw new DbUnreachable(error);
  }
  const transactionId = randomUUID();
  try {
    await q.insertTransaction(pool, {
      id: transactionId,
      regId: row.regId,
      parentRegtrnId: row.latestTrnId,
      trnTypeCode: TRN_TYPE_CODE,
      statusCode: decision.latestTrnStatusCode,
      subStatusCode: decision.subStatusCode,
      statusComment: decision.statusComment,
      refId: row.regId,
    });
  } catch (error) {
    throw new WriteFailed(decision.path, error, 'transaction');
  }
  try {
    await q.rewriteLatestTransaction(pool, {
      workflowInstanceId: row.workflowInstanceId,
      latestTrnId: transactionId,
      latestTrnTypeCode: TRN_TYPE_CODE,
      latestTrnStatusCode: decision.latestTrnStatusCode,
      regStageName: STAGE_NAME,
      statusComment: decision.statusComment,
    });
  } catch (error) {
    throw new WriteFailed(decision.path, error, 'registration');
  }
  return decision;
}

async function decide(
  client: Queryable, q: SecurezoneStageQueries, message: NotificationMessage, row: StageRegistration,
): Promise<Decision> {
  // A failed branch keeps the status the row already had and sets no sub-status (code reading).
  const unchanged = (path: Decision['path']): Decision => ({
    path, isValid: false, latestTrnStatusCode: row.latestTrnStatusCode, subStatusCode: null, statusComment: row.statusComment,
  });

  // isDuplicatePacketForSameReqId: a missing sync row NPEs, caught as RPR-SEZ-001.
  const sync = await q.findSyncRow(client, message.workflowInstanceId);
  if (sync === null || message.workflowInstanceId === null) return unchanged('no_sync_row');
  const isMainProcess = sync.additionalInfoReqId === null && (MAIN_PROCESSES as readonly string[]).includes(sync.process ?? '');
  const duplicate = isMainProcess
    ? await q.hasEarlierPacketForRegId(client, sync.regId, message.workflowInstanceId)
    : await q.hasEarlierPacketForAdditionalInfoReqId(client, sync.additionalInfoReqId, message.workflowInstanceId);

  if (duplicate) {
    // The stage sets the success sub-status code here too, so this insert succeeds; RPR-SEZ-002
    // (RPR_SECUREZONE_DUPLICATE_PACKET) is only the audit log's code (SecurezoneNotificationStage.java l.251-260).
    return {
      path: 'duplicate', isValid: false, latestTrnStatusCode: TRN_STATUS.REJECTED, subStatusCode: SUCCESS_SUB_STATUS, statusComment: DUPLICATE_COMMENT,
    };
  }
  if (message.rid === null) return unchanged('missing_rid'); // rid.equalsIgnoreCase(...) NPEs
  if (message.rid.toLowerCase() !== row.regId.toLowerCase()) return unchanged('rid_mismatch');
  return { path: 'forwarded', isValid: true, latestTrnStatusCode: TRN_STATUS.SUCCESS, subStatusCode: SUCCESS_SUB_STATUS, statusComment: SUCCESS_COMMENT };
}

/**
 * The finally block's write failed: the exception leaves process() and reaches the failure handler. `table` says
 * which of updateRegistrationStatus's two saves failed: the registration_transaction insert (first) or the
 * registration update (second, after the first was committed).
 */
class WriteFailed extends Error {
  constructor(readonly path: Decision['path'], readonly reason: unknown, readonly table: 'transaction' | 'registration') {
    super('registration status update failed');
  }
}

class DbUnreachable extends Error {
  constructor(readonly reason: unknown) {
    super('database unreachable');
  }
}

/**
 * The failure-handler text for a database failure, as Spring/Hibernate word it: a NOT NULL or other constraint
 * violation becomes DataIntegrityViolationException, a value error DataException, and anything else (no
 * connection) a JDBCConnectionException (code reading).
 */
function failureMessageForDbError(error: unknown): string {
  const cause = error instanceof WriteFailed || error instanceof DbUnreachable ? error.reason : error;
  const pgError = cause as { code?: unknown; column?: unknown; constraint?: unknown };
  const code = typeof pgError.code === 'string' ? pgError.code : '';
  let statementError: string;
  if (code.startsWith('23')) {
    const constraint = typeof pgError.column === 'string' ? pgError.column
      : typeof pgError.constraint === 'string' ? pgError.constraint : 'null';
    statementError = `could not execute statement; SQL [n/a]; constraint [${constraint}]; nested exception is org.hibernate.exception.ConstraintViolationException: could not execute statement`;
  } else if (code.startsWith('22')) {
    statementError = 'could not execute statement; SQL [n/a]; nested exception is org.hibernate.exception.DataException: could not execute statement';
  } else {
    return 'Could not open JPA EntityManager for transaction; nested exception is org.hibernate.exception.JDBCConnectionException: Unable to acquire JDBC Connection';
  }
  // The registration save (the second write) catches that DataAccessException and rethrows it as
  // TablenotAccessibleException (RegistrationStatusServiceImpl.java l.313-320), whose message is the code plus a
  // space, " --> ", the text, then "; \nnested exception is " and the cause (TablenotAccessibleException.java
  // l.37-38; commons kernel-core BaseUncheckedException and ExceptionUtils.buildMessage). The transaction insert
  // (TransactionServiceImpl.java l.55-59) catches only MOSIP's own DataAccessLayerException (code reading).
  if (error instanceof WriteFailed && error.table === 'registration') {
    return `RPR-RGS-001  --> Unable to Access Registration Table; \nnested exception is org.springframework.dao.DataIntegrityViolationException: ${statementError}`;
  }
  return statementError;
}
