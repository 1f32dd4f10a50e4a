// Command-line values for the simulated 1.2.0.1 pipeline (src/sim/pipeline.ts), shared by `reprocess demo` and
// `reprocess sim --pipeline`: parsed and checked here, so both commands accept and reject the same values.
import { parseDurationMs, parseNumber, parseShare, ValueProblem } from 'mosip-reprocess/config/values.js';
import { InputError } from 'mosip-reprocess/errors.js';
import { HOLD_STAGES, PIPELINE_DEFAULTS, type FailureMode, type PipelineHold } from '../sim/pipeline.js';

/** What a user types (commander hands strings; the demo's defaults are numbers). */
export interface PipelineCliInput {
  /** ms each stage takes before its step is written. */
  latency?: number | string | undefined;
  /** Packets per second the pipeline admits; 0 or "unlimited" = no limit. */
  capacity?: number | string | undefined;
  /** Probability (0..1) that one stage step fails. */
  failureRate?: number | string | undefined;
  /** FAILED, REPROCESS or mixed. */
  failureMode?: string | undefined;
  /** Seed of the failure draws. */
  seed?: number | string | undefined;
  /** A queued message older than this is dropped with no database write: "3600s", "20s", "1h" (a bare number is seconds). */
  maxMessageAge?: number | string | undefined;
  /** The packet uploader fails a packet on the pass that brings trn_retry_count to this. */
  uploadRetryLimit?: number | string | undefined;
  /** Share of the packets a later stage takes and keeps IN_PROGRESS: "0.2" or "20%". */
  hold?: number | string | undefined;
  /** Where they are kept: BIOGRAPHIC_VERIFICATION (waiting for ABIS) or MANUAL_ADJUDICATION (waiting for a person). */
  holdAt?: string | undefined;
}

/** The checked values, ready for startPipeline (one latency and one failure rate for every stage). */
export interface PipelineSettings {
  stageLatencyMs: number;
  /** Infinity: no admission limit. */
  capacityPerSecond: number;
  failureRate: number;
  failureMode: FailureMode;
  /** undefined: a random seed. */
  seed: number | undefined;
  /** ms; mosip.regproc.common.stage.message.expiry-time-limit. */
  maxMessageAgeMs: number;
  /** registration.processor.max.retry. */
  uploadRetryLimit: number;
  /** Packets a later stage keeps; absent: none. */
  hold?: PipelineHold;
}

export const FAILURE_MODES: readonly FailureMode[] = ['FAILED', 'REPROCESS', 'mixed'];

/**
 * Checks and converts the values; `defaults` fill what is not given. `flags` name the options in error messages
 * (each command has its own flag names).
 */
export function parsePipelineSettings(
  input: PipelineCliInput,
  defaults: {
    latency: number; capacity: number; failureRate: number; failureMode: FailureMode; seed?: number;
    maxMessageAgeSeconds?: number; uploadRetryLimit?: number;
  },
  flags: {
    latency: string; capacity: string; failureRate: string; failureMode: string; seed: string; maxMessageAge?: string; uploadRetryLimit?: string;
    hold?: string; holdAt?: string;
  },
): PipelineSettings {
  const stageLatencyMs = numberOption(flags.latency, input.latency ?? defaults.latency, 0, 3_600_000, 'ms per stage');
  const capacityRaw = input.capacity ?? defaults.capacity;
  const unlimited = capacityRaw === 'unlimited' || capacityRaw === Infinity || Number(capacityRaw) === 0;
  const capacityPerSecond = unlimited
    ? Infinity
    : numberOption(flags.capacity, capacityRaw, 0.001, 1_000_000, 'packets per second, 0 = no limit');
  const failureRate = numberOption(flags.failureRate, input.failureRate ?? defaults.failureRate, 0, 1, 'a probability per stage');
  const modeText = input.failureMode ?? defaults.failureMode;
  const failureMode = FAILURE_MODES.find((m) => m.toLowerCase() === String(modeText).toLowerCase());
  if (!failureMode) throw new InputError(`${flags.failureMode} must be one of ${FAILURE_MODES.join(', ')}, got ${modeText}`);
  const seedRaw = input.seed ?? defaults.seed;
  const seed = seedRaw === undefined ? undefined : numberOption(flags.seed, seedRaw, 0, 2 ** 32 - 1, 'random seed', true);
  const ageRaw = input.maxMessageAge ?? defaults.maxMessageAgeSeconds ?? PIPELINE_DEFAULTS.maxMessageAgeMs / 1000;
  let ageSeconds: number;
  try {
    // Bare numbers are seconds; at most a day (MOSIP's is 3600 s), which a timer can hold.
    ageSeconds = parseDurationMs(ageRaw, { bareUnit: 's', minMs: 0, aboveMin: true, maxMs: 86_400_000 }) / 1000;
  } catch (err) {
    if (!(err instanceof ValueProblem)) throw err;
    throw new InputError(`${flags.maxMessageAge ?? '--pipeline-max-message-age'} must be a positive age like 3600s, 20s or 1h (at most 1d), got ${ageRaw}`);
  }
  const uploadRetryLimit = numberOption(flags.uploadRetryLimit ?? '--pipeline-upload-retry-limit',
    input.uploadRetryLimit ?? defaults.uploadRetryLimit ?? PIPELINE_DEFAULTS.uploadRetryLimit, 1, 32767, 'uploader passes before FAILED', true);
  const hold = parseHold(input, flags);
  return {
    stageLatencyMs, capacityPerSecond, failureRate, failureMode, seed, maxMessageAgeMs: ageSeconds * 1000, uploadRetryLimit,
    ...(hold ? { hold } : {}),
  };
}

function parseHold(input: PipelineCliInput, flags: { hold?: string; holdAt?: string }): PipelineHold | undefined {
  const holdFlag = flags.hold ?? '--pipeline-hold';
  const atFlag = flags.holdAt ?? '--pipeline-hold-at';
  if (input.hold === undefined) {
    if (input.holdAt !== undefined) throw new InputError(`${atFlag} says where held packets wait: add ${holdFlag} <share>`);
    return undefined;
  }
  let share: number;
  try {
    share = parseShare(input.hold) as number;
  } catch (err) {
    if (!(err instanceof ValueProblem)) throw err;
    throw new InputError(`${holdFlag} ${err.message}, got ${input.hold}`);
  }
  const at = HOLD_STAGES.find((h) => h.toLowerCase() === String(input.holdAt ?? HOLD_STAGES[0]).toLowerCase());
  if (!at) throw new InputError(`${atFlag} must be one of ${HOLD_STAGES.join(', ')}, got ${input.holdAt}`);
  return { share, at };
}

/** e.g. "10 stages x 20 ms, admits up to 500 packets/s, each stage step fails with probability 0.01 (as FAILED or REPROCESS)". */
export function describePipeline(p: PipelineSettings, stageCount: number): string {
  const capacity = p.capacityPerSecond === Infinity ? 'no admission limit' : `each stage takes up to ${formatNumber(p.capacityPerSecond)} packets/s`;
  const failures = p.failureRate > 0
    ? `each stage step fails with probability ${p.failureRate} (as ${p.failureMode === 'mixed' ? 'FAILED or REPROCESS' : p.failureMode})`
    : 'no failures';
  const limits = `a message older than ${formatNumber(p.maxMessageAgeMs / 1000)} s is dropped unread, the uploader fails a packet on pass ${p.uploadRetryLimit}`;
  const hold = p.hold && p.hold.share > 0
    ? `; ${formatNumber(p.hold.share * 100)}% of the packets are kept IN_PROGRESS at ${p.hold.at} (${p.hold.at === 'MANUAL_ADJUDICATION' ? 'waiting for a person' : 'waiting for ABIS'})`
    : '';
  return `${stageCount} stages x ${formatNumber(p.stageLatencyMs)} ms, ${capacity}, ${failures}${p.seed === undefined ? '' : `, seed ${p.seed}`}; ${limits}${hold}`;
}

/** A number from a flag or a default, within [min, max] (the product's number parser); InputError (exit code 2) otherwise. */
export function numberOption(name: string, value: number | string, min: number, max: number, what?: string, integer = false): number {
  try {
    return parseNumber(value, { min, max, integer, ...(what ? { what } : {}) });
  } catch (err) {
    if (err instanceof ValueProblem) throw new InputError(`${name} ${err.message}, got ${value}`);
    throw err;
  }
}

function formatNumber(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Number(n.toFixed(3)));
}
