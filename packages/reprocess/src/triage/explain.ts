// `reprocess explain <rid>`: one packet's story for the operator who is asked about it: its rows (one per workflow
// instance, active or not), its history in time order, what this tool did to it (the journals in --runs-dir), its
// cohort and verdict, and whether a run with these settings would select it now; if not, why and what to do.
import { ridProblem } from '@mosip-reprocess/contract/rid.js';
import { createPool } from '../db/connect.js';
import { InputError } from '../errors.js';
import { holdBackMessage, includedReasons, MOSIP_MIN_WINDOW_SECONDS, type HoldBackReason } from '../domain/holdBack.js';
import { sendsOfRid, type PacketSend } from '../journal/packetRedrives.js';
import { notSelectedBecause } from '../report/dryRun.js';
import type { Settings } from '../config/settings.js';
import { checkSelection, type RunFlags } from '../config/runSettings.js';
import type { EligibilityCriteria } from '../sql/eligibility.js';
import { holdBackOf } from '../sql/eligibility.js';
import { nowUtcText } from '../sql/nowUtcText.js';
import { inReadOnlySnapshot } from '../sql/readOnlySnapshot.js';
import { ridHistory, type HistoryRow } from '../sql/ridHistory.js';
import { ridRows, type RidRow } from '../sql/ridRows.js';
import { utcCutoff } from '../sql/utcCutoff.js';
import { criteriaOf } from '../source/openSource.js';
import { dbSettingsOf, withDb } from '../db/runDatabase.js';
import { cohortId, cohortKeyOf, transientOf, verdictOf, VERDICT_TEXT, type CohortKey, type Verdict } from '../domain/cohort.js';
import { resolveReadSettings } from './request.js';

/** History rows shown (the newest); the total is always given. */
export const EXPLAIN_HISTORY_LIMIT = 500;

export interface ExplainedRow extends RidRow {
  /** Would a run with these settings select this row now? */
  selected: boolean;
  /** Why not (or, when selected, notes such as "sent anyway because of --include-paused"). */
  why: string[];
  /** What to do about it. */
  todo: string;
  /** The cohort of an active row (as `reprocess triage` groups it). */
  cohort: (CohortKey & { id: string; verdict: Verdict; meaning: string }) | null;
}

export interface ExplainReport {
  kind: 'explain';
  rid: string;
  asOfUtc: string;
  criteria: EligibilityCriteria;
  rows: ExplainedRow[];
  /** The RID's history in time order (the newest EXPLAIN_HISTORY_LIMIT rows), and how many rows it has in all. */
  history: HistoryRow[];
  historyTotal: number;
  /** Every notification this tool's runs in --runs-dir sent for the RID, oldest first. */
  tool: PacketSend[];
  runsDir: string;
}

export async function explainPacket(rid: string, flags: RunFlags, env: NodeJS.ProcessEnv): Promise<{ explain: ExplainReport; settings: Settings }> {
  const problem = ridProblem(rid.trim());
  if (problem) throw new InputError(`"${rid}" is not a RID: ${problem}`);
  const { settings: s, origins } = resolveReadSettings(flags, env);
  checkSelection(s, 'db', origins);
  const pool = createPool(dbSettingsOf(s));
  try {
    const data = await withDb(s, () => inReadOnlySnapshot(pool, async (db) => {
      const criteria = criteriaOf(s, await utcCutoff(db, s.olderThan));
      return {
        criteria,
        rows: await ridRows(db, s.dbSchema, rid.trim(), criteria),
        history: await ridHistory(db, s.dbSchema, rid.trim(), EXPLAIN_HISTORY_LIMIT),
        asOfUtc: await nowUtcText(db),
      };
    }));
    if (data.rows.length === 0 && data.history.total === 0) {
      throw new InputError(`no registration row and no history for RID ${rid.trim()} in schema ${s.dbSchema}`);
    }
    const explain: ExplainReport = {
      kind: 'explain', rid: rid.trim(), asOfUtc: data.asOfUtc, criteria: data.criteria,
      rows: data.rows.map((row) => explainRow(row, data.criteria)),
      history: data.history.rows, historyTotal: data.history.total,
      tool: sendsOfRid(s.runsDir, rid.trim()), runsDir: s.runsDir,
    };
    return { explain, settings: s };
  } finally {
    await pool.end().catch(() => undefined);
  }
}

/** The verdict on one row: would a run select it, why not, what to do. */
export function explainRow(row: RidRow, criteria: EligibilityCriteria): ExplainedRow {
  const rules = holdBackOf(criteria);
  const key = row.active ? cohortKeyOf(row) : null;
  const cohort = key ? { ...key, id: cohortId(key), verdict: verdictOf(key), meaning: VERDICT_TEXT[verdictOf(key)].meaning } : null;
  const base = { ...row, cohort };
  if (!row.active) {
    return {
      ...base, selected: false,
      why: [`inactive (is_active ${row.is_active}, is_deleted ${row.is_deleted}): the securezone stage finds only active rows, so a notification would get the reply null`],
      todo: 'nothing to send for this row; the RID\'s active row (if any) is the one MOSIP works on',
    };
  }
  if (!row.eligible) {
    const reasons = notSelectedBecause(row, criteria);
    return { ...base, selected: false, why: reasons.map(explainNotSelected), todo: todoNotSelected(row, reasons) };
  }
  const held = row.held_reason;
  const facts = {
    reason: held ?? 'paused', status_code: row.status_code, pause_rule_ids: row.pause_rule_ids, trn_retry_count: row.trn_retry_count,
    reg_process_retry_count: row.reg_process_retry_count, latest_trn_dtimes: row.latest_trn_dtimes,
    repeat: row.f_type && row.f_status && row.f_sub ? { trnTypeCode: row.f_type, statusCode: row.f_status, subStatusCode: row.f_sub, times: row.times ?? 0 } : null,
  } as const;
  if (held !== null && !includedReasons(rules).includes(held)) {
    return { ...base, selected: false, why: [`held back (${held}): ${holdBackMessage({ ...facts, reason: held }, rules)}`], todo: todoHeld(held, row, cohort?.id ?? null) };
  }
  const why = held !== null ? [`sent anyway (${held}, included by its --include-* flag): ${holdBackMessage({ ...facts, reason: held }, rules)}`] : [];
  const transient = key ? transientOf(key) : null;
  return {
    ...base, selected: true, why,
    todo: `a run would send it (cohort ${cohort!.id}, ${cohort!.verdict}${transient ? `: ${transient.mosipName}` : ''}): ${VERDICT_TEXT[cohort!.verdict].action.replace('<id>', cohort!.id)}`,
  };
}

function explainNotSelected(reason: string): string {
  if (reason === 'latest_trn_dtimes too recent') return 'latest_trn_dtimes is inside the window (--older-than): MOSIP wrote its row recently and may still be processing it';
  if (reason.startsWith('status_code ')) return `${reason}: the selection leaves finished and failed packets alone (--exclude-statuses)`;
  if (reason.startsWith('latest_trn_status_code ')) return `${reason}: not one the selection takes (--trn-statuses)`;
  if (reason.startsWith('reg_process_retry_count >')) return `${reason} (--max-retries)`;
  return reason;
}

function todoNotSelected(row: RidRow, reasons: string[]): string {
  if (row.status_code === 'PROCESSED') return 'nothing: MOSIP finished it (status_code PROCESSED)';
  if (row.status_code === 'REJECTED') return 'nothing: MOSIP rejected it for good (status_code REJECTED)';
  if (reasons.includes('latest_trn_dtimes too recent')) return 'wait: a later run takes it once its row is older than --older-than (MOSIP\'s floor is 6300 s)';
  if (row.status_code === 'FAILED') {
    return 'find out why it failed first (its history above); MOSIP\'s guide for non-recoverable packets re-drives FAILED ones with the same script: list it with --file or --registration';
  }
  return 'if it should be re-driven, list it with --file or --registration (the --db criteria do not apply to a list; the hold-back still does)';
}

function todoHeld(reason: HoldBackReason, row: RidRow, cohort: string | null): string {
  switch (reason) {
    case 'paused':
      return `move it the MOSIP way: reprocess action RESUME_PROCESSING --registration ${row.reg_id} (pause rule ${row.pause_rule_ids ?? 'none'}${row.default_resume_action ? `, default ${row.default_resume_action} at ${row.resume_timestamp}` : ''}); --include-paused bypasses the pause rule`;
    case 'uploader_budget':
      return 'the packet uploader would fail it on its next pass; raise registration.processor.max.retry in MOSIP (and --uploader-max-retry) or send it anyway with --include-exhausted';
    case 'reprocess_budget':
      return 'MOSIP\'s reprocessor would mark it REPROCESS_FAILED; send it anyway with --include-exhausted if you know why';
    case 'repeating':
      return `fix what the last failure says (a data or configuration error), then send it with --include-repeat-failures${cohort ? ` --cohort ${cohort}` : ''} (or --registration ${row.reg_id} --include-repeat-failures)`;
    case 'recent':
      return `wait: its row was written within ${MOSIP_MIN_WINDOW_SECONDS} s and a stage may still be working on it; a later run takes it (--allow-short-window sends it now)`;
  }
}
