// The workflow manager's WorkflowActionApi.processURL and WorkflowActionService.processWorkflowAction (MOSIP
// 1.2.0.1), after authentication: validation, the PAUSED check, and the per-row writes, with MOSIP's replies.
// Every fact and its source file is in packages/contract/src/workflowAction.ts.
//
// As in MOSIP, each row is written and committed on its own (its transaction row and its registration row, here
// in one database transaction), and the first row that fails stops the request: the rows before it stay moved.
// Not modelled: the audit log, the packet manager's PAUSE_IMMUNITY_RULE_IDS tag (RESUME_*), and the WebSub event
// of STOP_PROCESSING, which is only counted (stats.workflowActions.completedEvents).
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { STATUS, TRN_STATUS } from '@mosip-reprocess/contract/enums.js';
import {
  ACTION_STATUS_CODE, invalidValueMessage, isWorkflowAction, missingValueMessage, notFoundMessage, notPausedMessage,
  RESUME_FROM_BEGINNING_STAGE, WORKFLOW_ACTION_CODES, WORKFLOW_ACTION_REQUEST_ID, WORKFLOW_ACTION_SUB_STATUS_CODE,
  WORKFLOW_ACTION_VERSION, WORKFLOW_RESUME_TRN_TYPE_CODE, workflowActionStatusComment, workflowActionSuccessMessage,
  type WorkflowAction, type WorkflowActionReply,
} from '@mosip-reprocess/contract/workflowAction.js';
import { findActiveRegistrationsByRegIds, type ActionRegistration } from '../sql/findActiveRegistrationsByRegIds.js';
import { insertStatusTransaction } from '../sql/insertStatusTransaction.js';
import { rewriteLatestTransaction } from '../sql/rewriteLatestTransaction.js';
import { inTransaction } from '@mosip-reprocess/contract/sql/transaction.js';

/** Which branch a request took (the simulator's ground truth). */
export type WorkflowActionPath =
  | 'applied' | 'invalid_request' | 'unknown_exception' | 'not_found' | 'not_paused' | 'unknown_action' | 'row_failed';

export interface WorkflowActionResult {
  reply: WorkflowActionReply;
  path: WorkflowActionPath;
  action: string | null;
  /** workflow_instance_ids written, in the order written. */
  written: string[];
  /** STOP_PROCESSING rows whose WorkflowCompletedEvent MOSIP would publish. */
  completedEvents: number;
}

export interface WorkflowActionDeps {
  pool: pg.Pool;
  schema: string;
  /** mosip.regproc.workflow-manager.action.resumefrombeginning.stage. */
  resumeFromBeginningStage?: string;
  now?: () => Date;
  /** The workflow manager pod's clock offset from the database's, ms (+ ahead, - behind): its writes' timestamps carry it. Default 0. */
  clockOffsetMs?: number;
}

/** Thrown inside processURL's try: becomes the reply's one error. */
class ActionError extends Error {
  constructor(readonly errorCode: string, message: string, readonly path: WorkflowActionPath) {
    super(message);
  }
}

const UNKNOWN = WORKFLOW_ACTION_CODES['RPR-WAA-002'];

export async function processWorkflowAction(deps: WorkflowActionDeps, rawBody: string): Promise<WorkflowActionResult> {
  const now = deps.now ?? (() => new Date());
  const written: string[] = [];
  let action: string | null = null;
  let completedEvents = 0;
  const done = (path: WorkflowActionPath, reply: WorkflowActionReply): WorkflowActionResult =>
    ({ reply, path, action, written, completedEvents });
  try {
    const dto = readDto(rawBody);
    action = dto.workflowAction;
    validate(dto);
    const ids = dto.workflowIds;
    // getByIdsAndTimestamp(null), or the `IN ()` Hibernate renders for an empty list, fails: RPR-WAA-002
    // (code reading, unverified for the empty list).
    if (ids === null || ids.length === 0) throw new ActionError(UNKNOWN.code, UNKNOWN.message, 'unknown_exception');
    let rows: ActionRegistration[];
    try {
      rows = await findActiveRegistrationsByRegIds(deps.pool, deps.schema, ids);
    } catch {
      // TablenotAccessibleException is not a WorkflowActionException: the API's generic catch.
      throw new ActionError(UNKNOWN.code, UNKNOWN.message, 'unknown_exception');
    }
    if (rows.length === ids.length) {
      for (const row of rows) {
        if (row.statusCode.toUpperCase() !== STATUS.PAUSED) {
          throw new ActionError('RPR-WAA-004', notPausedMessage(row.regId), 'not_paused');
        }
      }
    } else {
      // checkWorkflowIdPresent; when every RID is present, no PAUSED check at all (MOSIP's behaviour).
      for (const id of ids) {
        if (!rows.some((row) => row.regId.toLowerCase() === id.toLowerCase())) {
          throw new ActionError('RPR-WAA-003', notFoundMessage(id), 'not_found');
        }
      }
    }
    // WorkflowActionCode.valueOf: null is an NPE (generic catch), an unknown name RPR-WAS-000.
    if (action === null) throw new ActionError(UNKNOWN.code, UNKNOWN.message, 'unknown_exception');
    if (!isWorkflowAction(action)) {
      const c = WORKFLOW_ACTION_CODES['RPR-WAS-000'];
      throw new ActionError(c.code, c.message, 'unknown_action');
    }
    for (const row of rows) {
      try {
        await applyToRow(deps, row, action);
      } catch {
        // updateRegistrationStatus turns a database failure into TablenotAccessibleException, whose code
        // carries a trailing space; logAndThrowError passes it on.
        throw new ActionError('RPR-RGS-001 ', 'Unable to Access Registration Table', 'row_failed');
      }
      written.push(row.workflowInstanceId);
      if (action === 'STOP_PROCESSING') completedEvents += 1;
    }
    return done('applied', envelope(now(), workflowActionSuccessMessage(ids), null));
  } catch (error) {
    if (error instanceof ActionError) {
      return done(error.path, envelope(now(), null, { errorCode: error.errorCode, message: error.message }));
    }
    return done('unknown_exception', envelope(now(), null, { errorCode: UNKNOWN.code, message: UNKNOWN.message }));
  }
}

interface ActionDto {
  id: string | null;
  version: string | null;
  requesttime: string | null;
  workflowIds: string[] | null;
  workflowAction: string | null;
}

/** getBodyAsJson + Jackson readValueWithUnknownProperties: any failure, or no `request`, is RPR-WAA-002. */
function readDto(raw: string): ActionDto {
  const fail = () => new ActionError(UNKNOWN.code, UNKNOWN.message, 'unknown_exception');
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw fail();
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw fail();
  const o = parsed as Record<string, unknown>;
  const str = (v: unknown): string | null => {
    if (v === null || v === undefined) return null;
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v); // Jackson coerces scalars to String
    throw fail();
  };
  const request = o.request;
  if (request === null || request === undefined) throw fail(); // getRequest().getWorkflowIds(): NPE
  if (typeof request !== 'object' || Array.isArray(request)) throw fail();
  const r = request as Record<string, unknown>;
  let workflowIds: string[] | null = null;
  if (r.workflowIds !== null && r.workflowIds !== undefined) {
    if (!Array.isArray(r.workflowIds)) throw fail();
    workflowIds = r.workflowIds.map((v) => {
      const s = str(v);
      if (s === null) throw fail(); // a null element: the IN list cannot bind it
      return s;
    });
  }
  return { id: str(o.id), version: str(o.version), requesttime: str(o.requesttime), workflowIds, workflowAction: str(r.workflowAction) };
}

/** WorkflowActionRequestValidator: id, then version, then requesttime. */
function validate(dto: ActionDto): void {
  const missing = (field: 'id' | 'version' | 'requesttime') =>
    new ActionError('RPR-WAA-000', missingValueMessage(field), 'invalid_request');
  const invalid = (field: 'id' | 'version' | 'requesttime') =>
    new ActionError('RPR-WAA-001', invalidValueMessage(field), 'invalid_request');
  if (dto.id === null) throw missing('id');
  if (dto.id.toLowerCase() !== WORKFLOW_ACTION_REQUEST_ID.toLowerCase()) throw invalid('id');
  if (dto.version === null) throw missing('version');
  if (dto.version.toLowerCase() !== WORKFLOW_ACTION_VERSION.toLowerCase()) throw invalid('version');
  if (dto.requesttime === null) throw missing('requesttime');
  if (!isMosipDateTime(dto.requesttime)) throw invalid('requesttime');
}

/** DateUtils.parseToLocalDateTime: exactly yyyy-MM-dd'T'HH:mm:ss.SSS'Z', a real calendar date. */
function isMosipDateTime(text: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{3})Z$/.exec(text);
  if (!m) return false;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d
    && date.getUTCHours() === h && date.getUTCMinutes() === mi && date.getUTCSeconds() === s;
}

/** WorkflowActionService: processResumeProcessing, processResumeFromBeginning or processStopProcessing for one row. */
async function applyToRow(deps: WorkflowActionDeps, row: ActionRegistration, action: WorkflowAction): Promise<void> {
  let statusCode = ACTION_STATUS_CODE[action];
  let latestTrnStatusCode = row.latestTrnStatusCode;
  let regStageName = row.regStageName;
  if (action !== 'STOP_PROCESSING' && row.latestTrnStatusCode === TRN_STATUS.REPROCESS_FAILED) {
    statusCode = STATUS.REPROCESS_FAILED;
  } else if (action === 'RESUME_FROM_BEGINNING') {
    latestTrnStatusCode = TRN_STATUS.REPROCESS;
    regStageName = deps.resumeFromBeginningStage ?? RESUME_FROM_BEGINNING_STAGE;
  }
  const transactionId = randomUUID();
  const comment = workflowActionStatusComment(action);
  // One transaction: the transaction row and the registration row are written together, or neither is.
  await inTransaction(deps.pool, async (client) => {
    await insertStatusTransaction(client, deps.schema, {
      id: transactionId, regId: row.regId, parentRegtrnId: row.latestTrnId, trnTypeCode: WORKFLOW_RESUME_TRN_TYPE_CODE,
      statusCode: latestTrnStatusCode, subStatusCode: WORKFLOW_ACTION_SUB_STATUS_CODE, statusComment: comment,
      refId: row.regId, clockOffsetMs: deps.clockOffsetMs ?? 0,
    });
    await rewriteLatestTransaction(client, deps.schema, {
      workflowInstanceId: row.workflowInstanceId, statusCode, updBy: 'MOSIP_SYSTEM', latestTrnId: transactionId,
      latestTrnTypeCode: WORKFLOW_RESUME_TRN_TYPE_CODE, latestTrnStatusCode, regStageName, statusComment: comment,
      clearPause: true, clockOffsetMs: deps.clockOffsetMs ?? 0,
    });
  }, { commitIf: () => true });
}

/** WorkflowActionResponseDTO: id and version from configuration, not from the request. */
function envelope(at: Date, statusMessage: string | null, error: { errorCode: string; message: string } | null): WorkflowActionReply {
  return {
    id: WORKFLOW_ACTION_REQUEST_ID,
    version: WORKFLOW_ACTION_VERSION,
    responsetime: at.toISOString(),
    response: statusMessage === null ? null : { statusMessage },
    errors: error === null ? null : [error],
  };
}
