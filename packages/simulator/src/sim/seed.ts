// Seeds a regprc schema with a realistic, repeatable backlog (see seedProfile.ts for the mix): valid RIDs,
// UUID workflow ids, matching sync rows, a few duplicate resends. Fast enough for 1,000,000 rows: rows are
// generated in chunks and inserted with one unnest() statement per table per chunk.
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import { APPROACH1_EXCLUDED_STATUS_CODES, APPROACH1_TRN_STATUSES, MAIN_PROCESSES, STATUS, TRN_STATUS, TRN_TYPE } from '@mosip-reprocess/contract/enums.js';
import { makeRid } from '@mosip-reprocess/contract/rid.js';
import {
  PAUSE_RULES, PAUSED_STATUS_CODES, RESUME_FROM_BEGINNING_STAGE, WORKFLOW_RESUME_TRN_TYPE_CODE, workflowActionStatusComment,
} from '@mosip-reprocess/contract/workflowAction.js';
import { insertRegistrations, usualSourceFor, type RegistrationRowInput } from '../sql/registrationRows.js';
import { SeededRandom } from './random.js';
import { HistoryMaker } from './seedHistory.js';
import { insertTransactionChunk, type TransactionRowInput } from '../sql/insertTransactionChunk.js';
import {
  ADDITIONAL_INFO_PAUSE_SECONDS, FINISHED_TRN_TYPES, IN_FLIGHT_TRN_STATUS_WEIGHTS, IN_FLIGHT_TRN_TYPE_WEIGHTS,
  LEGACY_TRN_TYPES, MAX_AGE_DAYS, MIGRATED_STAGE_OF_TRN_TYPE, PAUSE_RULE_DESCRIPTIONS, PAUSE_RULE_WEIGHTS, PAUSED_COMMENT,
  PAUSED_FOR_ADDITIONAL_INFO_COMMENT, PROCESS_WEIGHTS, RATES, RESUMED_FROM_BEGINNING_RATE, RETRY_BUCKETS,
  STAGE_OF_TRN_TYPE, STATUS_CODE_WEIGHTS,
} from './seedProfile.js';

export interface SeedOptions {
  count: number;
  /** The scenario's "now" (UTC). Default: the current time. */
  now?: Date;
  /** PRNG seed: the same seed, count and now give the same rows. Default 1. */
  seed?: number;
  /** Rows per INSERT. Default 5000. */
  chunkSize?: number;
  /** Chunk inserts in flight at once (each takes a pool connection when db is a pool). Default 3. */
  parallelism?: number;
  onProgress?: (inserted: number, total: number) => void;
  /** Write each row's history (registration_transaction) too. Default true. */
  history?: boolean;
}

export interface SeedSummary {
  registrations: number;
  syncRows: number;
  /** Later resends of an already received RID: the securezone stage rejects these as duplicates. */
  duplicates: number;
  /** Rows migrated from 1.1.5 (source NULL). */
  migrated: number;
  inactive: number;
  retryCountOver500: number;
  /** latest_trn_dtimes within the last day before `now`. */
  touchedLastDay: number;
  /** Rows the guide's APPROACH 1 query selects (without its LIMIT) at `now`. */
  approach1Eligible: number;
  /** Of those, rows that are PAUSED, PAUSED_FOR_ADDITIONAL_INFO or RESUMABLE (MOSIP's reprocessor leaves them). */
  approach1Paused: number;
  /** PAUSED rows by pause_rule_ids. */
  byPauseRuleIds: Record<string, number>;
  byProcess: Record<string, number>;
  byStatusCode: Record<string, number>;
  byLatestTrnStatusCode: Record<string, number>;
  byLatestTrnTypeCode: Record<string, number>;
  /** registration_transaction rows written (0 with history: false). */
  historyRows: number;
  /** Packets seeded with a data error that fails packet validation the same way on every pass (KER-PUT-020). */
  repeating: number;
  /** Of those, the ones the guide's APPROACH 1 query selects at `now`. */
  approach1Repeating: number;
  seed: number;
  now: string;
}

const SECOND = 1000;
const HOUR = 3600 * SECOND;
const DAY = 24 * HOUR;
const DUPLICATE_CANDIDATES = 2000;
const RETRY_BUCKET_WEIGHTS: Record<string, number> = Object.fromEntries(RETRY_BUCKETS.map((b, i) => [String(i), b.weight]));

export async function seedScenario(db: Queryable, schema: string, options: SeedOptions): Promise<SeedSummary> {
  const now = options.now ?? new Date();
  const seed = options.seed ?? 1;
  const chunkSize = options.chunkSize ?? 5000;
  const parallelism = options.parallelism ?? 3;
  // The history has a PRNG of its own, so the registration rows of a seed are the same with or without it.
  const historyRng = new SeededRandom((seed ^ 0x5eed1) >>> 0);
  const history = options.history === false ? null : new HistoryMaker(historyRng, () => historyRng.uuid());
  const generator = new ScenarioGenerator(new SeededRandom(seed), now, history);
  const summary = emptySummary(seed, now);

  // Generation stays sequential (it is what makes a seed repeatable); inserts overlap with it and, on a pool,
  // with each other. The oldest insert is awaited once `parallelism` are in flight.
  const inFlight: Promise<void>[] = [];
  const insertChunk = async (rows: RegistrationRowInput[], transactions: TransactionRowInput[]): Promise<void> => {
    const inserted = await insertRegistrations(db, schema, rows, { chunkSize });
    for (let i = 0; i < transactions.length; i += chunkSize) await insertTransactionChunk(db, schema, transactions.slice(i, i + chunkSize));
    summary.historyRows += transactions.length;
    summary.registrations += inserted.registrations;
    summary.syncRows += inserted.syncRows;
    options.onProgress?.(summary.registrations, options.count);
  };
  try {
    for (let start = 0; start < options.count; start += chunkSize) {
      const rows: RegistrationRowInput[] = [];
      const transactions: TransactionRowInput[] = [];
      for (let index = start; index < Math.min(options.count, start + chunkSize); index++) {
        const { row, duplicate, trail, repeating } = generator.row(index);
        rows.push(row);
        transactions.push(...trail);
        tally(summary, row, duplicate, now, repeating);
      }
      if (inFlight.length >= parallelism) await inFlight.shift();
      const insert = insertChunk(rows, transactions);
      insert.catch(() => undefined); // a failure is rethrown when awaited, not reported as unhandled meanwhile
      inFlight.push(insert);
    }
  } finally {
    const settled = await Promise.allSettled(inFlight);
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }
  return summary;
}

interface PausedState {
  typeCode: string;
  trnStatus: string;
  stage: string;
  comment: string;
  pauseRuleIds: string | null;
  defaultResumeAction: string | null;
  /** resume_timestamp - latest_trn_dtimes; null: no resume_timestamp. */
  pauseSeconds: number | null;
}

interface Received {
  regId: string;
  process: string;
  source: string | null;
  crMs: number;
}

class ScenarioGenerator {
  private readonly received: Received[] = []; // recent main-process packets a resend can copy
  private readonly nowMs: number;

  constructor(private readonly rng: SeededRandom, now: Date, private readonly history: HistoryMaker | null) {
    this.nowMs = now.getTime();
  }

  row(index: number): { row: RegistrationRowInput; duplicate: boolean; trail: TransactionRowInput[]; repeating: boolean } {
    const { rng } = this;
    const original = this.received.length > 0 && rng.chance(RATES.duplicateResend) ? rng.pick(this.received) : null;
    const duplicate = original !== null && this.nowMs - original.crMs > 2 * SECOND;

    let regId: string;
    let process: string;
    let crMs: number;
    let source: string | null;
    if (original !== null && duplicate) {
      // The same RID synced and uploaded again, later.
      regId = original.regId;
      process = original.process;
      source = original.source;
      crMs = original.crMs + rng.int(SECOND, Math.min(10 * DAY, this.nowMs - original.crMs - SECOND));
    } else {
      process = rng.weighted(PROCESS_WEIGHTS);
      crMs = this.nowMs - (rng.chance(RATES.createdToday) ? rng.int(60 * SECOND, 23 * HOUR) : rng.int(DAY, MAX_AGE_DAYS * DAY));
      const migrated = this.nowMs - crMs > 30 * DAY && rng.chance(RATES.migrated);
      source = migrated ? null : usualSourceFor(process);
      regId = ridFor(index, new Date(crMs - rng.int(60 * SECOND, 3 * DAY)));
    }

    const statusCode = rng.weighted(STATUS_CODE_WEIGHTS);
    const paused = this.pausedState(statusCode);
    const { typeCode, trnStatus } = paused ?? this.latestTransaction(statusCode, source === null);
    // PACKET_REPROCESS keeps the stage
    const stage = paused?.stage ?? (source === null ? MIGRATED_STAGE_OF_TRN_TYPE[typeCode] : undefined)
      ?? STAGE_OF_TRN_TYPE[typeCode] ?? rng.pick(Object.values(STAGE_OF_TRN_TYPE));
    const latestTrnMs = this.latestTransactionMs(crMs);
    const isActive = !rng.chance(RATES.inactive);
    const isMain = (MAIN_PROCESSES as readonly string[]).includes(process);
    if (!duplicate && isActive && isMain) this.remember({ regId, process, source, crMs });

    const row: RegistrationRowInput = {
      regId,
      workflowInstanceId: rng.uuid(),
      process,
      statusCode,
      latestTrnId: rng.uuid(),
      latestTrnTypeCode: typeCode,
      latestTrnStatusCode: trnStatus,
      latestTrnDtimes: new Date(latestTrnMs),
      regProcessRetryCount: this.retryCount(),
      regStageName: stage,
      source,
      iteration: rng.chance(RATES.secondIteration) ? 2 : 1,
      crDtimes: new Date(crMs),
      isActive,
      additionalInfoReqId: process === 'BIOMETRIC_CORRECTION' ? `${regId}-BIOMETRIC_CORRECTION-${rng.int(1, 3)}` : null,
    };
    if (paused) {
      row.statusComment = paused.comment;
      row.pauseRuleIds = paused.pauseRuleIds;
      row.defaultResumeAction = paused.defaultResumeAction;
      row.resumeTimestamp = paused.pauseSeconds === null ? null : new Date(latestTrnMs + paused.pauseSeconds * SECOND);
    }
    if (!this.history) return { row, duplicate, trail: [], repeating: false };
    const failures = duplicate ? null : this.history.makeRepeating(row);
    return { row, duplicate, trail: this.history.historyOf(row, failures), repeating: failures !== null };
  }

  /**
   * What WorkflowInternalActionVerticle (PAUSED, PAUSED_FOR_ADDITIONAL_INFO) or WorkflowActionService (RESUMABLE)
   * left on the row; null for other statuses. The latest status stays one the guide's query selects.
   */
  private pausedState(statusCode: string): PausedState | null {
    const { rng } = this;
    const anyStage = () => STAGE_OF_TRN_TYPE[this.rng.weighted(IN_FLIGHT_TRN_TYPE_WEIGHTS)] ?? 'PacketClassifierStage';
    switch (statusCode) {
      case STATUS.PAUSED: {
        const ruleIds = rng.weighted(PAUSE_RULE_WEIGHTS);
        const rules = ruleIds.split(',') as (keyof typeof PAUSE_RULES)[];
        // The longest pause decides the resume time and action.
        const longest = rules.map((r) => PAUSE_RULES[r]).sort((a, b) => b.pauseForSeconds - a.pauseForSeconds)[0]!;
        return {
          typeCode: TRN_TYPE.INTERNAL_WORKFLOW_ACTION, trnStatus: TRN_STATUS.SUCCESS,
          stage: rules.includes('PAUSE') ? 'PacketClassifierStage' : anyStage(),
          comment: `${PAUSED_COMMENT}(${rules.map((r) => PAUSE_RULE_DESCRIPTIONS[r]).join(',')})`,
          pauseRuleIds: ruleIds, defaultResumeAction: longest.defaultResumeAction, pauseSeconds: longest.pauseForSeconds,
        };
      }
      case STATUS.PAUSED_FOR_ADDITIONAL_INFO:
        return {
          typeCode: TRN_TYPE.INTERNAL_WORKFLOW_ACTION, trnStatus: TRN_STATUS.SUCCESS, stage: anyStage(),
          comment: PAUSED_FOR_ADDITIONAL_INFO_COMMENT, pauseRuleIds: null, defaultResumeAction: 'STOP_PROCESSING',
          pauseSeconds: ADDITIONAL_INFO_PAUSE_SECONDS,
        };
      case STATUS.RESUMABLE: {
        const fromBeginning = rng.chance(RESUMED_FROM_BEGINNING_RATE);
        return {
          typeCode: WORKFLOW_RESUME_TRN_TYPE_CODE, trnStatus: fromBeginning ? TRN_STATUS.REPROCESS : TRN_STATUS.SUCCESS,
          stage: fromBeginning ? RESUME_FROM_BEGINNING_STAGE : 'PacketClassifierStage',
          comment: workflowActionStatusComment(fromBeginning ? 'RESUME_FROM_BEGINNING' : 'RESUME_PROCESSING'),
          pauseRuleIds: null, defaultResumeAction: null, pauseSeconds: null,
        };
      }
      default:
        return null;
    }
  }

  private latestTransaction(statusCode: string, migrated: boolean): { typeCode: string; trnStatus: string } {
    const { rng } = this;
    switch (statusCode) {
      case STATUS.PROCESSED:
        return { typeCode: rng.pick(FINISHED_TRN_TYPES), trnStatus: rng.chance(0.7) ? TRN_STATUS.PROCESSED : TRN_STATUS.SUCCESS };
      case STATUS.REJECTED:
        return { typeCode: this.inFlightType(migrated), trnStatus: TRN_STATUS.REJECTED };
      case STATUS.FAILED:
        return { typeCode: this.inFlightType(migrated), trnStatus: rng.chance(0.7) ? TRN_STATUS.FAILED : TRN_STATUS.ERROR };
      case STATUS.REPROCESS_FAILED:
        return { typeCode: TRN_TYPE.PACKET_REPROCESS, trnStatus: TRN_STATUS.REPROCESS_FAILED };
      default:
        return { typeCode: this.inFlightType(migrated), trnStatus: rng.weighted(IN_FLIGHT_TRN_STATUS_WEIGHTS) };
    }
  }

  private inFlightType(migrated: boolean): string {
    if (migrated && this.rng.chance(RATES.legacyTypeWhenMigrated)) return this.rng.pick(LEGACY_TRN_TYPES);
    return this.rng.weighted(IN_FLIGHT_TRN_TYPE_WEIGHTS);
  }

  private latestTransactionMs(crMs: number): number {
    const { rng, nowMs } = this;
    if (nowMs - crMs < DAY) return crMs + Math.floor(rng.next() * (nowMs - crMs));
    if (rng.chance(RATES.touchedToday)) return nowMs - rng.int(60 * SECOND, 23 * HOUR);
    return crMs + Math.floor(rng.next() * (nowMs - DAY - crMs));
  }

  private retryCount(): number {
    const bucket = RETRY_BUCKETS[Number(this.rng.weighted(RETRY_BUCKET_WEIGHTS))]!;
    return this.rng.int(bucket.min, bucket.max);
  }

  private remember(packet: Received): void {
    if (this.received.length >= DUPLICATE_CANDIDATES) this.received[this.rng.int(0, DUPLICATE_CANDIDATES - 1)] = packet;
    else this.received.push(packet);
  }
}

/**
 * A unique RID per row index: 100 centres (10001-10100) x 100 machines each, and the sequence counting up per
 * machine, so two rows never share (centre, machine, sequence) whatever their timestamps.
 */
function ridFor(index: number, at: Date): string {
  const slot = index % 10000;
  return makeRid(10001 + Math.floor(slot / 100), 10001 + slot, Math.floor(index / 10000) + 1, at);
}

function emptySummary(seed: number, now: Date): SeedSummary {
  return {
    registrations: 0, syncRows: 0, duplicates: 0, migrated: 0, inactive: 0, retryCountOver500: 0, touchedLastDay: 0,
    approach1Eligible: 0, approach1Paused: 0, byPauseRuleIds: {}, byProcess: {}, byStatusCode: {}, byLatestTrnStatusCode: {}, byLatestTrnTypeCode: {},
    historyRows: 0, repeating: 0, approach1Repeating: 0,
    seed, now: now.toISOString(),
  };
}

function tally(summary: SeedSummary, row: RegistrationRowInput, duplicate: boolean, now: Date, repeating: boolean): void {
  const bump = (counts: Record<string, number>, key: string | null | undefined) => {
    const k = key ?? 'NULL';
    counts[k] = (counts[k] ?? 0) + 1;
  };
  bump(summary.byProcess, row.process);
  bump(summary.byStatusCode, row.statusCode);
  bump(summary.byLatestTrnStatusCode, row.latestTrnStatusCode);
  bump(summary.byLatestTrnTypeCode, row.latestTrnTypeCode);
  if (row.statusCode === STATUS.PAUSED) bump(summary.byPauseRuleIds, row.pauseRuleIds);
  if (duplicate) summary.duplicates += 1;
  if (repeating) summary.repeating += 1;
  if (row.source === null) summary.migrated += 1;
  if (row.isActive === false) summary.inactive += 1;
  const retries = row.regProcessRetryCount ?? 0;
  if (retries > 500) summary.retryCountOver500 += 1;
  const ltdMs = row.latestTrnDtimes?.getTime() ?? 0;
  const oneDayAgo = now.getTime() - DAY;
  if (ltdMs >= oneDayAgo) summary.touchedLastDay += 1;
  // The guide's APPROACH 1 WHERE clause (docs/mosip-facts.md, "The guide").
  if ((APPROACH1_TRN_STATUSES as readonly string[]).includes(row.latestTrnStatusCode ?? '') && retries <= 500
    && ltdMs < oneDayAgo && !(APPROACH1_EXCLUDED_STATUS_CODES as readonly string[]).includes(row.statusCode ?? '')) {
    summary.approach1Eligible += 1;
    if ((PAUSED_STATUS_CODES as readonly string[]).includes(row.statusCode ?? '')) summary.approach1Paused += 1;
    if (repeating) summary.approach1Repeating += 1;
  }
}
