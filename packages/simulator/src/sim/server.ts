// The MOSIP simulator: authmanager's clientidsecretkey endpoint, the securezone notification stage and the
// workflow manager's workflow action API on one node:http server, backed by a real regprc schema. Operators rehearse against it; our client's tests run
// against it over real HTTP. Wire details: docs/mosip-facts.md, "Securezone notification endpoint",
// "Authentication" and "Pauses and the workflow action API".
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import type pg from 'pg';
import { createPool } from 'mosip-reprocess/db/connect.js';
import { AUTH_PATH, classifyReply, encodeReply, FORBIDDEN, NOTIFICATION_PATH, SECUREZONE_SERVLET_PATH } from '@mosip-reprocess/contract/wire.js';
import { WORKFLOW_ACTION_PATH, WORKFLOW_ACTION_ROLES } from '@mosip-reprocess/contract/workflowAction.js';
import { securezoneStageQueries } from '../sql/securezoneStage.js';
import { authenticateClient } from './authmanager.js';
import {
  FaultInjector, FaultSettingsError, NO_HEALTHY_UPSTREAM, parseFaultPatch, type DownMode, type FaultPatch, type FaultState,
} from './faults.js';
import type { ForwardedMessage } from './forwarding.js';
import { BodyTooLarge, readBody, sendJson, sendReply } from './httpIo.js';
import { REALM, resolveOptions, type SimulatorOptions } from './options.js';
import { adapterRejection, authenticateNotification, type TokenGate } from './securezoneAuth.js';
import { processNotification, type StageDeps } from './securezoneStage.js';
import { encodePrettily } from './javaJson.js';
import { processWorkflowAction } from './workflowAction.js';
import { reprocessorTick, type ReprocessorSettings, type ReprocessorTickResult } from './reprocessor.js';
import { StatsRecorder, type ReplyOutcome, type RouteName, type SimulatorStats } from './stats.js';
import { TokenAuthority } from './tokens.js';
import { WorkerPool, type WorkerPoolStats } from './workerPool.js';

export type { SimulatorOptions, SimClientInput } from './options.js';
export type { ForwardedMessage, MessageDto } from './forwarding.js';
export type { SimulatorStats } from './stats.js';
export type { DownMode, DownSettings, DropMode, FaultCounts, FaultPatch, FaultSettings, FaultState, ServerErrorBody } from './faults.js';
export { FaultSettingsError } from './faults.js';

export interface RunningSimulator {
  /** Base URL, e.g. http://127.0.0.1:39123 (no trailing slash). */
  url: string;
  port: number;
  /** The token issuer, `<url>/auth/realms/mosip`. */
  issuer: string;
  stats(): SimulatorStats;
  resetStats(): void;
  /** The securezone stage's worker pool (SimulatorOptions.securezoneWorkers): running, waiting, peaks. */
  securezoneWorkers(): WorkerPoolStats;
  /** Toggles securezone.routing.enabled while running. */
  setRoutingEnabled(enabled: boolean): void;
  /** The fault settings in force (also GET /sim/faults). */
  faults(): FaultState;
  /**
   * Changes fault settings while running (also POST /sim/faults with the same JSON): keys given replace, null
   * removes, `clear: true` first removes all. Throws FaultSettingsError on a bad value. Returns the new state.
   */
  setFaults(patch: FaultPatch): FaultState;
  /** Removes every fault and ends a down window (the seed stays). */
  clearFaults(): void;
  /** Goes down now for `ms`: every request but /sim/* is refused (default) or answered 503, then it recovers. */
  downFor(ms: number, mode?: DownMode): void;
  /**
   * One tick of MOSIP's reprocessor over the RESUMABLE packets (sim/reprocessor.ts; also POST /sim/reprocessor-tick):
   * how packets resumed with the workflow action API move on.
   */
  reprocessorTick(settings?: ReprocessorSettings): Promise<ReprocessorTickResult>;
  /** Stops listening, drops open connections, and closes the pool if the simulator opened it. */
  close(): Promise<void>;
}

export const HEALTH_PATH = `${SECUREZONE_SERVLET_PATH}/actuator/health`;
export const CERTS_PATH = `/auth/realms/${REALM}/protocol/openid-connect/certs`;
export const STATS_PATH = '/sim/stats';
export const FAULTS_PATH = '/sim/faults';
export const REPROCESSOR_TICK_PATH = '/sim/reprocessor-tick';

// setResponse in MosipVerticleAPIManager: always 200, text/plain, these CORS headers.
const STAGE_REPLY_HEADERS = {
  'content-type': 'text/plain',
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, POST',
} as const;

interface Route {
  name: RouteName;
  method: 'GET' | 'POST' | readonly ('GET' | 'POST')[];
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
  const faults = new FaultInjector(options.faults);
  const workers = new WorkerPool(opts.securezoneWorkers);
  const lifecycle = new AbortController(); // aborts delays still running when the simulator closes
  const tokenGate: TokenGate = (claims) => {
    const verdict = faults.checkToken(claims);
    if (verdict === 'ok') return true;
    stats.fault(verdict);
    return false;
  };

  const stageDeps: StageDeps = {
    pool,
    queries: securezoneStageQueries(opts.schema, opts.clockSkewMs),
    routingEnabled: () => routingEnabled,
    clockOffsetMs: opts.clockSkewMs,
    send(message: ForwardedMessage) {
      const pending = options.onForward?.(message);
      if (pending instanceof Promise) pending.catch(() => undefined);
      stats.forwarded(message);
    },
  };

  // The reprocessor pod runs on the same (skewed) clock as the other pods.
  const tick = (settings?: ReprocessorSettings): Promise<ReprocessorTickResult> =>
    reprocessorTick(pool, opts.schema, { clockOffsetMs: opts.clockSkewMs, ...settings }, new Date(Date.now() + opts.clockSkewMs));

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
        // Drawn on arrival, so the k-th notification gets the same decisions whatever the timing (faults.ts).
        const injected = faults.decideNotification();
        const raw = await readBody(req);
        if (injected.drop === 'before') {
          stats.fault('dropped');
          res.destroy();
          return;
        }
        if (injected.serverError) {
          const { status, contentType, body } = injected.serverError;
          stats.fault('injected5xx');
          stats.outcome('server_error');
          sendReply(res, status, { 'content-type': contentType }, body);
          return;
        }
        if (injected.delayMs > 0) {
          stats.fault('slow');
          try {
            await delay(injected.delayMs, undefined, { signal: lifecycle.signal });
          } catch {
            res.destroy(); // the simulator is closing
            return;
          }
        }
        const auth = authenticateNotification(req.headers.cookie, raw, tokens!, opts.allowedAudiences, tokenGate);
        if (auth.kind === 'rejected') {
          stats.outcome(auth.status === 401 ? 'unauthorized' : 'forbidden');
          sendJson(res, auth.status, auth.envelope);
          return;
        }
        if (auth.kind === 'route_failure') {
          sendStageReply(res, auth.message);
          return;
        }
        if (injected.forbid) {
          const rejection = adapterRejection(403, FORBIDDEN, raw);
          stats.fault('forbidden');
          stats.outcome('forbidden');
          if (rejection.kind === 'rejected') sendJson(res, rejection.status, rejection.envelope);
          return;
        }
        const result = await workers.run(() => processNotification(stageDeps, raw));
        stats.notification(result.workflowInstanceId, result.path);
        if (injected.drop === 'after') {
          // The stage ran and committed; the reply is lost.
          stats.fault('dropped');
          stats.fault('droppedAfterStage');
          res.destroy();
          return;
        }
        sendStageReply(res, result.replyMessage, auth.token);
      },
    }],
    // The workflow manager's API (its own server on port 8023 in MOSIP; the same port here). Fault injection
    // applies to the notification route only.
    [WORKFLOW_ACTION_PATH, {
      name: 'workflowAction', method: 'POST',
      async handle(req, res) {
        const raw = await readBody(req);
        const auth = authenticateNotification(req.headers.cookie, raw, tokens!, opts.allowedAudiences, tokenGate, WORKFLOW_ACTION_ROLES);
        if (auth.kind === 'rejected') {
          sendJson(res, auth.status, auth.envelope);
          return;
        }
        if (auth.kind === 'route_failure') {
          sendReply(res, 200, STAGE_REPLY_HEADERS, encodeReply(auth.message));
          return;
        }
        const result = await processWorkflowAction({
          pool, schema: opts.schema, clockOffsetMs: opts.clockSkewMs, now: () => new Date(Date.now() + opts.clockSkewMs),
        }, raw);
        stats.workflowAction(result.path, result.action, result.written.length, result.completedEvents);
        // setResponse: 200, text/plain, Json.encodePrettily of the envelope, whatever the outcome.
        sendReply(res, 200, { ...STAGE_REPLY_HEADERS, 'set-cookie': `Authorization=${auth.token}` }, encodePrettily(result.reply));
      },
    }],
    [HEALTH_PATH, { name: 'health', method: 'GET', async handle(_req, res) { sendJson(res, 200, { status: 'UP' }); } }],
    [CERTS_PATH, { name: 'certs', method: 'GET', async handle(_req, res) { sendJson(res, 200, tokens!.jwks()); } }],
    [STATS_PATH, { name: 'stats', method: 'GET', async handle(_req, res) { sendJson(res, 200, stats.snapshot()); } }],
    // Runs one reprocessor tick now (MOSIP's runs every 3 minutes; the simulator only when asked).
    [REPROCESSOR_TICK_PATH, {
      name: 'reprocessorTick', method: 'POST',
      async handle(req, res) {
        await readBody(req);
        sendJson(res, 200, await tick());
      },
    }],
    // The fault control endpoint: GET shows the settings, POST changes them (the body is a FaultPatch).
    [FAULTS_PATH, {
      name: 'faults', method: ['GET', 'POST'],
      async handle(req, res) {
        if (req.method === 'POST') {
          const raw = await readBody(req);
          try {
            let input: unknown;
            try {
              input = raw.trim() === '' ? {} : JSON.parse(raw);
            } catch {
              throw new FaultSettingsError('the body must be JSON');
            }
            faults.update(parseFaultPatch(input));
          } catch (error) {
            if (!(error instanceof FaultSettingsError)) throw error;
            sendJson(res, 400, { error: error.message });
            return;
          }
        }
        sendJson(res, 200, faults.state());
      },
    }],
  ]);

  const server: Server = createServer((req, res) => {
    void dispatch(routes, stats, faults, req, res);
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
  tokens = new TokenAuthority(`${url}/auth/realms/${REALM}`, opts.tokenLifetimeSeconds, opts.rotateSigningKey, opts.tokenClock);

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    issuer: tokens.issuer,
    stats: () => stats.snapshot(),
    resetStats: () => stats.reset(),
    securezoneWorkers: () => workers.stats(),
    setRoutingEnabled(enabled: boolean) {
      routingEnabled = enabled;
    },
    faults: () => faults.state(),
    setFaults(patch: FaultPatch) {
      faults.update(parseFaultPatch(patch));
      return faults.state();
    },
    clearFaults: () => faults.clear(),
    reprocessorTick: (settings?: ReprocessorSettings) => tick(settings),
    downFor: (ms: number, mode?: DownMode) => faults.downFor(ms, mode),
    close() {
      closing ??= (async () => {
        lifecycle.abort();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await closed;
        if (ownsPool) await pool.end();
      })();
      return closing;
    },
  };
}

async function dispatch(
  routes: Map<string, Route>, stats: StatsRecorder, faults: FaultInjector, req: IncomingMessage, res: ServerResponse,
): Promise<void> {
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  const route = routes.get(path);
  stats.request(route?.name ?? 'other');
  // A down window takes every route but the simulator's own /sim/* (so a test can still read stats and recover).
  if (!path.startsWith('/sim/')) {
    const down = faults.downCheck(route?.name === 'authenticate' || route?.name === 'notification');
    if (down) {
      stats.fault('down');
      if (down === 'refuse') {
        req.socket.destroy(); // no reply at all, as close to "connection refused" as an open listener gets
        return;
      }
      if (route?.name === 'notification') stats.outcome('server_error');
      req.resume();
      sendReply(res, NO_HEALTHY_UPSTREAM.status, { 'content-type': NO_HEALTHY_UPSTREAM.contentType }, NO_HEALTHY_UPSTREAM.body);
      return;
    }
  }
  try {
    if (!route) {
      // Vert.x's default 404 page.
      sendReply(res, 404, { 'content-type': 'text/html; charset=utf-8' }, '<html><body><h1>Resource not found</h1></body></html>');
      return;
    }
    const methods: readonly string[] = typeof route.method === 'string' ? [route.method] : route.method;
    if (!methods.includes(req.method ?? '')) {
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
