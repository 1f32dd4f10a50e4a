// The simulator's Keycloak: RS256 JWTs signed with a key pair made at start-up, and the offline validation the
// securezone's auth adapter does (expiry, issuer, RS signature, audience; docs/mosip-facts.md, "Authentication").
import { generateKeyPairSync, randomUUID, sign, verify, type KeyObject } from 'node:crypto';
import type { SimClient } from './options.js';

export interface TokenClaims {
  exp: number;
  iat: number;
  jti: string;
  iss: string;
  aud: string | string[];
  sub: string;
  typ: string;
  azp: string;
  scope: string;
  realm_access: { roles: string[] };
  clientId: string;
  preferred_username: string;
}

/** Why a token was refused, in the adapter's terms. */
export type TokenCheck =
  | { kind: 'valid'; claims: TokenClaims }
  /** JWT.decode threw: the exception reaches the route's failure handler (200 text/plain). */
  | { kind: 'not_a_jwt'; exceptionMessage: string }
  /** Expired, bad signature, wrong issuer or algorithm: 401. */
  | { kind: 'invalid'; reason: string }
  /** Audience not in auth.server.admin.allowed.audience: 403. */
  | { kind: 'audience_not_allowed'; claims: TokenClaims };

interface JwtHeader {
  alg?: unknown;
  kid?: unknown;
}

interface RealmKey { keyId: string; privateKey: KeyObject; publicKey: KeyObject }

function newRealmKey(): RealmKey {
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { keyId: randomUUID(), privateKey: pair.privateKey, publicKey: pair.publicKey };
}

/** The realm's key, kept across simulator restarts in this process (Keycloak keeps its realm keys in its database). */
let realmKey: RealmKey | null = null;

export class TokenAuthority {
  readonly issuer: string;
  readonly keyId: string;
  private readonly privateKey: KeyObject;
  private readonly publicKey: KeyObject;

  /** `rotate`: a new realm key (a key rotation), which later simulators in this process keep. */
  /** `now`: the realm's time of day (epoch ms) for iat, exp and expiry checks; tests move it instead of waiting. */
  constructor(issuer: string, private readonly lifetimeSeconds: number, rotate = false, private readonly now: () => number = Date.now) {
    this.issuer = issuer;
    // A 2048-bit key pair costs about 0.1 s of CPU: made once per process, not at every start.
    if (rotate || !realmKey) realmKey = newRealmKey();
    ({ keyId: this.keyId, privateKey: this.privateKey, publicKey: this.publicKey } = realmKey);
  }

  issue(client: SimClient, now: Date = new Date(this.now())): string {
    const iat = Math.floor(now.getTime() / 1000);
    const claims: TokenClaims = {
      exp: iat + this.lifetimeSeconds,
      iat,
      jti: randomUUID(),
      iss: this.issuer,
      aud: client.clientId,
      sub: randomUUID(),
      typ: 'Bearer',
      azp: client.clientId,
      scope: 'profile email',
      realm_access: { roles: [...client.roles] },
      clientId: client.clientId,
      preferred_username: `service-account-${client.clientId}`,
    };
    const header = { alg: 'RS256', typ: 'JWT', kid: this.keyId };
    const signingInput = `${base64url(header)}.${base64url(claims)}`;
    const signature = sign('RSA-SHA256', Buffer.from(signingInput), this.privateKey).toString('base64url');
    return `${signingInput}.${signature}`;
  }

  check(token: string, allowedAudiences: ReadonlySet<string>, now: Date = new Date(this.now())): TokenCheck {
    // Decoding, with the messages of com.auth0 java-jwt's JWT.decode (what the adapter calls first).
    const parts = token.split('.');
    if (parts.length !== 3) {
      return { kind: 'not_a_jwt', exceptionMessage: `The token was expected to have 3 parts, but got ${parts.length}.` };
    }
    const [headerPart = '', payloadPart = '', signaturePart = ''] = parts;
    const header = decodeJsonPart<JwtHeader>(headerPart);
    if (header === undefined) return { kind: 'not_a_jwt', exceptionMessage: invalidJsonMessage(headerPart) };
    const claims = decodeJsonPart<Partial<TokenClaims>>(payloadPart);
    if (claims === undefined) return { kind: 'not_a_jwt', exceptionMessage: invalidJsonMessage(payloadPart) };

    if (header.alg !== 'RS256') return { kind: 'invalid', reason: 'unsupported algorithm' };
    const signatureOk = verify(
      'RSA-SHA256', Buffer.from(`${headerPart}.${payloadPart}`), this.publicKey, Buffer.from(signaturePart, 'base64url'),
    );
    if (!signatureOk) return { kind: 'invalid', reason: 'bad signature' };
    if (typeof claims.exp !== 'number' || claims.exp * 1000 <= now.getTime()) return { kind: 'invalid', reason: 'expired' };
    if (claims.iss !== this.issuer) return { kind: 'invalid', reason: 'wrong issuer' };

    const valid = claims as TokenClaims;
    const audiences = [...(Array.isArray(valid.aud) ? valid.aud : [valid.aud]), valid.azp];
    if (!audiences.some((a) => typeof a === 'string' && allowedAudiences.has(a))) {
      return { kind: 'audience_not_allowed', claims: valid };
    }
    return { kind: 'valid', claims: valid };
  }

  /** The realm's `/protocol/openid-connect/certs` document, where the adapter fetches the key. */
  jwks(): { keys: Record<string, unknown>[] } {
    const jwk = this.publicKey.export({ format: 'jwk' });
    return { keys: [{ ...jwk, kid: this.keyId, kty: 'RSA', alg: 'RS256', use: 'sig' }] };
  }
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function decodeJsonPart<T>(part: string): T | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as T) : undefined;
  } catch {
    return undefined;
  }
}

function invalidJsonMessage(part: string): string {
  return `The string '${Buffer.from(part, 'base64url').toString('utf8')}' doesn't have a valid JSON format.`;
}
