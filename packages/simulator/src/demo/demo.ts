// `reprocess demo`: the whole job on this machine, with nothing to install. An embedded PostgreSQL (PGlite, data
// under .demo/<timestamp>/), the regprc tables with a post-migration backlog, the MOSIP simulator with the
// 1.2.0.1 pipeline model behind it, and then the REAL run path (the mosip-reprocess library, in-process) in the order the guide and
// an SRE use it: triage (why the packets are stuck), dry run, canary (--limit 1), batches (--all); then where the packets
// ended up, and one packet of the cohort the runs left alone (it fails the same way on every pass) explained.
//
// Only the pace is scaled: --delay and the stage latencies are milliseconds instead of seconds and minutes, and
// the demo says so. Nothing outside 127.0.0.1 is contacted, and the caller's environment (DB_*, REPROCESS_*) is
// not read: the runs get a clean environment holding only the demo's own, random client secret.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type pg from 'pg';
import { loadSettings } from 'mosip-reprocess/config/load.js';
import { createPool } from 'mosip-reprocess/db/connect.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../embedded/pglite.js';
import { InputError } from 'mosip-reprocess/errors.js';
import { OUTCOMES } from '@mosip-reprocess/contract/wire.js';
import type { RunSummary } from 'mosip-reprocess/domain/runResult.js';
import { DEFAULT_STAGES, startPipeline, type FailureMode, type PipelineModel, type PipelineStats } from '../sim/pipeline.js';
import { seedScenario, type SeedSummary } from '../sim/seed.js';
import { startSimulator, type RunningSimulator, type SimulatorStats } from '../sim/server.js';
import { SUCCESS_SUB_STATUS } from '../sim/securezoneStage.js';
import { createSchema } from '@mosip-reprocess/contract/schema.js';
import { selectionCounts, utcCutoff } from 'mosip-reprocess/sql/selectEligible.js';
import { criteriaOf } from 'mosip-reprocess/source/openSource.js';
import {
  dryRunReprocess, explainPacket, resolveRunRequest, resolveTriageRequest, runReprocess, triageReprocess, type EventSink, type RunFlags,
  type TriageReport,
} from 'mosip-reprocess';
import { renderTriage } from 'mosip-reprocess/triage/triageText.js';
import { renderExplain } from 'mosip-reprocess/triage/explainText.js';
import { writeTriageHtml } from 'mosip-reprocess/triage/triageHtml.js';
import { renderDryRun } from 'mosip-reprocess/report/dryRun.js';
import { writeDryRunHtml } from 'mosip-reprocess/report/html/dryRunReport.js';
import { writeReportFiles } from 'mosip-reprocess/report/html/reportFiles.js';
import { packetLine, summaryText } from 'mosip-reprocess/report/format.js';
import { reportFailure } from 'mosip-reprocess/cli/runCommand.js';
import { runAction, type ActionResult } from 'mosip-reprocess/action/runAction.js';
import { writeFileSync } from 'node:fs';
import type { ReprocessorTickResult } from '../sim/reprocessor.js';
import { selectRidsPausedOnlyBy } from '../sql/selectRidsPausedOnlyBy.js';
import { describePipeline, numberOption, parsePipelineSettings, type PipelineSettings } from './pipelineOptions.js';
import { renderBeforeAfter, takeSnapshot, type Snapshot } from './snapshot.js';
import { utcStamp } from 'mosip-reprocess/journal/runId.js';

/** What the user may set; strings come from the command line. */
export interface DemoOptions {
  /** Registration rows to seed. Default 2000. */
  packets?: number | string;
  /** Seconds between notifications (the guide's 1 s, scaled). Default 0.005. */
  delay?: number | string;
  /** --limit of each --all batch. Default 500. */
  batchSize?: number | string;
  /** ms per pipeline stage. Default 20. */
  pipelineLatency?: number | string;
  /** Packets per second the pipeline admits (0 = no limit). Default 500. */
  pipelineCapacity?: number | string;
  /** Probability that one pipeline stage step fails. Default 0.01 (about 1 packet in 10 fails somewhere). */
  failureRate?: number | string;
  /** FAILED, REPROCESS or mixed. Default mixed. */
  failureMode?: string;
  /** Seed of the backlog and of the pipeline's failure draws. Default 1. */
  seed?: number | string;
  /** Seconds to wait for the pipeline to empty before the "after" table. Default 30. */
  drainTimeout?: number | string;
  /** Keep the database files (default: removed at the end; journal and logs are always kept). */
  keep?: boolean;
  /** Print every packet line of the batches (default: the first few and the packets not forwarded). */
  verbose?: boolean;
  /** Parent of the demo's timestamped directory. Default .demo (git-ignored). */
  dir?: string;
  /** Keep the database in memory instead of under the demo directory. */
  inMemory?: boolean;
  /** The client secret (tests, to prove it is never printed or written). Default: random. Not a CLI option. */
  secret?: string;
}

export const DEMO_DEFAULTS = Object.freeze({
  packets: 2000,
  delay: 0.005,
  batchSize: 500,
  pipelineLatency: 20,
  pipelineCapacity: 500,
  failureRate: 0.01,
  failureMode: 'mixed' as FailureMode,
  seed: 1,
  drainTimeout: 30,
  dir: '.demo',
  /** MOSIP drops a message older than 3600 s; scaled like the stage latency (20 ms instead of seconds to minutes). */
  maxMessageAgeSeconds: 20,
});

/** The delay the guide (and the tool's default) uses, for the "scaled" message. */
const GUIDE_DELAY_SECONDS = 1;
const SCHEMA = 'regprc';
const SHOWN_FORWARDED_LINES = 3;
const SHOWN_OTHER_LINES = 10;

/** Where the demo prints; the CLI passes the console. */
export interface DemoIo {
  out(line: string): void;
  err(line: string): void;
  /** The runs' progress bar (stderr). */
  progress?(text: string): void;
  stderrIsTTY?: boolean;
  /** Ctrl-C: the current run stops taking packets, then the demo cleans up and ends. */
  signal?: AbortSignal;
}

export interface DemoResult {
  /** 0: ran through, canary passed, pipeline drained; 1: the canary failed, a run stopped, or it did not drain. */
  exitCode: number;
  dir: string;
  runsDir: string;
  logDir: string;
  /** The kept database directory; null when it was in memory or removed at the end. */
  dataDir: string | null;
  simulatorUrl: string;
  /** The simulator's port (closed by the time runDemo resolves). */
  simulatorPort: number;
  /** The embedded PostgreSQL's URL (stopped by the time runDemo resolves). */
  databaseUrl: string;
  seeded: SeedSummary;
  /** Rows the guide's APPROACH 1 query selected before the runs (the dry run's "matched"). */
  eligibleBefore: number;
  /** Rows it still selects afterwards (inactive rows: the stage cannot find them, so they stay). */
  eligibleAfter: number;
  dryRunExitCode: number;
  /** The triage before the night (step 4), null if it failed. */
  triage: TriageReport | null;
  /** The RID of the repeating cohort explained at the end (step 9), null when there was none. */
  explained: string | null;
  canary: { exitCode: number; passed: boolean; summary: RunSummary | null } | null;
  batches: { exitCode: number; summary: RunSummary | null } | null;
  drained: boolean;
  /** The paused packets resumed the MOSIP way (step 7), and the reprocessor tick that moved them on. */
  paused: { selected: number; action: ActionResult | null; exitCode: number; tick: ReprocessorTickResult | null } | null;
  before: Snapshot;
  after: Snapshot;
  pipeline: PipelineStats;
  simulator: SimulatorStats;
  durationMs: number;
}

interface Resolved {
  packets: number;
  delay: number;
  batchSize: number;
  pipeline: PipelineSettings & { seed: number };
  seed: number;
  drainTimeoutMs: number;
  keep: boolean;
  verbose: boolean;
  dir: string;
  inMemory: boolean;
}

export function resolveDemoOptions(o: DemoOptions): Resolved {
  const seed = numberOption('--seed', o.seed ?? DEMO_DEFAULTS.seed, 0, 2 ** 32 - 1, 'random seed', true);
  const pipeline = parsePipelineSettings(
    { latency: o.pipelineLatency, capacity: o.pipelineCapacity, failureRate: o.failureRate, failureMode: o.failureMode },
    {
      latency: DEMO_DEFAULTS.pipelineLatency, capacity: DEMO_DEFAULTS.pipelineCapacity, failureRate: DEMO_DEFAULTS.failureRate,
      failureMode: DEMO_DEFAULTS.failureMode, maxMessageAgeSeconds: DEMO_DEFAULTS.maxMessageAgeSeconds,
    },
    { latency: '--pipeline-latency', capacity: '--pipeline-capacity', failureRate: '--failure-rate', failureMode: '--failure-mode', seed: '--seed' },
  );
  return {
    packets: numberOption('--packets', o.packets ?? DEMO_DEFAULTS.packets, 1, 1_000_000, 'registration rows', true),
    delay: numberOption('--delay', o.delay ?? DEMO_DEFAULTS.delay, 0, 60, 'seconds between notifications'),
    batchSize: numberOption('--batch-size', o.batchSize ?? DEMO_DEFAULTS.batchSize, 1, 1_000_000, 'packets per batch', true),
    pipeline: { ...pipeline, seed },
    seed,
    drainTimeoutMs: 1000 * numberOption('--drain-timeout', o.drainTimeout ?? DEMO_DEFAULTS.drainTimeout, 0, 3600, 'seconds'),
    keep: Boolean(o.keep),
    verbose: Boolean(o.verbose),
    dir: o.dir ?? DEMO_DEFAULTS.dir,
    inMemory: Boolean(o.inMemory),
  };
}

/**
 * Runs the demo and resolves once everything it started is stopped (simulator, pipeline, pools, PGlite).
 * Throws InputError for bad options (before anything starts); other failures propagate after the cleanup.
 */
export async function runDemo(options: DemoOptions, io: DemoIo): Promise<DemoResult> {
  const o = resolveDemoOptions(options);
  const started = performance.now();
  const say = (line = '') => io.out(line);
  const shown = (p: string) => relative(process.cwd(), p) || '.';

  const dir = makeDemoDir(o.dir);
  const runsDir = join(dir, 'runs');
  const logDir = join(dir, 'logs');
  const dataDir = o.inMemory ? null : join(dir, 'pgdata');
  // The demo's own client secret: random, known only to the simulator and the runs' environment, never printed.
  const secret = options.secret ?? randomBytes(24).toString('base64url');

  let embedded: EmbeddedPostgres | undefined;
  let pool: pg.Pool | undefined;
  let simulator: RunningSimulator | undefined;
  let pipeline: PipelineModel | undefined;
  let result: DemoResult | undefined;
  try {
    say('mosip-reprocess demo: the whole reprocessing job, against an embedded database and a simulated MOSIP 1.2.0.1.');
    say('Everything runs in this process on 127.0.0.1: nothing else is contacted, and DB_* / REPROCESS_* variables are ignored.');
    say();

    // 1. Database.
    embedded = await startEmbeddedPostgres(dataDir ? { dataDir } : {});
    pool = createPool({ url: embedded.url, max: 6, applicationName: 'mosip-reprocess-demo' });
    await createSchema(pool, SCHEMA);
    say(`[1/9] PostgreSQL: embedded PGlite on ${embedded.url}, ${dataDir ? `data in ${shown(dataDir)}` : 'in memory'}; the ${SCHEMA} tables created.`);

    // 2. Backlog.
    const seedStarted = performance.now();
    const seeded = await seedScenario(pool, SCHEMA, { count: o.packets, seed: o.seed });
    const db = pool;
    // The guide's APPROACH 1 with the tool's defaults: what the dry run counts and the batches select.
    const defaults = loadSettings({ flags: {}, env: {} }).settings;
    const eligible = async () => (await selectionCounts(db, SCHEMA, criteriaOf(defaults, await utcCutoff(db, defaults.olderThan)))).taken;
    const before = await takeSnapshot(pool, SCHEMA);
    const eligibleBefore = await eligible();
    say(`[2/9] Seeded ${seeded.registrations} registrations as an upgrade from 1.1.5 to 1.2.0.1 leaves them (seed ${o.seed}, ${seconds(performance.now() - seedStarted)}):`);
    say(`      stuck in 1.2.0.1 stages and in 1.1.5 ones (QUALITY_CHECK, OSI_VALIDATE, MANUAL_VERIFICATION); ${count(seeded.byStatusCode, 'PROCESSED')} PROCESSED,`);
    say(`      ${count(seeded.byStatusCode, 'FAILED')} FAILED, ${count(seeded.byStatusCode, 'REJECTED')} REJECTED; ${seeded.touchedLastDay} touched in the last day, `
      + `${seeded.retryCountOver500} over the retry limit,`);
    say(`      ${seeded.migrated} migrated from 1.1.5 (source NULL), ${seeded.duplicates} duplicate resends, ${seeded.inactive} inactive.`);
    say(`      The guide's APPROACH 1 query selects ${eligibleBefore} of them.`);
    say(`      Paused: ${count(seeded.byStatusCode, 'PAUSED')} PAUSED (pause_rule_ids ${formatRules(seeded.byPauseRuleIds)}), `
      + `${count(seeded.byStatusCode, 'PAUSED_FOR_ADDITIONAL_INFO')} PAUSED_FOR_ADDITIONAL_INFO, ${count(seeded.byStatusCode, 'RESUMABLE')} RESUMABLE;`);
    say(`      the guide's query takes ${seeded.approach1Paused} of these, which MOSIP's own reprocessor leaves alone.`);
    say(`      ${seeded.repeating} fail the same way on every pass (the packet manager's KER-PUT-020 at packet validation, looping through`);
    say(`      REPROCESS); the guide's query takes ${seeded.approach1Repeating} of them. Every row has its history (${seeded.historyRows} registration_transaction rows).`);

    // 3. MOSIP side.
    pipeline = startPipeline({
      pool, schema: SCHEMA, stageLatencyMs: o.pipeline.stageLatencyMs, capacityPerSecond: o.pipeline.capacityPerSecond,
      failureRate: o.pipeline.failureRate, failureMode: o.pipeline.failureMode, seed: o.pipeline.seed, maxConcurrentDbWork: 2,
      maxMessageAgeMs: o.pipeline.maxMessageAgeMs, uploadRetryLimit: o.pipeline.uploadRetryLimit,
    });
    simulator = await startSimulator({
      db: pool, schema: SCHEMA, routingEnabled: true, clients: [{ secret }], onForward: pipeline.onForward, forwardedLogLimit: 1000,
    });
    say(`[3/9] MOSIP simulator on ${simulator.url}: authmanager and the securezone notification stage (routing enabled),`);
    say(`      and behind it the 1.2.0.1 pipeline: ${describePipeline(o.pipeline, DEFAULT_STAGES.length)}.`);
    say(`      Its client secret was made at random for this demo and reaches the runs as REGPROC_CLIENT_PWD; it is never printed.`);
    say(`      SCALED FOR THE DEMO: delay scaled from ${GUIDE_DELAY_SECONDS} s to ${formatDelay(o.delay)} for the demo (at ${GUIDE_DELAY_SECONDS} s, ${eligibleBefore} packets take ${duration(eligibleBefore * GUIDE_DELAY_SECONDS)});`);
    say(`      each pipeline stage takes ${o.pipeline.stageLatencyMs} ms instead of seconds to minutes, and a message older than ${o.pipeline.maxMessageAgeMs / 1000} s is dropped instead of 3600 s.`);

    // The real run path, in-process, with a clean environment.
    const common: RunFlags = {
      db: true, dbUrl: embedded.url, schema: SCHEMA, runsDir, logDir,
      progressInterval: io.stderrIsTTY ? '30s' : '5s',
    };
    const command = (flags: string) => `      $ reprocess --db ${flags}\n        (+ --db-url <embedded>, --runs-dir and --log-dir under ${shown(dir)})`;
    const env = { REGPROC_CLIENT_PWD: secret };
    const sink = (filter: PacketFilter | null): EventSink => (e) => {
      if (e.type === 'packet') {
        if (!filter || filter.keep(e.result.outcome)) io.out(indent(packetLine(e.result)));
      } else if (e.type === 'started') io.err(indent(`run ${e.runId} ${e.resumed ? 'resumed' : 'started'}: ${e.source}; journal ${e.journalPath}`));
      else if (e.type === 'note') io.err(indent(e.message));
      else if (e.type === 'warning' || e.type === 'breaker') io.err(indent(`warning: ${e.message}`));
    };
    /** One run through the library, as `reprocess --db …` would make it; its typed result, or the exit code of its failure. */
    const run = async (flags: RunFlags, filter: PacketFilter | null) => {
      try {
        const result = await runReprocess(resolveRunRequest(flags, env), sink(filter), io.signal ? { signal: io.signal } : {});
        io.out(indent(summaryText(result.summary)));
        if (result.summary.stop) io.err(indent(`stopped: ${result.summary.stop.message}`));
        return { exitCode: result.exitCode as number, summary: result.summary, runId: result.runId as string | null };
      } catch (err) {
        return { exitCode: reportFailure(err, { out: (l) => io.out(indent(l)), err: (l) => io.err(indent(l)), env }), summary: null, runId: null };
      }
    };
    const paced = { server: simulator.url, delay: o.delay };

    say();
    say('[4/9] Triage: why each selected packet is stuck, from its history (registration_transaction), by cohort; nothing is sent.');
    say(`      $ reprocess triage --db\n        (+ --db-url <embedded> and --runs-dir under ${shown(dir)})`);
    let triage: TriageReport | null = null;
    try {
      triage = await triageReprocess(resolveTriageRequest({ ...common }, env));
      io.out(indent(renderTriage(triage, { details: false, tableRows: 12 })));
      writeTriageHtml(triage, join(dir, 'triage.html'));
      const repeating = triage.byVerdict.repeating;
      if (repeating.packets > 0) {
        say(`      The ${repeating.packets} repeating packet(s) fail the same way on every pass (the packet manager's KER-PUT-020 at packet`);
        say('      validation, which MOSIP marks REPROCESS): every run below holds them back by default (--include-repeat-failures would send them).');
      }
    } catch (err) {
      reportFailure(err, { out: io.out, err: (l) => io.err(indent(l)), env });
    }

    say();
    say('[5/9] Dry run: what would be sent; nothing is.');
    say(command(`--dry-run --limit ${o.batchSize}`));
    let stopped: string | null = null;
    let dryRunExitCode = 0;
    try {
      const dry = await dryRunReprocess(resolveRunRequest({ ...common, dryRun: true, limit: o.batchSize }, env));
      io.out(indent(renderDryRun(dry)));
      writeDryRunHtml(dry, join(dir, 'dry-run.html'));
    } catch (err) {
      dryRunExitCode = reportFailure(err, { out: io.out, err: (l) => io.err(indent(l)), env });
      stopped = `the dry run failed (exit code ${dryRunExitCode})`;
    }

    let canary: DemoResult['canary'] = null;
    let batches: DemoResult['batches'] = null;
    let batchRunId: string | null = null;

    if (!stopped && !io.signal?.aborted) {
      say();
      say('[6/9] Canary, the guide\'s "reprocess just one packet first": send one, watch its row until it moves past securezone.');
      say(command(`--canary --limit 1 --server ${simulator.url} --delay ${o.delay}`));
      const { exitCode, summary } = await run({ ...common, ...paced, canary: true, limit: 1, canaryTimeout: '30s' }, null);
      const passed = exitCode === 0 && summary !== null && summary.stop === null && summary.sent === 1;
      canary = { exitCode, passed, summary };
      if (!passed) stopped = `the canary did not pass (exit code ${exitCode}); an operator stops here, and so does the demo`;
    }

    if (!stopped && !io.signal?.aborted) {
      say();
      say(`[7/9] Batches of ${o.batchSize} until no eligible packet is left (the guide: "run the script as many times as needed").`);
      // --pace auto: as fast as the pipeline drains (watched in the database), with --delay as the upper bound.
      const maxAge = `${o.pipeline.maxMessageAgeMs / 1000}s`;
      say(command(`--all --limit ${o.batchSize} --server ${simulator.url} --pace auto --delay ${o.delay} --message-max-age ${maxAge}`));
      const filter = o.verbose ? null : new PacketFilter();
      const { exitCode, summary, runId } = await run({ ...common, ...paced, pace: 'auto', messageMaxAge: maxAge, all: true, limit: o.batchSize }, filter);
      batches = { exitCode, summary };
      batchRunId = runId;
      if (filter && filter.hidden > 0) {
        say(`      (${filter.hidden} more packet lines not shown; all are in ${shown(join(logDir, 'last.log'))}; --verbose prints them)`);
      }
      if (summary?.stop) stopped = `the batch run stopped: ${summary.stop.message}`;
      else if (exitCode === 1) {
        say('      Exit code 1 is expected here: like a real backlog, this one holds duplicate resends (the stage refuses them)');
        say('      and inactive rows (the stage does not find them). Every other packet was forwarded.');
      }
    }

    // Let the pipeline finish what it was given, then look at the table again.
    let drained = true;
    const waiting = pipeline.stats();
    if (waiting.backlog + waiting.inFlight > 0) {
      say();
      say(`Waiting for the pipeline to move its last ${waiting.backlog + waiting.inFlight} packets (at most ${Math.round(o.drainTimeoutMs / 1000)} s)...`);
      // Ctrl-C ends the wait too (stop() below then settles the pending drain and its timer).
      drained = await Promise.race([pipeline.drain(o.drainTimeoutMs), whenAborted(io.signal)]);
      if (!drained) say(`      It did not empty in time: the "after" column counts the packets still in flight where they are now.`);
    }
    // 7. Paused packets: left out of the batches (held back by default); the plain PAUSE ones are resumed the MOSIP
    // way, through the workflow action API, and one reprocessor tick sends them on. Those the hotlisted-operator rule
    // paused (alone or with PAUSE; default STOP_PROCESSING) are left for a person. `--pause-rule PAUSE` would also take
    // the rows paused under both rules, so the demo lists the RIDs paused by PAUSE alone in a file.
    let paused: DemoResult['paused'] = null;
    if (!stopped && !io.signal?.aborted) {
      const rids = await selectRidsPausedOnlyBy(pool, SCHEMA, 'PAUSE');
      const file = join(dir, 'paused-by-PAUSE-only.txt');
      writeFileSync(file, rids.map((r) => `${r}\n`).join(''));
      say();
      say(`[8/9] Paused packets, the MOSIP way. The batches left ${count(seeded.byStatusCode, 'PAUSED')} PAUSED, `
        + `${count(seeded.byStatusCode, 'PAUSED_FOR_ADDITIONAL_INFO')} PAUSED_FOR_ADDITIONAL_INFO and ${count(seeded.byStatusCode, 'RESUMABLE')} RESUMABLE alone;`);
      say(`      the ${rids.length} paused by the plain PAUSE rule alone are resumed through the workflow action API (those the`);
      say('      hotlisted-operator rule paused, default STOP_PROCESSING, are left for a person to decide).');
      say(`      $ reprocess action RESUME_PROCESSING --file ${shown(file)} --server ${simulator.url}`);
      let action: ActionResult | null = null;
      let exitCode = 0;
      if (rids.length > 0) {
        try {
          const { settings } = loadSettings({
            flags: { dbUrl: embedded.url, schema: SCHEMA, server: simulator.url, delay: o.delay, runsDir, logDir, reason: 'demo: resume PAUSE' },
            env,
          });
          action = await runAction({
            action: 'RESUME_PROCESSING', source: { kind: 'file', path: file }, settings, dbConfigured: true, actionServer: null,
            batchSize: 10, yes: false, flags: { workflowAction: 'RESUME_PROCESSING', file }, resume: null,
          }, (e) => {
            if (e.type === 'started') io.err(indent(`action run ${e.runId} started: journal ${e.journalPath}`));
            else if (e.type === 'note' || e.type === 'warning') io.err(indent(e.message));
          }, io.signal ? { signal: io.signal } : {});
          exitCode = action.exitCode;
          say(indent(`action RESUME_PROCESSING: ${Object.entries(action.counts).map(([k, n]) => `${k} ${n}`).join(', ') || 'nothing sent'}; run ${action.runId}`));
        } catch (err) {
          exitCode = reportFailure(err, { out: (l) => io.out(indent(l)), err: (l) => io.err(indent(l)), env });
          stopped = `the action run failed (exit code ${exitCode})`;
        }
      }
      let tick: ReprocessorTickResult | null = null;
      if (!stopped) {
        tick = await simulator.reprocessorTick();
        say(`      MOSIP's reprocessor (a cron tick every 3 minutes; one tick run here) sent ${tick.sent.length} RESUMABLE packets on to their`);
        say(`      stage (latest PACKET_REPROCESS / REPROCESS)${tick.reprocessFailed.length ? `, marked ${tick.reprocessFailed.length} REPROCESS_FAILED` : ''}.`);
      }
      paused = { selected: rids.length, action, exitCode, tick };
    }

    // 9. One packet of the cohort the runs left alone, as an operator asked about it would look it up.
    let explained: string | null = null;
    const looping = triage?.cohorts.find((c) => c.verdict === 'repeating' && c.heldBack.repeating);
    if (looping && !io.signal?.aborted) {
      explained = looping.sample.rid;
      say();
      say(`[9/9] The runs left cohort ${looping.id} (${looping.count} packet(s), repeating) alone. One of them, explained:`);
      say(`      $ reprocess explain ${explained}`);
      try {
        io.out(indent(renderExplain((await explainPacket(explained, { ...common }, env)).explain)));
      } catch (err) {
        reportFailure(err, { out: io.out, err: (l) => io.err(indent(l)), env });
      }
    }

    const after = await takeSnapshot(pool, SCHEMA);
    const eligibleAfter = await eligible();
    // The morning-after report of the batch run, with where its packets are now, and its CSV.
    if (batchRunId) {
      await writeReportFiles({
        runId: batchRunId, flags: { runsDir, dbUrl: embedded.url, schema: SCHEMA }, env,
        html: join(dir, 'report.html'), csv: join(dir, 'packets.csv'),
      }).catch((err: Error) => io.err(indent(`the HTML report could not be written: ${err.message}`)));
    }
    const p = pipeline.stats();

    say();
    for (const line of renderBeforeAfter(before, after)) say(line);
    say();
    for (const line of renderOutcome(canary?.summary ?? null, batches?.summary ?? null, p, eligibleBefore, eligibleAfter)) say(line);
    if (stopped) {
      say();
      say(`The demo stopped early: ${stopped}.`);
    } else if (io.signal?.aborted) {
      say();
      say('The demo was interrupted.');
    }
    result = {
      exitCode: stopped || io.signal?.aborted || !drained ? 1 : 0,
      dir, runsDir, logDir, dataDir, simulatorUrl: simulator.url, simulatorPort: simulator.port, databaseUrl: embedded.url, seeded, eligibleBefore,
      eligibleAfter, dryRunExitCode, triage, explained, canary, batches, drained, paused, before, after, pipeline: p, simulator: simulator.stats(), durationMs: 0,
    };
    return result;
  } finally {
    // Everything this function started is stopped, whatever happened; the process then exits by itself.
    await simulator?.close().catch(() => undefined);
    await pipeline?.stop().catch(() => undefined);
    await pool?.end().catch(() => undefined);
    await embedded?.stop().catch(() => undefined);
    let dataKept = dataDir !== null && existsSync(dataDir);
    const dataSize = dataKept ? directorySize(dataDir!) : 0;
    if (dataKept && !o.keep) {
      rmSync(dataDir!, { recursive: true, force: true });
      dataKept = false;
    }
    if (result) {
      result.dataDir = dataKept ? dataDir : null;
      result.durationMs = performance.now() - started;
    }
    say();
    say('Where everything went:');
    say(`  journal of each run  ${shown(runsDir)}   (npx reprocess runs --runs-dir ${shown(runsDir)}; then report <run-id>)`);
    say(`  logs                 ${shown(join(logDir, 'out.log'))} (every run), ${shown(join(logDir, 'last.log'))} (the last run)`);
    for (const [file, what] of [['triage.html', 'the triage, as HTML: cohorts by size and age'], ['dry-run.html', 'the dry run, as HTML'], ['report.html', 'the batch run\'s morning-after report: open it in a browser'], ['packets.csv', 'one line per packet of the batch run']] as const) {
      if (existsSync(join(dir, file))) say(`  ${file.padEnd(20)} ${shown(join(dir, file))}   (${what})`);
    }
    say(`  database             ${dataKept ? `${shown(dataDir!)} (${megabytes(dataSize)}, a PGlite data directory, kept by --keep)`
      : dataDir ? `${shown(dataDir)} removed (${megabytes(dataSize)}); --keep keeps it` : 'in memory, gone'}`);
    say(`  simulator, pipeline, database: stopped.${result ? ` The demo took ${seconds(result.durationMs)}.` : ''}`);
  }
}

/** Shows the first few forwarded packets and the others (up to a cap); counts what it hides. */
class PacketFilter {
  hidden = 0;
  private forwarded = 0;
  private other = 0;

  keep(outcome: string): boolean {
    const keep = outcome === 'forwarded' ? this.forwarded++ < SHOWN_FORWARDED_LINES : this.other++ < SHOWN_OTHER_LINES;
    if (!keep) this.hidden += 1;
    return keep;
  }
}

/** The demo's closing account of the packets (exported for its tests). */
export function renderOutcome(
  canary: RunSummary | null, batches: RunSummary | null, p: PipelineStats, eligibleBefore: number, eligibleAfter: number,
): string[] {
  const sent = (canary?.sent ?? 0) + (batches?.sent ?? 0);
  const counts = Object.fromEntries(OUTCOMES.map((o) => [o, (canary?.counts[o] ?? 0) + (batches?.counts[o] ?? 0)])) as Record<string, number>;
  const lines = ['What happened to the packets:'];
  lines.push(`  selected by the query      ${pad(eligibleBefore)}`);
  lines.push(`  sent                       ${pad(sent)}  (canary ${canary?.sent ?? 0}; batches ${batches?.sent ?? 0}, in ${batches?.batches ?? 0} batch${batches?.batches === 1 ? '' : 'es'})`);
  lines.push(`  forwarded by securezone    ${pad(counts.forwarded ?? 0)}`);
  // MOSIP writes a duplicate with the stage's success sub status (SecurezoneNotificationStage.java l.254).
  if (counts.not_uploaded) lines.push(`  refused as duplicates      ${pad(counts.not_uploaded)}  latest status REJECTED (sub status ${SUCCESS_SUB_STATUS}); status_code unchanged`);
  if (counts.not_found) lines.push(`  not found (inactive rows)  ${pad(counts.not_found)}  the stage does not see inactive rows; they stay selected`);
  for (const o of OUTCOMES) {
    if (!['forwarded', 'not_uploaded', 'not_found'].includes(o) && counts[o]) lines.push(`  ${o.padEnd(25)}  ${pad(counts[o]!)}`);
  }
  lines.push('  the forwarded packets, in the pipeline:');
  lines.push(`    ended PROCESSED          ${pad(p.completed)}  through all ${DEFAULT_STAGES.length} stages, the last one ${DEFAULT_STAGES.at(-1)!.name}`);
  lines.push(`    ended FAILED             ${pad(p.failed)}  complete-as-failed at a stage`);
  lines.push(`    ended REPROCESS          ${pad(p.reprocess)}  mark-as-reprocess: MOSIP's automated reprocessor retries them`);
  lines.push(`    still in the pipeline    ${pad(p.backlog + p.inFlight)}`);
  if (p.superseded || p.dbErrors) {
    lines.push(`    stopped otherwise        ${pad(p.superseded + p.dbErrors)}  (row moved underneath: ${p.superseded}; database errors: ${p.dbErrors})`);
  }
  lines.push(`  selected by the query now  ${pad(eligibleAfter)}${eligibleAfter > 0 ? '  (inactive rows: no notification can move them)' : ''}`);
  return lines;
}

function whenAborted(signal: AbortSignal | undefined): Promise<false> {
  return new Promise((resolve) => {
    if (!signal) return;
    if (signal.aborted) resolve(false);
    else signal.addEventListener('abort', () => resolve(false), { once: true });
  });
}

/** <parent>/<UTC yyyymmdd-hhmmss>, made fresh (with a suffix when two demos start in the same second). */
function makeDemoDir(parent: string): string {
  const stamp = utcStamp(new Date());
  try {
    mkdirSync(resolve(parent), { recursive: true });
  } catch (err) {
    throw new InputError(`cannot create the demo directory ${resolve(parent)}: ${(err as Error).message}`);
  }
  for (let i = 1; i <= 100; i++) {
    const dir = resolve(parent, i === 1 ? stamp : `${stamp}-${i}`);
    try {
      mkdirSync(dir);
      return dir;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new InputError(`cannot create the demo directory ${dir}: ${(err as Error).message}`);
    }
  }
  throw new InputError(`cannot create a fresh demo directory under ${resolve(parent)}`);
}

function directorySize(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) total += statSync(join(entry.parentPath ?? entry.path, entry.name)).size;
  }
  return total;
}

const indent = (text: string) => text.split('\n').map((l) => (l ? `      ${l}` : l)).join('\n');
const pad = (n: number) => String(n).padStart(6);
const count = (counts: Record<string, number>, key: string) => counts[key] ?? 0;
const formatRules = (counts: Record<string, number>) =>
  Object.entries(counts).sort(([, a], [, b]) => b - a).map(([rule, n]) => `${rule} ${n}`).join(', ') || 'none';
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const megabytes = (bytes: number) => `${Math.max(1, Math.round(bytes / 1024 / 1024))} MB`;

function formatDelay(s: number): string {
  return s >= 1 ? `${s} s` : `${Number((s * 1000).toFixed(3))} ms`;
}

function duration(totalSeconds: number): string {
  const h = Math.floor(totalSeconds / 3600);
  const m = Math.round((totalSeconds % 3600) / 60);
  return h > 0 ? `${h} h ${m} min` : `${Math.max(1, m)} min`;
}
