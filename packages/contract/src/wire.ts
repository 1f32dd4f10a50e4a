// MOSIP's wire format, in one place: paths, request bodies, reply texts, error envelopes and how a reply is
// classified. The client sends with it and the simulator answers with it, so the two cannot drift apart.
// Source: docs/mosip-facts.md, "Securezone notification endpoint" and "Authentication" (MOSIP 1.2.0.1).

export const AUTH_PATH = '/v1/authmanager/authenticate/clientidsecretkey';
export const NOTIFICATION_PATH = '/registrationprocessor/v1/securezone/notification';
export const SECUREZONE_SERVLET_PATH = '/registrationprocessor/v1/securezone';

/** The role a token must carry to call the securezone endpoint (APIAuthorityList.SECUREZONENOTIFICATION). */
export const REQUIRED_ROLE = 'REGISTRATION_PROCESSOR';

export const AUTH_REQUEST_ID = 'mosip.io.clientId.pwd';
export const AUTH_REQUEST_VERSION = '1.0';

export interface AuthRequestBody {
  id: string;
  version: string;
  requesttime: string;
  metadata: Record<string, never>;
  request: { clientId: string; secretKey: string; appId: string };
}

/** MOSIP's `yyyy-MM-ddTHH:mm:ss.SSSZ` UTC time. */
export function mosipTime(at: Date = new Date()): string {
  return at.toISOString();
}

export function authRequestBody(clientId: string, secretKey: string, appId: string, at: Date = new Date()): AuthRequestBody {
  return {
    id: AUTH_REQUEST_ID,
    version: AUTH_REQUEST_VERSION,
    requesttime: mosipTime(at),
    metadata: {},
    request: { clientId, secretKey, appId },
  };
}

/** The notification body. iteration must be present (the stage NPEs without it); source only when known. */
export interface NotificationBody {
  rid: string;
  reg_type: string;
  workflowInstanceId: string;
  iteration: number;
  isValid: boolean;
  internalError: boolean;
  source?: string;
}

export function notificationBody(p: {
  rid: string; process: string; workflowInstanceId: string; iteration: number; source: string | null;
}): NotificationBody {
  const body: NotificationBody = {
    rid: p.rid,
    reg_type: p.process,
    workflowInstanceId: p.workflowInstanceId,
    iteration: p.iteration,
    isValid: true,
    internalError: false,
  };
  if (p.source) body.source = p.source;
  return body;
}

/** The Cookie header the securezone stage reads: `Authorization=<jwt>` must come first. */
export function authCookie(token: string): string {
  return `Authorization=${token}`;
}

/** Extracts the token from a Set-Cookie header value (or several), as the official scripts' read_token does. */
export function tokenFromSetCookie(setCookie: string | string[] | undefined): string | null {
  const values = setCookie === undefined ? [] : Array.isArray(setCookie) ? setCookie : [setCookie];
  for (const value of values) {
    const first = value.split(';')[0] ?? '';
    const eq = first.indexOf('=');
    if (eq > 0 && first.slice(0, eq).trim() === 'Authorization') {
      const token = first.slice(eq + 1).trim();
      if (token) return token;
    }
  }
  return null;
}

/** The token the securezone adapter takes from a Cookie header: strip `Authorization=`, keep up to the first `;`. */
export function tokenFromCookieHeader(cookie: string | undefined): string {
  if (!cookie) return '';
  return (cookie.replace('Authorization=', '').split(';')[0] ?? '').trim();
}

// Reply texts of the notification endpoint. HTTP 200, text/plain, the message JSON-encoded (quotes included).
export const forwardedMessage = (rid: string) => `Packet with registrationId '${rid}' has been forwarded to next stage`;
export const notUploadedMessage = (rid: string) => `Packet with registrationId '${rid}' has not been uploaded to file System`;
/** The body of an unhandled NPE on Java 11: a message-less exception, JSON-encoded. */
export const NULL_REPLY = 'null';

export function encodeReply(message: string | null): string {
  return JSON.stringify(message);
}

export interface ErrorEnvelope {
  id: string;
  version: string;
  responsetime: string;
  metadata: null;
  response: null;
  errors: { errorCode: string; message: string }[];
}

export function errorEnvelope(errorCode: string, message: string, at: Date = new Date()): ErrorEnvelope {
  return { id: '', version: '', responsetime: mosipTime(at), metadata: null, response: null, errors: [{ errorCode, message }] };
}

export const AUTH_FAILED = { errorCode: 'KER-ATH-401', message: 'Authentication Failed' } as const;
export const FORBIDDEN = { errorCode: 'KER-ATH-403', message: 'Forbidden' } as const;

/** What one notification attempt came to. */
export type NotifyOutcome =
  | 'forwarded'      // success: the stage updated the row and (if routing is on) sent it on
  | 'not_uploaded'   // duplicate packet or RID mismatch: the stage refused it
  | 'not_found'      // body `null`: no active row with this workflow id (DB untouched)
  | 'stage_error'    // any other 200 text: an exception inside the stage
  | 'unauthorized'   // 401: token missing, expired or invalid
  | 'forbidden'      // 403: the client lacks the REGISTRATION_PROCESSOR role
  | 'server_error'   // 5xx or an unexpected status
  | 'network_error'  // no HTTP reply (refused, reset, timeout)
  // Not a reply: the tool's verdict when a reply was lost and the database could not say whether the stage
  // handled the packet (no database configured, or the query failed). Never classifyReply's answer.
  | 'in_doubt';

export const OUTCOMES: readonly NotifyOutcome[] = [
  'forwarded', 'not_uploaded', 'not_found', 'stage_error', 'unauthorized', 'forbidden', 'server_error', 'network_error', 'in_doubt',
];

/** Decodes the 200 body: a JSON string literal, or `null`. Anything else is returned as raw text. */
export function decodeReply(body: string): string | null {
  const trimmed = body.trim();
  try {
    const parsed: unknown = JSON.parse(trimmed);
    if (parsed === null || typeof parsed === 'string') return parsed;
  } catch {
    // not JSON: fall through to the raw text
  }
  return trimmed;
}

/** Classifies a notification reply by status and text, as MOSIP gives no machine-readable code. */
export function classifyReply(status: number, body: string, rid: string): NotifyOutcome {
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status !== 200) return 'server_error';
  const message = decodeReply(body);
  if (message === null) return 'not_found';
  // The success text names the row's rid (the same rid, compared case-insensitively by the stage).
  if (message.toLowerCase() === forwardedMessage(rid).toLowerCase()) return 'forwarded';
  if (/^Packet with registrationId '.*' has been forwarded to next stage$/.test(message)) return 'forwarded';
  if (/^Packet with registrationId '.*' has not been uploaded to file System$/.test(message)) return 'not_uploaded';
  return 'stage_error';
}

/** The authmanager's success response (docs/mosip-facts.md, "Client token"); the token itself is only in the headers. */
export const AUTH_SUCCESS_STATUS = 'Success';
export const AUTH_SUCCESS_MESSAGE = 'Clientid and Token combination had been validated successfully';

/**
 * A stage error whose text says the stage could not reach its own database (Hibernate's connection failure,
 * MOSIP's RPR-RGS-001 "Unable to Access Registration Table"): the registration row was not written and nothing
 * was forwarded, and it is worth retrying like a 5xx. (On RPR-RGS-001 the stage's registration_transaction row may
 * already be committed: MOSIP saves it first, in a commit of its own; a retry adds another.) Other stage errors are
 * deterministic and are not retried.
 */
export function isTransientStageError(reply: string): boolean {
  return /JDBCConnectionException|Unable to acquire JDBC Connection|Unable to Access Registration Table|TablenotAccessibleException/i.test(reply);
}
