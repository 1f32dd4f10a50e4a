// What a command sets up for its metrics, from its settings: the registry fed by its events, the /metrics server
// (--metrics-port) and the Pushgateway pusher (--pushgateway). Nothing at all when neither is asked for (prom-client
// is then not even loaded).
import type { Settings } from '../../config/settings.js';
import type { EventSink } from '../../domain/runEvents.js';
import { MetricsPusher } from './push.js';
import { RunMetrics, type ActionMetricEvent } from './runMetrics.js';
import { serveMetrics, type MetricsServer } from './server.js';

export interface Observation {
  readonly metrics: RunMetrics;
  /** http://host:port/metrics while the server runs; null with --pushgateway alone. */
  readonly url: string | null;
  /** Every event of the run goes here too. */
  readonly observe: EventSink;
  /** Or, for `reprocess action`, every event of the action run. */
  readonly observeAction: (e: ActionMetricEvent) => void;
  /** The final push (when pushing), then the server stops. Never throws. */
  close(): Promise<void>;
}

export type ObservedSettings = Pick<Settings, 'metricsPort' | 'metricsHost' | 'pushgateway' | 'progressInterval' | 'reason'>;

export function metricsWanted(s: ObservedSettings): boolean {
  return s.metricsPort !== undefined || s.pushgateway !== undefined;
}

/**
 * Starts serving (and pushing, once the run has its id). Throws InputError when the port cannot be had: call it
 * before anything is sent. `fixedRate`: the fixed pacer's rate (Infinity unpaced), null with --pace auto.
 */
export async function startObservation(
  s: ObservedSettings, options: { fixedRate: number | null; onWarning: (message: string) => void; action?: string },
): Promise<Observation | null> {
  if (!metricsWanted(s)) return null;
  const metrics = new RunMetrics({ reason: s.reason ?? null, fixedRate: options.fixedRate, ...(options.action !== undefined ? { action: options.action } : {}) });
  const server: MetricsServer | null = s.metricsPort !== undefined ? await serveMetrics(metrics, s.metricsHost, s.metricsPort) : null;
  const pusher = s.pushgateway !== undefined
    ? new MetricsPusher(metrics, s.pushgateway, { intervalMs: s.progressInterval * 1000, onWarning: options.onWarning })
    : null;
  let closed = false;
  return {
    metrics,
    url: server?.url ?? null,
    observe(event) {
      metrics.observe(event);
      if (event.type === 'started') pusher?.start();
    },
    observeAction(event) {
      metrics.observeAction(event);
      if (event.type === 'started') pusher?.start();
    },
    async close() {
      if (closed) return;
      closed = true;
      await pusher?.finish();
      await server?.close();
    },
  };
}
