import { flushBuffered } from '../report/buffered.js';

/**
 * Ctrl-C (or SIGTERM) handling shared by the commands that run for a long time. The first signal aborts the
 * returned signal so the command can finish what is in flight and write its journal; the second leaves at once
 * (exit 130), which is safe because no request leaves before its send record is on disk, and the exit handlers
 * write out what the journal, the logs and stdout still hold. Each signal first flushes the buffered lines.
 */
export function interruptSignal(message: string): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSignal = () => {
    flushBuffered();
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write(`\n${message} (Ctrl-C again to leave now)\n`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
