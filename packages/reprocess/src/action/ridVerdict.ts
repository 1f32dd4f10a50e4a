// Whether `reprocess action` may send a RID, from all of its active rows. One rule for every source (--db,
// --file, --registration), so the dry run, the output and the journal name the same RIDs for the same reasons.
//
// MOSIP's workflow action (contract, packages/contract/src/workflowAction.ts) refuses a whole request when a row
// is not PAUSED, but only when it finds as many rows as RIDs: with more rows (a RID with two active rows) it skips
// that check and acts on every row it found, of every RID in the request. So a RID with several active rows is
// sent only when every one of them is PAUSED (and, with --pause-rule, paused under that rule), and alone in its
// request, so that the check MOSIP skips for it is not skipped for other RIDs.
//
// A RESUME_* of a row paused under HOTLISTED_OPERATOR (the operator who registered it is hotlisted; MOSIP's own
// default after the pause is STOP_PROCESSING) also makes the packet immune to that rule: it needs --include-hotlisted.
import { pauseRuleIdsOf, type WorkflowAction } from '@mosip-reprocess/contract/workflowAction.js';
import type { RidState } from '../sql/lookupRidStates.js';

export const HOTLISTED_RULE = 'HOTLISTED_OPERATOR';

export interface RidPolicy {
  action: WorkflowAction;
  /** --pause-rule: every row must be paused under it. */
  pauseRule: string | null;
  /** --include-hotlisted: RESUME_* may take rows paused under HOTLISTED_OPERATOR. */
  includeHotlisted: boolean;
}

export type RidVerdict = { send: true; rows: number } | { send: false; reason: string };

export function ridVerdict(state: RidState | undefined, policy: RidPolicy): RidVerdict {
  if (!state || state.active_rows === 0) return { send: false, reason: 'no active registration row: MOSIP would refuse the whole request (RPR-WAA-003)' };
  const n = state.active_rows;
  const statuses = state.statuses.join(', ');
  const notPaused = state.statuses.filter((s) => s.toUpperCase() !== 'PAUSED');
  if (notPaused.length > 0) {
    return n === 1
      ? { send: false, reason: `status_code ${statuses}, not PAUSED: MOSIP would refuse the whole request (RPR-WAA-004)` }
      : { send: false, reason: `${n} active rows (${statuses}), not all PAUSED: with more rows than RIDs MOSIP skips its PAUSED check and would act on every row; act on this RID by hand` };
  }
  const rules = state.pause_rule_ids.map((ids) => pauseRuleIdsOf(ids));
  const shown = (ids: string[]) => (ids.length > 0 ? ids.join(',') : 'no rule');
  if (policy.pauseRule !== null) {
    const other = rules.filter((ids) => !ids.includes(policy.pauseRule!));
    if (other.length > 0) {
      return { send: false, reason: `${n === 1 ? 'its row is' : `${other.length} of its ${n} active rows are`} paused under ${other.map(shown).join(' / ')}, not --pause-rule ${policy.pauseRule}` };
    }
  }
  if (policy.action !== 'STOP_PROCESSING' && !policy.includeHotlisted) {
    const hot = rules.filter((ids) => ids.includes(HOTLISTED_RULE));
    if (hot.length > 0) {
      return { send: false, reason: `paused under ${hot.map(shown).join(' / ')}: its operator is hotlisted, and ${policy.action} would also make it immune to that rule; add --include-hotlisted to resume it` };
    }
  }
  return { send: true, rows: n };
}

/** The requests for these RIDs: up to `size` RIDs each, and a RID with several active rows alone in its own. */
export function actionBatches<T extends { rows?: number }>(items: readonly T[], size: number): T[][] {
  const batches: T[][] = [];
  let open: T[] = [];
  for (const item of items) {
    if ((item.rows ?? 1) > 1) {
      batches.push([item]);
      continue;
    }
    open.push(item);
    if (open.length === size) {
      batches.push(open);
      open = [];
    }
  }
  if (open.length > 0) batches.push(open);
  return batches;
}
