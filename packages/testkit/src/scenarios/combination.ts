// A scenario is one night as an operator might run it: where the packets come from, how the run is paced, how it
// is stopped, how it is continued, how many shards run together, and how the MOSIP stages behave. Each is drawn
// from the project's seeded PRNG (simulator/src/sim/random.ts), so a seed names a scenario for good: a failing one
// is replayed with SCENARIO_SEED=<seed>.
import { SeededRandom } from '@mosip-reprocess/simulator/sim/random.js';
import type { HoldStage } from '@mosip-reprocess/simulator/sim/pipeline.js';

/** Where the packets come from: the built-in selection, a file, --registration flags, a custom query, or a workflow action. */
export const SOURCES = ['db', 'file', 'registration', 'query-file', 'action'] as const;
/** How fast: a fixed --delay, or --pace auto (as fast as the pipeline drains). */
export const PACES = ['fixed', 'auto'] as const;
/**
 * How the first attempt ends: it finishes, SIGTERM (a pod evicted), kill -9 (a node lost), a budget (--max-duration,
 * --max-packets or --until), the circuit breaker giving up on a server that stays down, or the run lock lost to
 * another holder.
 */
export const STOPS = ['none', 'sigterm', 'kill9', 'budget', 'breaker', 'lock-lost'] as const;
/** How a stopped run is continued (and, after a finished one, what an operator might type again). */
export const CONTINUATIONS = ['resume-id', 'resume-last', 'run-name'] as const;
/** One run, or two shards of one run side by side (`--shard 1/2` and `--shard 2/2`, as `reprocess k8s --shards 2`). */
export const SHARDS = [1, 2] as const;
/**
 * What the MOSIP stages do with a notified packet: move it on to PROCESSED, keep some (IN_PROGRESS at bio dedupe or
 * manual adjudication), nothing at all (no consumer: the row stays at SECUREZONE_NOTIFICATION), reply slowly (some
 * after the client's timeout), lose some replies (the connection closes before or after the stage committed), or
 * write with a pod clock that is off the database's (and lose a few replies, so that the tool has to judge from
 * those timestamps).
 */
export const BEHAVIOURS = ['forward', 'hold', 'drop', 'slow-reply', 'lost-reply', 'skewed-clock'] as const;

export type Source = (typeof SOURCES)[number];
export type Pace = (typeof PACES)[number];
export type Stop = (typeof STOPS)[number];
export type Continuation = (typeof CONTINUATIONS)[number];
export type Shards = (typeof SHARDS)[number];
export type Behaviour = (typeof BEHAVIOURS)[number];
export type BudgetKind = 'max-duration' | 'max-packets' | 'until';

export interface Scenario {
  seed: number;
  source: Source;
  pace: Pace;
  stop: Stop;
  continuation: Continuation;
  shards: Shards;
  behaviour: Behaviour;
  /** The details the seed also fixes. */
  knobs: Knobs;
}

export interface Knobs {
  /** Packets the guards must let through (the rest of the backlog is held back or inactive). */
  eligible: number;
  /** --concurrency. */
  concurrency: number;
  /** The stop comes once the simulator has seen this many requests (notifications, or workflow action requests). */
  stopAfter: number;
  /** stop 'budget': which one. */
  budget: BudgetKind;
  /** --db: --all in batches of this size, or null for one selection. */
  dbBatch: number | null;
  /** action: RIDs from the database (--db --pause-rule PAUSE) or from a file. */
  actionFrom: 'db' | 'file';
  /** action: --batch-size. */
  actionBatch: number;
  /** hold: the share kept, and where. */
  hold: { share: number; at: HoldStage };
  /** lost-reply (and skewed-clock): the share of replies lost, and whether the stage ran first. */
  lostReplies: { rate: number; mode: 'after' | 'before' };
  /** skewed-clock: the pods' clock offset from the database's, ms. */
  skewMs: number;
  /** Seeds of the simulator's own draws (fault decisions, pipeline outcomes). */
  simSeed: number;
}

/** Combinations that make no sense, each with its reason; the generator draws only from what is allowed. */
export const CONSTRAINTS = {
  action: {
    pace: ['fixed'] as Pace[], // workflow action requests are paced by --delay only
    shards: [1] as Shards[], // an action run holds the database's run lock alone (decisions D1)
    continuation: ['resume-id', 'resume-last'] as Continuation[], // `reprocess action` has no --run-name
    stop: ['none', 'sigterm', 'kill9', 'lock-lost'] as Stop[], // it has neither budgets nor a circuit breaker
    // The simulator's faults act on notifications, and hold/drop on forwarded packets; an action sends neither.
    behaviour: ['forward', 'skewed-clock'] as Behaviour[],
  },
} as const;

/** The scenario a seed names. */
export function scenarioFromSeed(seed: number): Scenario {
  const rng = new SeededRandom(seed);
  const source = rng.pick(SOURCES);
  const allowed = source === 'action' ? CONSTRAINTS.action : null;
  const pace = rng.pick(allowed?.pace ?? PACES);
  const stop = rng.pick(allowed?.stop ?? STOPS);
  const continuation = rng.pick(allowed?.continuation ?? CONTINUATIONS);
  const shards = rng.pick(allowed?.shards ?? SHARDS);
  const behaviour = rng.pick(allowed?.behaviour ?? BEHAVIOURS);
  const knobs: Knobs = {
    eligible: source === 'registration' ? rng.int(5, 8) : rng.int(12, 18),
    concurrency: rng.int(1, 3),
    stopAfter: source === 'action' ? rng.int(1, 2) : source === 'registration' || shards === 2 ? rng.int(2, 3) : rng.int(2, 5),
    budget: rng.pick(['max-duration', 'max-packets', 'until'] as const),
    dbBatch: rng.chance(0.5) ? rng.int(4, 8) : null,
    actionFrom: rng.pick(['db', 'file'] as const),
    actionBatch: rng.int(1, 3),
    hold: { share: rng.pick([0.3, 0.5]), at: rng.pick(['BIOGRAPHIC_VERIFICATION', 'MANUAL_ADJUDICATION'] as const) },
    lostReplies: { rate: behaviour === 'skewed-clock' ? 0.15 : rng.pick([0.2, 0.3]), mode: behaviour === 'skewed-clock' || rng.chance(0.7) ? 'after' : 'before' },
    skewMs: rng.pick([-90_000, -20_000, -5_000, 5_000, 20_000, 90_000]),
    simSeed: rng.int(1, 1_000_000),
  };
  return { seed, source, pace, stop, continuation, shards, behaviour, knobs };
}

/** The combination in words, as a failure prints it. */
export function describeScenario(s: Scenario): string {
  const k = s.knobs;
  const behaviour = s.behaviour === 'hold' ? `hold (${k.hold.share * 100}% kept at ${k.hold.at})`
    : s.behaviour === 'lost-reply' ? `lost reply (${k.lostReplies.rate * 100}%, ${k.lostReplies.mode} the stage ran)`
      : s.behaviour === 'skewed-clock' ? `skewed clock (pods ${Math.abs(k.skewMs) / 1000} s ${k.skewMs < 0 ? 'behind' : 'ahead'}, ${k.lostReplies.rate * 100}% of replies lost after the commit)`
        : s.behaviour;
  const source = s.source === 'db' ? `--db${k.dbBatch ? ` --all --limit ${k.dbBatch}` : ''}`
    : s.source === 'action' ? `action RESUME_PROCESSING ${k.actionFrom === 'db' ? '--db --pause-rule PAUSE' : '--file'} --batch-size ${k.actionBatch}`
      : `--${s.source}`;
  const stop = s.stop === 'budget' ? `budget (--${k.budget})` : s.stop === 'none' ? 'none' : s.stop;
  return `source ${source}, pace ${s.pace}, stop ${stop}${s.stop === 'none' ? '' : ` after ${k.stopAfter} ${s.source === 'action' ? 'requests' : 'notifications'}`}, continuation ${s.continuation}, `
    + `shards ${s.shards}, stage ${behaviour}; ${k.eligible} eligible packets, --concurrency ${k.concurrency}`;
}

/** The command that runs this scenario alone. */
export function replayCommand(seed: number): string {
  return `SCENARIO_SEED=${seed} node packages/testkit/dist/src/runTests.js scenarios`;
}

/** Which value of every dimension a set of scenarios leaves out (empty: it covers them all). */
export function uncovered(scenarios: readonly Scenario[]): string[] {
  const missing: string[] = [];
  const check = <T>(name: string, values: readonly T[], of: (s: Scenario) => T) => {
    for (const v of values) if (!scenarios.some((s) => of(s) === v)) missing.push(`${name} ${String(v)}`);
  };
  check('source', SOURCES, (s) => s.source);
  check('pace', PACES, (s) => s.pace);
  check('stop', STOPS, (s) => s.stop);
  check('continuation', CONTINUATIONS, (s) => s.continuation);
  check('shards', SHARDS, (s) => s.shards);
  check('behaviour', BEHAVIOURS, (s) => s.behaviour);
  return missing;
}
