// `reprocess demo`: parsing only; the demo itself is src/demo/demo.ts.
import type { Command } from 'commander';
import { DEMO_DEFAULTS, runDemo } from '../demo/demo.js';
import { interruptSignal } from 'mosip-reprocess/cli/interrupt.js';
import { reportFailure, type Io } from 'mosip-reprocess/cli/runCommand.js';

/** Adds the `demo` subcommand. `stdio` gives the console Io (its env is NOT passed to the demo's runs). */
export function registerDemoCommand(program: Command, stdio: (signal?: AbortSignal) => Io): void {
  const d = DEMO_DEFAULTS;
  program
    .command('demo')
    .description('the whole job on this machine, nothing to install: embedded PostgreSQL, a seeded post-migration backlog, '
      + 'the MOSIP simulator with its 1.2.0.1 pipeline, then a dry run, a canary and the batches, and where the packets ended up')
    .option('--packets <n>', `registration rows to seed (default ${d.packets})`)
    .option('--delay <seconds>', `seconds between notifications; the guide's 1 s is scaled down for the demo (default ${d.delay})`)
    .option('--batch-size <n>', `--limit of each --all batch (default ${d.batchSize})`)
    .option('--pipeline-latency <ms>', `time each pipeline stage takes, in ms (default ${d.pipelineLatency})`)
    .option('--pipeline-capacity <n>', `packets per second the pipeline admits; 0 = no limit (default ${d.pipelineCapacity})`)
    .option('--failure-rate <p>', `probability that a pipeline stage step fails, 0 to 1 (default ${d.failureRate})`)
    .option('--failure-mode <mode>', `how a step fails: FAILED, REPROCESS or mixed (default ${d.failureMode})`)
    .option('--seed <n>', `seed of the backlog and of the failure draws (default ${d.seed})`)
    .option('--drain-timeout <seconds>', `how long to wait for the pipeline to empty before the "after" table (default ${d.drainTimeout})`)
    .option('--keep', 'keep the database files (PGlite data directory); the journal and logs are always kept')
    .option('--verbose', 'print every packet line of the batches')
    .option('--dir <path>', `where the demo's timestamped directory goes (default ${d.dir}, git-ignored)`)
    .action(async (opts: Record<string, unknown>) => {
      const { signal, dispose } = interruptSignal('stopping the demo: finishing the packet in flight, then cleaning up');
      const io = stdio(signal);
      try {
        const result = await runDemo({
          packets: opts.packets as string | undefined,
          delay: opts.delay as string | undefined,
          batchSize: opts.batchSize as string | undefined,
          pipelineLatency: opts.pipelineLatency as string | undefined,
          pipelineCapacity: opts.pipelineCapacity as string | undefined,
          failureRate: opts.failureRate as string | undefined,
          failureMode: opts.failureMode as string | undefined,
          seed: opts.seed as string | undefined,
          drainTimeout: opts.drainTimeout as string | undefined,
          keep: opts.keep as boolean | undefined,
          verbose: opts.verbose as boolean | undefined,
          dir: opts.dir as string | undefined,
        }, {
          out: io.out,
          err: io.err,
          ...(io.progress ? { progress: io.progress } : {}),
          stderrIsTTY: Boolean(io.stderrIsTTY),
          signal,
        });
        process.exitCode = result.exitCode;
      } catch (err) {
        process.exitCode = reportFailure(err, io);
      } finally {
        dispose();
      }
    });
}
