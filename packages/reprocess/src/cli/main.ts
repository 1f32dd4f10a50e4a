// The `reprocess` command line: parses flags and hands over to the commands. No logic lives here.
import { Command, Option, type CommanderError } from 'commander';
import { SETTINGS } from '../config/settings.js';
import { runCommand, type Io } from './runCommand.js';
import { interruptSignal } from './interrupt.js';
import { registerRunsCommands } from './runsCommands.js';
import { registerActionCommand } from './actionCommand.js';
import { BufferedLines } from '../report/buffered.js';

// Packet lines on a pipe or file are written in batches (flushed on exit and on Ctrl-C); on a terminal at once.
const stdout = process.stdout.isTTY ? null : new BufferedLines((text) => process.stdout.write(text));
import { registerK8sCommand } from './k8sCommand.js';
import { registerTriageCommands } from './triageCommand.js';

function stdio(signal?: AbortSignal): Io {
  return {
    out: stdout ? (line) => stdout.write(line + '\n') : (line) => process.stdout.write(line + '\n'),
    // stdout first, so that with 2>&1 the lines keep their order
    err: (line) => { stdout?.flush(); process.stderr.write(line + '\n'); },
    progress: (text) => process.stderr.write(text),
    stderrIsTTY: Boolean(process.stderr.isTTY),
    env: process.env,
    ...(signal ? { signal } : {}),
  };
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Parse errors commander reports; each is bad input, exit 2. Help and --version keep their own code (0). */
const COMMAND_LINE_ERRORS = new Set([
  'commander.unknownOption', 'commander.unknownCommand', 'commander.excessArguments', 'commander.missingArgument',
  'commander.optionMissingArgument', 'commander.missingMandatoryOptionValue', 'commander.invalidArgument',
  'commander.conflictingOption',
]);

function exitOnCommandLineError(err: CommanderError): never {
  process.exit(COMMAND_LINE_ERRORS.has(err.code) ? 2 : err.exitCode);
}

/**
 * --file names one file. Several are refused rather than one silently dropped (commander keeps the last):
 * run once per file, so that each run's journal, summary and exit code speak for one input.
 */
function oneFile(program: Command, files: string[] | undefined): string | undefined {
  if (!files || files.length <= 1) return files?.[0];
  program.error(`error: --file given ${files.length} times (${files.join(', ')}); a run reads one file: run once per file`, {
    code: 'commander.conflictingOption', exitCode: 2,
  });
}

/** `reprocess X` where X is no command: the root takes no operands, so commander would say "too many arguments". */
function checkCommandName(program: Command, word: string | undefined): void {
  if (word === undefined || word.startsWith('-')) return;
  const names = program.commands.flatMap((c) => [c.name(), ...c.aliases()]);
  if (names.includes(word)) return;
  const near = names.filter((name) => editDistance(name, word) <= Math.max(1, Math.floor(name.length / 3)));
  program.error(`error: unknown command '${word}'${near.length > 0 ? `\n(Did you mean ${near.join(', ')}?)` : ''}`, {
    code: 'commander.unknownCommand', exitCode: 2,
  });
}

/** Edits (insert, delete, replace, swap two neighbours) that turn a into b, as commander counts for options. */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

export function buildProgram(): Command {
  const program = new Command('reprocess')
    .description('Restart stuck MOSIP registration packets through the securezone notification stage (MOSIP 1.2.0.1).')
    // A mistyped command line is bad input (exit 2): a short error with commander's suggestion, not the whole help.
    .showHelpAfterError('(add --help for the options)')
    .exitOverride(exitOnCommandLineError)
    // Subcommands (sim, runs, report, verify) have options of the same names; theirs must win after their name.
    .enablePositionalOptions()
    .option('--db', 'select packets from the registration table (the guide\'s query; see --approach)')
    .option('--file <path>', 'packets from a file: one RID per line, "rid, process, workflowInstanceId" lines, or CSV with a header (one file per run; give it once)', collect)
    .option('--registration <packet>', 'one packet: "rid, process, workflowInstanceId" or a RID (repeatable)', collect)
    .option('--config <file>', 'YAML file with any of the settings below (flags win, then env, then file)')
    .option('--dry-run', 'send nothing: show how many packets match, breakdowns by stage, process, status and age, and a sample')
    .option('--html <file>', 'with --dry-run: also write its breakdowns as one self-contained HTML file (for the change request)')
    .option('--canary', 'send one packet first and watch the database until it has moved past securezone; continue only then')
    .option('--by-cohort', 'with --canary: one canary per cohort (as `reprocess triage` groups them) first; continue only with the cohorts whose canary moved on')
    .option('--cohort <id>', 'only the packets of this cohort (an id `reprocess triage` prints; repeatable); an id no packet of the selection has is refused', collect)
    .option('--all', 'run batches of --limit until no eligible packet remains (each workflow id at most once per run)')
    .option('--resume <run-id>', 'continue a stopped or crashed run without re-sending what it already sent ("last": the newest unfinished run)')
    .option('--run-name <name>', 'idempotent runs (e.g. a Kubernetes Job\'s pod): resume the unfinished run of this name, do nothing if it finished, else start it')
    .option('--debug', 'on an internal error (exit code 4), print its stack')
    .option('--resend-in-doubt', 'on --resume, send again the packets whose reply never came or was left in doubt (default: decided from the database; in doubt: not sent)');
  for (const s of SETTINGS) {
    if (!('flag' in s)) continue;
    program.addOption(new Option(s.flag, `${s.describe} [env ${s.env}]`));
  }
  program.addHelpText('after', `
Secrets come from the environment (or the config file), never from flags:
  REGPROC_CLIENT_PWD   client secret of --client-id
  DB_PWD               database password
Packets whose history shows the same failure --repeat-failures times (default 3), the stage never past it, are
held back like paused ones ("repeating"; --include-repeat-failures sends them): \`reprocess triage\` groups the
selection by why it is stuck, \`reprocess explain <rid>\` tells one packet's story.
Exit codes: 0 every packet forwarded, 1 some were not, 2 bad input or config (nothing sent),
            3 database, server or authentication unreachable or refused, 4 a bug in reprocess (--debug: the stack).`);
  program.action(async (flags: Record<string, unknown>) => {
    flags.file = oneFile(program, flags.file as string[] | undefined);
    const { signal } = interruptSignal('stopping: no new packets; finishing those in flight, then writing the journal and summary');
    process.exitCode = await runCommand(flags, { ...stdio(signal), debug: Boolean(flags.debug) });
  });
  registerRunsCommands(program, stdio);
  registerActionCommand(program, stdio, () => interruptSignal('stopping: no new requests; the one in flight finishes').signal);
  registerK8sCommand(program, stdio);
  registerTriageCommands(program, stdio);
  return program;
}

interface SimulatorCommands {
  registerSimCommands(program: Command, stdio: (signal?: AbortSignal) => Io): void;
  registerDemoCommand(program: Command, stdio: (signal?: AbortSignal) => Io): void;
}

/** The simulator and demo live in their own package, loaded only for `sim` and `demo` (a production install may lack it). */
async function loadSimulator(): Promise<SimulatorCommands | null> {
  const name = '@mosip-reprocess/simulator/cli/commands.js';
  try {
    return (await import(name)) as SimulatorCommands;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && String((err as Error).message).includes('@mosip-reprocess/simulator')) return null;
    throw err;
  }
}

/** Builds the program (with the simulator's commands for `sim` and `demo`) and runs the command line. */
async function main(): Promise<void> {
  const program = buildProgram();
  const wanted = process.argv[2];
  if (wanted === 'sim' || wanted === 'demo') {
    const simulator = await loadSimulator();
    if (!simulator) {
      process.stderr.write(`error: \`reprocess ${wanted}\` needs the simulator package (@mosip-reprocess/simulator), which this installation does not have; run it from the repository after \`npm ci\`\n`);
      process.exit(2);
    }
    simulator.registerSimCommands(program, stdio);
    simulator.registerDemoCommand(program, stdio);
  } else {
    program.command('sim').description('the MOSIP simulator for rehearsals (`reprocess sim --help`; needs the simulator package)');
    program.command('demo').description('the whole job on an embedded database and a simulated MOSIP (`reprocess demo --help`; needs the simulator package)');
  }
  checkCommandName(program, wanted);
  await program.parseAsync(process.argv);
}

// No top-level await: the CLI's bundle is a CommonJS file (scripts/bundle.js), which Node loads without the ES
// module loader's cost. A failure here is an unhandled rejection: Node reports it and exits 1, as it did for a
// top-level await.
void main();
