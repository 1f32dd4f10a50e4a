// The operator's side of a scenario: the command lines of each attempt, run as an operator would run them, stopped
// as the scenario says, and continued until the run has finished. The real binary (runCli) where a signal, kill -9
// or two processes at once are involved; the same command in this process (cliInProcess / actionInProcess)
// otherwise. Every attempt is recorded with its exact command line, so a failure can be replayed by hand.
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RUN_ID_SOURCE } from 'mosip-reprocess/journal/runId.js';
import { runCli } from '../cli.js';
import { actionInProcess, cliInProcess } from '../inProcess.js';
import type { Backlog } from './backlog.js';
import type { Scenario, Stop } from './combination.js';
import { isFinished, readRuns } from './journals.js';
import { stealRunLock, type StolenLock } from './lockThief.js';
import { MESSAGE_MAX_AGE_MS, type Stage } from './stage.js';

/** A stop (signal, budget, breaker, lost lock) must end the process within this: generous, never a tight margin. */
export const STOP_BOUND_MS = 20_000;
/** An attempt nobody stops must still end by itself within this (or it is stopped, and that is reported). */
const UNSTOPPED_BOUND_MS = 120_000;
/** Continuations tried before the harness gives up on finishing a run. */
const MAX_CONTINUATIONS = 4;
const BREAKER_PATIENCE_MS = 1000;
/** --max-duration of a budget stop; --until is this far after the command starts (a process start never takes that long). */
const BUDGET_MS = 1500;
const UNTIL_LEAD_MS = 3000;
/** Under a budget, the first attempt goes slowly (1 packet/s: 5 s or more for one run's packets) so that the budget stops it. */
const BUDGET_PACE = { fixed: ['--delay', '1'], auto: ['--rate', '1'] } as const;
/** Until its --until: the value is written when the command starts (runAttempt). */
const UNTIL_PLACEHOLDER = '<until>';

export type AttemptRole = 'first' | 'continuation' | 'after-finish' | 'again-after-refusal' | 'wrong-command';

export interface Attempt {
  label: string;
  role: AttemptRole;
  /** 1 or 2 with two shards. */
  shard: number | null;
  /** What follows `reprocess` on the command line (the harness adds --log-dir and --runs-dir). */
  argv: string[];
  /** The environment it ran with, secrets left out. */
  envShown: string;
  via: 'cli' | 'in-process';
  startedAt: number;
  endedAt: number;
  code: number;
  stdout: string;
  stderr: string;
  /** The run it started or continued ("run <id> started|resumed"), if it said. */
  runId: string | null;
  /** The stop the scenario drew for it ('none' for the shard a targeted stop leaves alone, and for continuations). */
  plannedStop: Stop;
  /** The stop the harness applied to it, and from when it had to end within STOP_BOUND_MS. */
  stop: { kind: Stop | 'budget-lift'; detail: string; at: number; boundFrom: number } | null;
  /** The harness had to end it itself: it did not stop (or finish) in time. */
  forcedEnd: string | null;
}

export interface Drive {
  attempts: Attempt[];
  /** Runs the harness could not bring to their end, with why. */
  unfinished: string[];
  runsDir: string;
}

interface Context {
  scenario: Scenario;
  backlog: Backlog;
  stage: Stage;
  dbUrl: string;
  schema: string;
  dir: string;
  secret: string;
}

const runIdIn = (text: string): string | null => new RegExp(`run (${RUN_ID_SOURCE}) (started|resumed)`).exec(text)?.[1] ?? null;

/** Runs the scenario's attempts: the first (one per shard, together), its stop, then continuations to the end. */
export async function drive(ctx: Context): Promise<Drive> {
  const { scenario } = ctx;
  const runsDir = join(ctx.dir, 'runs');
  const attempts: Attempt[] = [];
  const unfinished: string[] = [];
  const shards = scenario.shards === 2 ? [1, 2] : [null];

  // 1. The first attempt of every shard, side by side; a signal, kill -9 or a lost lock hits the first shard's.
  const firsts = await Promise.all(shards.map((shard) => runAttempt(ctx, {
    label: shard ? `shard ${shard}/2: first run` : 'first run', role: 'first', shard, argv: firstArgv(ctx, shard),
    env: firstEnv(ctx), stop: shard === 2 && TARGETED.has(scenario.stop) ? 'none' : scenario.stop, runsDir,
    via: scenario.shards === 2 || scenario.stop === 'sigterm' || scenario.stop === 'kill9' ? 'cli' : 'in-process',
  })));
  attempts.push(...firsts);
  if (scenario.stop === 'breaker') ctx.stage.sim.setFaults({ down: null }); // the server is back; the stage behaves as before

  // 2. A shard refused at its start (no run began) is started again once the others are done, as an operator would.
  for (const refused of firsts.filter((a) => a.runId === null)) {
    attempts.push(await runAttempt(ctx, {
      label: `${refused.label.replace(': first run', '')}: started again after it was refused`, role: 'again-after-refusal',
      shard: refused.shard, argv: firstArgv(ctx, refused.shard), env: firstEnv(ctx), stop: 'none', runsDir, via: 'in-process',
    }));
  }
  if (scenario.stop === 'kill9') await ctx.stage.idle(); // what was at the server finishes there, as at MOSIP

  // 3. Continue every run that did not finish, as the scenario says; after a finished one, the same command again.
  const runIds = [...new Set(attempts.map((a) => a.runId).filter((id): id is string => id !== null))];
  const firstArgvOf = new Map(attempts.filter((a) => a.runId).map((a) => [a.runId!, a.argv]));
  const shardOf = new Map(attempts.filter((a) => a.runId).map((a) => [a.runId!, a.shard]));
  const finished = (id: string) => isFinished(readRuns(runsDir).find((r) => r.id === id) ?? { records: [] } as never);
  if (scenario.source === 'action' && scenario.continuation === 'resume-last' && runIds.some((id) => !finished(id))) {
    // Decisions D6: `reprocess --resume last` continues notification runs only; an action run is not one.
    attempts.push(await runAttempt(ctx, {
      label: 'the notification command on a stopped action run', role: 'wrong-command', shard: null,
      argv: ['--resume', 'last'], env: continuationEnv(ctx), stop: 'none', runsDir, via: 'in-process',
    }));
  }
  const pending = runIds.filter((id) => !finished(id));
  const targets = pending.length > 0 ? pending : runIds.slice(0, 1);
  const role: AttemptRole = pending.length > 0 ? 'continuation' : 'after-finish';
  if (scenario.continuation === 'resume-last') {
    // "the newest unfinished run": one command, repeated until none is left.
    for (let n = 0; n < (role === 'after-finish' ? 1 : MAX_CONTINUATIONS * targets.length); n++) {
      const a = await runAttempt(ctx, {
        label: `${role === 'after-finish' ? 'after the run finished' : 'continuation'} ${n + 1}: --resume last`, role,
        shard: null, argv: continuationArgv(ctx, null, null), env: continuationEnv(ctx), stop: 'none', runsDir, via: 'in-process',
      });
      attempts.push(a);
      if (role === 'after-finish' || runIds.every(finished) || refusedToContinue(a)) break;
    }
  } else {
    for (const id of targets) {
      for (let n = 0; n < (role === 'after-finish' ? 1 : MAX_CONTINUATIONS); n++) {
        const a = await runAttempt(ctx, {
          label: `${role === 'after-finish' ? 'after the run finished' : 'continuation'} ${n + 1} of run ${id}`, role,
          shard: shardOf.get(id) ?? null, argv: continuationArgv(ctx, id, firstArgvOf.get(id)!), env: continuationEnv(ctx),
          stop: 'none', runsDir, via: 'in-process',
        });
        attempts.push(a);
        if (role === 'after-finish' || finished(id) || refusedToContinue(a)) break;
      }
    }
  }
  for (const id of runIds) if (!finished(id)) unfinished.push(`run ${id} (shard ${shardOf.get(id) ?? '-'}) is still unfinished after ${attempts.filter((a) => a.runId === id).length} attempt(s)`);
  return { attempts, unfinished, runsDir };
}

/** Stops aimed at one process (the first shard's); a budget and a server that goes down reach every shard. */
const TARGETED: ReadonlySet<Stop> = new Set(['sigterm', 'kill9', 'lock-lost']);

/** An attempt that ended before doing anything: bad input (2), refused (3) or a bug (4) with no run resumed. */
function refusedToContinue(a: Attempt): boolean {
  return a.code >= 2 && a.code <= 4 && a.runId === null;
}

/** What every notification command of the scenario carries. */
function commonArgv(ctx: Context, underBudget: boolean): string[] {
  const { scenario } = ctx;
  const k = scenario.knobs;
  const pace = scenario.pace === 'auto'
    ? ['--pace', 'auto', '--message-max-age', `${MESSAGE_MAX_AGE_MS / 1000}s`, '--max-wait', '1s', ...(underBudget ? BUDGET_PACE.auto : ['--rate', '15'])]
    : (underBudget ? BUDGET_PACE.fixed : ['--delay', '0.1']);
  return [
    ...pace, '--concurrency', String(k.concurrency), '--timeout', '1', '--retries', '2', '--retry-delay', '20ms-100ms',
    '--breaker-cooldown', '300ms', ...(scenario.stop === 'breaker' ? ['--breaker-patience', `${BREAKER_PATIENCE_MS}ms`] : []),
    '--json',
  ];
}

function sourceArgv(ctx: Context): string[] {
  const { scenario, backlog } = ctx;
  switch (scenario.source) {
    case 'db': return ['--db', ...(scenario.knobs.dbBatch ? ['--all', '--limit', String(scenario.knobs.dbBatch)] : [])];
    case 'file': return ['--file', backlog.file!];
    case 'registration': return backlog.registrations.flatMap((r) => ['--registration', r]);
    case 'query-file': return ['--query-file', backlog.queryFile!];
    case 'action': return [];
  }
}

/** The budget of a budget stop (the first attempt only). */
function budgetArgv(ctx: Context): string[] {
  const { knobs } = ctx.scenario;
  if (ctx.scenario.stop !== 'budget') return [];
  if (knobs.budget === 'max-duration') return ['--max-duration', `${BUDGET_MS}ms`];
  if (knobs.budget === 'max-packets') return ['--max-packets', String(knobs.stopAfter)];
  return ['--until', UNTIL_PLACEHOLDER];
}

/**
 * The next night, an operator lifts the budget that stopped the run (the same flag, a value that does not bind) and
 * goes at the usual pace again. After the outage that stopped the run by its breaker, the server is back: the
 * continuation has the default patience (10 min) instead of the first run's 1 s, which a stage that loses some of
 * its replies could use up with one packet's retries (three lost replies in a row opened the breaker, and one more
 * attempt in flight outlasted 1 s: a stop the settings asked for, not a broken promise).
 */
function liftedLimitsArgv(ctx: Context): string[] {
  if (ctx.scenario.stop === 'breaker') return ['--breaker-patience', '10m'];
  if (ctx.scenario.stop !== 'budget') return [];
  const { budget } = ctx.scenario.knobs;
  const pace = ctx.scenario.pace === 'auto' ? ['--rate', '15'] : ['--delay', '0.1'];
  if (budget === 'max-duration') return ['--max-duration', '24d', ...pace];
  if (budget === 'max-packets') return ['--max-packets', '1000000000', ...pace];
  return ['--until', new Date(Date.now() + 86_400_000).toISOString(), ...pace];
}

function runName(ctx: Context, shard: number | null): string[] {
  if (ctx.scenario.continuation !== 'run-name') return [];
  return ['--run-name', `scn${ctx.scenario.seed}${shard ? `-${shard - 1}` : ''}`];
}

/** The database is given on the first command line only: a resume must find it in the run itself (D2). */
function firstArgv(ctx: Context, shard: number | null): string[] {
  const where = ['--db-url', ctx.dbUrl, '--schema', ctx.schema, '--server', ctx.stage.sim.url];
  if (ctx.scenario.source === 'action') {
    const from = ctx.scenario.knobs.actionFrom === 'db' ? ['--db', '--pause-rule', 'PAUSE'] : ['--file', ctx.backlog.file!];
    return ['action', 'RESUME_PROCESSING', ...from, '--batch-size', String(ctx.scenario.knobs.actionBatch), '--delay', '0.2', ...where, '--timeout', '1', '--json'];
  }
  const underBudget = ctx.scenario.stop === 'budget';
  return [...sourceArgv(ctx), ...where, ...commonArgv(ctx, underBudget), ...budgetArgv(ctx), ...runName(ctx, shard), ...(shard ? ['--shard', `${shard}/2`] : [])];
}

function continuationArgv(ctx: Context, runId: string | null, first: string[] | null): string[] {
  const { scenario } = ctx;
  if (scenario.source === 'action') return ['action', 'RESUME_PROCESSING', '--resume', runId ?? 'last'];
  if (scenario.continuation === 'run-name') {
    // The same command again (a Job's replacement pod), the budget lifted.
    const withoutBudget = scenario.stop === 'budget' ? stripFlags(first!, ['--max-duration', '--max-packets', '--until', '--delay', '--rate']) : first!;
    return [...withoutBudget, ...liftedLimitsArgv(ctx)];
  }
  return ['--resume', runId ?? 'last', ...liftedLimitsArgv(ctx)];
}

function stripFlags(argv: string[], flags: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (flags.includes(argv[i]!)) { i += 1; continue; }
    out.push(argv[i]!);
  }
  return out;
}

const firstEnv = (ctx: Context) => ({ REGPROC_CLIENT_PWD: ctx.secret });
/** A new shell (or pod) with the secret only: no DB_* and no REPROCESS_DB_URL. */
const continuationEnv = (ctx: Context) => ({ REGPROC_CLIENT_PWD: ctx.secret });

const BOOLEAN_FLAGS = new Set(['db', 'all', 'json', 'includePaused', 'includeExhausted', 'allowShortWindow', 'resendInDoubt', 'yes']);

/** The flags commander would hand the command for this argv (values as text, --registration repeated). */
export function flagsOf(argv: readonly string[]): { positional: string[]; flags: Record<string, unknown> } {
  const positional: string[] = [];
  const flags: Record<string, unknown> = {};
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (!word.startsWith('--')) { positional.push(word); continue; }
    const key = word.slice(2).replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    if (BOOLEAN_FLAGS.has(key)) { flags[key] = true; continue; }
    const value = argv[++i]!;
    if (key === 'registration') flags[key] = [...((flags[key] as string[] | undefined) ?? []), value];
    else flags[key] = value;
  }
  return { positional, flags };
}

interface AttemptPlan {
  label: string;
  role: AttemptRole;
  shard: number | null;
  argv: string[];
  env: Record<string, string>;
  stop: Stop;
  runsDir: string;
  via: 'cli' | 'in-process';
}

/** One command, with the harness's stop applied while it runs. */
async function runAttempt(ctx: Context, givenPlan: AttemptPlan): Promise<Attempt> {
  const untilAt = Date.now() + UNTIL_LEAD_MS;
  const plan = { ...givenPlan, argv: givenPlan.argv.map((w) => (w === UNTIL_PLACEHOLDER ? new Date(untilAt).toISOString() : w)) };
  const attempt: Attempt = {
    label: plan.label, role: plan.role, shard: plan.shard, argv: plan.argv, envShown: Object.keys(plan.env).join(' ') + ' (values not shown)',
    via: plan.via, startedAt: Date.now(), endedAt: 0, code: -1, stdout: '', stderr: '', runId: null, plannedStop: plan.stop, stop: null, forcedEnd: null,
  };
  const logDir = join(ctx.dir, `logs${plan.shard ?? ''}`);
  let stderrSoFar = '';
  const seenRunId = () => attempt.runId ?? (attempt.runId = runIdIn(stderrSoFar));
  let end: ((why: string) => void) | null = null;
  const applied = applyStop(ctx, plan, attempt, seenRunId, (why) => end?.(why));

  if (plan.via === 'cli') {
    let child: ChildProcess | null = null;
    end = (why) => { attempt.forcedEnd ??= why; child?.kill('SIGKILL'); };
    const done = runCli(plan.argv, {
      env: plan.env, logDir, runsDir: plan.runsDir,
      onSpawn(c, output) {
        child = c;
        applied.onSignal = (signal) => c.kill(signal);
        const poll = setInterval(() => { stderrSoFar = output.stderr(); }, 20);
        c.on('close', () => clearInterval(poll));
      },
    });
    const run = await done;
    Object.assign(attempt, { code: run.code, stdout: run.stdout, stderr: run.stderr });
  } else {
    const controller = new AbortController();
    let giveUp!: () => void;
    const abandoned = new Promise<null>((resolve) => { giveUp = () => resolve(null); });
    end = (why) => {
      attempt.forcedEnd ??= why;
      controller.abort(); // Ctrl-C; if even that does not end it, the harness stops waiting
      setTimeout(giveUp, STOP_BOUND_MS).unref();
    };
    const options = { logDir, runsDir: plan.runsDir, signal: controller.signal, onErr: (line: string) => { stderrSoFar += `${line}\n`; } };
    const { positional, flags } = flagsOf(plan.argv);
    const running = positional[0] === 'action'
      ? actionInProcess(positional[1]!, flags, plan.env, options)
      : cliInProcess(flags, plan.env, options);
    const run = (await Promise.race([running, abandoned]))
      ?? { code: -1, stdout: '', stderr: `${stderrSoFar}\n(the harness stopped waiting: the run did not end after it was told to stop)` };
    Object.assign(attempt, { code: run.code, stdout: run.stdout, stderr: run.stderr });
  }
  attempt.endedAt = Date.now();
  await applied.done();
  attempt.runId ??= runIdIn(attempt.stderr) ?? runKilledBeforeSayingSo(plan.runsDir, attempt);
  return attempt;
}

/**
 * A process killed (kill -9) after it created its run but before it printed the run's id: the run exists, unfinished,
 * and an operator finds it (`reprocess runs`, `--resume last`) and continues it rather than starting another run for
 * the same packets. The run this attempt created: made while it ran, for its shard.
 */
export function runKilledBeforeSayingSo(runsDir: string, attempt: Pick<Attempt, 'code' | 'shard' | 'startedAt' | 'endedAt'>): string | null {
  if (attempt.code !== 137) return null;
  const shard = attempt.shard ? `${attempt.shard}/2` : undefined;
  const made = readRuns(runsDir).filter((r) => {
    const created = Date.parse(String(r.meta.createdAt));
    const flags = (r.meta.flags ?? {}) as { shard?: string };
    return created >= attempt.startedAt && created <= attempt.endedAt && flags.shard === shard;
  });
  return made.length === 1 ? made[0]!.id : null;
}

interface AppliedStop {
  onSignal: ((signal: NodeJS.Signals) => void) | null;
  /** Undoes what the stop changed (the lock given back); resolves once the watch is over. */
  done(): Promise<void>;
}

/**
 * Watches the attempt and applies its stop: a signal or kill -9 once the simulator has seen `stopAfter` requests
 * (notifications, or workflow action requests),
 * the server going down (breaker), or the lock taken away (lock-lost); a budget is already on its command line.
 * Also the watchdog: an attempt that does not end within STOP_BOUND_MS of its stop (or at all) is ended.
 */
function applyStop(ctx: Context, plan: AttemptPlan, attempt: Attempt, runId: () => string | null, forceEnd: (why: string) => void): AppliedStop {
  const { knobs } = ctx.scenario;
  const stop = plan.stop;
  const result: AppliedStop = { onSignal: null, done: async () => undefined };
  let stolen: StolenLock | null = null;
  let finished = false;
  const started = attempt.startedAt;
  const reached = () => ctx.stage.requestsReceived() >= knobs.stopAfter;
  const mark = (detail: string, boundFrom = Date.now()) => { attempt.stop = { kind: stop, detail, at: Date.now(), boundFrom }; };

  if (stop === 'budget') {
    const at = plan.argv[plan.argv.indexOf('--until') + 1];
    const boundFrom = knobs.budget === 'max-packets' ? Number.POSITIVE_INFINITY
      : knobs.budget === 'until' && at ? Date.parse(at) : started + BUDGET_MS;
    mark(`--${knobs.budget} on the command line`, boundFrom);
  }
  const watch = (async () => {
    while (!finished) {
      await new Promise((r) => setTimeout(r, 20));
      if (finished) break;
      const now = Date.now();
      if (!attempt.stop && reached()) {
        if (stop === 'sigterm' || stop === 'kill9') {
          if (result.onSignal) {
            mark(stop === 'sigterm' ? 'SIGTERM' : 'SIGKILL');
            result.onSignal(stop === 'sigterm' ? 'SIGTERM' : 'SIGKILL');
          }
        } else if (stop === 'breaker') {
          ctx.stage.sim.setFaults({ down: { durationMs: 600_000, mode: '503' } });
          mark('the server answers 503 "no healthy upstream" from now on', now + BREAKER_PATIENCE_MS);
        } else if (stop === 'lock-lost' && runId()) {
          try {
            stolen = await stealRunLock(ctx.dbUrl, runId()!);
            mark(`another holder took the run lock (its lock session ${stolen.victims.join(', ')} ended)`);
          } catch {
            // its lock session has not named the run yet: try again on the next tick
          }
        }
      }
      if (stop === 'budget' && knobs.budget === 'max-packets' && attempt.stop && attempt.stop.boundFrom === Number.POSITIVE_INFINITY && runId()) {
        // From when the run had sent its --max-packets (its journal says so).
        if (journalSends(plan.runsDir, runId()!) >= knobs.stopAfter) attempt.stop.boundFrom = now;
      }
      const bound = attempt.stop && Number.isFinite(attempt.stop.boundFrom) ? attempt.stop.boundFrom + STOP_BOUND_MS + 5000 : started + UNSTOPPED_BOUND_MS;
      if (now > bound) {
        forceEnd(attempt.stop ? `it had not ended ${Math.round((now - attempt.stop.boundFrom) / 1000)} s after its stop` : `it had not ended after ${UNSTOPPED_BOUND_MS / 1000} s`);
        break;
      }
    }
  })();
  result.done = async () => {
    finished = true;
    await watch;
    const s = stolen as StolenLock | null;
    await s?.release();
  };
  return result;
}

/** Send records the run's journal holds so far. */
function journalSends(runsDir: string, runId: string): number {
  const path = join(runsDir, runId, 'journal.jsonl');
  if (!existsSync(path)) return 0;
  return (readFileSync(path, 'utf8').match(/"t":"send"/g) ?? []).length;
}

/** The attempt as a line of the failure report: what ran, how it was stopped, how it ended. */
export function describeAttempt(a: Attempt, n: number): string {
  const cmd = `reprocess ${a.argv.map(shellWord).join(' ')}`;
  const stop = a.stop ? `; stopped: ${a.stop.detail} at +${((a.stop.at - a.startedAt) / 1000).toFixed(1)} s` : '';
  const forced = a.forcedEnd ? `; THE HARNESS ENDED IT: ${a.forcedEnd}` : '';
  return `${n}. ${a.label} [${a.via}, env ${a.envShown}]\n     ${cmd}\n     exit ${a.code} after ${((a.endedAt - a.startedAt) / 1000).toFixed(1)} s${a.runId ? `, run ${a.runId}` : ''}${stop}${forced}`;
}

function shellWord(w: string): string {
  return /^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`;
}
