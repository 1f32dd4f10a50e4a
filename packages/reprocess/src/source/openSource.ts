// Which packets a run takes: the database selection (APPROACH 1/2, --all batches, a custom query) or a list
// (--file, --registration), with the database errors an operator can act on.
import type pg from 'pg';
import { dbSettingsOf, guardDb, withDb } from '../db/runDatabase.js';
import type { Packet } from '../domain/packet.js';
import { workflowKey } from '../domain/packetKey.js';
import { APPROACH2_STAGES } from '@mosip-reprocess/contract/enums.js';
import type { Settings } from '../config/settings.js';
import { FIRST_PAGE_SIZE, allEligiblePackets, customQueryPackets, eligiblePackets, eligibleReader, startPage } from './dbSource.js';
import { loadPacketsFromArg, loadPacketsFromFile, takenFromRowMessage } from './loadPackets.js';
import { utcCutoff, type EligibilityCriteria } from '../sql/selectEligible.js';
import { holdBackRulesOf } from '../config/safety.js';
import { holdBackListed } from '../filter/holdBackListed.js';
import { inShard, parseShard } from '../filter/shard.js';
import { selectionCounts, type SelectionCounts } from '../sql/selectionCounts.js';
import { inBackgroundRead } from '../sql/backgroundRead.js';
import { includedReasons, type HoldBackReason, type HoldBackRules } from '../domain/holdBack.js';
import type { NoticeSink } from '../domain/notices.js';
import type { Mode, RunFlags } from '../config/runSettings.js';
import { heldCohortsOf } from '../domain/cohort.js';

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
function announceHoldBack(rules: HoldBackRules, checked: boolean, emit: NoticeSink): void {
  if (!checked) {
    emit({ type: 'warning', message: 'no database configured: pauses and retry budgets could not be checked, nor repeating failures; paused packets (and packets MOSIP will fail) are sent as listed' });
    return;
  }
  const included = includedReasons(rules);
  const said: Record<HoldBackReason, string> = {
    paused: '--include-paused: packets MOSIP paused are sent too, bypassing their pause rules (hotlisted operators included)',
    uploader_budget: '--include-exhausted: packets whose retry budget is spent are sent too; MOSIP fails them on their next pass',
    reprocess_budget: '',
    recent: '--allow-short-window: packets whose row was written in the last 6300 s are sent too, though they may still be inside ABIS or manual verification',
    repeating: `--include-repeat-failures: packets that failed the same way ${rules.repeatFailures} times or more are sent too`,
  };
  const text = included.map((r) => said[r]).filter(Boolean).join('; ');
  if (text) emit({ type: 'warning', message: text });
}

/**
 * `signal`: the run's stop. Reads in progress when it fires end at once: the whole-table count and an operator's
 * query are cancelled at the server, a keyset read is not retried.
 */
export async function openSource(
  mode: Mode, flags: RunFlags, s: Settings, pool: pg.Pool | null, emit: NoticeSink, remaining: number, done: ReadonlySet<string>,
  signal?: AbortSignal,
): Promise<OpenedSource> {
  if (mode === 'file' || mode === 'registration') {
    const loaded = await withDb(s, () => mode === 'file'
      ? loadPacketsFromFile(flags.file!, pool, s.dbSchema)
      : loadPacketsFromArg(flags.registration!, pool, s.dbSchema));
    if (loaded.duplicates > 0) emit({ type: 'warning', message: `${loaded.duplicates} duplicate entr${loaded.duplicates === 1 ? 'y' : 'ies'} in the input; each packet is sent once` });
    const taken = takenFromRowMessage(loaded.takenFromRow);
    if (taken) emit({ type: 'warning', message: taken });
    const rules = holdBackRulesOf(s);
    announceHoldBack(rules, pool !== null, emit);
    const heldBy = heldCounter(emit);
    // Held packets are looked up (and reported by line) before the run starts, so the counts below are right.
    const kept = pool ? await withDb(s, () => keepNotHeld(loaded.packets, pool, s, rules, emit, heldBy.add)) : loaded.packets;
    heldBy.tell();
    const pending = kept.filter((p) => !done.has(workflowKey(p.workflowInstanceId))).length;
    if (remaining < pending) emit({ type: 'note', message: `--limit ${s.limit}: taking ${remaining} of the ${pending} packets still to send` });
    return {
      duplicates: 0,
      count: async () => Math.min(pending, remaining),
      async *stream() { yield* kept; },
      heldBack: async () => heldBy.total,
    };
  }
  const db = pool!;
  if (s.queryFile) {
    await withDb(s, () => db.query('SELECT 1'));
    const rules = holdBackRulesOf(s);
    announceHoldBack(rules, true, emit);
    const heldBy = heldCounter(emit);
    return {
      duplicates: 0,
      stream: (onRowSkipped) => guardDb(s, holdBackListed(customQueryPackets(dbSettingsOf(s), s.queryFile!, Infinity, (reason) => {
        onRowSkipped();
        emit({ type: 'warning', message: `${reason}; skipped` });
      }, signal), db, s.dbSchema, rules, (h) => {
        emit({ type: 'warning', message: h.message });
        if (!h.included) {
          heldBy.add(h.facts.reason);
          heldBy.tell();
        }
      })),
      heldBack: async () => heldBy.total,
    };
  }
  const cutoff = await withDb(s, () => utcCutoff(db, s.olderThan));
  const criteria = criteriaOf(s, cutoff);
  announceHoldBack(criteria.holdBack!, true, emit);
  // The total (for the progress bar) and what is held back come from one read of the whole table (a second or
  // more on millions of rows), made once the first packet is out (reprocess.ts), never before it. The selection
  // itself leaves held rows out; this is what the warning, the progress bar and the summary report.
  let counted: Promise<SelectionCounts> | null = null;
  const counts = () => counted ??= inBackgroundRead(db, (reader) => selectionCounts(reader, s.dbSchema, criteria), signal);
  let heldTotal: Promise<number | null> | null = null;
  const countHeld = () => heldTotal ??= counts().then(({ held: heldCounts, repeating }) => {
    const included = new Set(includedReasons(criteria.holdBack!));
    const leftOut = heldCounts.filter((c) => !included.has(c.reason));
    const total = leftOut.reduce((n, c) => n + c.count, 0);
    const byReason: Partial<Record<HoldBackReason, number>> = {};
    for (const c of leftOut) byReason[c.reason] = (byReason[c.reason] ?? 0) + c.count;
    emit({ type: 'held_back', counts: byReason });
    if (total > 0) {
      const parts = leftOut.filter((c) => c.reason !== 'repeating').map((c) => `${c.count} ${c.reason === 'paused' ? `${c.statusCode}${c.pauseRuleIds ? ` (pause rule ${c.pauseRuleIds})` : ''}`
        : c.reason === 'uploader_budget' ? 'uploader retry budget spent' : c.reason === 'recent' ? 'written within the last 6300 s' : 'reprocess attempts spent'}`);
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
    // A stopped run cancels the count: the summary then has no held-back figure, and that is no news.
    if (!signal?.aborted) emit({ type: 'warning', message: `could not count the packets held back (paused, retry budget spent); they are still left out: ${(err as Error).message}` });
    return null;
  });
  const reconnect = { onRetry: (message: string) => emit({ type: 'warning', message }), signal };
  const count = async () => {
    const n = (await counts()).taken;
    return flags.all ? (s.maxPackets ? Math.min(n, s.maxPackets) : n) : Math.min(n, remaining);
  };
  if (flags.all) {
    // Rows of the other shards are passed over in the source, so a batch holds --limit packets of this shard.
    const ofShard = inShard(s.shard ? parseShard(s.shard) : null);
    const criteriaForBatch = async () => criteriaOf(s, await utcCutoff(db, s.olderThan));
    return {
      duplicates: 0,
      count,
      heldBack: countHeld,
      stream: (_onRowSkipped, seen, onBatch) => guardDb(s, allEligiblePackets(db, s.dbSchema, criteriaForBatch, s.limit, seen, (batch) => {
        onBatch();
        emit({ type: 'note', message: `batch ${batch}: up to ${s.limit} packets` });
      }, undefined, reconnect, (wf) => ofShard({ workflowInstanceId: wf }))),
    };
  }
  // Unbounded here: the run takes `remaining` after the filters, and the pages are read as it goes. The first (a
  // small one) is read at once: it is on its way while the run authenticates and opens its journal.
  const first = startPage(eligibleReader(db, s.dbSchema, criteria, reconnect), '', FIRST_PAGE_SIZE);
  return { duplicates: 0, count, heldBack: countHeld, stream: () => guardDb(s, eligiblePackets(db, s.dbSchema, criteria, Infinity, undefined, reconnect, first)) };
}

/** The listed packets minus those held back; each held one is reported by its origin (file line). */
async function keepNotHeld(
  packets: readonly Packet[], db: pg.Pool, s: Settings, rules: HoldBackRules, emit: NoticeSink, onSkipped: (reason: HoldBackReason) => void,
): Promise<Packet[]> {
  const kept: Packet[] = [];
  for await (const p of holdBackListed(packets, db, s.dbSchema, rules, (h) => {
    if (!h.included) onSkipped(h.facts.reason);
    emit({ type: 'warning', message: h.message });
  })) kept.push(p);
  return kept;
}

/** Listed and queried packets held back, counted by reason; tell() sends the counts so far as a 'held_back' notice. */
function heldCounter(emit: NoticeSink): { add(reason: HoldBackReason): void; tell(): void; readonly total: number } {
  const counts: Partial<Record<HoldBackReason, number>> = {};
  let total = 0;
  return {
    add(reason) {
      counts[reason] = (counts[reason] ?? 0) + 1;
      total += 1;
    },
    tell: () => emit({ type: 'held_back', counts: { ...counts } }),
    get total() { return total; },
  };
}
