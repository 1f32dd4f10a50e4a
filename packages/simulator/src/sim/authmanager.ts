// POST /v1/authmanager/authenticate/clientidsecretkey (docs/mosip-facts.md, "Client token"): AuthController +
// AuthServiceImpl + AuthManagerExceptionHandler, with the simulator's TokenAuthority standing in for Keycloak.
import type { OutgoingHttpHeaders } from 'node:http';
import { createHash, timingSafeEqual } from 'node:crypto';
import { AUTH_SUCCESS_MESSAGE, AUTH_SUCCESS_STATUS, mosipTime } from '@mosip-reprocess/contract/wire.js';
import { asText } from './javaJson.js';
import type { SimClient } from './options.js';
import type { TokenAuthority } from './tokens.js';

/** auth.jwt.expiry (kernel-default l.93): the cookie's Max-Age, unrelated to the JWT's own exp. */
export const AUTH_COOKIE_MAX_AGE_SECONDS = 6_000_000;

export interface AuthmanagerContext {
  clients: readonly SimClient[];
  appIds: ReadonlySet<string>;
  tokens: TokenAuthority;
}

export interface AuthReply {
  status: number;
  headers: OutgoingHttpHeaders;
  body: AuthEnvelope;
  /** Whether a token was issued. */
  issued: boolean;
}

export interface AuthEnvelope {
  id: string | null;
  version: string | null;
  responsetime: string;
  metadata: null;
  response: { status: string; message: string } | null;
  errors: { errorCode: string; message: string }[] | null;
}

export function authenticateClient(rawBody: string, ctx: AuthmanagerContext): AuthReply {
  let parsed: unknown;
  try {
    parsed = JSON.parse(rawBody);
  } catch (error) {
    const message = rawBody.trim() === '' ? 'Required request body is missing' : `JSON parse error: ${(error as Error).message}`;
    return failure(200, null, 'KER-ATH-019', message);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return failure(200, null, 'KER-ATH-019', 'JSON parse error: Cannot deserialize value of type `io.mosip.kernel.core.http.RequestWrapper`');
  }
  const body = parsed as Record<string, unknown>;
  const request = body.request;
  // Only `request` is @NotNull: MethodArgumentNotValidException gives "<field> <default message>".
  if (request === null || request === undefined) return failure(200, body, 'KER-ATH-019', 'request must not be null');
  if (typeof request !== 'object' || Array.isArray(request)) {
    return failure(200, body, 'KER-ATH-019', 'JSON parse error: Cannot deserialize value of type `ClientSecret`');
  }
  const { clientId, secretKey, appId } = request as Record<string, unknown>;

  // appId -> realm through mosip.kernel.auth.appid-realm-map; an unmapped appId is an AuthManagerException (200).
  if (typeof appId !== 'string' || !ctx.appIds.has(appId)) {
    return failure(200, body, 'KER-ATH-026', `Realm not found:: ${String(appId ?? null)}`);
  }

  // Keycloak answers 401; the RestTemplate exception reaches the generic handler, which answers 500.
  const client = ctx.clients.find((c) => c.clientId === clientId);
  if (!client) {
    return failure(500, body, '500', '401 Unauthorized: [{"error":"invalid_client","error_description":"Invalid client credentials"}]');
  }
  if (typeof secretKey !== 'string' || !sameSecret(secretKey, client.secret)) {
    return failure(500, body, '500', '401 Unauthorized: [{"error":"unauthorized_client","error_description":"Invalid client secret"}]');
  }

  const token = ctx.tokens.issue(client);
  return {
    status: 200,
    issued: true,
    headers: {
      'content-type': 'application/json',
      'set-cookie': `Authorization=${token}; Max-Age=${AUTH_COOKIE_MAX_AGE_SECONDS}; Path=/; HttpOnly`,
      authorization: token,
    },
    // ResponseBodyAdviceConfig copies id and version from the request and forces errors to null.
    body: {
      id: requestField(body.id),
      version: requestField(body.version),
      responsetime: mosipTime(),
      metadata: null,
      response: { status: AUTH_SUCCESS_STATUS, message: AUTH_SUCCESS_MESSAGE },
      errors: null,
    },
  };
}

function failure(status: number, body: Record<string, unknown> | null, errorCode: string, message: string): AuthReply {
  return {
    status,
    issued: false,
    headers: { 'content-type': 'application/json' },
    // setErrors echoes id and version with JsonNode.path(..).asText(), and leaves them null without a readable body.
    body: {
      id: body ? asText(body.id) : null,
      version: body ? asText(body.version) : null,
      responsetime: mosipTime(),
      metadata: null,
      response: null,
      errors: [{ errorCode, message }],
    },
  };
}

/** A RequestWrapper String field as Jackson binds it. */
function requestField(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return null;
}

function sameSecret(given: string, expected: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(expected));
}
