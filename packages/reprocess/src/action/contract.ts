// MOSIP's workflow action API as the `action` command needs it: route, request, and the reply classified into one
// outcome per RID. Written from the contract (section 8) and mosip/registration v1.2.0.1 (WorkflowActionApi.java,
// WorkflowActionRequestValidator.java, WorkflowActionService.java, PlatformErrorMessages RPR-WAA-000..005 and
// RPR-WAS-000..004). TO RECONCILE: the shared contract module packages/contract/src/workflowAction.ts (another
// branch) holds the same facts; once it is on main this file gives way to it.
//
// What matters for a sender (code reading):
// - workflowIds are RIDs, matched with the active rows of reg_id. The whole request is refused, before any write,
//   when one RID has no active row (RPR-WAA-003 "Workflow id  <rid>  not found in registration table") or one row
//   is not PAUSED (RPR-WAA-004 "Workflow id  <rid> is not PAUSED"); only the first such RID is named, the others of
//   the request did not move and can be sent again without it.
// - id/version/requesttime missing or wrong: RPR-WAA-000 / RPR-WAA-001; unknown action: RPR-WAS-000; nothing written.
// - RPR-WAA-002 / RPR-WAS-003 (unknown exceptions) can come after some rows were written: in doubt.
// - Success: HTTP 200 text/plain envelope, response.statusMessage "Process the workflowIds '[<rids>]' successfully".
// - 401 / 403 as on the securezone route (KER-ATH-401 / KER-ATH-403); roles REGISTRATION_PROCESSOR or GLOBAL_ADMIN.
import { mosipTime } from '@mosip-reprocess/contract/wire.js';

export const WORKFLOW_ACTION_PATH = '/registrationprocessor/v1/workflowmanager/workflowaction';
export const WORKFLOW_ACTIONS = ['RESUME_PROCESSING', 'RESUME_FROM_BEGINNING', 'STOP_PROCESSING'] as const;
export type WorkflowAction = (typeof WORKFLOW_ACTIONS)[number];

export function isWorkflowAction(value: string): value is WorkflowAction {
  return (WORKFLOW_ACTIONS as readonly string[]).includes(value);
}

export function workflowActionRequest(rids: readonly string[], action: WorkflowAction, at: Date = new Date()) {
  return {
    id: 'mosip.registration.processor.workflow.action',
    version: '1.0',
    requesttime: mosipTime(at),
    request: { workflowIds: [...rids], workflowAction: action },
  };
}

export type WorkflowActionOutcome =
  | 'applied' | 'not_paused' | 'not_found' | 'held_back' | 'invalid_request' | 'in_doubt'
  | 'unauthorized' | 'forbidden' | 'server_error' | 'network_error';

/** Outcomes after which the RID is not sent again by --resume (its fate is known, or only a person can decide). */
export const SETTLED_OUTCOMES: ReadonlySet<WorkflowActionOutcome> = new Set(['applied', 'not_paused', 'not_found', 'invalid_request', 'in_doubt']);

export interface WorkflowActionError { errorCode: string; message: string }

export interface ClassifiedReply {
  outcomes: Map<string, WorkflowActionOutcome>;
  error: WorkflowActionError | null;
}

const REQUEST_CODES = new Set(['RPR-WAA-000', 'RPR-WAA-001', 'RPR-WAS-000']);

export function classifyWorkflowActionReply(status: number, body: string, rids: readonly string[]): ClassifiedReply {
  const all = (o: WorkflowActionOutcome) => new Map(rids.map((r) => [r, o] as const));
  if (status === 401) return { outcomes: all('unauthorized'), error: null };
  if (status === 403) return { outcomes: all('forbidden'), error: null };
  if (status !== 200) return { outcomes: all('server_error'), error: null };
  let parsed: { response?: { statusMessage?: unknown } | null; errors?: { errorCode?: unknown; message?: unknown }[] | null };
  try {
    parsed = JSON.parse(body) as typeof parsed;
  } catch {
    return { outcomes: all('in_doubt'), error: null };
  }
  if (parsed === null || typeof parsed !== 'object') return { outcomes: all('in_doubt'), error: null };
  const first = Array.isArray(parsed.errors) ? parsed.errors[0] : undefined;
  if (!first) {
    const ok = parsed.response?.statusMessage === `Process the workflowIds '[${rids.join(', ')}]' successfully`;
    return { outcomes: all(ok ? 'applied' : 'in_doubt'), error: null };
  }
  const error = { errorCode: String(first.errorCode ?? '').trim(), message: String(first.message ?? '') };
  if (REQUEST_CODES.has(error.errorCode)) return { outcomes: all('invalid_request'), error };
  if (error.errorCode === 'RPR-WAA-003' || error.errorCode === 'RPR-WAA-004') {
    const m = /^Workflow id\s+(\S+)\s+(?:not found in registration table|is not PAUSED)$/.exec(error.message.trim());
    const named = m ? rids.find((r) => r.toLowerCase() === m[1]!.toLowerCase()) : undefined;
    const outcomes = all('held_back');
    if (named !== undefined) outcomes.set(named, error.errorCode === 'RPR-WAA-003' ? 'not_found' : 'not_paused');
    return { outcomes, error };
  }
  return { outcomes: all('in_doubt'), error };
}
