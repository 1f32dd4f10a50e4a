// The MOSIP client: a client token from authmanager and the securezone notification, over keep-alive
// connections. Every wire detail comes from ./wire.ts. Tokens never leave this module except in the Cookie header.
import { readFileSync } from 'node:fs';
import type { Agent } from 'undici';
import { hideUrlPassword } from '../config/redact.js';
import { lazy } from '../lazy.js';

const undici = lazy<typeof import('undici')>('undici');

/**
 * Loads the HTTP client's code now (undici: tens of milliseconds), so that a run does it while it waits for the
 * database rather than before its first notification. A failure here is left to the first real use to report.
 */
export function preloadClient(): void {
  try {
    // The CLI's bundle of undici can also compile its HTTP parser ahead of the first connection (scripts/bundle.js).
    (undici() as { compileParser?: () => void }).compileParser?.();
  } catch {
    // reported where the client is built
  }
}
import type { Packet } from '../domain/packet.js';
import {
  AUTH_PATH, NOTIFICATION_PATH, authCookie, authRequestBody, classifyReply, decodeReply, notificationBody,
  tokenFromSetCookie, type NotifyOutcome,
} from '@mosip-reprocess/contract/wire.js';

export interface ClientSettings {
  server: string;
  authServer?: string | undefined;
  clientId: string;
  clientSecret: string;
  appId: string;
  timeoutSeconds: number;
  caFile?: string | undefined;
  insecure: boolean;
  /**
   * Keep-alive connections per origin, at most: the run's --concurrency, so the pool never opens more
   * sockets than there are requests in flight (default 1, the default concurrency).
   */
  connections?: number;
  /** The time of day (epoch ms) a token's exp is read against. Default Date.now; tests pass their own. */
  now?: () => number;
}

/** Why a token could not be had. Always fatal for a run: every notification would fail the same way. */
export class AuthError extends Error {
  override name = 'AuthError';
  constructor(message: string, readonly kind: 'refused' | 'unreachable' | 'unexpected') {
    super(message);
  }
}

/** What the runner sends through: the MOSIP client itself, or the resilient notifier around it. */
export interface Notifier {
  notify(packet: Packet): Promise<NotifyResult>;
}

export interface NotifyResult {
  outcome: NotifyOutcome;
  /** HTTP status of the last attempt, or null when there was no reply. */
  httpStatus: number | null;
  /** The reply decoded to text (the 200 body's string, 'null', or an error summary). Never holds a token. */
  reply: string;
  latencyMs: number;
  /** 1, or 2 when a 401 made the client authenticate again and retry. */
  attempts: number;
}

const MAX_REPLY_CHARS = 500;

/** exp and iat of a JWT (ms), read without verifying it: only to know when to fetch a new one. */
export function jwtTimes(token: string): { expiresAt: number; issuedAt: number | null } | null {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp?: unknown; iat?: unknown };
    if (typeof payload.exp !== 'number') return null;
    return { expiresAt: payload.exp * 1000, issuedAt: typeof payload.iat === 'number' ? payload.iat * 1000 : null };
  } catch {
    return null;
  }
}

function describeNetworkError(err: unknown): string {
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e.code ?? e.cause?.code;
  const message = e.cause?.message ?? e.message ?? String(err);
  return code ? `${code}: ${message}` : message;
}

export class MosipClient {
  private readonly agent: Agent;
  private token: string | null = null;
  private tokenPromise: Promise<string> | null = null;
  /** When to fetch a new token before the current one expires (ms since epoch), or null when unknown. */
  private refreshAt: number | null = null;
  /** How many tokens this client fetched (the first, and each re-authentication). */
  authentications = 0;
  /** Told when a run fetches a new token after its first: ahead of expiry, or after a 401 (the journal marks it). */
  onNewToken: ((reason: 'expiry' | '401') => void) | null = null;

  /** The notification endpoint as undici's dispatch takes it. */
  private readonly notification: { origin: string; path: string };
  /** The notification's headers for the current token, built once per token (not once per request). */
  private headers: { token: string; headers: Record<string, string> } | null = null;

  private readonly now: () => number;

  constructor(private readonly settings: ClientSettings) {
    this.now = settings.now ?? Date.now;
    const endpoint = new URL(settings.server + NOTIFICATION_PATH);
    this.notification = { origin: endpoint.origin, path: endpoint.pathname + endpoint.search };
    const ca = settings.caFile ? readFileSync(settings.caFile) : undefined;
    this.agent = new (undici().Agent)({
      connections: Math.max(1, settings.connections ?? 1),
      keepAliveTimeout: 30_000,
      headersTimeout: settings.timeoutSeconds * 1000,
      bodyTimeout: settings.timeoutSeconds * 1000,
      connect: { rejectUnauthorized: !settings.insecure, ...(ca ? { ca } : {}), timeout: settings.timeoutSeconds * 1000 },
    });
  }

  /** Fetches a client token (shared by concurrent callers). Throws AuthError. */
  authenticate(): Promise<string> {
    if (!this.tokenPromise) {
      this.tokenPromise = this.fetchToken().then(
        (token) => {
          this.token = token;
          // Refresh ahead of expiry: 60 s before, or a tenth of the lifetime when it is short.
          const times = jwtTimes(token);
          const lifetime = times ? times.expiresAt - (times.issuedAt ?? this.now()) : 0;
          this.refreshAt = times ? times.expiresAt - Math.min(60_000, Math.max(0, lifetime) / 10) : null;
          return token;
        },
        (err: unknown) => { this.tokenPromise = null; throw err; },
      );
    }
    return this.tokenPromise;
  }

  private async fetchToken(): Promise<string> {
    const base = this.settings.authServer ?? this.settings.server;
    const url = base + AUTH_PATH;
    this.authentications += 1;
    let status: number;
    let headers: Record<string, string | string[] | undefined>;
    let text: string;
    try {
      // Through the agent's own request() (undici's Dispatcher API): the CLI's bundle carries undici's Agent alone.
      const target = new URL(url);
      const res = await this.agent.request({
        origin: target.origin, path: target.pathname + target.search, method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(authRequestBody(this.settings.clientId, this.settings.clientSecret, this.settings.appId)),
      });
      status = res.statusCode;
      headers = res.headers;
      text = await res.body.text();
    } catch (err) {
      throw new AuthError(`cannot reach authmanager at ${hideUrlPassword(url)}: ${describeNetworkError(err)}`, 'unreachable');
    }
    const token = tokenFromSetCookie(headers['set-cookie']);
    if (status === 200 && token) return token;
    // Error replies carry a MOSIP envelope; keep only codes and messages (they never echo the secret).
    const errors = envelopeErrors(text);
    const detail = errors ? `HTTP ${status}: ${errors}` : `HTTP ${status}`;
    if (status === 500 && /401/.test(detail)) {
      throw new AuthError(`authmanager refused client "${this.settings.clientId}" (wrong secret or unknown client): ${detail}`, 'refused');
    }
    if (status === 200) {
      throw new AuthError(`authmanager gave no token for client "${this.settings.clientId}" app "${this.settings.appId}": ${detail}`, 'refused');
    }
    throw new AuthError(`authmanager at ${hideUrlPassword(url)} failed: ${detail}`, status >= 500 ? 'unreachable' : 'unexpected');
  }

  /** Sends one notification. A 401 makes it fetch a new token and try once more. */
  async notify(packet: Packet): Promise<NotifyResult> {
    const started = performance.now();
    if (this.token && this.refreshAt !== null && this.now() >= this.refreshAt) {
      this.forget(this.token);
      this.onNewToken?.('expiry');
    }
    let token = this.token ?? (await this.authenticate());
    let result = await this.post(packet, token);
    let attempts = 1;
    if (result.outcome === 'unauthorized') {
      if (this.token === token) this.onNewToken?.('401');
      this.forget(token);
      token = await this.authenticate();
      result = await this.post(packet, token);
      attempts = 2;
    }
    result.attempts = attempts;
    result.latencyMs = Math.round(performance.now() - started);
    return result;
  }

  /** Drops a token so the next call fetches a new one (unless another caller already replaced it). */
  /** Public for other MOSIP calls made with this client's token (the workflow action). */
  forget(token: string): void {
    if (this.token === token) {
      this.token = null;
      this.tokenPromise = null;
      this.refreshAt = null;
    }
  }

  /** One attempt's result; notify() sets its attempts and latency. */
  private async post(packet: Packet, token: string): Promise<NotifyResult> {
    try {
      const { status, text } = await postText(this.agent, this.notification, this.headersFor(token), JSON.stringify(notificationBody(packet)));
      const outcome = classifyReply(status, text, packet.rid);
      const reply = status === 200 ? String(decodeReply(text)) : summariseError(status, text);
      // Defence in depth: a reply must never carry our token into a log or journal.
      const safe = reply.includes(token) ? reply.split(token).join('<token>') : reply;
      return { outcome, httpStatus: status, reply: safe.slice(0, MAX_REPLY_CHARS), latencyMs: 0, attempts: 1 };
    } catch (err) {
      return { outcome: 'network_error', httpStatus: null, reply: describeNetworkError(err).slice(0, MAX_REPLY_CHARS), latencyMs: 0, attempts: 1 };
    }
  }

  private headersFor(token: string): Record<string, string> {
    if (this.headers?.token !== token) this.headers = { token, headers: { 'content-type': 'application/json', cookie: authCookie(token) } };
    return this.headers.headers;
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

/** What is kept of a reply body: the notification replies are a few hundred bytes; an error page may not be. */
const MAX_BODY_BYTES = 64 * 1024;

/**
 * One POST and its reply as text, through undici's dispatch with a handler that keeps the body's bytes: the
 * request() API builds a stream per reply, a good part of the client's CPU at thousands of notifications a
 * second. Timeouts and errors are the agent's, as with request().
 */
function postText(agent: Agent, to: { origin: string; path: string }, headers: Record<string, string>, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let kept = 0;
    let status = 0;
    try {
      agent.dispatch({ origin: to.origin, path: to.path, method: 'POST', headers, body }, {
        onRequestStart() { /* nothing to set up */ },
        onResponseStart(_controller, statusCode) { status = statusCode; },
        onResponseData(_controller, chunk) {
          if (kept < MAX_BODY_BYTES) chunks.push(chunk.subarray(0, MAX_BODY_BYTES - kept));
          kept += chunk.length;
        },
        onResponseEnd() { resolve({ status, text: Buffer.concat(chunks).toString('utf8') }); },
        onResponseError(_controller, err) { reject(err); },
      });
    } catch (err) {
      reject(err);
    }
  });
}

/** The codes and messages of a MOSIP error envelope ("KER-ATH-401 Authentication Failed"), or null. */
function envelopeErrors(text: string): string | null {
  try {
    const body = JSON.parse(text) as { errors?: { errorCode?: string; message?: string }[] | null };
    if (body.errors && body.errors.length > 0) {
      return body.errors.map((e) => `${e.errorCode ?? '?'} ${e.message ?? ''}`.trim()).join('; ');
    }
  } catch {
    // not JSON
  }
  return null;
}

function summariseError(status: number, text: string): string {
  return `HTTP ${status}: ${envelopeErrors(text) ?? text.trim()}`;
}
