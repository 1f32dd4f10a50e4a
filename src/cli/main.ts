// The `reprocess` command line: parses flags and hands over to the commands. No logic lives here.
import { Command, Option } from 'commander';
import { SETTINGS } from '../config/settings.js';
import { runCommand, type Io } from './runCommand.js';
import { registerSimCommands } from './simCommands.js';

function stdio(signal?: AbortSignal): Io {
  return {
    out: (line) => process.stdout.write(line + '\n'),
    err: (line) => process.stderr.write(line + '\n'),
    env: process.env,
    ...(signal ? { signal } : {}),
  };
}

/** First Ctrl-C: stop taking packets and finish the one in flight. Second: leave at once. */
function interruptSignal(): AbortSignal {
  const controller = new AbortController();
  const onSignal = () => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write('\nstopping after the packet in flight (Ctrl-C again to leave now)\n');
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return controller.signal;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function buildProgram(): Command {
  const program = new Command('reprocess')
    .description('Restart stuck MOSIP registration packets through the securezone notification stage (MOSIP 1.2.0.1).')
    .showHelpAfterError()
    .option('--db', 'select packets from the registration table (the guide\'s query; see --approach)')
    .option('--file <path>', 'packets from a file: one RID per line, "rid, process, workflowInstanceId" lines, or CSV with a header')
    .option('--registration <packet>', 'one packet: "rid, process, workflowInstanceId" or a RID (repeatable)', collect)
    .option('--config <file>', 'YAML file with any of the settings below (flags win, then env, then file)');
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
    process.exitCode = await runCommand(flags, stdio(interruptSignal()));
  });
  registerSimCommands(program, stdio);
  return program;
}

await buildProgram().parseAsync(process.argv);
