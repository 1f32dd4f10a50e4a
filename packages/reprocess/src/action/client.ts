// Sends one workflow action request with the client token (shared with the notifier's MosipClient: same
// authmanager, same cookie), and classifies the reply per RID. A 401 gets one fresh token and one more try.
import { readFileSync } from 'node:fs';
import type { Agent } from 'undici';
import { lazy } from '../lazy.js';

const undici = lazy<typeof import('undici')>('undici');
import { authCookie } from '@mosip-reprocess/contract/wire.js';
import type { MosipClient } from '../notifier/client.js';
import { classifyWorkflowActionReply, WORKFLOW_ACTION_PATH, workflowActionRequest, type ClassifiedReply, type WorkflowAction } from './contract.js';

export interface ActionReply extends ClassifiedReply {
  http: number | null;
  /** The reply text (scrubbed of the token), or the network error. */
  text: string;
}

export class WorkflowActionClient {
  private readonly agent: Agent;

  constructor(private readonly auth: MosipClient, private readonly actionServer: string, tls: { caFile?: string | undefined; insecure: boolean; timeoutSeconds: number }) {
    const ca = tls.caFile ? readFileSync(tls.caFile) : undefined;
    this.agent = new (undici().Agent)({
      headersTimeout: tls.timeoutSeconds * 1000, bodyTimeout: tls.timeoutSeconds * 1000,
      connect: { rejectUnauthorized: !tls.insecure, ...(ca ? { ca } : {}), timeout: tls.timeoutSeconds * 1000 },
    });
  }

  async send(rids: readonly string[], action: WorkflowAction): Promise<ActionReply> {
    let token = await this.auth.authenticate();
    let reply = await this.post(rids, action, token);
    if (reply.http === 401) {
      this.auth.forget(token);
      token = await this.auth.authenticate();
      reply = await this.post(rids, action, token);
    }
    return reply;
  }

  private async post(rids: readonly string[], action: WorkflowAction, token: string): Promise<ActionReply> {
    try {
      const url = new URL(this.actionServer + WORKFLOW_ACTION_PATH);
      const res = await this.agent.request({
        origin: url.origin, path: url.pathname + url.search, method: 'POST',
        headers: { 'content-type': 'application/json', cookie: authCookie(token) },
        body: JSON.stringify(workflowActionRequest(rids, action)),
      });
      const text = (await res.body.text()).split(token).join('<token>');
      return { ...classifyWorkflowActionReply(res.statusCode, text, rids), http: res.statusCode, text: text.slice(0, 2000) };
    } catch (err) {
      return {
        outcomes: new Map(rids.map((r) => [r, 'network_error'] as const)), error: null, reply: null, http: null,
        text: (err as Error).message ?? String(err),
      };
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}
