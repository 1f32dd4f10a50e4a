import { flushBuffered } from '../report/buffered.js';
import { operatorStop, signalExitCode, StopRequest } from '../run/stop.js';

/** How the stop notice is written on stderr: plain, or as a JSON log line (--json, --log-format json). */
const plainNotice = (text: string) => `\n${text}\n`;
let stopNotice: (text: string) => string = plainNotice;

/** The command's format for the notice; null: plain text. */
export function formatStopNotice(format: ((text: string) => string) | null): void {
  stopNotice = format ? (text) => `${format(text)}\n` : plainNotice;
}

/** The signals that stop a long command: Ctrl-C, a pod's termination (kubectl delete, a drain), a closed terminal. */
export const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Signal handling shared by the commands that run for a long time. The first signal aborts the returned signal
 * (its reason names the signal, so the run exits 128 + its number once it has finished what is in flight and
 * written its journal); a second one leaves at once with the same code, which is safe because no request leaves
 * before its send record is on disk, and the exit handlers write out what the journal, the logs and stdout still
 * hold. Each signal first flushes the buffered lines.
 */
export function interruptSignal(message: string): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  let first: NodeJS.Signals | null = null;
  const onSignal = (signal: NodeJS.Signals) => {
    flushBuffered();
    if (first) process.exit(signalExitCode(first));
    first = signal;
    const name = signal === 'SIGINT' ? 'Ctrl-C' : signal;
    process.stderr.write(stopNotice(`${name}: ${message} (${signal === 'SIGINT' ? 'Ctrl-C' : `${signal} or Ctrl-C`} again to leave now)`));
    controller.abort(new StopRequest(operatorStop(signal)));
  };
  for (const s of STOP_SIGNALS) process.on(s, onSignal);
  return {
    signal: controller.signal,
    dispose() {
      for (const s of STOP_SIGNALS) process.off(s, onSignal);
    },
  };
}
