// Which packets a run takes: the database selection (APPROACH 1/2, --all batches, a custom query) or a list
// (--file, --registration), with the database errors an operator can act on.
import type pg from 'pg';
import { describeDb, type DbSettings } from '../db/connect.js';
import type { Packet } from '../domain/packet.js';
import { workflowKey } from '../domain/packetKey.js';
import { APPROACH2_STAGES } from '@mosip-reprocess/contract/enums.js';
import type { Settings } from '../config/settings.js';
import { allEligiblePackets, customQueryPackets, eligiblePackets } from './dbSource.js';
import { loadPacketsFromArg, loadPacketsFromFile } from './loadPackets.js';
import { utcCutoff, type EligibilityCriteria } from '../sql/selectEligible.js';
import { databaseProblem } from '../db/problems.js';
import { holdBackRulesOf } from '../config/safety.js';
import { holdBackListed } from '../filter/holdBackListed.js';
import { selectionCounts, type SelectionCounts } from '../sql/selectionCounts.js';
import { inBackgroundRead } from '../sql/backgroundRead.js';
import { includedReasons, type HoldBackRules } from '../filter/holdBack.js';
import { heldCohortsOf } from '../triage/cohort.js';
import type { EventSink } from '../run/events.js';
import type { RunFlags } from '../run/request.js';

export function dbSettingsOf(s: Settings): DbSettings {
  return {
    url: s.dbUrl, host: s.dbHost, port: s.dbPort, user: s.dbUser, password: s.dbPassword, database: s.dbName, ssl: s.dbSsl,
  };
}

export function criteriaOf(s: Settings, cutoffUtc: string): EligibilityCriteria {
  return {
    trnStatuses: s.trnStatuses,
    maxRetries: s.maxRetries,
    excludeStatuses: s.excludeStatuses,
    stages: s.approach === 2 ? [...new Set([...APPROACH2_STAGES, ...s.stages])] : null,
    cutoffUtc,
    holdBack: holdBackRulesOf(s),
  };
}

import type { Mode } from '../run/request.js';
export type { Mode };

export interface OpenedSource {
  stream(onRowSkipped: () => void, seen: ReadonlySet<string>, onBatch: () => void): AsyncIterable<Packet>;
  duplicates: number;
  /** How many packets the run will take at most, for the progress bar (may be slow: not awaited before sending). */
  count?: () => Promise<number>;
  /**
   * Packets left out because MOSIP would not move them now (paused, retry budget spent); null when they could
   * not be counted. The --db selection counts them on the first call (started after the first packet).
   */
  heldBack(): Promise<number | null>;
}

/** Warns once that the packets could not be checked, or that held-back packets are sent anyway. */
function announceHoldBack(rules: HoldBackRules, checked: boolean, emit: EventSink): void {
  if (!checked) {
    emit({ type: 'warning', message: 'no database configured: pauses and retry budgets could not be checked, nor repeating failures; paused packets (and packets MOSIP will fail) are sent as listed' });
    return;
  }
  const included = includedReasons(rules);
  if (included.length > 0) {
    const parts = [
      rules.includePaused ? '--include-paused: packets MOSIP paused are sent too, bypassing their pause rules (hotlisted operators included)' : '',
      rules.includeExhausted ? '--include-exhausted: packets whose retry budget is spent are sent too; MOSIP fails them on their next pass' : '',
      rules.includeRepeatFailures ? `--include-repeat-failures: packets that failed the same way ${rules.repeatFailures} times or more are sent too` : '',
    ];
    emit({ type: 'warning', message: parts.filter(Boolean).join('; ') });
  }
}

export async function openSource(
  mode: Mode, flags: RunFlags, s: Settings, pool: pg.Pool | null, emit: EventSink, remaining: number, done: ReadonlySet<string>,
): Promise<OpenedSource> {
  if (mode === 'file' || mode === 'registration') {
    const loaded = await withDb(s, () => mode === 'file'
      ? loadPacketsFromFile(flags.file!, pool, s.dbSchema)
      : loadPacketsFromArg(flags.registration!, pool, s.dbSchema));
    if (loaded.duplicates > 0) emit({ type: 'warning', message: `${loaded.duplicates} duplicate entr${loaded.duplicates === 1 ? 'y' : 'ies'} in the input; each packet is sent once` });
    const rules = holdBackRulesOf(s);
    announceHoldBack(rules, pool !== null, emit);
    let held = 0;
    // Held packets are looked up (and reported by line) before the run starts, so the counts below are right.
    const kept = pool ? await withDb(s, () => keepNotHeld(loaded.packets, pool, s, rules, emit, () => { held += 1; })) : loaded.packets;
    const pending = kept.filter((p) => !done.has(workflowKey(p.workflowInstanceId))).length;
    if (remaining < pending) emit({ type: 'note', message: `--limit ${s.limit}: taking ${remaining} of the ${pending} packets still to send` });
    return {
      duplicates: 0,
      count: async () => Math.min(pending, remaining),
      async *stream() { yield* kept; },
      heldBack: async () => held,
    };
  }
  const db = pool!;
  if (s.queryFile) {
    await withDb(s, () => db.query('SELECT 1'));
    const rules = holdBackRulesOf(s);
    announceHoldBack(rules, true, emit);
    let held = 0;
    return {
      duplicates: 0,
      stream: (onRowSkipped) => guardDb(s, holdBackListed(customQueryPackets(db, s.queryFile!, Infinity, (reason) => {
        onRowSkipped();
        emit({ type: 'warning', message: `${reason}; skipped` });
      }), db, s.dbSchema, rules, (h) => {
        if (!h.included) held += 1;
        emit({ type: 'warning', message: h.message });
      })),
      heldBack: async () => held,
    };
  }
  const cutoff = await withDb(s, () => utcCutoff(db, s.olderThan));
  const criteria = criteriaOf(s, cutoff);
  announceHoldBack(criteria.holdBack!, true, emit);
  // The total (for the progress bar) and what is held back come from one read of the whole table (a second or
  // more on millions of rows), made once the first packet is out (reprocess.ts), never before it. The selection
  // itself leaves held rows out; this is what the warning, the progress bar and the summary report.
  let counted: Promise<SelectionCounts> | null = null;
  const counts = () => counted ??= inBackgroundRead(db, (reader) => selectionCounts(reader, s.dbSchema, criteria));
  let heldTotal: Promise<number | null> | null = null;
  const countHeld = () => heldTotal ??= counts().then(({ held: heldCounts, repeating }) => {
    const included = new Set(includedReasons(criteria.holdBack!));
    const leftOut = heldCounts.filter((c) => !included.has(c.reason));
    const total = leftOut.reduce((n, c) => n + c.count, 0);
    if (total > 0) {
      const parts = leftOut.filter((c) => c.reason !== 'repeating').map((c) => `${c.count} ${c.reason === 'paused' ? `${c.statusCode}${c.pauseRuleIds ? ` (pause rule ${c.pauseRuleIds})` : ''}`
        : c.reason === 'uploader_budget' ? 'uploader retry budget spent' : 'reprocess attempts spent'}`);
      // The repeating ones by cohort: where they are stuck, the failure, and the cohort's id.
      if (!included.has('repeating')) {
        const cohorts = heldCohortsOf(repeating);
        parts.push(...cohorts.slice(0, 5).map((c) => `${c.count} repeating ${c.failureStage} ${c.status} ${c.subStatus} (cohort ${c.id}; a re-drive will not fix them)`));
        const rest = cohorts.slice(5);
        if (rest.length > 0) parts.push(`${rest.reduce((n, c) => n + c.count, 0)} repeating in ${rest.length} smaller cohorts`);
      }
      emit({ type: 'warning', message: `${total} packet(s) the guide's query selects are left out because MOSIP would not move them now: ${parts.join(', ')}; --dry-run lists them (\`reprocess triage\` by cohort), --include-paused / --include-exhausted / --include-repeat-failures send them` });
    }
    return total;
  }, (err: unknown) => {
    emit({ type: 'warning', message: `could not count the packets held back (paused, retry budget spent); they are still left out: ${(err as Error).message}` });
    return null;
  });
  const reconnect = { onRetry: (message: string) => emit({ type: 'warning', message }) };
  const count = async () => {
    const n = (await counts()).taken;
    return flags.all ? (s.maxPackets ? Math.min(n, s.maxPackets) : n) : Math.min(n, remaining);
  };
  if (flags.all) {
    const criteriaForBatch = async () => criteriaOf(s, await utcCutoff(db, s.olderThan));
    return {
      duplicates: 0,
      count,
      heldBack: countHeld,
      stream: (_onRowSkipped, seen, onBatch) => guardDb(s, allEligiblePackets(db, s.dbSchema, criteriaForBatch, s.limit, seen, (batch) => {
        onBatch();
        emit({ type: 'note', message: `batch ${batch}: up to ${s.limit} packets` });
      }, undefined, reconnect)),
    };
  }
  // Unbounded here: the run takes `remaining` after the filters, and the pages are only read as it goes.
  return { duplicates: 0, count, heldBack: countHeld, stream: () => guardDb(s, eligiblePackets(db, s.dbSchema, criteria, Infinity, undefined, reconnect)) };
}

/** The listed packets minus those held back; each held one is reported by its origin (file line). */
async function keepNotHeld(
  packets: readonly Packet[], db: pg.Pool, s: Settings, rules: HoldBackRules, emit: EventSink, onSkipped: () => void,
): Promise<Packet[]> {
  const kept: Packet[] = [];
  for await (const p of holdBackListed(packets, db, s.dbSchema, rules, (h) => {
    if (!h.included) onSkipped();
    emit({ type: 'warning', message: h.message });
  })) kept.push(p);
  return kept;
}

/** Turns connection failures and a missing table into clear errors (exit 3 / exit 2). */
export async function withDb<T>(s: Settings, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw databaseProblem(err, describeDb(dbSettingsOf(s)), s.dbSchema) ?? err;
  }
}

export async function* guardDb(s: Settings, packets: AsyncIterable<Packet>): AsyncGenerator<Packet, void, void> {
  try {
    yield* packets;
  } catch (err) {
    throw databaseProblem(err, describeDb(dbSettingsOf(s)), s.dbSchema) ?? err;
  }
}
