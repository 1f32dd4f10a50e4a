// MOSIP's workflow action API, the way MOSIP itself moves paused packets: route, request and reply envelopes,
// the RPR-WAA/RPR-WAS codes, and a classifier of a reply into one outcome per RID. The product's `action`
// command sends with it and the simulator answers with it (docs/mosip-facts.md, "Pauses and the workflow action
// API").
//
// Facts, read from mosip/registration tag v1.2.0.1 (R = registration-processor/, W = R/workflow-engine/
// registration-processor-workflow-manager-service/src/main/java/io/mosip/registration/processor/workflowmanager,
// C = mosip-config v1.2.0.1 registration-processor-default.properties):
//
// Route and server
// - `POST <server.servlet.path>/workflowaction`, servlet path /registrationprocessor/v1/workflowmanager, port
//   mosip.regproc.workflow-manager.workflowaction.server.port=8023 (W/verticle/WorkflowActionApi.java routes();
//   W/../../../../resources/bootstrap.properties). A Vert.x server of its own: in a cluster the workflow manager is
//   not the securezone host (regproc-workflow.regproc).
// - Auth: MosipRouter.handler puts the auth adapter's filter first, with the roles of TokenValidator.getRole(url):
//   a URL containing "workflowaction" needs REGISTRATION_PROCESSOR or GLOBAL_ADMIN
//   (R/registration-processor-core/.../core/constant/APIAuthorityList.java WORKFLOWACTION,
//   .../core/token/validation/TokenValidator.java). Token in the Cookie header, 401/403 envelopes as on the
//   securezone route (docs/mosip-facts.md, "401 and 403 envelopes"); those envelopes echo this request's id and
//   version.
//
// Request (R/registration-processor-core/.../core/workflow/dto/WorkflowActionDTO.java, WorkflowActionRequestDTO.java)
// - {id, version, requesttime, request:{workflowIds:[...], workflowAction}}; read with unknown properties allowed.
// - workflowIds are RIDs: rows are found with RegistrationRepositary.findByRegIdsOrderbyCreatedDateTime,
//   `reg_id IN :regIds AND is_deleted=false AND is_active=true ORDER BY cr_dtimes` (exact match in SQL).
// - W/validator/WorkflowActionRequestValidator.java checks, in this order: id (C l.371
//   mosip.regproc.workflow-manager.action.api-id, compared ignoring case), version (C l.372, "1.0"), requesttime
//   (present and parseable as yyyy-MM-dd'T'HH:mm:ss.SSS'Z', kernel DateUtils.parseToLocalDateTime). Missing gives
//   RPR-WAA-000, wrong gives RPR-WAA-001. workflowAction is not validated here.
//
// What WorkflowActionApi.processURL does (code reading)
// 1. Loads the active rows of all RIDs at once.
// 2. If the number of rows equals the number of RIDs sent: for each row in cr_dtimes order, a status_code other than
//    PAUSED (ignoring case) stops the whole request with RPR-WAA-004 naming that row's RID. Nothing has been written
//    yet, so no RID of the request moved; only the first offending RID (by creation time) is named.
//    If the counts differ: each RID sent (in request order) must have a row (compared ignoring case), else
//    RPR-WAA-003 naming the first missing one, again before any write. **In this branch the PAUSED check is
//    skipped altogether**: a request with a RID twice, or with a RID that has two active rows, applies the action
//    to every row found whatever its status. Send each RID once (workflowActionRequest enforces it).
// 3. WorkflowActionService.processWorkflowAction(rows, action) (W/service/WorkflowActionService.java):
//    WorkflowActionCode.valueOf(action): an unknown name gives RPR-WAS-000 before any write; a null action is an
//    NPE caught as RPR-WAA-002. Then, row by row in cr_dtimes order, with no transaction around the loop
//    (RegistrationStatusServiceImpl has no @Transactional): each row is written and committed on its own, and the
//    first failure throws, so the rows before it have moved and it and the ones after have not. The reply then
//    carries that one error (RPR-WAS-003, or the code of the exception: "RPR-RGS-001 " with a trailing space for
//    a database failure, packet-manager codes for the tag update).
// 4. Per row (updateRegistrationStatus -> updateRegistrationStatusForWorkflowEngine, updateStatusCode=true):
//    - RESUME_PROCESSING: status_code RESUMABLE; RESUME_FROM_BEGINNING: status_code RESUMABLE,
//      latest_trn_status_code REPROCESS, reg_stage_name = mosip.regproc.workflow-manager.action.resumefrombeginning.stage
//      (C l.375: PacketUploaderStage); STOP_PROCESSING: status_code REJECTED plus a WebSub
//      WorkflowCompletedEvent (resultCode REJECTED, errorCode PACKET_REJECTED).
//    - RESUME_* on a row whose latest_trn_status_code is REPROCESS_FAILED: status_code REPROCESS_FAILED instead
//      (RPR-WAS-004 is only the audit text; the reply still says success).
//    - all: status_comment "Processed the workflow action - <ACTION>", latest_trn_type_code WORKFLOW_RESUME,
//      sub-status RPR-WAS-001, upd_by MOSIP_SYSTEM, resume_timestamp, default_resume_action and pause_rule_ids set
//      to NULL; a registration_transaction row (trn_type WORKFLOW_RESUME, status = latest_trn_status_code,
//      parent = previous latest_trn_id) and latest_trn_id/latest_trn_dtimes/upd_dtimes rewritten; last_success_stage_name
//      moves only when the latest status is SUCCESS or PROCESSED. Retry counts are untouched.
//    - RESUME_*: the row's pause_rule_ids (comma-separated, split on ",") are added to the packet's
//      PAUSE_IMMUNITY_RULE_IDS tag in the packet manager, so the same rules do not pause it again.
// 5. Success: HTTP 200 with statusMessage "Process the workflowIds '<Java List.toString of the RIDs sent>' successfully".
//    Every reply of processURL (success or error) is HTTP 200, content-type text/plain, the envelope pretty-printed
//    by Vert.x Json.encodePrettily (MosipVerticleAPIManager.setResponse): {id, version, responsetime,
//    response:{statusMessage}|null, errors:[{errorCode, message}]|null}, id and version from C l.371-372.
//    An exception outside processURL's try (none is expected) would reach the failure handler: 200 text/plain
//    with the exception message JSON-encoded, not an envelope.
// 6. RESUMABLE rows move only when MOSIP's reprocessor runs (docs/mosip-facts.md, "Selection"): its cron tick
//    takes RESUMABLE rows first. With the reprocessor stopped, resumed packets sit.
// - WorkflowActionJob (same service) applies default_resume_action to PAUSED and PAUSED_FOR_ADDITIONAL_INFO rows
//   whose resume_timestamp has passed, up to fetchsize 100 rows a run (C l.377). Its Chime cron (C l.385-397, read
//   with no default in the code: WorkflowActionJob.java l.130-139) has seconds "*" and minutes 0,5,...,55: it fires
//   every second of minutes :00, :05, ..., :55 (up to 60 runs in each) and not at all in the four minutes between,
//   not once every 5 minutes as a seconds value of 0 would (the reprocessor's cron has seconds 0, C l.297).
// - Pause rules (C l.523 mosip.regproc.camelbridge.pause-settings): "PAUSE" (pauseFor 180 s, default
//   RESUME_PROCESSING) and HOTLISTED_OPERATOR (432000 s, default STOP_PROCESSING). pause_rule_ids holds the
//   matched rule ids joined with ",".

import { mosipTime } from './wire.js';
import { STATUS, TRN_TYPE } from './enums.js';

export const WORKFLOW_MANAGER_SERVLET_PATH = '/registrationprocessor/v1/workflowmanager';
export const WORKFLOW_ACTION_PATH = `${WORKFLOW_MANAGER_SERVLET_PATH}/workflowaction`;
/** The in-cluster port of the workflow action server (bootstrap.properties). */
export const WORKFLOW_ACTION_PORT = 8023;

/** Either role lets a token call the workflow action API (APIAuthorityList.WORKFLOWACTION). */
export const WORKFLOW_ACTION_ROLES = ['REGISTRATION_PROCESSOR', 'GLOBAL_ADMIN'] as const;

export const WORKFLOW_ACTION_REQUEST_ID = 'mosip.registration.processor.workflow.action';
export const WORKFLOW_ACTION_VERSION = '1.0';

/** The actions of 1.2.0.1 (core/code/WorkflowActionCode.java). The *_AND_REMOVE_HOTLISTED_TAG ones are gone. */
export const WORKFLOW_ACTIONS = ['RESUME_PROCESSING', 'RESUME_FROM_BEGINNING', 'STOP_PROCESSING'] as const;
export type WorkflowAction = (typeof WORKFLOW_ACTIONS)[number];

export function isWorkflowAction(value: string): value is WorkflowAction {
  return (WORKFLOW_ACTIONS as readonly string[]).includes(value);
}

/** mosip.regproc.workflow-manager.action.resumefrombeginning.stage (C l.375). */
export const RESUME_FROM_BEGINNING_STAGE = 'PacketUploaderStage';

/** The default pause rules (C l.523) and what the WorkflowActionJob does when their time runs out. */
export const PAUSE_RULES = {
  PAUSE: { pauseForSeconds: 180, defaultResumeAction: 'RESUME_PROCESSING' },
  HOTLISTED_OPERATOR: { pauseForSeconds: 432000, defaultResumeAction: 'STOP_PROCESSING' },
} as const satisfies Record<string, { pauseForSeconds: number; defaultResumeAction: WorkflowAction }>;

/** registration.pause_rule_ids as MOSIP reads it (split on ","), blanks dropped. */
export function pauseRuleIdsOf(value: string | null | undefined): string[] {
  if (!value) return [];
  return value.split(',').map((id) => id.trim()).filter((id) => id !== '');
}

/** The status_code values the reprocessor leaves alone and the workflow action API is about. */
export const PAUSED_STATUS_CODES = [STATUS.PAUSED, STATUS.PAUSED_FOR_ADDITIONAL_INFO, STATUS.RESUMABLE] as const;

/** What a successful action writes (WorkflowActionService.updateRegistrationStatus). */
export const WORKFLOW_RESUME_TRN_TYPE_CODE = TRN_TYPE.WORKFLOW_RESUME;
/** StatusUtil.WORKFLOW_ACTION_SERVICE_SUCCESS. */
export const WORKFLOW_ACTION_SUB_STATUS_CODE = 'RPR-WAS-001';
export const workflowActionStatusComment = (action: string) => `Processed the workflow action - ${action}`;
/** The status_code each action leaves (REPROCESS_FAILED instead for RESUME_* on a REPROCESS_FAILED row). */
export const ACTION_STATUS_CODE: Record<WorkflowAction, string> = {
  RESUME_PROCESSING: STATUS.RESUMABLE,
  RESUME_FROM_BEGINNING: STATUS.RESUMABLE,
  STOP_PROCESSING: STATUS.REJECTED,
};

export interface WorkflowActionRequest {
  id: string;
  version: string;
  requesttime: string;
  request: { workflowIds: string[]; workflowAction: WorkflowAction };
}

/**
 * The request body. Throws on an empty list or a RID given twice: MOSIP answers the first with an exception, and
 * a duplicate makes it skip its PAUSED check for the whole request (see above).
 */
export function workflowActionRequest(rids: readonly string[], action: WorkflowAction, at: Date = new Date()): WorkflowActionRequest {
  if (rids.length === 0) throw new Error('a workflow action request needs at least one RID');
  const seen = new Set<string>();
  for (const rid of rids) {
    const key = rid.toLowerCase();
    if (seen.has(key)) throw new Error(`RID ${rid} is twice in one workflow action request`);
    seen.add(key);
  }
  return {
    id: WORKFLOW_ACTION_REQUEST_ID,
    version: WORKFLOW_ACTION_VERSION,
    requesttime: mosipTime(at), // yyyy-MM-ddTHH:mm:ss.SSSZ, the only format the validator takes
    request: { workflowIds: [...rids], workflowAction: action },
  };
}

export interface WorkflowActionError {
  errorCode: string;
  message: string;
}

/** WorkflowActionResponseDTO: Jackson writes every field, nulls included. */
export interface WorkflowActionReply {
  id: string | null;
  version: string | null;
  responsetime: string | null;
  response: { statusMessage: string | null } | null;
  errors: WorkflowActionError[] | null;
}

/** The success text: Java's List.toString of the workflowIds sent. */
export function workflowActionSuccessMessage(rids: readonly string[]): string {
  return `Process the workflowIds '[${rids.join(', ')}]' successfully`;
}

/** What an error code says happened to the RIDs of the request. */
export type CodeScope =
  /** the request was refused before any row was read or written */
  | 'request'
  /** the request was refused before any write, because of the RID the message names */
  | 'named_rid'
  /** a failure that can come after some rows were written */
  | 'partial';

export interface WorkflowActionCode {
  code: string;
  /** The message template (%s as in PlatformErrorMessages). */
  message: string;
  meaning: string;
  scope: CodeScope;
}

/**
 * Every RPR-WAA code (PlatformErrorMessages, prefix PlatformConstants.RPR_WORKFLOW_ACTION_API "RPR-WAA-") and the
 * RPR-WAS codes (prefix RPR_WORKFLOW_ACTION_SERVICE "RPR-WAS-") that can reach a reply, in
 * R/registration-processor-core/.../core/exception/util/PlatformErrorMessages.java.
 */
export const WORKFLOW_ACTION_CODES = {
  'RPR-WAA-000': {
    code: 'RPR-WAA-000', message: 'Missing Request Value - %s', scope: 'request',
    meaning: 'id, version or requesttime missing from the request (the %s names which); nothing was written',
  },
  'RPR-WAA-001': {
    code: 'RPR-WAA-001', message: 'Invalid Request Value - %s', scope: 'request',
    meaning: 'id or version not the configured value, or requesttime not yyyy-MM-ddTHH:mm:ss.SSSZ; nothing was written',
  },
  'RPR-WAA-002': {
    code: 'RPR-WAA-002', message: 'Unknown Exception', scope: 'partial',
    meaning: 'an exception outside the service: unreadable body, no request object, a null action or RID list, the '
      + 'table unreachable on the first read; normally before any write, but an unexpected exception after a '
      + 'write (e.g. from auditing) also ends here, so the rows must be checked',
  },
  'RPR-WAA-003': {
    code: 'RPR-WAA-003', message: 'Workflow id  %s  not found in registration table', scope: 'named_rid',
    meaning: 'the named RID has no active, not deleted row; nothing in the request was written',
  },
  'RPR-WAA-004': {
    code: 'RPR-WAA-004', message: 'Workflow id  %s is not PAUSED', scope: 'named_rid',
    meaning: 'the named RID\'s active row is not PAUSED (PAUSED_FOR_ADDITIONAL_INFO and RESUMABLE included); nothing '
      + 'in the request was written; only the first such RID by creation time is named',
  },
  /** Defined, and the audit text of a successful validation; never the errorCode of a reply. */
  'RPR-WAA-005': {
    code: 'RPR-WAA-005', message: 'Workflow id validated successfully', scope: 'request',
    meaning: 'audit text only, never in a reply',
  },
  'RPR-WAS-000': {
    code: 'RPR-WAS-000', message: 'Workflow Action not supported', scope: 'request',
    meaning: 'the workflowAction is not one of RESUME_PROCESSING, RESUME_FROM_BEGINNING, STOP_PROCESSING; checked '
      + 'after the rows were validated and before any write',
  },
  'RPR-WAS-001': {
    code: 'RPR-WAS-001', message: 'Removing hotlisted tag failed', scope: 'partial',
    meaning: 'defined for the removed *_AND_REMOVE_HOTLISTED_TAG actions; not thrown by 1.2.0.1',
  },
  'RPR-WAS-003': {
    code: 'RPR-WAS-003', message: 'Unknown Exception', scope: 'partial',
    meaning: 'a row failed part-way through the request: the rows before it (by creation time) were moved, it and '
      + 'the rows after it were not',
  },
  'RPR-WAS-004': {
    code: 'RPR-WAS-004', message: 'When REPROCESS_FAILED then Resume should not occur', scope: 'partial',
    meaning: 'audit text only: a RESUME_* on a row whose latest_trn_status_code is REPROCESS_FAILED sets its '
      + 'status_code to REPROCESS_FAILED and the reply still says success',
  },
} as const satisfies Record<string, WorkflowActionCode>;

export type KnownWorkflowActionCode = keyof typeof WORKFLOW_ACTION_CODES;

export const notFoundMessage = (rid: string) => `Workflow id  ${rid}  not found in registration table`;
export const notPausedMessage = (rid: string) => `Workflow id  ${rid} is not PAUSED`;
export const missingValueMessage = (field: 'id' | 'version' | 'requesttime') => `Missing Request Value - ${field}`;
export const invalidValueMessage = (field: 'id' | 'version' | 'requesttime') => `Invalid Request Value - ${field}`;

/** What one workflow action request came to for one RID. */
export type WorkflowActionOutcome =
  /**
   * the reply says processed: the row now has ACTION_STATUS_CODE (REPROCESS_FAILED if its latest status was).
   * MOSIP's count check can be fooled (a RID with two active rows balances a RID with none: both "succeed", the
   * missing one silently; a RID with two active rows alone skips the PAUSED check), so send only RIDs with exactly
   * one active row, that row PAUSED, and confirm on the rows.
   */
  | 'applied'
  /** RPR-WAA-004 names this RID: not PAUSED; nothing of the request was written */
  | 'not_paused'
  /** RPR-WAA-003 names this RID: no active row; nothing of the request was written */
  | 'not_found'
  /** another RID of the request was refused (RPR-WAA-003/004): nothing written for this one; send it again */
  | 'held_back'
  /** the request itself was refused (RPR-WAA-000/001, RPR-WAS-000): nothing written; a client or config error */
  | 'invalid_request'
  /** a failure that may have come part-way, or a reply that is not understood: read the row to know */
  | 'in_doubt'
  /** 401: token missing, expired or invalid; nothing written */
  | 'unauthorized'
  /** 403: the token has neither REGISTRATION_PROCESSOR nor GLOBAL_ADMIN; nothing written */
  | 'forbidden'
  /** a 5xx or another status from whatever is in front of the service: nothing known */
  | 'server_error'
  /** no HTTP reply at all (the classifier never returns it; for the sender's use) */
  | 'network_error';

export const WORKFLOW_ACTION_OUTCOMES: readonly WorkflowActionOutcome[] = [
  'applied', 'not_paused', 'not_found', 'held_back', 'invalid_request', 'in_doubt', 'unauthorized', 'forbidden',
  'server_error', 'network_error',
];

export interface ClassifiedWorkflowActionReply {
  /** One outcome per RID sent, in the order sent. */
  outcomes: Map<string, WorkflowActionOutcome>;
  /** The reply's first error (errorCode trimmed: MOSIP's database failure code ends in a space). */
  error: WorkflowActionError | null;
  /** The parsed envelope, or null when the body was not one. */
  reply: WorkflowActionReply | null;
}

/** Parses the body as the envelope; null if it is not a JSON object with at least `response` or `errors`. */
export function parseWorkflowActionReply(body: string): WorkflowActionReply | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return null;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return null;
  const o = parsed as Record<string, unknown>;
  if (!('response' in o) && !('errors' in o)) return null;
  const text = (v: unknown) => (typeof v === 'string' ? v : null);
  const response = o.response !== null && typeof o.response === 'object' && !Array.isArray(o.response)
    ? { statusMessage: text((o.response as Record<string, unknown>).statusMessage) }
    : null;
  const errors = Array.isArray(o.errors)
    ? o.errors.filter((e): e is Record<string, unknown> => e !== null && typeof e === 'object')
      .map((e) => ({ errorCode: text(e.errorCode)?.trim() ?? '', message: text(e.message) ?? '' }))
    : null;
  return { id: text(o.id), version: text(o.version), responsetime: text(o.responsetime), response, errors };
}

/** The RID a RPR-WAA-003/004 message names, or null if the text is not MOSIP's. */
export function ridNamedBy(error: WorkflowActionError): string | null {
  const pattern = error.errorCode === 'RPR-WAA-003' ? /^Workflow id\s+(\S+)\s+not found in registration table$/
    : error.errorCode === 'RPR-WAA-004' ? /^Workflow id\s+(\S+)\s+is not PAUSED$/ : null;
  return pattern?.exec(error.message.trim())?.[1] ?? null;
}

/**
 * One outcome per RID sent, from the HTTP status and body of the reply. A success is 'applied' for every RID
 * only when its text is MOSIP's for exactly these RIDs; any reply not understood is 'in_doubt', never 'applied'.
 */
export function classifyWorkflowActionReply(status: number, body: string, rids: readonly string[]): ClassifiedWorkflowActionReply {
  const all = (outcome: WorkflowActionOutcome) => new Map(rids.map((rid) => [rid, outcome] as const));
  if (status === 401) return { outcomes: all('unauthorized'), error: null, reply: null };
  if (status === 403) return { outcomes: all('forbidden'), error: null, reply: null };
  if (status !== 200) return { outcomes: all('server_error'), error: null, reply: null };

  const reply = parseWorkflowActionReply(body);
  if (reply === null) return { outcomes: all('in_doubt'), error: null, reply: null };
  const error = reply.errors?.[0] ?? null;
  if (error === null) {
    const message = reply.response?.statusMessage ?? null;
    const understood = message !== null && message === workflowActionSuccessMessage(rids);
    return { outcomes: all(understood ? 'applied' : 'in_doubt'), error: null, reply };
  }

  const known = (WORKFLOW_ACTION_CODES as Record<string, WorkflowActionCode>)[error.errorCode];
  if (known?.scope === 'request' && error.errorCode !== 'RPR-WAA-005') {
    return { outcomes: all('invalid_request'), error, reply };
  }
  if (known?.scope === 'named_rid') {
    const named = ridNamedBy(error);
    const match = named === null ? undefined : rids.find((rid) => rid.toLowerCase() === named.toLowerCase());
    // Refused before any write: even a message we cannot tie to a RID means nothing moved.
    const outcomes = all('held_back');
    if (match !== undefined) outcomes.set(match, error.errorCode === 'RPR-WAA-003' ? 'not_found' : 'not_paused');
    return { outcomes, error, reply };
  }
  return { outcomes: all('in_doubt'), error, reply };
}
