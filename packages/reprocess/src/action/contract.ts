// MOSIP's workflow action API as the `action` command needs it. The wire facts (route, request, reply envelope,
// the RPR-WAA codes and the classifier of a reply into one outcome per RID) are the contract's, shared with the
// simulator: packages/contract/src/workflowAction.ts. What the product adds is which outcomes settle a RID.
import type { WorkflowActionOutcome } from '@mosip-reprocess/contract/workflowAction.js';

export {
  classifyWorkflowActionReply, isWorkflowAction, WORKFLOW_ACTION_PATH, WORKFLOW_ACTIONS, workflowActionRequest,
  type ClassifiedWorkflowActionReply as ClassifiedReply, type WorkflowAction, type WorkflowActionError, type WorkflowActionOutcome,
} from '@mosip-reprocess/contract/workflowAction.js';

/** Outcomes after which the RID is not sent again by --resume (its fate is known, or only a person can decide). */
export const SETTLED_OUTCOMES: ReadonlySet<WorkflowActionOutcome> = new Set(['applied', 'not_paused', 'not_found', 'invalid_request', 'in_doubt']);
