// --pushgateway <url>: the run's metrics pushed to a Prometheus Pushgateway, for a Job that may end between two
// scrapes. PUT <url>/metrics/job/reprocess/run_id/<run id> (the Pushgateway's API: a PUT replaces the group's
// metrics), at each --progress-interval and once at the end, so the group holds the run's final figures. Pushes
// never overlap; a push that fails is a warning, never the run's failure (the journal is the record, not this).
import type * as PromClient from 'prom-client';
import { hideUrlPassword } from '../../config/redact.js';
import { lazy } from '../../lazy.js';
import type { RunMetrics } from './runMetrics.js';

const prom = lazy<typeof PromClient>('prom-client');

/** The Pushgateway's grouping: job "reprocess", and the run id. */
export const PUSH_JOB = 'reprocess';

export interface PusherOptions {
  /** --progress-interval in ms; 0: only the final push. */
  intervalMs: number;
  /** One push may take this long (default 10 s). */
  timeoutMs?: number;
  onWarning: (message: string) => void;
}

export class MetricsPusher {
  private readonly gateway: PromClient.Pushgateway<PromClient.RegistryContentType>;
  private timer: NodeJS.Timeout | null = null;
  private pushing: Promise<void> | null = null;
  private failing = false;
  private finished = false;

  constructor(private readonly metrics: RunMetrics, private readonly url: string, private readonly options: PusherOptions) {
    this.gateway = new (prom().Pushgateway)(url, { timeout: options.timeoutMs ?? 10_000 }, metrics.registry);
  }

  /** Pushes at each interval from now on (the run has its id). */
  start(): void {
    if (this.timer || this.finished || this.options.intervalMs <= 0) return;
    this.timer = setInterval(() => { void this.push(false); }, this.options.intervalMs);
    this.timer.unref();
  }

  /** The final push (after the one in progress, if any); then no more. */
  async finish(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.pushing;
    await this.push(true);
  }

  private push(final: boolean): Promise<void> {
    const runId = this.metrics.runId;
    if (runId === null) return Promise.resolve(); // nothing to group by yet: the run has not started
    if (this.pushing) return this.pushing; // the one in flight carries the latest figures closely enough
    this.pushing = this.gateway.push({ jobName: PUSH_JOB, groupings: { run_id: runId } }).then(() => {
      this.failing = false;
    }, (err: unknown) => {
      // Said once while it keeps failing (and again at the end): a Pushgateway down all night is one warning.
      if (this.failing && !final) return;
      this.failing = true;
      const why = String((err as Error).message ?? err).slice(0, 300);
      this.options.onWarning(`could not push the metrics to the Pushgateway ${hideUrlPassword(this.url)} (${why})${final ? '' : '; the run goes on and tries again at the next interval'}`);
    }).finally(() => {
      this.pushing = null;
    });
    return this.pushing;
  }
}
