// The run's one event sink: every event goes to the caller (the CLI prints it), to the metrics (--metrics-port,
// --pushgateway), and as the same lines the terminal shows to the log file, so that nothing reaches one and not the
// other. What is told before the log file is open (the lock, the clock, the source's warnings) waits for it.
import type { LogLine } from '../report/logLines.js';
import { eventLines, messageLine } from '../report/logLines.js';
import type { RunLog } from '../report/logFiles.js';
import type { Observation } from '../report/metrics/observe.js';
import type { EventSink } from './events.js';

/** Lines kept while the log file is not open yet (a file of paused packets warns once per packet). */
const EARLY_LINES = 10_000;

export interface RunTeller {
  /** Tell an event: the caller, the metrics, the log file. */
  readonly tell: EventSink;
  /** From now on the metrics take every event too. */
  observe(observation: Observation | null): void;
  /** The log file is open: the lines told so far are written to it first, with the run's id. */
  openLog(log: RunLog, runId: string): void;
  /** Closes the log file; later events reach the caller and the metrics only. */
  closeLog(): void;
}

export function runTeller(emit: EventSink): RunTeller {
  let observation: Observation | null = null;
  let log: RunLog | null = null;
  let runId: string | null = null;
  const early: LogLine[] = [];
  let dropped = 0;
  return {
    tell(e) {
      if (e.type === 'started') runId = e.runId;
      emit(e);
      observation?.observe(e);
      for (const line of eventLines(e, runId)) {
        if (log) log.line(line);
        else if (early.length < EARLY_LINES) early.push(line);
        else dropped += 1;
      }
    },
    observe(o) {
      observation = o;
    },
    openLog(l, id) {
      runId = id;
      for (const line of early.splice(0)) l.line({ ...line, record: { ...line.record, run_id: id } });
      if (dropped > 0) l.line(messageLine('warn', `${dropped} more line(s) told before the run started are not in this log (the terminal had them)`, id));
      log = l;
    },
    closeLog() {
      log?.close();
      log = null;
    },
  };
}
