// Fault injection for the simulator: what an operator or a resilience test can switch on (5xx replies, slow
// replies, dropped connections, tokens that wear out, 403s, a window of being down), the checks that turn a
// patch from code, flags or JSON into settings, and the seeded decisions taken per request. Not MOSIP
// behaviour: these stand for the ingress, the network and Keycloak misbehaving around a healthy stage.
//
// Where each fault acts on a notification (POST .../securezone/notification), in this order:
//   down window   the request is refused (socket destroyed before the body is read) or answered 503; every
//                 route except /sim/* (authenticate, notification, health, certs, unknown paths)
//   drop-before   body read, then the socket is destroyed: the stage did not run, the DB is untouched
//   5xx           body read, then an ingress-like 5xx: the stage did not run, the DB is untouched
//   slow          the delay is spent before authentication and the stage; the stage then runs whether or not
//                 the client is still waiting (a real server does not notice a client giving up)
//   token uses/age  the auth filter answers 401 KER-ATH-401 for a worn-out token (checked before the role)
//   403           after authentication succeeded: 403 KER-ATH-403 envelope, the stage did not run
//   drop-after    the stage ran and committed (DB written, message forwarded), then the socket is destroyed
//                 without a reply: the case that makes "exactly once" hard for a client
//
// Decisions are seeded. Each fault has its own random stream, and every notification request draws from every
// stream whether or not that fault is on, so the k-th notification after a (re)seed gets the same decision for
// a given fault whatever the other faults are. With one client sending in sequence, a run is fully repeatable.
import { STATUS_CODES } from 'node:http';
import { MAX_TIMER_MS, parseDurationMs, parseShare, ValueProblem } from 'mosip-reprocess/config/values.js';
import { SeededRandom } from './random.js';

export type DropMode = 'before' | 'after';
/** refuse: the socket is destroyed as soon as the request arrives (no reply); 503: "no healthy upstream". */
export type DownMode = 'refuse' | '503';
/** plain: an Istio/Envoy-style text/plain body; html: an nginx-style error page. */
export type ServerErrorBody = 'plain' | 'html';

export interface DownSettings {
  /** Authenticate and notification requests let through (counted from when this was set) before the window opens. 0 or absent: at once. */
  startAfterRequests?: number;
  /** How long the window lasts, in ms. */
  durationMs: number;
  /** Default 'refuse'. */
  mode?: DownMode;
}

export interface FaultSettings {
  /** Seed of the fault decisions. Default 1. Setting it (again) restarts every stream. */
  seed?: number;
  /** Share (0..1) of notification requests answered with a 5xx before the stage runs. */
  serverErrorRate?: number;
  /** Default 503; 500-599. */
  serverErrorStatus?: number;
  /** Default 'plain'. */
  serverErrorBody?: ServerErrorBody;
  /** Fixed delay (ms) added to slowed notification replies. */
  slowMs?: number;
  /** A random delay (ms, inclusive range) added on top of slowMs. */
  slowRangeMs?: [number, number];
  /** Share (0..1) of notification requests slowed. Default 1 (every one) when slowMs or slowRangeMs is set. */
  slowRate?: number;
  /** Share (0..1) of notification requests whose connection is destroyed without a reply. */
  dropRate?: number;
  /** before: the stage does not run; after (default): the stage runs and commits, then the reply is lost. */
  dropMode?: DropMode;
  /** A token is refused (401 KER-ATH-401) once it has been used this many times (uses counted from when this was set). */
  tokenMaxUses?: number;
  /** A token is refused (401 KER-ATH-401) once this many seconds have passed since its iat (whole seconds). */
  tokenMaxAgeSeconds?: number;
  /** Share (0..1) of authenticated notifications answered 403 KER-ATH-403, or 'all'. */
  forbiddenRate?: number | 'all';
  /** A window of being down. */
  down?: DownSettings;
}

/** A change: keys given replace the current value, null removes it; clear first removes every fault (the seed stays). */
export type FaultPatch = { [K in keyof FaultSettings]?: FaultSettings[K] | null } & { clear?: boolean };

/** The current settings, as GET/POST /sim/faults and RunningSimulator.faults() show them. */
export interface FaultState {
  settings: FaultSettings & { seed: number };
  /** While a down window is open: when it closes (ISO UTC). */
  downUntil: string | null;
  /** While a down window waits for startAfterRequests: how many more requests pass before it opens. */
  downStartsAfter: number | null;
}

/** How many requests each fault affected (part of the simulator's stats; reset with them). */
export interface FaultCounts {
  /** Injected 5xx replies on the notification route (the stage did not run). */
  injected5xx: number;
  /** Notification requests delayed. */
  slow: number;
  /** Connections destroyed without a reply (both modes) ... */
  dropped: number;
  /** ... of which the stage had run first (drop-after). */
  droppedAfterStage: number;
  /** 401s for a token past tokenMaxUses. */
  expiredByUse: number;
  /** 401s for a token past tokenMaxAgeSeconds. */
  expiredByAge: number;
  /** Injected 403s. */
  forbidden: number;
  /** Requests refused or answered 503 during a down window (any route but /sim/*). */
  down: number;
}

export type FaultKind = keyof FaultCounts;

export const emptyFaultCounts = (): FaultCounts => ({
  injected5xx: 0, slow: 0, dropped: 0, droppedAfterStage: 0, expiredByUse: 0, expiredByAge: 0, forbidden: 0, down: 0,
});

/** An invalid fault setting; the control endpoint answers 400 with its message. */
export class FaultSettingsError extends Error {
  override name = 'FaultSettingsError';
}

/** What to do with one notification request. */
export interface NotificationFaults {
  drop: DropMode | null;
  serverError: { status: number; contentType: string; body: string } | null;
  delayMs: number;
  forbid: boolean;
}

export type TokenVerdict = 'ok' | 'expiredByUse' | 'expiredByAge';

const MAX_DELAY_MS = 10 * 60_000;
const MAX_DOWN_MS = 24 * 3600_000;
const KEYS = new Set<string>([
  'seed', 'serverErrorRate', 'serverErrorStatus', 'serverErrorBody', 'slowMs', 'slowRangeMs', 'slowRate', 'dropRate',
  'dropMode', 'tokenMaxUses', 'tokenMaxAgeSeconds', 'forbiddenRate', 'down', 'clear',
]);

/** Checks a patch from code or from JSON (unknown keys, types and ranges); throws FaultSettingsError. */
export function parseFaultPatch(input: unknown): FaultPatch {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) throw new FaultSettingsError('fault settings must be a JSON object');
  const raw = input as Record<string, unknown>;
  const unknownKeys = Object.keys(raw).filter((k) => !KEYS.has(k));
  if (unknownKeys.length > 0) throw new FaultSettingsError(`unknown fault setting ${unknownKeys.join(', ')}; known: ${[...KEYS].join(', ')}`);
  const patch: FaultPatch = {};
  const has = (key: string) => Object.prototype.hasOwnProperty.call(raw, key) && raw[key] !== undefined;
  const field = <K extends keyof FaultSettings>(key: K, check: (value: unknown) => FaultSettings[K]) => {
    if (!has(key)) return;
    patch[key] = raw[key] === null ? null : check(raw[key]);
  };
  if (has('clear')) {
    if (typeof raw.clear !== 'boolean') throw new FaultSettingsError('clear must be true or false');
    patch.clear = raw.clear;
  }
  field('seed', (v) => integer('seed', v, 0, 2 ** 32 - 1));
  field('serverErrorRate', (v) => rate('serverErrorRate', v));
  field('serverErrorStatus', (v) => integer('serverErrorStatus', v, 500, 599));
  field('serverErrorBody', (v) => oneOf('serverErrorBody', v, ['plain', 'html'] as const));
  field('slowMs', (v) => integer('slowMs', v, 0, MAX_DELAY_MS));
  field('slowRangeMs', (v) => {
    if (!Array.isArray(v) || v.length !== 2) throw new FaultSettingsError('slowRangeMs must be [min, max] in ms');
    const min = integer('slowRangeMs min', v[0], 0, MAX_DELAY_MS);
    const max = integer('slowRangeMs max', v[1], 0, MAX_DELAY_MS);
    if (min > max) throw new FaultSettingsError(`slowRangeMs min ${min} is over max ${max}`);
    return [min, max];
  });
  field('slowRate', (v) => rate('slowRate', v));
  field('dropRate', (v) => rate('dropRate', v));
  field('dropMode', (v) => oneOf('dropMode', v, ['before', 'after'] as const));
  field('tokenMaxUses', (v) => integer('tokenMaxUses', v, 1, Number.MAX_SAFE_INTEGER));
  field('tokenMaxAgeSeconds', (v) => integer('tokenMaxAgeSeconds', v, 0, 10 * 365 * 86400));
  field('forbiddenRate', (v) => (v === 'all' ? 'all' : rate('forbiddenRate', v)));
  field('down', (v) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new FaultSettingsError('down must be {startAfterRequests?, durationMs, mode?}');
    const d = v as Record<string, unknown>;
    const extra = Object.keys(d).filter((k) => !['startAfterRequests', 'durationMs', 'mode'].includes(k));
    if (extra.length > 0) throw new FaultSettingsError(`unknown down setting ${extra.join(', ')}`);
    const down: DownSettings = { durationMs: integer('down.durationMs', d.durationMs, 1, MAX_DOWN_MS) };
    if (d.startAfterRequests !== undefined) down.startAfterRequests = integer('down.startAfterRequests', d.startAfterRequests, 0, Number.MAX_SAFE_INTEGER);
    if (d.mode !== undefined) down.mode = oneOf('down.mode', d.mode, ['refuse', '503'] as const);
    return down;
  });
  return patch;
}

function rate(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1) throw new FaultSettingsError(`${name} must be a number from 0 to 1, got ${JSON.stringify(v)}`);
  return v;
}

function integer(name: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new FaultSettingsError(`${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(v)}`);
  }
  return v;
}

function oneOf<T extends string>(name: string, v: unknown, allowed: readonly T[]): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw new FaultSettingsError(`${name} must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
  }
  return v as T;
}

/** A rate given on the command line: "0.1", "10%", or "all" where allowed (the product's share parser). */
export function parseRateText(name: string, text: string, allowAll = false): number | 'all' {
  return named(name, text, () => parseShare(text, { allowAll }));
}

/** A duration given on the command line: "500ms", "10s", "2m", "1h"; a bare number is milliseconds. */
export function parseMillisText(name: string, text: string): number {
  // 24 days: under what a timer holds (MAX_TIMER_MS); the fault settings then apply their own, smaller limits.
  return Math.round(named(name, text, () => parseDurationMs(text, { bareUnit: 'ms', minMs: 0, maxMs: Math.min(24 * 86_400_000, MAX_TIMER_MS) })));
}

/** Runs one of the product's value parsers, naming the flag when the value is refused. */
function named<T>(name: string, text: string, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof ValueProblem) throw new FaultSettingsError(`${name} ${err.message}, got ${text}`);
    throw err;
  }
}

/** A delay range on the command line: "100-500" (ms, inclusive) or "200" (exactly 200). */
export function parseRangeText(name: string, text: string): [number, number] {
  const match = /^\s*(\d+)\s*(?:-\s*(\d+))?\s*(?:ms)?\s*$/i.exec(text);
  if (!match) throw new FaultSettingsError(`${name} must be a range in ms like 100-500, got ${text}`);
  const min = Number(match[1]);
  const max = match[2] === undefined ? min : Number(match[2]);
  if (min > max) throw new FaultSettingsError(`${name}: ${min} is over ${max}`);
  return [min, max];
}

/** FNV-1a of the label mixed into the seed, so each fault gets its own independent stream. */
function streamSeed(seed: number, label: string): number {
  let h = 0x811c9dc5 ^ seed;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  return (h ^ (h >>> 12)) >>> 0;
}

interface Streams {
  drop: SeededRandom;
  serverError: SeededRandom;
  slow: SeededRandom;
  forbidden: SeededRandom;
}

const streams = (seed: number): Streams => ({
  drop: new SeededRandom(streamSeed(seed, 'drop')),
  serverError: new SeededRandom(streamSeed(seed, '5xx')),
  slow: new SeededRandom(streamSeed(seed, 'slow')),
  forbidden: new SeededRandom(streamSeed(seed, '403')),
});

/** The fault model: current settings, the down window, token uses, and the seeded per-request decisions. */
export class FaultInjector {
  private settings: FaultSettings & { seed: number } = { seed: 1 };
  private random: Streams = streams(1);
  private downUntil: number | null = null;
  private downMode: DownMode = 'refuse';
  /** A down window waiting for startAfterRequests more requests. */
  private pendingDown: { remaining: number; durationMs: number; mode: DownMode } | null = null;
  private tokenUses = new Map<string, number>();

  constructor(initial?: FaultSettings, private readonly now: () => number = Date.now) {
    if (initial) this.update(parseFaultPatch(initial));
  }

  state(): FaultState {
    this.expireDownWindow();
    const settings = structuredClone(this.settings);
    return {
      settings,
      downUntil: this.downUntil === null ? null : new Date(this.downUntil).toISOString(),
      downStartsAfter: this.pendingDown?.remaining ?? null,
    };
  }

  /** Applies a checked patch (parseFaultPatch). */
  update(patch: FaultPatch): void {
    if (patch.clear) this.clear();
    const next: Record<string, unknown> = { ...this.settings };
    for (const [key, value] of Object.entries(patch)) {
      if (key === 'clear' || value === undefined) continue;
      if (value === null) delete next[key];
      else next[key] = value;
    }
    if (patch.seed === null) next.seed = 1;
    this.settings = next as unknown as FaultSettings & { seed: number };
    if (patch.seed !== undefined) this.random = streams(this.settings.seed);
    if (patch.tokenMaxUses !== undefined) this.tokenUses.clear();
    if (patch.down !== undefined) {
      // A down setting is one-shot: it is kept in settings for display until its window has closed.
      this.downUntil = null;
      this.pendingDown = null;
      if (patch.down !== null) this.scheduleDown(patch.down);
    }
  }

  /** Removes every fault and ends any down window; the seed and the streams' positions stay. */
  clear(): void {
    this.settings = { seed: this.settings.seed };
    this.downUntil = null;
    this.pendingDown = null;
    this.tokenUses.clear();
  }

  /** Opens a down window now. */
  downFor(ms: number, mode: DownMode = 'refuse'): void {
    this.update(parseFaultPatch({ down: { durationMs: ms, mode } }));
  }

  private scheduleDown(down: DownSettings): void {
    const mode = down.mode ?? 'refuse';
    if (!down.startAfterRequests) {
      this.downUntil = this.now() + down.durationMs;
      this.downMode = mode;
    } else {
      this.pendingDown = { remaining: down.startAfterRequests, durationMs: down.durationMs, mode };
    }
  }

  private expireDownWindow(): void {
    if (this.downUntil !== null && this.now() >= this.downUntil) {
      this.downUntil = null;
      if (this.pendingDown === null) delete this.settings.down;
    }
  }

  /**
   * Called for every request outside /sim/*: whether it falls in a down window. `counts` says whether it is an
   * authenticate or notification request, the ones startAfterRequests counts.
   */
  downCheck(counts: boolean): DownMode | null {
    this.expireDownWindow();
    if (this.downUntil !== null) return this.downMode;
    const pending = this.pendingDown;
    if (pending && counts) {
      if (pending.remaining === 0) {
        this.pendingDown = null;
        this.downUntil = this.now() + pending.durationMs;
        this.downMode = pending.mode;
        return this.downMode;
      }
      pending.remaining -= 1;
    }
    return null;
  }

  /** The decisions for one notification request, drawn when it arrives. */
  decideNotification(): NotificationFaults {
    const s = this.settings;
    const r = this.random;
    const dropDraw = r.drop.next();
    const errorDraw = r.serverError.next();
    const slowDraw = r.slow.next();
    const slowAmount = r.slow.next();
    const forbidDraw = r.forbidden.next();

    let delayMs = 0;
    if ((s.slowMs ?? 0) > 0 || s.slowRangeMs) {
      if (slowDraw < (s.slowRate ?? 1)) {
        const [min, max] = s.slowRangeMs ?? [0, 0];
        delayMs = (s.slowMs ?? 0) + min + Math.floor(slowAmount * (max - min + 1));
      }
    }
    const forbiddenRate = s.forbiddenRate === 'all' ? 1 : s.forbiddenRate ?? 0;
    return {
      drop: dropDraw < (s.dropRate ?? 0) ? s.dropMode ?? 'after' : null,
      serverError: errorDraw < (s.serverErrorRate ?? 0) ? serverErrorReply(s.serverErrorStatus ?? 503, s.serverErrorBody ?? 'plain') : null,
      delayMs,
      forbid: forbidDraw < forbiddenRate,
    };
  }

  /** The auth filter's extra check of a valid token (jti, iat): whether it has worn out. */
  checkToken(claims: { jti: string; iat: number }): TokenVerdict {
    const { tokenMaxAgeSeconds: maxAge, tokenMaxUses: maxUses } = this.settings;
    if (maxAge !== undefined && this.now() - claims.iat * 1000 >= maxAge * 1000) return 'expiredByAge';
    if (maxUses !== undefined) {
      const uses = (this.tokenUses.get(claims.jti) ?? 0) + 1;
      this.tokenUses.set(claims.jti, uses);
      if (uses > maxUses) return 'expiredByUse';
    }
    return 'ok';
  }
}

/** The reply of a failing ingress: Envoy's texts (MOSIP runs behind Istio) or an nginx error page. */
export function serverErrorReply(status: number, style: ServerErrorBody): { status: number; contentType: string; body: string } {
  if (style === 'html') {
    const title = `${status} ${status === 503 ? 'Service Temporarily Unavailable' : status === 504 ? 'Gateway Time-out' : STATUS_CODES[status] ?? 'Server Error'}`;
    return {
      status,
      contentType: 'text/html',
      body: `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`,
    };
  }
  const body = status === 502 || status === 503
    ? 'upstream connect error or disconnect/reset before headers. reset reason: connection failure'
    : status === 504 ? 'upstream request timeout' : STATUS_CODES[status] ?? 'Server Error';
  return { status, contentType: 'text/plain', body };
}

/** The 503 of an ingress with no pod behind it (down window in 503 mode). */
export const NO_HEALTHY_UPSTREAM = { status: 503, contentType: 'text/plain', body: 'no healthy upstream' } as const;

/** A one-line description of the settings, for the simulator's start-up banner. */
export function describeFaults(state: FaultState): string {
  const s = state.settings;
  const pct = (r: number) => `${+(r * 100).toFixed(3)}%`;
  const parts: string[] = [];
  if (s.serverErrorRate) parts.push(`${pct(s.serverErrorRate)} ${s.serverErrorStatus ?? 503} (${s.serverErrorBody ?? 'plain'})`);
  if (s.slowMs || s.slowRangeMs) {
    const range = s.slowRangeMs ? `${s.slowRangeMs[0]}-${s.slowRangeMs[1]} ms` : '';
    const delay = [s.slowMs ? `${s.slowMs} ms` : '', range].filter(Boolean).join(' + ');
    parts.push(`slow ${delay}${s.slowRate !== undefined && s.slowRate < 1 ? ` on ${pct(s.slowRate)}` : ''}`);
  }
  if (s.dropRate) parts.push(`drop ${pct(s.dropRate)} ${(s.dropMode ?? 'after') === 'after' ? 'after the stage ran' : 'before the stage'}`);
  if (s.tokenMaxUses !== undefined) parts.push(`tokens refused after ${s.tokenMaxUses} uses`);
  if (s.tokenMaxAgeSeconds !== undefined) parts.push(`tokens refused after ${s.tokenMaxAgeSeconds} s`);
  if (s.forbiddenRate) parts.push(`403 ${s.forbiddenRate === 'all' ? 'on all' : pct(s.forbiddenRate)}`);
  if (state.downUntil) parts.push(`down (${s.down?.mode ?? 'refuse'}) until ${state.downUntil}`);
  else if (state.downStartsAfter !== null && s.down) {
    parts.push(`down (${s.down.mode ?? 'refuse'}) for ${s.down.durationMs} ms after ${state.downStartsAfter} more requests`);
  }
  return parts.length === 0 ? 'none' : `${parts.join('; ')} (seed ${s.seed})`;
}
