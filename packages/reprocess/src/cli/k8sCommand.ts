// `reprocess k8s`: prints the Kubernetes manifests for a run (ConfigMap, PersistentVolumeClaim, Job or CronJob; with
// --metrics a PodMonitor, a PrometheusRule and a Grafana dashboard). Parsing and printing only; the objects come
// from k8s/manifests.ts and k8s/monitoring.ts.
import { Command, Option } from 'commander';
import { SETTINGS } from '../config/settings.js';
import { InputError } from '../errors.js';
import { DEFAULT_IMAGE } from '../k8s/version.js';
import { DASHBOARD_NAMESPACE, K8S_METRICS_PORT } from '../k8s/monitoring.js';
import { parseDurationMs, ValueProblem } from '../config/values.js';
import { CLUSTER_DEFAULTS, EXIT_CODES, RETRIES_PER_SHARD, describeSources, parseSecretRef, renderManifests } from '../k8s/manifests.js';
import type { RunFlags } from '../run/request.js';
import { runReported, type Io } from './runCommand.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function registerK8sCommand(program: Command, stdio: () => Io): void {
  const cmd = program.command('k8s')
    .description('print the Kubernetes manifests (ConfigMap, PVC, Indexed Job or CronJob) for a run with these flags; pipe to `kubectl apply -f -`')
    .option('--name <name>', 'name of the Job (or CronJob); also <name>-config (ConfigMap), <name>-data (PVC) and the run names <name>-<index>', 'reprocess')
    .option('--namespace <ns>', 'namespace of every object (MOSIP runs regproc work in regproc)', 'regproc')
    .option('--image <ref>', 'the container image (`npm run image` builds the default)', DEFAULT_IMAGE)
    .option('--shards <n>', 'pods of the Indexed Job; pod i runs --shard <i+1>/<n> and --run-name <name>-<i>', '1')
    .option('--schedule <cron>', 'render a CronJob on this schedule (e.g. "0 1 * * *"); each night is a new run named <name>-<YYYYMMDD-HHMM>-<index>, each `kubectl create job --from=cronjob/<name>` one named <name>-manual-<Job uid>-<index>')
    .option('--client-secret <secret/key>', 'Kubernetes Secret and key for REGPROC_CLIENT_PWD', 'keycloak-client-secrets/mosip_regproc_client_secret')
    .option('--db-password-secret <secret/key>', 'Kubernetes Secret and key for DB_PWD (MOSIP keeps it in namespace postgres: copy it)', 'db-common-secrets/db-dbuser-password')
    .option('--storage <size>', 'size of the data volume (journals and logs)', '1Gi')
    .option('--storage-class <class>', 'storage class of the data volume (with --shards > 1 it must offer ReadWriteMany)')
    .option('--db', 'select packets from the registration table')
    .option('--file <path>', 'packets from this file (its text goes into the ConfigMap)', collect)
    .option('--registration <packet>', 'one packet (repeatable)', collect)
    .option('--config <file>', 'YAML settings (rendered into the ConfigMap without its secrets; REPROCESS_CONFIG is not read)')
    .option('--dry-run', 'render a Job that only dry-runs (sends nothing)')
    .option('--canary', 'each pod sends one packet first and watches it move on')
    .option('--all', 'run batches of --limit until no eligible packet remains')
    .option('--resend-in-doubt', 'on resume, send again the packets whose reply never came')
    .option('--metrics', `each pod serves /metrics (on --metrics-port, here default ${K8S_METRICS_PORT}); adds a PodMonitor, a PrometheusRule with alerts and a Grafana dashboard ConfigMap (Prometheus Operator, as in Rancher monitoring)`)
    .option('--stall-alert <age>', 'with --metrics: alert when a shard has had no packet answered for this long', '15m')
    .option('--dashboard-namespace <ns>', 'with --metrics: namespace of the Grafana dashboard ConfigMap (Rancher\'s Grafana reads it)', DASHBOARD_NAMESPACE);
  for (const s of SETTINGS) {
    if (!('flag' in s) || ['--runs-dir <dir>', '--log-dir <dir>', '--shard <k/n>', '--db-url <url>'].includes(s.flag)) continue;
    const inCluster = CLUSTER_DEFAULTS[s.key as keyof typeof CLUSTER_DEFAULTS];
    cmd.addOption(new Option(s.flag, `${s.describe}${inCluster !== undefined ? `; here default ${inCluster}` : ''}`));
  }
  const retried = `replaced, up to ${RETRIES_PER_SHARD} failed pods per shard`;
  const policy = [
    ['evicted, preempted, drained (DisruptionTarget)', 'replaced; does not count'],
    [`${EXIT_CODES.badInput}  bad settings or input`, 'the Job fails at once'],
    [`${EXIT_CODES.notForwarded}  finished with packets not forwarded`, 'this shard fails; the other shards go on'],
    [`${EXIT_CODES.unreachable}  unreachable, refused, lock held or lost`, retried],
    [`${EXIT_CODES.bug}  a bug in reprocess`, retried],
    [`${EXIT_CODES.signals.join('/')}  stopped by a signal (graceful)`, retried],
    [`${EXIT_CODES.killed}  killed (e.g. out of memory)`, retried],
  ].map(([what, then]) => `  ${what!.padEnd(48)}${then}`).join('\n');
  cmd.addHelpText('after', `
Settings come from these flags and --config only: this shell's DB_* and REPROCESS_* variables are not copied into
the ConfigMap (stderr lists what came from where). Secrets are never printed: the pods take REGPROC_CLIENT_PWD and
DB_PWD from the Secrets named above (in --namespace). --runs-dir and --log-dir are under /data (the
PersistentVolumeClaim); --shard comes from --shards.

How the Job treats a pod's exit (its podFailurePolicy, first matching rule; needs Kubernetes 1.29 or later):
${policy}
A replacement pod has the same run name and continues the run where its journal stops.

The pods log JSON lines (--log-format json; fluentd parses them). With --metrics each pod serves /metrics on
0.0.0.0:${K8S_METRICS_PORT} (--metrics-port), and out come also: a PodMonitor <name> (every pod of the Job, labelled
reprocess_name and shard), a PrometheusRule <name> (the Job failed, packets dropped by the pipeline, the circuit
breaker open past --breaker-patience, no progress for --stall-alert, packets in doubt; the first reads
kube-state-metrics) and a ConfigMap mosip-reprocess-dashboard in --dashboard-namespace labelled
grafana_dashboard: "1". --pushgateway <url> pushes the metrics too, for a pod that ends between two scrapes.`);
  cmd.action(async (opts: Record<string, unknown>) => {
    await runReported(stdio(), (io) => {
      const files = opts.file as string[] | undefined;
      if (files && files.length > 1) throw new InputError(`--file given ${files.length} times; a run reads one file`);
      if (!/^\d+$/.test(String(opts.shards))) throw new InputError(`--shards "${String(opts.shards)}": expected a whole number from 1 to 100`);
      const { name, namespace, image, shards, schedule, clientSecret, dbPasswordSecret, storage, storageClass, metrics, stallAlert, dashboardNamespace, ...rest } = opts;
      if (metrics && rest.dryRun) throw new InputError('--metrics does not go with --dry-run: a dry run serves no metrics (render the monitoring objects with the run itself)');
      const flags: RunFlags = { ...rest, file: files?.[0] };
      const rendered = renderManifests(flags, io.env, {
        name: String(name), namespace: String(namespace), image: String(image),
        shards: Number(shards),
        ...(schedule !== undefined ? { schedule: String(schedule) } : {}),
        clientSecretRef: parseSecretRef(String(clientSecret), '--client-secret'),
        dbPasswordRef: parseSecretRef(String(dbPasswordSecret), '--db-password-secret'),
        storage: String(storage),
        ...(storageClass !== undefined ? { storageClass: String(storageClass) } : {}),
        ...(metrics ? { metrics: { noProgressSeconds: noProgressSeconds(String(stallAlert)), dashboardNamespace: String(dashboardNamespace) } } : {}),
      });
      io.out(rendered.yaml.trimEnd());
      for (const line of describeSources(rendered.sources)) io.err(line);
    });
  });
}

function noProgressSeconds(text: string): number {
  try {
    return parseDurationMs(text, { bareUnit: 's', unitRequired: true, minMs: 60_000, maxMs: 86_400_000 }) / 1000;
  } catch (err) {
    if (err instanceof ValueProblem) throw new InputError(`--stall-alert "${text}": ${err.message}`);
    throw err;
  }
}
