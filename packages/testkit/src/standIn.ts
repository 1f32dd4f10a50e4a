// A stand-in for MOSIP's two endpoints, for the tests and the benchmark that measure the client itself: it
// answers authmanager with a token cookie and every notification with the securezone stage's "forwarded"
// reply, after a fixed service time, without a database. It counts the TCP connections it accepts, can hold
// replies until a number of requests are waiting (to see how many sockets a client opens at most), and calls
// a hook when a notification arrives, before it is answered.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AUTH_PATH, NOTIFICATION_PATH, encodeReply, forwardedMessage } from '@mosip-reprocess/contract/wire.js';

export interface StandInOptions {
  /** Time the stage takes per notification (ms), as the securezone stage's database read and writes. */
  serviceMs?: number;
  /** Hold replies until this many notifications wait (or `total` have arrived), then answer them all. */
  holdUntil?: number;
  /** With holdUntil: the last, smaller group is released once this many notifications have arrived. */
  total?: number;
  /** With holdUntil: release what is held after this long anyway (ms, default 2000), so a client that never
   * gets that many requests in flight fails its test instead of hanging it. */
  holdTimeoutMs?: number;
  /** Called when a notification arrives, before it is answered. */
  onNotification?(body: { rid: string; workflowInstanceId: string }): void;
  port?: number;
}

export interface StandIn {
  url: string;
  /** TCP connections accepted so far. */
  connections(): number;
  notifications(): number;
  close(): Promise<void>;
}

/** An unsigned token with the JWT's shape (the client reads exp to refresh ahead of expiry). */
function token(): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return `${part({ alg: 'none' })}.${part({ exp: now + 3600, iat: now })}.stand-in`;
}

export async function startStandIn(options: StandInOptions = {}): Promise<StandIn> {
  let connections = 0;
  let notifications = 0;
  let held: (() => void)[] = [];
  let holdTimer: NodeJS.Timeout | null = null;
  const release = () => {
    if (holdTimer) clearTimeout(holdTimer);
    holdTimer = null;
    const answers = held;
    held = [];
    for (const a of answers) a();
  };
  const reply = (res: ServerResponse, rid: string) => {
    res.writeHead(200, { 'content-type': 'text/plain;charset=UTF-8' });
    res.end(encodeReply(forwardedMessage(rid)));
  };
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === AUTH_PATH) {
        res.writeHead(200, { 'content-type': 'application/json', 'set-cookie': `Authorization=${token()}; Path=/; HttpOnly` });
        res.end('{"response":{"status":"Success"},"errors":null}');
        return;
      }
      if (req.url !== NOTIFICATION_PATH) {
        res.writeHead(404).end();
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { rid: string; workflowInstanceId: string };
      notifications += 1;
      options.onNotification?.(body);
      const answer = () => reply(res, body.rid);
      if (options.holdUntil) {
        held.push(answer);
        if (held.length >= options.holdUntil || notifications === options.total) release();
        else if (!holdTimer) holdTimer = setTimeout(release, options.holdTimeoutMs ?? 2000);
      } else if (options.serviceMs) setTimeout(answer, options.serviceMs);
      else answer();
    });
  };
  const server: Server = createServer(onRequest);
  server.keepAliveTimeout = 65_000;
  server.on('connection', () => { connections += 1; });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => connections,
    notifications: () => notifications,
    close: () => new Promise<void>((resolve) => {
      if (holdTimer) clearTimeout(holdTimer);
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
