// `--dry-run`: what a run would do, without sending anything or fetching a token. One plain-data report (what
// `--json` prints as one document) built from read-only SQL (src/sql/breakdown.ts), and its terminal rendering.
//
// Every breakdown (byStage, byProcess, byStatus, byAge) sums to `matched`. For --db the breakdowns cover every
// matched row, not only the `willTake` the limit lets through. For a list, packets whose workflow id has no
// active row are counted in the row-based breakdowns under NO_ACTIVE_ROW (age bucket 'no_row'), and byProcess
// counts the process each packet will be SENT with, which is what MOSIP routes by.
import type pg from 'pg';
import type { Packet } from '../domain/packet.js';
import { workflowKey } from '../domain/packetKey.js';
import { eligibleBreakdown, type AgeCount, type ProcessCount, type StageCount, type StatusCount } from '../sql/eligibleBreakdown.js';
import { eligibleSample } from '../sql/eligibleSample.js';
import { lookupListedRows, type ListedRow } from '../sql/lookupListedRows.js';
import { nowUtcText } from '../sql/nowUtcText.js';
import { AGE_BUCKETS, type AgeBucket, type SampleRow } from '../sql/rowFacts.js';
import { selectionCounts, type HeldBackCount } from '../sql/selectionCounts.js';
import { reprocessorActivity, type ReprocessorActivity } from '../sql/reprocessorActivity.js';
import { inReadOnlySnapshot } from '../sql/readOnlySnapshot.js';
import { holdBackOf, type EligibilityCriteria } from '../sql/eligibility.js';
import { holdBackMessage, includedReasons, MOSIP_MIN_WINDOW_SECONDS, type HoldBackReason, type HoldBackRules } from '../domain/holdBack.js';
import { cell, percent, plural, renderTable } from './table.js';
import { cohortId, cohortKeyOf, heldCohortsOf, type HeldCohort } from '../domain/cohort.js';
import { packetFacts } from '../sql/packetFacts.js';

export type { AgeCount, ProcessCount, StageCount, StatusCount } from '../sql/eligibleBreakdown.js';
export type { SampleRow } from '../sql/rowFacts.js';
export type { HeldBackCount } from '../sql/selectionCounts.js';
export type { ReprocessorActivity } from '../sql/reprocessorActivity.js';

/** The key packets without an active row are counted under in byStage and byStatus. */
export const NO_ACTIVE_ROW = '(no active row)';
export type DryRunAgeBucket = AgeBucket | 'no_row';

export const AGE_LABELS: Record<DryRunAgeBucket, string> = {
  lt_1d: '< 1 d',
  '1d_7d': '1-7 d',
  '7d_30d': '7-30 d',
  gt_30d: '> 30 d',
  none: 'none (NULL)',
  no_row: NO_ACTIVE_ROW,
};

export type DryRunWarningCode =
  | 'not_found' | 'inactive' | 'not_eligible' | 'no_sync_row' | 'rid_mismatch' | 'process_mismatch' | 'duplicate'
  | 'not_checked' | 'held_back' | 'sent_anyway' | 'taken_from_row';

export interface DryRunWarning {
  code: DryRunWarningCode;
  /** How many packets (rows) it concerns. */
  count: number;
  message: string;
  /** The first few concerned packets ("<origin>: <workflow id> ..."); empty for --db, which fetches no rows. */
  examples: string[];
}

export interface DryRunReport {
  kind: 'dry-run';
  /** 'db': the --db selection; 'list': packets from --file or --registration. */
  source: 'db' | 'list';
  /** false for a list when no database is configured: only the packets themselves are shown. */
  checkedAgainstDb: boolean;
  /** UTC time (ISO) the database state and the ages refer to; null without a database. */
  asOfUtc: string | null;
  /** The selection's criteria (for a list: what eligibility was checked against); null without a database. */
  criteria: EligibilityCriteria | null;
  /** Packets the selection matches (a list: distinct packets listed), not capped by the limit. */
  matched: number;
  limit: number;
  /** What this run would send: min(limit, matched). */
  willTake: number;
  /** latest_trn_type_code x latest_trn_status_code, count descending; null without a database. */
  byStage: StageCount[] | null;
  byProcess: ProcessCount[];
  /** status_code, count descending; null without a database. */
  byStatus: StatusCount[] | null;
  /** Age of latest_trn_dtimes, in bucket order (every bucket present); null without a database. */
  byAge: AgeCount<DryRunAgeBucket>[] | null;
  /** The first packets the run would send, in sending order (at most the sample size and willTake). */
  sample: SampleRow[];
  warnings: DryRunWarning[];
  /**
   * Packets the guide's query (or the list) names that MOSIP would not move now: paused, or a retry budget spent
   * (domain/holdBack.ts). `counts` by reason, status_code and pause_rule_ids; `skipped` are left out of this
   * run, `sentAnyway` are taken because of --include-paused / --include-exhausted. null without a database.
   */
  heldBack: { rules: HoldBackRules; counts: HeldBackCount[]; skipped: number; sentAnyway: number; repeatingCohorts: HeldCohort[] } | null;
  /** MOSIP's reprocessor in the last hour (its runs overlap ours); null without a database. */
  reprocessor: ReprocessorActivity | null;
  /** --pace auto: how the run would pace and what it would count as dropped (absent with fixed pacing). */
  pace?: { maxWaitSeconds: number; dropped: string };
}

export const DEFAULT_SAMPLE_SIZE = 10;
/** Workflow ids per lookup statement. */
export const LOOKUP_BATCH_SIZE = 1000;
const EXAMPLES_PER_WARNING = 5;

/** --db: counts and breakdowns of the selection, aggregated in the database, plus the first rows it would send. */
export async function buildDbDryRun(
  pool: pg.Pool, schema: string, criteria: EligibilityCriteria, limit: number, sampleSize = DEFAULT_SAMPLE_SIZE,
): Promise<DryRunReport> {
  const { breakdown, sample, counts, reprocessor } = await inReadOnlySnapshot(pool, async (db) => ({
    breakdown: await eligibleBreakdown(db, schema, criteria),
    sample: await eligibleSample(db, schema, criteria, Math.min(sampleSize, limit)),
    counts: await selectionCounts(db, schema, criteria),
    reprocessor: await reprocessorActivity(db, schema),
  }));
  const warnings: DryRunWarning[] = [];
  const heldBack = heldBackSummary(holdBackOf(criteria), counts.held, heldCohortsOf(counts.repeating));
  if (heldBack.sentAnyway > 0) {
    warnings.push({
      code: 'sent_anyway', count: heldBack.sentAnyway, examples: [],
      message: `${plural(heldBack.sentAnyway, 'matched row')} that MOSIP would not move now (paused or retry budget spent) or that repeat a failure ARE taken because of --include-paused / --include-exhausted / --include-repeat-failures`,
    });
  }
  if (breakdown.inactive > 0) {
    warnings.push({
      code: 'inactive', count: breakdown.inactive, examples: [],
      message: `${plural(breakdown.inactive, 'matched row')} inactive or deleted: the securezone stage does not find them (reply null, nothing changes)`,
    });
  }
  if (breakdown.withoutSyncRow > 0) {
    warnings.push({
      code: 'no_sync_row', count: breakdown.withoutSyncRow, examples: [],
      message: `${plural(breakdown.withoutSyncRow, 'matched row')} without a registration_list (sync) row: the stage cannot handle them (an error reply, nothing written; MOSIP audits RPR-SEZ-001)`,
    });
  }
  return {
    kind: 'dry-run',
    source: 'db',
    checkedAgainstDb: true,
    asOfUtc: breakdown.asOfUtc,
    criteria,
    matched: breakdown.matched,
    limit,
    willTake: Math.min(limit, breakdown.matched),
    byStage: sortStages(breakdown.byStage),
    byProcess: byCountThenKey(breakdown.byProcess, (e) => e.process),
    byStatus: byCountThenKey(breakdown.byStatus, (e) => e.statusCode),
    byAge: AGE_BUCKETS.map((bucket) => ({ bucket, count: breakdown.byAge.find((a) => a.bucket === bucket)?.count ?? 0 })),
    sample,
    warnings,
    heldBack,
    reprocessor,
  };
}

function heldBackSummary(rules: HoldBackRules, counts: HeldBackCount[], repeatingCohorts: HeldCohort[]): NonNullable<DryRunReport['heldBack']> {
  const included = new Set<HoldBackReason>(includedReasons(rules));
  let skipped = 0;
  let sentAnyway = 0;
  for (const c of counts) {
    if (included.has(c.reason)) sentAnyway += c.count;
    else skipped += c.count;
  }
  return { rules, counts, skipped, sentAnyway, repeatingCohorts };
}

/**
 * --file / --registration: the same report for the rows the packets name (looked up by workflow id in batches),
 * with warnings for packets the stage will not find, will refuse, or that the --db criteria would not select.
 * `pool` null (no database configured): only the count, the processes and a sample of the packets themselves.
 * `criteria` is required with a pool (eligibility is checked against it). Note the argument order: sampleSize,
 * then limit (buildDbDryRun takes limit, then sampleSize).
 */
export async function buildListDryRun(
  pool: pg.Pool | null, schema: string, packets: readonly Packet[], criteria: EligibilityCriteria | null,
  sampleSize: number, limit: number,
): Promise<DryRunReport> {
  const { unique, duplicates } = distinctByWorkflowId(packets);
  const sampleCount = Math.min(sampleSize, limit);
  const byProcess = new Tally<ProcessCount>();
  for (const p of unique) byProcess.add([p.process], () => ({ process: p.process, count: 0 }));
  const processes = byCountThenKey(byProcess.list(), (e) => e.process);
  const warnings = new WarningList();
  for (const p of duplicates) warnings.add('duplicate', `${p.origin}: ${p.workflowInstanceId}`);

  if (pool === null) {
    warnings.addMany('not_checked', unique.length, []);
    const willTake = Math.min(limit, unique.length);
    return {
      kind: 'dry-run', source: 'list', checkedAgainstDb: false, asOfUtc: null, criteria: null,
      matched: unique.length, limit, willTake,
      byStage: null, byProcess: processes, byStatus: null, byAge: null,
      sample: unique.slice(0, Math.min(sampleCount, willTake)).map((p) => sampleOf(p, null)),
      warnings: warnings.list(),
      heldBack: null, reprocessor: null,
    };
  }
  if (criteria === null) throw new Error('buildListDryRun: criteria are required when a database is given');

  const stages = new Tally<StageCount>();
  const statuses = new Tally<StatusCount>();
  const ages = new Map<DryRunAgeBucket, number>();
  const notSelectedReasons = new Map<string, number>();
  const sample: SampleRow[] = [];
  const rules = holdBackOf(criteria);
  const included = new Set<HoldBackReason>(includedReasons(rules));
  const held = new Tally<HeldBackCount>();
  const repeatingIds: string[] = [];
  let skippedHeld = 0;

  const { asOfUtc, reprocessor, repeatingCohorts } = await inReadOnlySnapshot(pool, async (db) => {
    for (let start = 0; start < unique.length; start += LOOKUP_BATCH_SIZE) {
      const batch = unique.slice(start, start + LOOKUP_BATCH_SIZE);
      const rows = await lookupListedRows(db, schema, batch.map((p) => p.workflowInstanceId), criteria);
      const rowOf = new Map(rows.map((r) => [r.workflow_instance_id, r]));
      batch.forEach((packet) => {
        const found = rowOf.get(packet.workflowInstanceId);
        const row = found?.active ? found : null;
        const where = `${packet.origin}: ${packet.workflowInstanceId}`;
        const reason = row?.held_reason ?? null;
        if (row && reason) {
          if (reason === 'repeating') repeatingIds.push(packet.workflowInstanceId);
          held.add([reason, row.status_code, row.pause_rule_ids],
            () => ({ reason, statusCode: row.status_code, pauseRuleIds: row.pause_rule_ids, count: 0 }));
          const why = holdBackMessage({ ...row, reason }, rules);
          if (included.has(reason)) warnings.add('sent_anyway', `${where} (${why})`);
          else {
            skippedHeld += 1;
            warnings.add('held_back', `${where} (${why})`);
          }
        }
        const skipped = row !== null && reason !== null && !included.has(reason);
        if (!skipped && sample.length < sampleCount) sample.push(sampleOf(packet, row));
        if (!row) {
          warnings.add(found ? 'inactive' : 'not_found', where);
          stages.add([NO_ACTIVE_ROW], () => ({ typeCode: NO_ACTIVE_ROW, statusCode: NO_ACTIVE_ROW, count: 0 }));
          statuses.add([NO_ACTIVE_ROW], () => ({ statusCode: NO_ACTIVE_ROW, count: 0 }));
          ages.set('no_row', (ages.get('no_row') ?? 0) + 1);
          return;
        }
        stages.add([row.latest_trn_type_code, row.latest_trn_status_code],
          () => ({ typeCode: row.latest_trn_type_code, statusCode: row.latest_trn_status_code, count: 0 }));
        statuses.add([row.status_code], () => ({ statusCode: row.status_code, count: 0 }));
        ages.set(row.age, (ages.get(row.age) ?? 0) + 1);
        if (!row.eligible) {
          const reasons = notSelectedBecause(row, criteria);
          for (const reason of reasons) notSelectedReasons.set(reason, (notSelectedReasons.get(reason) ?? 0) + 1);
          warnings.add('not_eligible', `${where} (${reasons.join(', ')})`);
        }
        if (!row.synced) warnings.add('no_sync_row', where);
        // The stage compares the RID case-insensitively and routes by the reg_type it is sent.
        if (row.reg_id.toLowerCase() !== packet.rid.toLowerCase()) warnings.add('rid_mismatch', `${where} (listed ${packet.rid}, row ${row.reg_id})`);
        if (row.process !== packet.process) warnings.add('process_mismatch', `${where} (listed ${packet.process}, row ${row.process})`);
      });
    }
    // The repeating ones by cohort, from their facts (the triage's statement).
    const groups = new Map<string, { stage: string | null; failureStage: string; status: string; subStatus: string; comment: string | null; count: number; sampleRid: string }>();
    for (let start = 0; start < repeatingIds.length; start += LOOKUP_BATCH_SIZE) {
      for (const f of await packetFacts(db, schema, repeatingIds.slice(start, start + LOOKUP_BATCH_SIZE), rules)) {
        if (f.f_type === null || f.f_status === null || f.f_sub === null) continue;
        const id = cohortId(cohortKeyOf(f));
        const g = groups.get(id);
        if (g) { g.count += 1; if (f.reg_id < g.sampleRid) g.sampleRid = f.reg_id; } else {
          groups.set(id, { stage: f.latest_trn_type_code, failureStage: f.f_type, status: f.f_status, subStatus: f.f_sub, comment: f.f_comment, count: 1, sampleRid: f.reg_id });
        }
      }
    }
    return { asOfUtc: await nowUtcText(db), reprocessor: await reprocessorActivity(db, schema), repeatingCohorts: heldCohortsOf([...groups.values()]) };
  });
  const willTake = Math.min(limit, unique.length - skippedHeld);
  sample.splice(willTake);

  const ageBuckets: DryRunAgeBucket[] = [...AGE_BUCKETS, ...(ages.has('no_row') ? ['no_row' as const] : [])];
  return {
    kind: 'dry-run', source: 'list', checkedAgainstDb: true, asOfUtc, criteria,
    matched: unique.length, limit, willTake,
    byStage: sortStages(stages.list()),
    byProcess: processes,
    byStatus: byCountThenKey(statuses.list(), (e) => e.statusCode),
    byAge: ageBuckets.map((bucket) => ({ bucket, count: ages.get(bucket) ?? 0 })),
    sample,
    warnings: warnings.list(notSelectedReasons),
    heldBack: heldBackSummary(rules, held.list(), repeatingCohorts),
    reprocessor,
  };
}

/** Why the --db selection would not take this (active) row; the SQL decides eligibility, this only explains it. */
export function notSelectedBecause(row: ListedRow, c: EligibilityCriteria): string[] {
  const reasons: string[] = [];
  if (row.status_code !== null && c.excludeStatuses.includes(row.status_code)) reasons.push(`status_code ${row.status_code}`);
  if (row.latest_trn_status_code === null || !c.trnStatuses.includes(row.latest_trn_status_code)) {
    reasons.push(`latest_trn_status_code ${cell(row.latest_trn_status_code)}`);
  }
  if (row.reg_process_retry_count === null) reasons.push('reg_process_retry_count NULL');
  else if (row.reg_process_retry_count > c.maxRetries) reasons.push(`reg_process_retry_count > ${c.maxRetries}`);
  if (row.latest_trn_dtimes === null) reasons.push('latest_trn_dtimes NULL');
  else if (!row.beforeCutoff) reasons.push('latest_trn_dtimes too recent');
  if (c.stages !== null && (row.latest_trn_type_code === null || !c.stages.includes(row.latest_trn_type_code))) {
    reasons.push(`latest_trn_type_code ${cell(row.latest_trn_type_code)} not in the stage list`);
  }
  return reasons.length > 0 ? reasons : ['other'];
}

function sampleOf(p: Packet, row: ListedRow | null): SampleRow {
  return {
    reg_id: p.rid,
    workflow_instance_id: p.workflowInstanceId,
    process: p.process,
    status_code: row?.status_code ?? null,
    latest_trn_type_code: row?.latest_trn_type_code ?? null,
    latest_trn_status_code: row?.latest_trn_status_code ?? null,
    latest_trn_dtimes: row?.latest_trn_dtimes ?? null,
    reg_process_retry_count: row?.reg_process_retry_count ?? null,
    iteration: p.iteration,
    source: p.source,
  };
}

function distinctByWorkflowId(packets: readonly Packet[]): { unique: Packet[]; duplicates: Packet[] } {
  const seen = new Set<string>();
  const unique: Packet[] = [];
  const duplicates: Packet[] = [];
  for (const p of packets) {
    if (seen.has(workflowKey(p.workflowInstanceId))) duplicates.push(p);
    else {
      seen.add(workflowKey(p.workflowInstanceId));
      unique.push(p);
    }
  }
  return { unique, duplicates };
}

/** Counts entries by a composite key (nulls included). */
class Tally<T extends { count: number }> {
  private readonly entries = new Map<string, T>();

  add(key: unknown[], make: () => T): void {
    const k = JSON.stringify(key);
    let entry = this.entries.get(k);
    if (!entry) {
      entry = make();
      this.entries.set(k, entry);
    }
    entry.count += 1;
  }

  list(): T[] {
    return [...this.entries.values()];
  }
}

const WARNING_ORDER: readonly DryRunWarningCode[] = [
  'held_back', 'sent_anyway', 'not_found', 'inactive', 'rid_mismatch', 'no_sync_row', 'not_eligible', 'process_mismatch',
  'duplicate', 'not_checked',
];

/** Collects warnings per code: a count and the first few examples. */
class WarningList {
  private readonly byCode = new Map<DryRunWarningCode, { count: number; examples: string[] }>();

  add(code: DryRunWarningCode, example: string): void {
    this.addMany(code, 1, [example]);
  }

  addMany(code: DryRunWarningCode, count: number, examples: string[]): void {
    const w = this.byCode.get(code) ?? { count: 0, examples: [] };
    w.count += count;
    for (const e of examples) if (w.examples.length < EXAMPLES_PER_WARNING) w.examples.push(e);
    this.byCode.set(code, w);
  }

  list(notSelectedReasons = new Map<string, number>()): DryRunWarning[] {
    return WARNING_ORDER.flatMap((code) => {
      const w = this.byCode.get(code);
      return w && w.count > 0 ? [{ code, count: w.count, message: listWarningMessage(code, w.count, notSelectedReasons), examples: w.examples }] : [];
    });
  }
}

export function listWarningMessage(code: DryRunWarningCode, n: number, notSelectedReasons = new Map<string, number>()): string {
  const packets = plural(n, 'packet');
  switch (code) {
    case 'not_found': return `${packets} without a registration row for the workflow id: the stage replies null and changes nothing`;
    case 'inactive': return `${packets} whose row is inactive or deleted: the stage does not find it (reply null, nothing changes)`;
    case 'rid_mismatch': return `${packets} listed with a RID other than the row's reg_id: the stage refuses them ("has not been uploaded")`;
    case 'no_sync_row': return `${packets} without a registration_list (sync) row: the stage cannot handle them (an error reply, nothing written; MOSIP audits RPR-SEZ-001)`;
    case 'not_eligible': {
      const reasons = [...notSelectedReasons.entries()].sort((a, b) => b[1] - a[1]).map(([r, k]) => `${r}: ${k}`).join('; ');
      // Contract section 5: the stage does not check status_code, so such packets re-run the whole pipeline.
      return `${packets} that the --db criteria would NOT select, yet will be sent and re-run the pipeline (${reasons})`;
    }
    case 'process_mismatch': return `${packets} listed with a process other than the row's: MOSIP routes by the process sent`;
    case 'duplicate': return `${plural(n, 'entry', 'entries')} repeating a workflow id already listed: each packet is sent once`;
    case 'not_checked': return `${packets} not checked: no database configured (stage, status, age and eligibility unknown; pauses and retry budgets could not be checked)`;
    case 'held_back': return `${packets} that MOSIP would not move now (paused, or retry budget spent), that repeat a failure, or whose row was written within 6300 s will be SKIPPED`;
    case 'sent_anyway': return `${packets} that MOSIP would not move now (paused, or retry budget spent), that repeat a failure, or whose row was written within 6300 s will be sent anyway (--include-paused / --include-exhausted / --include-repeat-failures / --allow-short-window)`;
    case 'taken_from_row': return `${packets} listed with an iteration or source other than their row's: the row's are sent, as MOSIP's own senders do`;
  }
}

function byCountThenKey<T extends { count: number }>(entries: T[], key: (e: T) => string | null): T[] {
  return [...entries].sort((a, b) => b.count - a.count || compareKeys(key(a), key(b)));
}

function sortStages(entries: StageCount[]): StageCount[] {
  return [...entries].sort((a, b) => b.count - a.count || compareKeys(a.typeCode, b.typeCode) || compareKeys(a.statusCode, b.statusCode));
}

/** NULL last, otherwise alphabetical: a stable order for equal counts. */
function compareKeys(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -1 : 1;
}

// ---- rendering ---------------------------------------------------------------------------------------------

/** The report as aligned text tables for a terminal. */
export function renderDryRun(r: DryRunReport): string {
  const out: string[] = ['DRY RUN: nothing is sent and no token is fetched.', ''];
  out.push(r.source === 'db' ? 'Selection (--db)' : 'Packets listed (--file / --registration)');
  if (r.criteria && r.source === 'list') out.push('  rows checked against the --db criteria:');
  if (r.criteria) out.push(...criteriaLines(r.criteria));
  if (r.asOfUtc) out.push(`  database state as of  ${r.asOfUtc}`);
  out.push(`  matched    ${String(r.matched).padStart(9)}  ${r.source === 'db' ? 'rows (all of them, not capped by --limit)' : 'distinct packets'}`);
  out.push(`  will take  ${String(r.willTake).padStart(9)}  (--limit ${r.limit}${r.willTake < r.matched ? `; ${r.matched - r.willTake} left for later runs` : ''})`);

  const total = r.matched;
  const countCells = (n: number) => [String(n), percent(n, total)];
  if (r.byStage) {
    out.push('', 'By stage (latest_trn_type_code x latest_trn_status_code)');
    out.push(...renderTable(
      [{ header: 'LATEST_TRN_TYPE_CODE' }, { header: 'LATEST_TRN_STATUS_CODE' }, { header: 'COUNT', align: 'right' }, { header: '%', align: 'right' }],
      r.byStage.map((e) => e.typeCode === NO_ACTIVE_ROW ? [NO_ACTIVE_ROW, '', ...countCells(e.count)] : [cell(e.typeCode), cell(e.statusCode), ...countCells(e.count)]),
    ));
  }
  out.push('', r.source === 'db' ? 'By process' : 'By process (as it will be sent)');
  out.push(...renderTable(
    [{ header: 'PROCESS' }, { header: 'COUNT', align: 'right' }, { header: '%', align: 'right' }],
    r.byProcess.map((e) => [cell(e.process), ...countCells(e.count)]),
  ));
  if (r.byStatus) {
    out.push('', 'By status_code');
    out.push(...renderTable(
      [{ header: 'STATUS_CODE' }, { header: 'COUNT', align: 'right' }, { header: '%', align: 'right' }],
      r.byStatus.map((e) => [cell(e.statusCode), ...countCells(e.count)]),
    ));
  }
  if (r.byAge) {
    out.push('', `By age of latest_trn_dtimes${r.asOfUtc ? ` (UTC, as of ${r.asOfUtc})` : ''}`);
    out.push(...renderTable(
      [{ header: 'AGE' }, { header: 'COUNT', align: 'right' }, { header: '%', align: 'right' }],
      r.byAge.map((e) => [AGE_LABELS[e.bucket], ...countCells(e.count)]),
    ));
  }
  if (r.heldBack) out.push('', ...heldBackLines(r.heldBack, r.source));
  if (r.reprocessor) out.push('', ...reprocessorLines(r.reprocessor));
  out.push('', r.sample.length > 0 ? `Sample: the first ${plural(r.sample.length, 'packet')} the run would send` : 'Sample: nothing would be sent');
  if (r.sample.length > 0) {
    out.push(...renderTable(
      [
        { header: 'REG_ID' }, { header: 'WORKFLOW_INSTANCE_ID' }, { header: 'PROCESS' }, { header: 'STATUS_CODE' },
        { header: 'LATEST_TRN_TYPE' }, { header: 'LATEST_TRN_STATUS' }, { header: 'LATEST_TRN_DTIMES (UTC)' },
        { header: 'RETRIES', align: 'right' }, { header: 'ITER', align: 'right' }, { header: 'SOURCE' },
      ],
      r.sample.map((s) => [
        s.reg_id, s.workflow_instance_id, s.process, cell(s.status_code), cell(s.latest_trn_type_code),
        cell(s.latest_trn_status_code), cell(s.latest_trn_dtimes), cell(s.reg_process_retry_count), cell(s.iteration), cell(s.source),
      ]),
    ));
  }
  if (r.warnings.length > 0) {
    out.push('', 'Warnings');
    for (const w of r.warnings) {
      out.push(`  ! ${w.message}`);
      for (const e of w.examples) out.push(`      ${e}`);
      if (w.count > w.examples.length && w.examples.length > 0) out.push(`      ... and ${w.count - w.examples.length} more`);
    }
  }
  if (r.pace) {
    out.push('', 'Pacing (--pace auto)', `  the rate follows what the pipeline drains, its waiting time kept under --max-wait ${r.pace.maxWaitSeconds} s;`, `  ${r.pace.dropped}`);
  }
  return out.join('\n');
}

/** The hold-back reasons in an operator's words (the dry run's and the triage's tables). */
export const REASON_LABELS: Record<HoldBackReason, string> = {
  paused: 'paused',
  uploader_budget: 'uploader retry budget spent',
  reprocess_budget: 'reprocess attempts spent',
  recent: 'written within 6300 s',
  repeating: 'repeating failure',
};

/**
 * The held-back part of a dry run in words and rows, for the text and the HTML alike: a headline, what the
 * reasons mean, and one row per reason, status_code and pause rules (null: nothing held back).
 */
export interface TableView { header: string[]; rows: string[][] }

export function heldBackView(h: NonNullable<DryRunReport['heldBack']>, source: DryRunReport['source']): TableView & {
  headline: string; explain: string[]; cohorts: (TableView & { title: string }) | null;
} {
  const whose = source === 'db' ? "rows the guide's query would take" : 'packets listed';
  if (h.counts.length === 0) return { headline: `Held back: none of the ${whose} is paused, past a retry budget, repeating a failure or written within ${MOSIP_MIN_WINDOW_SECONDS} s`, explain: [], header: [], rows: [], cohorts: null };
  const included = new Set<HoldBackReason>(includedReasons(h.rules));
  return {
    headline: `Held back: ${plural(h.skipped, 'packet')} of the ${whose} left out, ${h.sentAnyway} sent anyway`,
    explain: [
      '(paused: status_code PAUSED, PAUSED_FOR_ADDITIONAL_INFO or RESUMABLE; include with --include-paused;',
      ` retry budgets: trn_retry_count + 1 >= ${h.rules.uploaderMaxRetry} (--uploader-max-retry), reg_process_retry_count = ${h.rules.reprocessAttemptCount} (--reprocess-attempt-count), include with --include-exhausted;`,
      ` written within ${MOSIP_MIN_WINDOW_SECONDS} s: may still be inside ABIS or manual verification, include with --allow-short-window;`,
      ` repeating: the same failure ${h.rules.repeatFailures} times or more in registration_transaction, the stage never past it (--repeat-failures), include with --include-repeat-failures)`,
    ],
    header: ['REASON', 'STATUS_CODE', 'PAUSE_RULE_IDS', 'COUNT', 'THIS RUN'],
    rows: h.counts.map((c) => [REASON_LABELS[c.reason], cell(c.statusCode), cell(c.pauseRuleIds), String(c.count), included.has(c.reason) ? 'SENT ANYWAY' : 'left out']),
    cohorts: h.repeatingCohorts.length === 0 ? null : {
      title: `Repeating failures by cohort (${included.has('repeating') ? 'SENT ANYWAY' : 'left out'}; \`reprocess triage\` shows every cohort, \`reprocess explain <rid>\` one packet)`,
      header: ['COHORT', 'STUCK AT', 'LAST FAILURE', 'COUNT', 'SAMPLE RID', 'COMMENT'],
      rows: h.repeatingCohorts.map((c) => [c.id, cell(c.stage), `${c.failureStage} ${c.status} ${c.subStatus}`, String(c.count), c.sampleRid, cell(c.comment)]),
    },
  };
}

function heldBackLines(h: NonNullable<DryRunReport['heldBack']>, source: DryRunReport['source']): string[] {
  const v = heldBackView(h, source);
  if (v.rows.length === 0) return [v.headline];
  const columns = (t: TableView) => t.header.map((header) => (header === 'COUNT' ? { header, align: 'right' as const } : { header }));
  return [
    v.headline,
    ...v.explain.map((line) => `  ${line}`),
    ...renderTable(columns(v), v.rows),
    ...(v.cohorts ? ['', v.cohorts.title, ...renderTable(columns(v.cohorts), v.cohorts.rows)] : []),
  ];
}

/** MOSIP's reprocessor in the last hour, in words (the first line says whether it is active), for text and HTML. */
export function reprocessorLines(a: ReprocessorActivity): string[] {
  if (a.transactions === 0) {
    return [`MOSIP's reprocessor: no PACKET_REPROCESS transaction in the last ${Math.round(a.windowSeconds / 60)} min (it looks idle or disabled)`];
  }
  return [
    `MOSIP's reprocessor: ACTIVE, ${a.capped ? 'more than ' : ''}${a.transactions} PACKET_REPROCESS transactions in the last ${Math.round(a.windowSeconds / 60)} min, the latest at ${a.lastAtUtc} (UTC)`,
    '  its runs overlap this one: a packet both re-drive can be processed twice at once (duplicate UINs, MOSIP-26697);',
    '  keep --older-than above its window (6300 s), or pause the reprocessor for the night',
  ];
}

function criteriaLines(c: EligibilityCriteria): string[] {
  return [
    `  latest_trn_status_code IN (${c.trnStatuses.join(', ')})`,
    `  reg_process_retry_count <= ${c.maxRetries}`,
    `  latest_trn_dtimes < ${c.cutoffUtc} (UTC)`,
    `  status_code NOT IN (${c.excludeStatuses.join(', ')})`,
    c.stages === null ? '  latest_trn_type_code: any (APPROACH 1)' : `  latest_trn_type_code IN (${c.stages.join(', ')}) (APPROACH 2)`,
  ];
}
