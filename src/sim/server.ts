// The MOSIP simulator: authmanager's clientidsecretkey endpoint and the securezone notification stage on one
// node:http server, backed by a real regprc schema. Operators rehearse against it; our client's tests run
// against it over real HTTP. Wire details: ../shared/mosip-contract.md sections 1 and 2.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type pg from 'pg';
import { createPool } from '../db/connect.js';
import { AUTH_PATH, classifyReply, encodeReply, NOTIFICATION_PATH, SECUREZONE_SERVLET_PATH } from '../mosip/wire.js';
import { securezoneStageQueries } from '../sql/securezoneStage.js';
import { authenticateClient } from './authmanager.js';
import type { ForwardedMessage } from './forwarding.js';
import { BodyTooLarge, readBody, sendJson, sendReply } from './httpIo.js';
import { REALM, resolveOptions, type SimulatorOptions } from './options.js';
import { authenticateNotification } from './securezoneAuth.js';
import { processNotification, type StageDeps } from './securezoneStage.js';
import { StatsRecorder, type ReplyOutcome, type RouteName, type SimulatorStats } from './stats.js';
import { TokenAuthority } from './tokens.js';

export type { SimulatorOptions, SimClientInput } from './options.js';
export type { ForwardedMessage, MessageDto } from './forwarding.js';
export type { SimulatorStats } from './stats.js';

export interface RunningSimulator {
  /** Base URL, e.g. http://127.0.0.1:39123 (no trailing slash). */
  url: string;
  port: number;
  /** The token issuer, `<url>/auth/realms/mosip`. */
  issuer: string;
  stats(): SimulatorStats;
  resetStats(): void;
  /** Toggles securezone.routing.enabled while running. */
  setRoutingEnabled(enabled: boolean): void;
  /** Stops listening, drops open connections, and closes the pool if the simulator opened it. */
  close(): Promise<void>;
}

export const HEALTH_PATH = `${SECUREZONE_SERVLET_PATH}/actuator/health`;
export const CERTS_PATH = `/auth/realms/${REALM}/protocol/openid-connect/certs`;
export const STATS_PATH = '/sim/stats';

// setResponse in MosipVerticleAPIManager: always 200, text/plain, these CORS headers.
const STAGE_REPLY_HEADERS = {
  'content-type': 'text/plain',
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, POST',
} as const;

interface Route {
  name: RouteName;
  method: 'GET' | 'POST';
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

export async function startSimulator(options: SimulatorOptions): Promise<RunningSimulator> {
  const opts = resolveOptions(options);
  if (!options.db && !options.dbUrl) throw new Error('the simulator needs a database: pass db (a pg Pool) or dbUrl');
  const ownsPool = !options.db;
  const pool: pg.Pool = options.db ?? createPool({ url: options.dbUrl, max: 10, applicationName: 'mosip-simulator' });
  const stats = new StatsRecorder(opts.forwardedLogLimit);
  let routingEnabled = opts.routingEnabled;
  let tokens: TokenAuthority | undefined; // made once the port (part of the issuer) is known

  const stageDeps: StageDeps = {
    pool,
    queries: securezoneStageQueries(opts.schema),
    routingEnabled: () => routingEnabled,
    send(message: ForwardedMessage) {
      const pending = options.onForward?.(message);
      if (pending instanceof Promise) pending.catch(() => undefined);
      stats.forwarded(message);
    },
  };

  const sendStageReply = (res: ServerResponse, message: string | null, token?: string): void => {
    const body = encodeReply(message);
    stats.outcome(classifyReply(200, body, '') as ReplyOutcome);
    // On success the auth adapter sets the same token back as a cookie.
    sendReply(res, 200, token ? { ...STAGE_REPLY_HEADERS, 'set-cookie': `Authorization=${token}` } : STAGE_REPLY_HEADERS, body);
  };

  const routes = new Map<string, Route>([
    [AUTH_PATH, {
      name: 'authenticate', method: 'POST',
      async handle(req, res) {
        const reply = authenticateClient(await readBody(req), { clients: opts.clients, appIds: opts.appIds, tokens: tokens! });
        stats.authResult(reply.issued);
        sendJson(res, reply.status, reply.body, reply.headers);
      },
    }],
    [NOTIFICATION_PATH, {
      name: 'notification', method: 'POST',
      async handle(req, res) {
        const raw = await readBody(req);
        const auth = authenticateNotification(req.headers.cookie, raw, tokens!, opts.allowedAudiences);
        if (auth.kind === 'rejected') {
          stats.outcome(auth.status === 401 ? 'unauthorized' : 'forbidden');
          sendJson(res, auth.status, auth.envelope);
          return;
        }
        if (auth.kind === 'route_failure') {
          sendStageReply(res, auth.message);
          return;
        }
        const result = await processNotification(stageDeps, raw);
        stats.notification(result.workflowInstanceId, result.path);
        sendStageReply(res, result.replyMessage, auth.token);
      },
    }],
    [HEALTH_PATH, { name: 'health', method: 'GET', async handle(_req, res) { sendJson(res, 200, { status: 'UP' }); } }],
    [CERTS_PATH, { name: 'certs', method: 'GET', async handle(_req, res) { sendJson(res, 200, tokens!.jwks()); } }],
    [STATS_PATH, { name: 'stats', method: 'GET', async handle(_req, res) { sendJson(res, 200, stats.snapshot()); } }],
  ]);

  const server: Server = createServer((req, res) => {
    void dispatch(routes, stats, req, res);
  });
  // Keep-alive friendly: clients reuse connections across a whole run.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${port}`;
  tokens = new TokenAuthority(`${url}/auth/realms/${REALM}`, opts.tokenLifetimeSeconds);

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    issuer: tokens.issuer,
    stats: () => stats.snapshot(),
    resetStats: () => stats.reset(),
    setRoutingEnabled(enabled: boolean) {
      routingEnabled = enabled;
    },
    close() {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await closed;
        if (ownsPool) await pool.end();
      })();
      return closing;
    },
  };
}

async function dispatch(routes: Map<string, Route>, stats: StatsRecorder, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  const route = routes.get(path);
  stats.request(route?.name ?? 'other');
  try {
    if (!route) {
      // Vert.x's default 404 page.
      sendReply(res, 404, { 'content-type': 'text/html; charset=utf-8' }, '<html><body><h1>Resource not found</h1></body></html>');
      return;
    }
    if (req.method !== route.method) {
      sendReply(res, 405, { 'content-type': 'text/html; charset=utf-8' }, '<html><body><h1>Method Not Allowed</h1></body></html>');
      return;
    }
    await route.handle(req, res);
  } catch (error) {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (error instanceof BodyTooLarge) {
      sendReply(res, 413, { 'content-type': 'text/plain' }, 'Request Entity Too Large');
      return;
    }
    // Not a MOSIP behaviour: a bug in the simulator. Reported without request data (it may hold secrets).
    if (route?.name === 'notification') stats.outcome('server_error');
    process.stderr.write(`mosip simulator: internal error on ${req.method} ${path}: ${(error as Error).stack ?? String(error)}\n`);
    sendReply(res, 500, { 'content-type': 'text/plain' }, 'simulator internal error');
  }
}
