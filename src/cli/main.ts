// The `reprocess` command line: parses flags and hands over to the commands. No logic lives here.
import { Command, Option } from 'commander';
import { SETTINGS } from '../config/settings.js';
import { runCommand, type Io } from './runCommand.js';
import { registerDemoCommand } from './demoCommand.js';
import { interruptSignal } from './interrupt.js';
import { registerRunsCommands } from './runsCommands.js';
import { registerSimCommands } from './simCommands.js';

function stdio(signal?: AbortSignal): Io {
  return {
    out: (line) => process.stdout.write(line + '\n'),
    err: (line) => process.stderr.write(line + '\n'),
    progress: (text) => process.stderr.write(text),
    stderrIsTTY: Boolean(process.stderr.isTTY),
    env: process.env,
    ...(signal ? { signal } : {}),
  };
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function buildProgram(): Command {
  const program = new Command('reprocess')
    .description('Restart stuck MOSIP registration packets through the securezone notification stage (MOSIP 1.2.0.1).')
    .showHelpAfterError()
    // Subcommands (sim, runs, report, verify) have options of the same names; theirs must win after their name.
    .enablePositionalOptions()
    .option('--db', 'select packets from the registration table (the guide\'s query; see --approach)')
    .option('--file <path>', 'packets from a file: one RID per line, "rid, process, workflowInstanceId" lines, or CSV with a header')
    .option('--registration <packet>', 'one packet: "rid, process, workflowInstanceId" or a RID (repeatable)', collect)
    .option('--config <file>', 'YAML file with any of the settings below (flags win, then env, then file)')
    .option('--dry-run', 'send nothing: show how many packets match, breakdowns by stage, process, status and age, and a sample')
    .option('--canary', 'send one packet first and watch the database until it has moved past securezone; continue only then')
    .option('--all', 'run batches of --limit until no eligible packet remains (each workflow id at most once per run)')
    .option('--resume <run-id>', 'continue a stopped or crashed run without re-sending what it already sent')
    .option('--resend-in-doubt', 'on --resume, send again the packets whose reply never came (default: decided from the database)');
  for (const s of SETTINGS) {
    if (!('flag' in s)) continue;
    program.addOption(new Option(s.flag, `${s.describe} [env ${s.env}]`));
  }
  program.addHelpText('after', `
Secrets come from the environment (or the config file), never from flags:
  REGPROC_CLIENT_PWD   client secret of --client-id
  DB_PWD               database password
Exit codes: 0 every packet forwarded, 1 some were not, 2 bad input or config (nothing sent),
            3 database, server or authentication unreachable or refused.`);
  program.action(async (flags: Record<string, unknown>) => {
    const { signal } = interruptSignal('stopping: no new packets; finishing those in flight, then writing the journal and summary');
    process.exitCode = await runCommand(flags, stdio(signal));
  });
  registerRunsCommands(program, stdio);
  registerSimCommands(program, stdio);
  registerDemoCommand(program, stdio);
  return program;
}

await buildProgram().parseAsync(process.argv);
