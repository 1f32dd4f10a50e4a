// `reprocess sim ...`: the MOSIP simulator and its database helpers. Parsing only; the work is in src/sim.
import type { Command } from 'commander';
import { createSchemaCommand, runSimulatorCommand, seedCommand } from '../sim/cli.js';
import { runReported, type Io } from 'mosip-reprocess/cli/runCommand.js';

export function registerSimCommands(program: Command, stdio: () => Io): void {
  const run = (work: (io: Io) => Promise<unknown>) => runReported(stdio(), work);
  const sim = program
    .command('sim')
    .description('run the MOSIP simulator (authmanager + securezone notification) against a PostgreSQL database, for rehearsals and tests')
    .option('--port <port>', 'port to listen on (default 8090, 0 = any free port)')
    .option('--host <host>', 'address to listen on (default 127.0.0.1)')
    .option('--db-url <url>', 'postgres:// URL of the database holding the regprc tables (default: an embedded, empty in-memory database)')
    .option('--schema <name>', 'schema of the registration tables (default regprc)')
    .option('--token-lifetime <seconds>', 'lifetime of the tokens it issues (default 86400, as MOSIP\'s Keycloak realm)')
    .option('--no-routing', 'behave as with securezone.routing.enabled=false: reply "forwarded" but send nothing on')
    .option('--client-id <id>', 'the client it accepts (default mosip-regproc-client); its secret comes from REGPROC_CLIENT_PWD')
    // Fault injection (src/sim/faults.ts); also changeable while running with POST /sim/faults.
    .option('--fault-5xx-rate <rate>', 'fault: share of notifications answered 5xx before the stage runs, e.g. 0.1 or 10%')
    .option('--fault-5xx-status <code>', 'fault: the status of those replies (default 503)')
    .option('--fault-5xx-body <style>', 'fault: plain (Envoy-like text, default) or html (nginx-like page)')
    .option('--fault-slow-ms <ms>', 'fault: delay notification replies by this many ms (the stage still runs)')
    .option('--fault-slow <min-max>', 'fault: a random delay in ms, e.g. 100-500 (added to --fault-slow-ms)')
    .option('--fault-slow-rate <rate>', 'fault: share of notifications slowed (default 1: all)')
    .option('--fault-drop-rate <rate>', 'fault: share of notifications whose connection is closed without a reply')
    .option('--fault-drop-mode <mode>', 'fault: after (default: the stage ran and committed, the reply is lost) or before (the stage did not run)')
    .option('--fault-token-uses <n>', 'fault: a token is refused with 401 KER-ATH-401 after n notifications')
    .option('--fault-token-max-age <seconds>', 'fault: a token is refused with 401 KER-ATH-401 this long after it was issued')
    .option('--fault-403-rate <rate>', 'fault: share of authenticated notifications answered 403 KER-ATH-403, or all')
    .option('--fault-down-for <duration>', 'fault: be down this long, e.g. 10s or 500ms (at start, or after --fault-down-after requests)')
    .option('--fault-down-after <n>', 'fault: let n authenticate/notification requests through before going down')
    .option('--fault-down-mode <mode>', 'fault: refuse (default: close the connection at once) or 503 while down')
    .option('--fault-seed <n>', 'fault: seed of the fault decisions, for a repeatable run (default 1)')
    // The simulated 1.2.0.1 pipeline behind the stage (src/sim/pipeline.ts).
    .option('--pipeline', 'move forwarded packets through the 1.2.0.1 stages in the database (UPLOAD_PACKET ... PRINT_SERVICE), ending PROCESSED, FAILED or REPROCESS')
    .option('--pipeline-latency <ms>', 'pipeline: time each stage takes, in ms (default 200)')
    .option('--pipeline-capacity <n>', 'pipeline: packets per second each stage consumes, the rest queue; 0 = no limit (default 20)')
    .option('--pipeline-max-message-age <age>', 'pipeline: a queued message older than this is dropped with no database write, e.g. 3600s, 20s (default 3600s, MOSIP\'s)')
    .option('--pipeline-upload-retry-limit <n>', 'pipeline: the packet uploader fails a packet on the pass that brings trn_retry_count to n (default 10, MOSIP\'s)')
    .option('--pipeline-failure-rate <p>', 'pipeline: probability that a stage step fails, 0 to 1 (default 0)')
    .option('--pipeline-failure-mode <mode>', 'pipeline: how a step fails: FAILED (complete-as-failed), REPROCESS (mark-as-reprocess, default) or mixed')
    .option('--pipeline-seed <n>', 'pipeline: seed of the failure draws, for a repeatable run (default: random, printed)')
    .option('--pipeline-hold <share>', 'pipeline: share of the packets a later stage takes and keeps IN_PROGRESS, e.g. 0.2 or 20% (default none; see --pipeline-hold-at)')
    .option('--pipeline-hold-at <stage>', 'pipeline: where held packets wait: BIOGRAPHIC_VERIFICATION (for ABIS, default) or MANUAL_ADJUDICATION (for a person)')
    .option('--securezone-workers <n>', 'notifications the securezone stage handles at once; more wait, none is refused (default 10, MOSIP\'s worker pool)')
    .option('--clock-skew <offset>', 'the MOSIP pods\' clock off the database\'s: +90s ahead, -5s behind; their writes of latest_trn_dtimes, upd_dtimes and cr_dtimes carry it (default 0)')
    .action(async (opts: Record<string, unknown>) => run((io) => runSimulatorCommand({
      port: opts.port as string | undefined,
      host: opts.host as string | undefined,
      dbUrl: opts.dbUrl as string | undefined,
      schema: opts.schema as string | undefined,
      tokenLifetime: opts.tokenLifetime as string | undefined,
      routing: opts.routing as boolean,
      clientId: opts.clientId as string | undefined,
      faults: {
        seed: opts.faultSeed as string | undefined,
        serverErrorRate: opts.fault5xxRate as string | undefined,
        serverErrorStatus: opts.fault5xxStatus as string | undefined,
        serverErrorBody: opts.fault5xxBody as string | undefined,
        slowMs: opts.faultSlowMs as string | undefined,
        slowRange: opts.faultSlow as string | undefined,
        slowRate: opts.faultSlowRate as string | undefined,
        dropRate: opts.faultDropRate as string | undefined,
        dropMode: opts.faultDropMode as string | undefined,
        tokenUses: opts.faultTokenUses as string | undefined,
        tokenMaxAge: opts.faultTokenMaxAge as string | undefined,
        forbiddenRate: opts.fault403Rate as string | undefined,
        downFor: opts.faultDownFor as string | undefined,
        downAfter: opts.faultDownAfter as string | undefined,
        downMode: opts.faultDownMode as string | undefined,
      },
      pipeline: {
        enabled: opts.pipeline as boolean | undefined,
        latency: opts.pipelineLatency as string | undefined,
        capacity: opts.pipelineCapacity as string | undefined,
        failureRate: opts.pipelineFailureRate as string | undefined,
        failureMode: opts.pipelineFailureMode as string | undefined,
        seed: opts.pipelineSeed as string | undefined,
        maxMessageAge: opts.pipelineMaxMessageAge as string | undefined,
        uploadRetryLimit: opts.pipelineUploadRetryLimit as string | undefined,
        hold: opts.pipelineHold as string | undefined,
        holdAt: opts.pipelineHoldAt as string | undefined,
      },
      securezoneWorkers: opts.securezoneWorkers as string | undefined,
      clockSkew: opts.clockSkew as string | undefined,
    }, { out: io.out, env: io.env })));
  sim
    .command('schema')
    .description('create the regprc schema with registration, registration_transaction and registration_list (idempotent)')
    .requiredOption('--db-url <url>', 'postgres:// URL of the database')
    .option('--schema <name>', 'schema name (default regprc)')
    .action(async (opts: { dbUrl: string; schema?: string }) => run((io) => createSchemaCommand(opts, { out: io.out, env: io.env })));
  sim
    .command('seed')
    .description('fill the tables with realistic rows: valid RIDs, matching sync rows, a mix of processes, statuses, stages, retry counts and ages')
    .requiredOption('--db-url <url>', 'postgres:// URL of the database')
    .option('--schema <name>', 'schema name (default regprc)')
    .option('--count <n>', 'how many registration rows (default 5000)', '5000')
    .option('--seed <n>', 'random seed, for a repeatable scenario (default 1)')
    .action(async (opts: { dbUrl: string; schema?: string; count: string; seed?: string }) =>
      run((io) => seedCommand(opts, { out: io.out, env: io.env })));
}
