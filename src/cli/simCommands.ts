// `reprocess sim ...`: the MOSIP simulator and its database helpers. Parsing only; the work is in src/sim.
import type { Command } from 'commander';
import { createSchemaCommand, runSimulatorCommand, seedCommand } from '../sim/cli.js';
import { reportFailure, type Io } from './runCommand.js';

export function registerSimCommands(program: Command, stdio: () => Io): void {
  const run = async (work: (io: Io) => Promise<unknown>) => {
    const io = stdio();
    try {
      await work(io);
    } catch (err) {
      process.exitCode = reportFailure(err, io);
    }
  };
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
    .action(async (opts: Record<string, unknown>) => run((io) => runSimulatorCommand({
      port: opts.port as string | undefined,
      host: opts.host as string | undefined,
      dbUrl: opts.dbUrl as string | undefined,
      schema: opts.schema as string | undefined,
      tokenLifetime: opts.tokenLifetime as string | undefined,
      routing: opts.routing as boolean,
      clientId: opts.clientId as string | undefined,
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
