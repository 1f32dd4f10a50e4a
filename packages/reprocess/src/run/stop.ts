// Why a run stops, whoever asks: the operator (a signal, or code aborting the run's AbortSignal), a time budget
// (--max-duration, --until) or the run lock lost for good. All of them abort ONE signal, the run's, and every wait
// of the run takes that signal: the pacer (fixed or auto), the circuit breaker, the run lock, a database read, the
// lost-reply and in-doubt waits, the canary. So a stop ends the run within moments whatever it was waiting on; only
// the requests already in flight are let finish (each within --timeout), and the journal and summary are written.
// --max-packets is a count, checked before each send: it never needs to interrupt a wait.
import { constants } from 'node:os';
import type { StopReason } from '../domain/runResult.js';

/** The abort reason of the run's signal: why it stopped. */
export class StopRequest extends Error {
  override name = 'AbortError';
  constructor(readonly stop: StopReason) {
    super(stop.message);
  }
}

/** The operator's stop: by a process signal (the CLI) or by code that aborts the run. */
export function operatorStop(signal?: NodeJS.Signals): StopReason {
  return signal
    ? { kind: 'interrupted', message: `stopped by ${signal === 'SIGINT' ? 'Ctrl-C (SIGINT)' : signal}`, signal }
    : { kind: 'interrupted', message: 'stopped by the operator' };
}

/** The stop an abort reason stands for: a StopRequest's own, else the operator's. */
export function stopReasonOf(reason: unknown): StopReason {
  if (reason instanceof StopRequest) return reason.stop;
  return operatorStop();
}

/** 128 + the signal's number: the exit code of a run a signal stopped (130 SIGINT, 143 SIGTERM, 129 SIGHUP). */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0);
}

/** setTimeout holds at most 2^31 - 1 ms (24.8 days); a later deadline is waited for in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface Deadline {
  at: number;
  stop: StopReason;
}

/**
 * The run's stop signal: aborted (once) by the operator's signal, by the first deadline that passes, or by stop().
 * `now` is the time of day in ms (deadlines are clock times: --until 05:30).
 */
export class RunStop {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | null = null;
  private readonly onOperator: () => void;

  constructor(private readonly operator: AbortSignal | undefined, deadlines: readonly Deadline[], private readonly now: () => number = Date.now) {
    this.onOperator = () => this.stop(operator?.reason instanceof StopRequest ? operator.reason.stop : operatorStop());
    if (operator?.aborted) this.onOperator();
    else operator?.addEventListener('abort', this.onOperator, { once: true });
    const first = [...deadlines].sort((a, b) => a.at - b.at)[0];
    if (first) this.arm(first);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Why the run was stopped, or null while it runs. */
  get reason(): StopReason | null {
    return this.controller.signal.aborted ? stopReasonOf(this.controller.signal.reason) : null;
  }

  /** Stops the run (the first stop wins). */
  stop(reason: StopReason): void {
    if (!this.controller.signal.aborted) this.controller.abort(new StopRequest(reason));
  }

  /** Ends the timers and the listener (at the end of the run). */
  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.operator?.removeEventListener('abort', this.onOperator);
  }

  private arm(deadline: Deadline): void {
    const wait = deadline.at - this.now();
    if (wait <= 0) {
      this.stop(deadline.stop);
      return;
    }
    this.timer = setTimeout(() => this.arm(deadline), Math.min(wait, MAX_TIMER_MS));
    this.timer.unref();
  }
}

/**
 * Resolves to the promise's value, or to ABORTED as soon as the signal fires (the promise then goes on alone;
 * its failure is not reported). One listener, removed as soon as either comes first.
 */
export const ABORTED: unique symbol = Symbol('aborted');

export function unlessAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T | typeof ABORTED> {
  if (!signal) return promise;
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.resolve(ABORTED);
  }
  return new Promise<T | typeof ABORTED>((resolve, reject) => {
    const onAbort = () => {
      promise.catch(() => undefined);
      resolve(ABORTED);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => { signal.removeEventListener('abort', onAbort); resolve(value); },
      (err: unknown) => { signal.removeEventListener('abort', onAbort); reject(err); },
    );
  });
}
