// `reprocess k8s --metrics`: the monitoring objects for a run, for the Prometheus Operator that MOSIP's Rancher
// monitoring installs: a PodMonitor that scrapes each pod's /metrics, a PrometheusRule with the alerts, and a
// ConfigMap holding a Grafana dashboard (Rancher's Grafana loads ConfigMaps labelled grafana_dashboard: "1" from
// namespace cattle-dashboards). Every expression uses the metric names of report/metrics/runMetrics.ts; the run
// failing is read from kube-state-metrics (part of Rancher monitoring), since a failed Job has no pod left to say so.
import { formatMs } from '../config/values.js';
import { METRICS } from '../report/metrics/runMetrics.js';

/** The port the pods serve /metrics on when --metrics-port is not given. */
export const K8S_METRICS_PORT = 9464;
/** The container port's name, which the PodMonitor scrapes. */
export const METRICS_PORT_NAME = 'metrics';
/** The label every scraped series of one rendered Job (or CronJob) carries: its --name. */
export const NAME_LABEL = 'reprocess_name';
/** Where Rancher's Grafana looks for dashboards. */
export const DASHBOARD_NAMESPACE = 'cattle-dashboards';
export const DASHBOARD_UID = 'mosip-reprocess';
/** The metrics of kube-state-metrics the alerts use (the tests allow these and the tool's own, nothing else). */
export const KUBE_STATE_METRICS = ['kube_job_failed', 'kube_job_owner'] as const;

export interface MonitoringOptions {
  name: string;
  namespace: string;
  /** A CronJob's Jobs are found by their owner; a Job by its name. */
  cron: boolean;
  /** --breaker-patience of the rendered settings, seconds. */
  breakerPatienceSeconds: number;
  /** --stall-alert: no packet answered for this long, seconds. */
  noProgressSeconds: number;
  dashboardNamespace: string;
  labels: Record<string, string>;
}

const q = (text: string) => JSON.stringify(text);
/** A Prometheus duration ("10m", "90s", "1500ms"). */
const duration = (seconds: number) => formatMs(Math.max(0, Math.round(seconds * 1000)));

export function monitoringObjects(o: MonitoringOptions): Record<string, unknown>[] {
  return [podMonitor(o), prometheusRule(o), dashboardConfigMap(o)];
}

/**
 * Scrapes the pods of this Job (or of each Job of this CronJob) on their `metrics` port. Each series gets the
 * rendered name (reprocess_name) and the pod's shard (its completion index) besides the namespace and pod the
 * operator adds: a replacement pod of a shard continues the same series of alerts.
 */
export function podMonitor(o: MonitoringOptions): Record<string, unknown> {
  return {
    apiVersion: 'monitoring.coreos.com/v1', kind: 'PodMonitor',
    metadata: { name: o.name, namespace: o.namespace, labels: o.labels },
    spec: {
      selector: { matchLabels: { 'app.kubernetes.io/name': 'mosip-reprocess', 'app.kubernetes.io/instance': o.name } },
      namespaceSelector: { matchNames: [o.namespace] },
      podMetricsEndpoints: [{
        port: METRICS_PORT_NAME,
        path: '/metrics',
        interval: '30s',
        relabelings: [
          { action: 'replace', targetLabel: NAME_LABEL, replacement: o.name },
          { action: 'replace', sourceLabels: ['__meta_kubernetes_pod_label_batch_kubernetes_io_job_completion_index'], targetLabel: 'shard' },
          { action: 'replace', sourceLabels: ['__meta_kubernetes_pod_label_batch_kubernetes_io_job_name'], targetLabel: 'job_name' },
        ],
      }],
    },
  };
}

/** The series of this rendered Job, in PromQL. */
function selector(o: MonitoringOptions, extra = ''): string {
  return `{namespace=${q(o.namespace)}, ${NAME_LABEL}=${q(o.name)}${extra ? `, ${extra}` : ''}}`;
}

/** The alerts. Each says what to do next in its description. */
export function prometheusRule(o: MonitoringOptions): Record<string, unknown> {
  const m = METRICS;
  const runId = `* on (namespace, pod) group_left (run_id) ${m.runInfo.name}${selector(o)}`;
  const failedJob = o.cron
    // Every Job the CronJob starts (on its schedule or by `kubectl create job --from=cronjob/...`) is owned by it.
    ? `(kube_job_failed{namespace=${q(o.namespace)}, condition="true"} == 1) * on (namespace, job_name) group_left () (kube_job_owner{namespace=${q(o.namespace)}, owner_kind="CronJob", owner_name=${q(o.name)}} == 1)`
    : `kube_job_failed{namespace=${q(o.namespace)}, job_name=${q(o.name)}, condition="true"} == 1`;
  const labels = (severity: string) => ({ severity, app: 'mosip-reprocess', [NAME_LABEL]: o.name });
  return {
    apiVersion: 'monitoring.coreos.com/v1', kind: 'PrometheusRule',
    metadata: { name: o.name, namespace: o.namespace, labels: o.labels },
    spec: {
      groups: [{
        name: `mosip-reprocess.${o.name}`,
        rules: [
          {
            alert: 'ReprocessRunFailed',
            expr: failedJob,
            labels: labels('critical'),
            annotations: {
              summary: `mosip-reprocess Job {{ $labels.job_name }} in ${o.namespace} failed`,
              description: 'The Job gave up: bad settings (exit 2), packets not forwarded (exit 1), or a shard kept failing past its retries. `kubectl -n ' + o.namespace + ' logs` of its pods and `reprocess report <run-id>` on the data volume say which; `reprocess verify <run-id>` says where each packet is now.',
            },
          },
          {
            alert: 'ReprocessPacketsDropped',
            expr: `(${m.dropped.name}${selector(o)} > 0) ${runId}`,
            labels: labels('warning'),
            annotations: {
              summary: `{{ $value }} packet(s) notified by run {{ $labels.run_id }} were dropped by the pipeline`,
              description: 'Their rows stayed as the notification left them for longer than --message-max-age: MOSIP dropped the queued message unread. The journal names them; a resume of the run sends them again first.',
            },
          },
          {
            alert: 'ReprocessBreakerOpen',
            // A replacement pod of the shard (the run gave up at its patience, exit 3) keeps the stretch going:
            // the 2-minute window bridges the gap between two pods.
            expr: `max by (namespace, ${NAME_LABEL}, shard) (max_over_time(${m.breakerOpen.name}${selector(o)}[2m])) == 1`,
            for: duration(o.breakerPatienceSeconds),
            labels: labels('critical'),
            annotations: {
              summary: `mosip-reprocess ${o.name}, shard {{ $labels.shard }}: the circuit breaker has held sending back for longer than its patience (${duration(o.breakerPatienceSeconds)})`,
              description: 'The securezone notification stage keeps failing (5xx or no reply). Check regproc-group2 and its database; the run stops at its patience and a replacement pod resumes it.',
            },
          },
          {
            alert: 'ReprocessNoProgress',
            expr: `sum by (namespace, ${NAME_LABEL}, shard) (increase(${m.notifications.name}${selector(o)}[5m])) == 0`,
            for: duration(o.noProgressSeconds),
            labels: labels('warning'),
            annotations: {
              summary: `mosip-reprocess ${o.name}, shard {{ $labels.shard }}: no packet answered for ${duration(o.noProgressSeconds)}`,
              description: 'The run is up but nothing moves: waiting for the pipeline (--pace auto at --max-wait), for the circuit breaker, for the database, or for the run lock. Its log says which.',
            },
          },
          {
            alert: 'ReprocessPacketsInDoubt',
            expr: `(${m.notifications.name}${selector(o, 'outcome="in_doubt"')} > 0) ${runId}`,
            labels: labels('warning'),
            annotations: {
              summary: `{{ $value }} packet(s) of run {{ $labels.run_id }} are in doubt`,
              description: 'Their reply was lost and the database could not say whether the stage handled them; they are not sent again. `reprocess verify {{ $labels.run_id }}` says where each is; a resume decides them from the database.',
            },
          },
        ],
      }],
    },
  };
}

interface Panel {
  title: string;
  type: 'timeseries' | 'stat' | 'table';
  unit: string;
  targets: { expr: string; legend?: string; instant?: boolean }[];
  description: string;
}

/** The dashboard: the run's figures over time, for the namespace and rendered name picked at the top. */
export function grafanaDashboard(): Record<string, unknown> {
  const m = METRICS;
  const sel = (extra = '') => `{namespace="$namespace", ${NAME_LABEL}=~"$name"${extra ? `, ${extra}` : ''}}`;
  const panels: Panel[] = [
    { title: 'Packets answered, by outcome', type: 'timeseries', unit: 'short', description: 'Results per interval, by outcome (reprocess_notifications_total).', targets: [{ expr: `sum by (outcome) (increase(${m.notifications.name}${sel()}[$__rate_interval]))`, legend: '{{outcome}}' }] },
    { title: 'Rate', type: 'timeseries', unit: 'reqps', description: 'Packets answered per second, and the pacer\'s rate (+Inf when unpaced).', targets: [
      { expr: `sum(rate(${m.notifications.name}${sel()}[$__rate_interval]))`, legend: 'answered' },
      { expr: `sum(${m.sendRate.name}${sel()})`, legend: 'pacer' },
    ] },
    { title: 'In flight', type: 'timeseries', unit: 'short', description: 'Notifications started and not yet answered.', targets: [{ expr: `sum by (shard) (${m.inFlight.name}${sel()})`, legend: 'shard {{shard}}' }] },
    { title: 'Remaining', type: 'timeseries', unit: 'short', description: 'Selected packets without a result yet, and the selection.', targets: [
      { expr: `sum(${m.remaining.name}${sel()})`, legend: 'remaining' },
      { expr: `sum(${m.selected.name}${sel()})`, legend: 'selected' },
    ] },
    { title: 'Pipeline wait (--pace auto)', type: 'timeseries', unit: 's', description: 'The longest wait of a notified packet inside the pipeline; --pace auto keeps it under --max-wait.', targets: [{ expr: `max(${m.pipelineWait.name}${sel()})`, legend: 'longest wait' }] },
    { title: 'Dropped by the pipeline (--pace auto)', type: 'timeseries', unit: 'short', description: 'Notified packets whose row did not move for longer than --message-max-age; a resume sends them again.', targets: [{ expr: `sum(${m.dropped.name}${sel()})`, legend: 'dropped' }] },
    { title: 'Circuit breaker', type: 'timeseries', unit: 'short', description: '1 while the breaker holds sending back.', targets: [{ expr: `max by (shard) (${m.breakerOpen.name}${sel()})`, legend: 'shard {{shard}}' }] },
    { title: 'Reply time', type: 'timeseries', unit: 's', description: 'From a notification\'s start to its final reply, retries included.', targets: [
      { expr: `histogram_quantile(0.5, sum by (le) (rate(${m.replySeconds.name}_bucket${sel()}[$__rate_interval])))`, legend: 'median' },
      { expr: `histogram_quantile(0.95, sum by (le) (rate(${m.replySeconds.name}_bucket${sel()}[$__rate_interval])))`, legend: '95th percentile' },
    ] },
    { title: 'Held back', type: 'timeseries', unit: 'short', description: 'Packets left out because MOSIP would not move them now, by reason.', targets: [{ expr: `sum by (reason) (${m.heldBack.name}${sel()})`, legend: '{{reason}}' }] },
    { title: 'In doubt', type: 'stat', unit: 'short', description: 'Packets whose reply was lost and whose fate the database could not tell: `reprocess verify <run-id>`.', targets: [{ expr: `sum(${m.notifications.name}${sel('outcome="in_doubt"')})` }] },
    { title: 'Runs', type: 'table', unit: 'short', description: 'The runs being scraped: run id, source and --reason.', targets: [{ expr: `${m.runInfo.name}${sel()}`, instant: true }] },
    { title: 'Memory', type: 'timeseries', unit: 'bytes', description: 'Resident memory of each pod (flat however large the table).', targets: [{ expr: `process_resident_memory_bytes${sel()}`, legend: '{{pod}}' }] },
  ];
  const datasource = { type: 'prometheus', uid: '${datasource}' };
  return {
    uid: DASHBOARD_UID,
    title: 'MOSIP reprocess',
    description: 'Re-driving stuck registration packets (mosip-reprocess): outcomes, rate, pipeline, breaker, remaining.',
    tags: ['mosip', 'reprocess'],
    timezone: 'utc',
    editable: true,
    schemaVersion: 39,
    version: 1,
    refresh: '30s',
    time: { from: 'now-6h', to: 'now' },
    templating: {
      list: [
        { name: 'datasource', label: 'Data source', type: 'datasource', query: 'prometheus', current: {}, hide: 0 },
        { name: 'namespace', label: 'Namespace', type: 'query', datasource, query: { query: `label_values(${m.runInfo.name}, namespace)`, refId: 'namespace' }, refresh: 2, current: {}, hide: 0 },
        { name: 'name', label: 'Job', type: 'query', datasource, query: { query: `label_values(${m.runInfo.name}{namespace="$namespace"}, ${NAME_LABEL})`, refId: 'name' }, refresh: 2, includeAll: true, allValue: '.+', multi: true, current: {}, hide: 0 },
      ],
    },
    panels: panels.map((p, i) => ({
      id: i + 1,
      title: p.title,
      description: p.description,
      type: p.type,
      datasource,
      gridPos: { x: (i % 2) * 12, y: Math.floor(i / 2) * 8, w: 12, h: 8 },
      fieldConfig: { defaults: { unit: p.unit }, overrides: [] },
      options: {},
      targets: p.targets.map((t, j) => ({
        refId: String.fromCharCode(65 + j), datasource, expr: t.expr,
        ...(t.legend ? { legendFormat: t.legend } : {}),
        ...(t.instant ? { instant: true, range: false, format: 'table' } : { range: true }),
      })),
    })),
  };
}

/** The dashboard in a ConfigMap that Rancher's Grafana picks up (label grafana_dashboard: "1"). */
export function dashboardConfigMap(o: MonitoringOptions): Record<string, unknown> {
  return {
    apiVersion: 'v1', kind: 'ConfigMap',
    // One dashboard for every rendered Job: its variables pick the namespace and the name.
    metadata: { name: 'mosip-reprocess-dashboard', namespace: o.dashboardNamespace, labels: { ...o.labels, 'app.kubernetes.io/instance': 'mosip-reprocess-dashboard', grafana_dashboard: '1' } },
    data: { 'mosip-reprocess.json': JSON.stringify(grafanaDashboard(), null, 2) },
  };
}
