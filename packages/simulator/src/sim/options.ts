// What a simulator run is configured with, and the defaults that make it behave like a MOSIP 1.2.0.1
// deployment (docs/mosip-facts.md, "Securezone notification endpoint" and "Authentication").
import type pg from 'pg';
import { REQUIRED_ROLE } from '@mosip-reprocess/contract/wire.js';
import type { FaultSettings } from './faults.js';
import { DEFAULT_SECUREZONE_WORKERS } from './workerPool.js';
import type { ForwardedMessage } from './forwarding.js';

/** A Keycloak service-account client the authmanager accepts. */
export interface SimClient {
  clientId: string;
  secret: string;
  /** realm_access.roles in the issued token. */
  roles: string[];
}

export interface SimClientInput {
  /** Default 'mosip-regproc-client'. */
  clientId?: string;
  secret: string;
  /** Default ['REGISTRATION_PROCESSOR']. */
  roles?: string[];
}

export interface SimulatorOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** The regprc database: a pool from createPool (not closed by the simulator) ... */
  db?: pg.Pool;
  /** ... or a URL, for which the simulator opens and closes its own pool. */
  dbUrl?: string;
  /** Default 'regprc'. */
  schema?: string;
  /** JWT lifetime: Keycloak realm mosip accessTokenLifespan, 86400 s (docs/mosip-facts.md, "Token lifetime"). */
  tokenLifetimeSeconds?: number;
  /**
   * Sign with a new realm key, as after a Keycloak key rotation: tokens signed before are refused (401). By
   * default the realm keeps its key, as Keycloak does across restarts: one key per process.
   */
  rotateSigningKey?: boolean;
  /**
   * securezone.routing.enabled: gates only the HTTP path's Kafka send (docs/mosip-facts.md, "Routing switch").
   * Default true.
   */
  routingEnabled?: boolean;
  /** At least one client; each needs a secret. */
  clients: SimClientInput[];
  /** appIds the authmanager maps to a realm (mosip.kernel.auth.appid-realm-map); others get KER-ATH-026. */
  appIds?: string[];
  /** auth.server.admin.allowed.audience: token aud/azp values the securezone accepts. Default: every client id. */
  allowedAudiences?: string[];
  /** Called for every message the stage would put on Kafka (only while routing is enabled). */
  onForward?: (message: ForwardedMessage) => void | Promise<void>;
  /** How many forwarded messages stats() keeps (the total is always counted). Default 100000. */
  forwardedLogLimit?: number;
  /** Faults to inject from the start (faults.ts); none by default. Changeable while running. */
  faults?: FaultSettings;
  /** The securezone stage's worker pool: notifications handled at once; more wait (workerPool.ts). Default 10. */
  securezoneWorkers?: number;
  /**
   * The MOSIP pods' clock offset from the database's, in ms (+ ahead, - behind), as on a cluster whose node clocks
   * drifted apart: the securezone stage, the workflow manager and the reprocessor write latest_trn_dtimes, upd_dtimes
   * and cr_dtimes, and stamp lastHopTimestamp, from their own clock. Default 0. (The pipeline's stages take their
   * own: PipelineOptions.clockSkewMs.)
   */
  clockSkewMs?: number;
  /**
   * The realm's time of day (epoch ms) by which tokens are issued (iat, exp) and checked for expiry. Default
   * Date.now; a test passes its own to expire a token without waiting.
   */
  tokenClock?: () => number;
}

/** mosip.kernel.auth.appid-realm-map of application-default: every listed appId maps to realm 'mosip'. */
export const DEFAULT_APP_IDS = [
  'prereg', 'ida', 'registrationclient', 'regproc', 'partner', 'resident', 'admin', 'idrepo', 'kernel', 'pms',
  'print', 'digitalcard', 'hotlist', 'mimoto', 'compliance', 'crvs1', 'crvs2', 'creser', 'datsha',
];

export const DEFAULT_CLIENT_ID = 'mosip-regproc-client';
export const REALM = 'mosip';

export interface ResolvedOptions {
  host: string;
  port: number;
  schema: string;
  tokenLifetimeSeconds: number;
  rotateSigningKey: boolean;
  routingEnabled: boolean;
  clients: SimClient[];
  appIds: Set<string>;
  allowedAudiences: Set<string>;
  forwardedLogLimit: number;
  securezoneWorkers: number;
  clockSkewMs: number;
  tokenClock: () => number;
}

export function resolveOptions(options: SimulatorOptions): ResolvedOptions {
  if (!options.clients || options.clients.length === 0) {
    throw new Error('the simulator needs at least one client (clientId, secret, roles)');
  }
  const clients = options.clients.map((c) => {
    if (!c.secret) throw new Error(`client ${c.clientId ?? DEFAULT_CLIENT_ID} has no secret`);
    return { clientId: c.clientId ?? DEFAULT_CLIENT_ID, secret: c.secret, roles: c.roles ?? [REQUIRED_ROLE] };
  });
  const lifetime = options.tokenLifetimeSeconds ?? 86400;
  if (!Number.isFinite(lifetime) || lifetime < 0) throw new Error('tokenLifetimeSeconds must be 0 or more');
  const clockSkewMs = options.clockSkewMs ?? 0;
  checkClockSkew(clockSkewMs);
  return {
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    schema: options.schema ?? 'regprc',
    tokenLifetimeSeconds: lifetime,
    rotateSigningKey: options.rotateSigningKey ?? false,
    routingEnabled: options.routingEnabled ?? true,
    clients,
    appIds: new Set(options.appIds ?? DEFAULT_APP_IDS),
    allowedAudiences: new Set(options.allowedAudiences ?? clients.map((c) => c.clientId)),
    forwardedLogLimit: options.forwardedLogLimit ?? 100_000,
    securezoneWorkers: options.securezoneWorkers ?? DEFAULT_SECUREZONE_WORKERS,
    clockSkewMs,
    tokenClock: options.tokenClock ?? Date.now,
  };
}

/** A pod's clock offset: finite, at most a day either way (a pod further off would fail TLS and token checks first). */
export const MAX_CLOCK_SKEW_MS = 86_400_000;

export function checkClockSkew(ms: number, name = 'clockSkewMs'): void {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || Math.abs(ms) > MAX_CLOCK_SKEW_MS) {
    throw new Error(`${name} must be a number of ms from -${MAX_CLOCK_SKEW_MS} to ${MAX_CLOCK_SKEW_MS}`);
  }
}
