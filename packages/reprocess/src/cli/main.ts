// The `reprocess` command line: parses flags and hands over to the commands. No logic lives here.
import type { Command } from 'commander';
import type { Io } from './runCommand.js';
import { buildProgram, checkCommandName } from './program.js';
import { BufferedLines } from '../report/buffered.js';

// Packet lines on a pipe or file are written in batches (flushed on exit and on Ctrl-C); on a terminal at once.
const stdout = process.stdout.isTTY ? null : new BufferedLines((text) => process.stdout.write(text));

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
  const program = buildProgram(stdio);
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
