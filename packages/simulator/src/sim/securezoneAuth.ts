// The auth filter MosipRouter puts before the securezone handler and the workflow action handler
// (kernel-auth-adapter VertxTokenValidationHelper, offline validation; docs/mosip-facts.md,
// "Authentication"). The roles come from TokenValidator.getRole(url): REGISTRATION_PROCESSOR for securezone,
// REGISTRATION_PROCESSOR or GLOBAL_ADMIN for workflowaction.
import { AUTH_FAILED, errorEnvelope, FORBIDDEN, REQUIRED_ROLE, tokenFromCookieHeader, type ErrorEnvelope } from '@mosip-reprocess/contract/wire.js';
import { asText } from './javaJson.js';
import type { TokenAuthority, TokenClaims } from './tokens.js';

export type AdapterResult =
  | { kind: 'authenticated'; token: string }
  /** sendErrors: the HTTP status with a MOSIP envelope (application/json). */
  | { kind: 'rejected'; status: 401 | 403; envelope: ErrorEnvelope }
  /** JWT.decode threw: the route's failure handler answers 200 text/plain with the exception message. */
  | { kind: 'route_failure'; message: string };

const AUTH_HEADER = 'Authorization=';

/** An extra check of a token that passed validation (fault injection: worn-out tokens); false answers 401. */
export type TokenGate = (claims: TokenClaims) => boolean;

export function authenticateNotification(
  cookieHeader: string | undefined, rawBody: string, tokens: TokenAuthority, allowedAudiences: ReadonlySet<string>,
  gate?: TokenGate, requiredRoles: readonly string[] = [REQUIRED_ROLE],
): AdapterResult {
  // Only a Cookie header that contains `Authorization=` is read; `Authorization: Bearer` is ignored.
  const token = cookieHeader?.includes(AUTH_HEADER) ? tokenFromCookieHeader(cookieHeader) : '';
  if (!token) return adapterRejection(401, AUTH_FAILED, rawBody);

  const check = tokens.check(token, allowedAudiences);
  switch (check.kind) {
    case 'not_a_jwt':
      return { kind: 'route_failure', message: check.exceptionMessage };
    case 'invalid':
      return adapterRejection(401, AUTH_FAILED, rawBody);
    case 'audience_not_allowed':
      return adapterRejection(403, FORBIDDEN, rawBody);
    case 'valid': {
      // Like expiry, checked before the role.
      if (gate && !gate(check.claims)) return adapterRejection(401, AUTH_FAILED, rawBody);
      // The token's roles must contain one of the required roles exactly.
      const roles = check.claims.realm_access?.roles ?? [];
      return requiredRoles.some((role) => roles.includes(role)) ? { kind: 'authenticated', token } : adapterRejection(403, FORBIDDEN, rawBody);
    }
  }
}

/** The 401/403 the adapter writes, echoing id and version from the body (also used for injected 403s). */
export function adapterRejection(status: 401 | 403, error: { errorCode: string; message: string }, rawBody: string): AdapterResult {
  // sendErrors copies id and version from the request body; the securezone body has neither, so both are "".
  const envelope = errorEnvelope(error.errorCode, error.message);
  const body = parseObject(rawBody);
  if (body) {
    envelope.id = asText(body.id);
    envelope.version = asText(body.version);
  }
  return { kind: 'rejected', status, envelope };
}

function parseObject(rawBody: string): Record<string, unknown> | null {
  try {
    const parsed: unknown = JSON.parse(rawBody);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
