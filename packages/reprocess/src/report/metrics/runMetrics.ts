// The run's Prometheus metrics, fed by the run's events (run/events.ts) and nothing else: what a scrape or a push
// shows is what the terminal and the log showed. One registry per run (never prom-client's global one), with the
// process metrics (memory, CPU, event loop) beside ours. prom-client is loaded only when metrics are asked for.
import type * as PromClient from 'prom-client';
import { OUTCOMES } from '@mosip-reprocess/contract/wire.js';
import { hideUrlPassword } from '../../config/redact.js';
import { workflowKey } from '../../domain/packetKey.js';
import { HOLD_BACK_REASONS } from '../../domain/holdBack.js';
import { lazy } from '../../lazy.js';
import type { RunEvent } from '../../domain/runEvents.js';

const prom = lazy<typeof PromClient>('prom-client');

/**
 * Every metric the tool exports (besides the process metrics): its name, type, labels and meaning. docs/reference.md's
 * table, the Kubernetes alerts and the Grafana dashboard use these names; the tests check that they use no other.
 */
export const METRICS = {
  notifications: { name: 'reprocess_notifications_total', type: 'counter', labels: ['outcome'], help: 'Packets notified, by final outcome (after retries), as the run summary counts them' },
  actions: { name: 'reprocess_actions_total', type: 'counter', labels: ['action', 'outcome'], help: 'reprocess action: RIDs by workflow action and outcome, as the action summary counts them' },
  inFlight: { name: 'reprocess_in_flight', type: 'gauge', labels: [], help: 'Notifications (or an action\'s RIDs) started and not yet answered (waiting for the server, a retry or the circuit breaker)' },
  selected: { name: 'reprocess_packets_selected', type: 'gauge', labels: [], help: 'Packets (an action: RIDs) this attempt will take at most, as the run counts them once its first packet is out (the progress bar\'s total)' },
  remaining: { name: 'reprocess_packets_remaining', type: 'gauge', labels: [], help: 'Selected packets without a result yet' },
  heldBack: { name: 'reprocess_held_back', type: 'gauge', labels: ['reason'], help: 'Packets left out because MOSIP would not move them now, by reason (paused, uploader_budget, reprocess_budget, recent, repeating)' },
  pipelineWait: { name: 'reprocess_pipeline_wait_seconds', type: 'gauge', labels: [], help: '--pace auto: the longest wait of a notified packet inside the pipeline at the last look' },
  pipelinePackets: { name: 'reprocess_pipeline_packets', type: 'gauge', labels: ['state'], help: '--pace auto: notified packets still in the pipeline at the last look (inside, unseen) or held by a later stage (held)' },
  dropped: { name: 'reprocess_dropped_total', type: 'counter', labels: [], help: '--pace auto: notified packets the pipeline dropped (their row did not move for longer than --message-max-age)' },
  sendRate: { name: 'reprocess_send_rate', type: 'gauge', labels: [], help: 'The pacer\'s rate, packets (an action: requests) per second (+Inf: unpaced, --delay 0)' },
  breakerOpen: { name: 'reprocess_breaker_open', type: 'gauge', labels: [], help: '1 while the circuit breaker holds sending back (open or probing), else 0' },
  replySeconds: { name: 'reprocess_reply_seconds', type: 'histogram', labels: [], help: 'Time from a notification\'s start to its final reply, retries included (packets that got an HTTP reply)' },
  runInfo: { name: 'reprocess_run_info', type: 'gauge', labels: ['run_id', 'source', 'reason'], help: 'The run: its id, its source of packets and --reason (always 1)' },
  lastSuccess: { name: 'reprocess_last_success_timestamp_seconds', type: 'gauge', labels: [], help: 'When the last packet was forwarded (Unix time, the result\'s journal time); absent until one is' },
  exitCode: { name: 'reprocess_exit_code', type: 'gauge', labels: [], help: 'The exit code of the finished run (absent while it runs)' },
} as const;

/** The names a PromQL expression may use: ours (a histogram's series included) and the process metrics. */
export function exportedSeriesNames(processNames: Iterable<string>): Set<string> {
  const names = new Set(processNames);
  for (const m of Object.values(METRICS)) {
    if (m.type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(m.name + suffix);
    else names.add(m.name);
  }
  return names;
}

/** What `reprocess action` tells (action/runAction.ts's ActionEvent), as far as the metrics read it. */
export type ActionMetricEvent =
  | { type: 'started'; runId: string; source: string }
  | { type: 'total'; rids: number }
  | { type: 'sending'; rids: readonly string[] }
  | { type: 'rid'; rid: string; outcome: string; at?: string }
  | { type: 'finished'; result: { stop: unknown; exitCode: number } }
  | { type: 'note' | 'warning'; message: string };

/** Reply times: from a fast in-cluster answer to --timeout's default (30 s) and beyond. */
const REPLY_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

export interface RunMetricsOptions {
  /** `reprocess action <name>`: its RIDs are counted in reprocess_actions_total instead of notifications. */
  action?: string;
  /** --reason, for reprocess_run_info. */
  reason: string | null;
  /** The fixed pacer's rate in packets per second (Infinity: unpaced); null with --pace auto (its events tell). */
  fixedRate: number | null;
  /** Register the process metrics (default true). */
  processMetrics?: boolean;
}

export class RunMetrics {
  readonly registry: PromClient.Registry;
  private readonly notifications: PromClient.Counter<'outcome'> | null;
  private readonly actions: PromClient.Counter<'action' | 'outcome'> | null;
  private readonly inFlight: PromClient.Gauge;
  private readonly selected: PromClient.Gauge;
  private readonly remaining: PromClient.Gauge;
  private readonly heldBack: PromClient.Gauge<'reason'>;
  private readonly pipelineWait: PromClient.Gauge;
  private readonly pipelinePackets: PromClient.Gauge<'state'>;
  private readonly dropped: PromClient.Counter;
  private readonly sendRate: PromClient.Gauge;
  private readonly breakerOpen: PromClient.Gauge;
  private readonly replySeconds: PromClient.Histogram;
  private readonly runInfo: PromClient.Gauge<'run_id' | 'source' | 'reason'>;
  private readonly lastSuccess: PromClient.Gauge;
  private readonly exitCode: PromClient.Gauge;
  /** Workflow keys of the packets in flight (a packet withdrawn twice, or answered after a withdrawal, counts once). */
  private readonly flying = new Set<string>();
  private results = 0;
  private total: number | null = null;
  private droppedSeen = 0;
  private id: string | null = null;

  constructor(private readonly options: RunMetricsOptions) {
    const p = prom();
    this.registry = new p.Registry();
    const registers = [this.registry];
    const counter = <L extends string>(m: { name: string; help: string; labels: readonly L[] }) =>
      new p.Counter<L>({ name: m.name, help: m.help, labelNames: m.labels, registers });
    const gauge = <L extends string>(m: { name: string; help: string; labels: readonly L[] }) =>
      new p.Gauge<L>({ name: m.name, help: m.help, labelNames: m.labels, registers });
    this.notifications = options.action === undefined ? counter(METRICS.notifications) : null;
    this.actions = options.action !== undefined ? counter(METRICS.actions) : null;
    this.inFlight = gauge(METRICS.inFlight);
    this.selected = gauge(METRICS.selected);
    this.remaining = gauge(METRICS.remaining);
    this.heldBack = gauge(METRICS.heldBack);
    this.pipelineWait = gauge(METRICS.pipelineWait);
    this.pipelinePackets = gauge(METRICS.pipelinePackets);
    this.dropped = counter(METRICS.dropped);
    this.sendRate = gauge(METRICS.sendRate);
    this.breakerOpen = gauge(METRICS.breakerOpen);
    this.replySeconds = new p.Histogram({ name: METRICS.replySeconds.name, help: METRICS.replySeconds.help, buckets: REPLY_BUCKETS, registers });
    this.runInfo = gauge(METRICS.runInfo);
    this.lastSuccess = gauge(METRICS.lastSuccess);
    this.exitCode = gauge(METRICS.exitCode);
    // Every outcome and reason from the start, at 0: an alert on in_doubt > 0 or a rate() needs the series to exist.
    for (const outcome of OUTCOMES) this.notifications?.inc({ outcome }, 0);
    if (options.action !== undefined) this.registry.removeSingleMetric(METRICS.replySeconds.name); // no reply times kept
    for (const reason of HOLD_BACK_REASONS) this.heldBack.set({ reason }, 0);
    if (options.fixedRate !== null) this.sendRate.set(options.fixedRate);
    if (options.processMetrics !== false) p.collectDefaultMetrics({ register: this.registry });
    // Set only when known: a timestamp of 0 or an exit code of 0 would say something false.
    this.registry.removeSingleMetric(METRICS.lastSuccess.name);
    this.registry.removeSingleMetric(METRICS.exitCode.name);
  }

  /** The run's id once it has started (for the Pushgateway's grouping key). */
  get runId(): string | null {
    return this.id;
  }

  /** The event sink: every event of the run goes through here. */
  readonly observe = (e: RunEvent): void => {
    switch (e.type) {
      case 'started':
        this.id = e.runId;
        this.runInfo.set({ run_id: e.runId, source: label(e.source), reason: label(this.options.reason ?? '') }, 1);
        break;
      case 'total':
        this.total = e.packets;
        this.selected.set(e.packets);
        this.updateRemaining();
        break;
      case 'sending':
        this.flying.add(workflowKey(e.packet.workflowInstanceId));
        this.inFlight.set(this.flying.size);
        break;
      case 'withdrawn':
        this.flying.delete(workflowKey(e.packet.workflowInstanceId));
        this.inFlight.set(this.flying.size);
        break;
      case 'packet': {
        const r = e.result;
        this.flying.delete(workflowKey(r.packet.workflowInstanceId));
        this.inFlight.set(this.flying.size);
        this.notifications?.inc({ outcome: r.outcome });
        if (r.httpStatus !== null) this.replySeconds.observe(r.latencyMs / 1000);
        if (r.outcome === 'forwarded') {
          this.setLastSuccess(Date.parse(e.at ?? new Date().toISOString()) / 1000);
        }
        this.results += 1;
        this.updateRemaining();
        break;
      }
      case 'held_back':
        for (const [reason, n] of Object.entries(e.counts)) this.heldBack.set({ reason }, n ?? 0);
        break;
      case 'pace': {
        const s = e.status;
        this.sendRate.set(s.rate);
        this.pipelineWait.set(s.maxWaitMs / 1000);
        this.pipelinePackets.set({ state: 'inside' }, s.inside);
        this.pipelinePackets.set({ state: 'unseen' }, s.unseen);
        this.pipelinePackets.set({ state: 'held' }, s.held);
        if (s.dropped > this.droppedSeen) {
          this.dropped.inc(s.dropped - this.droppedSeen);
          this.droppedSeen = s.dropped;
        }
        break;
      }
      case 'breaker':
        this.breakerOpen.set(e.state === 'closed' ? 0 : 1);
        break;
      case 'finished':
        this.finish(e.summary.stop !== null, e.summary.exitCode);
        break;
      default:
        break;
    }
  };

  /** The event sink of `reprocess action`. */
  readonly observeAction = (e: ActionMetricEvent): void => {
    switch (e.type) {
      case 'started':
        this.observe({ type: 'started', runId: e.runId, resumed: false, source: e.source, journalPath: '', runsDir: '' });
        break;
      case 'total':
        this.observe({ type: 'total', packets: e.rids });
        break;
      case 'sending':
        // One request at a time: RIDs of the last one that got no outcome (sent again later) are not in flight.
        this.flying.clear();
        for (const rid of e.rids) this.flying.add(rid.toLowerCase());
        this.inFlight.set(this.flying.size);
        break;
      case 'rid':
        this.flying.delete(e.rid.toLowerCase());
        this.inFlight.set(this.flying.size);
        this.actions?.inc({ action: this.options.action ?? '', outcome: e.outcome });
        if (e.outcome === 'applied') this.setLastSuccess(Date.parse(e.at ?? new Date().toISOString()) / 1000);
        this.results += 1;
        this.updateRemaining();
        break;
      case 'finished':
        this.finish(e.result.stop !== null, e.result.exitCode);
        break;
      default:
        break;
    }
  };

  /** The metrics in Prometheus' text format. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private finish(stopped: boolean, exitCode: number): void {
    // Whatever was not answered by now will not be in this attempt.
    this.flying.clear();
    this.inFlight.set(0);
    if (!stopped) this.total = this.results; // a run that went to its end leaves nothing of its selection
    this.updateRemaining();
    if (!this.registry.getSingleMetric(METRICS.exitCode.name)) this.registry.registerMetric(this.exitCode);
    this.exitCode.set(exitCode);
  }

  private setLastSuccess(seconds: number): void {
    if (!this.registry.getSingleMetric(METRICS.lastSuccess.name)) this.registry.registerMetric(this.lastSuccess);
    this.lastSuccess.set(seconds);
  }

  private updateRemaining(): void {
    if (this.total !== null) this.remaining.set(Math.max(0, this.total - this.results));
  }
}

/** A label value: no URL password (a source names a file, never a URL, but a label is no place to risk it), bounded. */
function label(text: string): string {
  const safe = hideUrlPassword(text);
  return safe.length > 200 ? `${safe.slice(0, 199)}…` : safe;
}
