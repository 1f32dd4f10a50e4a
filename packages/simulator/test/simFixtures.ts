// Helpers for the simulator tests. They talk plain fetch and parse headers by hand, so the wire format is pinned
// independently of src/mosip/wire.ts and of our client.
import { randomUUID } from 'node:crypto';
import { stuckRow as baseStuckRow } from '@mosip-reprocess/testkit/rows.js';
import type { RegistrationRowInput } from '../src/sql/registrationRows.js';

export const SECRET = 'S1mulat0r-Secret-never-printed';
export const AUTH = '/v1/authmanager/authenticate/clientidsecretkey';
export const NOTIFY = '/registrationprocessor/v1/securezone/notification';
export const DAY_MS = 86_400_000;

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
}

export async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

export function authBody(over: { clientId?: string; secretKey?: string; appId?: string } = {}) {
  return {
    id: 'mosip.io.clientId.pwd',
    version: '1.0',
    requesttime: new Date().toISOString(),
    metadata: {},
    request: { clientId: 'mosip-regproc-client', secretKey: SECRET, appId: 'regproc', ...over },
  };
}

/** Gets a token the way the official scripts do: from Set-Cookie, split on ';' then '='. */
export async function token(baseUrl: string, over: { clientId?: string; secretKey?: string } = {}): Promise<string> {
  const reply = await post(baseUrl + AUTH, authBody(over));
  const cookie = reply.headers.get('set-cookie') ?? '';
  const value = cookie.split(';')[0]?.split('=').slice(1).join('=') ?? '';
  if (reply.status !== 200 || !value) throw new Error(`no token: HTTP ${reply.status} ${reply.text}`);
  return value;
}

export function notifyBody(row: { regId: string; process: string; workflowInstanceId: string }, over: Record<string, unknown> = {}) {
  return {
    rid: row.regId, reg_type: row.process, workflowInstanceId: row.workflowInstanceId,
    isValid: true, internalError: false, messageBusAddress: null, retryCount: null, iteration: 1, ...over,
  };
}

export function notify(baseUrl: string, jwt: string, body: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  return post(baseUrl + NOTIFY, body, { cookie: `Authorization=${jwt}`, ...headers });
}

/** A packet stuck for two days in the uploader, with its sync row (the shared test row, fully filled in). */
export function stuckRow(over: Partial<RegistrationRowInput> = {}): RegistrationRowInput {
  return baseStuckRow({
    statusComment: 'Packet uploaded to file system',
    latestTrnId: randomUUID(),
    regProcessRetryCount: 3,
    lastSuccessStageName: 'PacketUploaderStage',
    ...over,
  });
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
