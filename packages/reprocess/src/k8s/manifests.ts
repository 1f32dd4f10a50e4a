// `reprocess k8s`: the Kubernetes objects for a run, from the same flags, environment and config file as the run
// itself. The settings travel as a ConfigMap holding a YAML config file the pod reads with --config; secrets
// travel only as references to Kubernetes Secrets (never a value); the journal lives on a PersistentVolumeClaim
// so that a pod killed and replaced by its Job continues the same run (--run-name) under the in-doubt rule.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { lazy } from '../lazy.js';

const yaml = lazy<typeof import('yaml')>('yaml');
import { loadSettings } from '../config/load.js';
import { hideUrlPasswords } from '../config/redact.js';
import { SECRET_KEYS, SETTINGS, type Settings } from '../config/settings.js';
import { InputError } from '../errors.js';
import { resolveRunSettings, type RunFlags } from '../config/runSettings.js';
import { K8S_METRICS_PORT, METRICS_PORT_NAME, monitoringObjects } from './monitoring.js';

/** Where things are inside the pod. Everything writable is under DATA_DIR (the PVC); the root filesystem is read-only. */
export const DATA_DIR = '/data';
export const CONFIG_DIR = '/etc/reprocess';
const RUNS_DIR = `${DATA_DIR}/runs`;
const LOGS_DIR = `${DATA_DIR}/logs`;
/** The image's non-root user (scripts/image.sh creates it with this uid and gid). */
export const IMAGE_UID = 10001;

/** MOSIP's in-cluster names (docs/mosip-facts.md, "Kubernetes"): the defaults of a run rendered for Kubernetes. */
export const CLUSTER_DEFAULTS = {
  dbHost: 'postgres-postgresql.postgres',
  dbPort: 5432,
  dbName: 'mosip_regprc',
  dbUser: 'regprcuser',
  server: 'http://regproc-group2.regproc',
  authServer: 'http://authmanager.kernel',
} as const;

export interface SecretRef { name: string; key: string }

export interface K8sOptions {
  /** Name of the Job (or CronJob), the ConfigMap (<name>-config) and the PVC (<name>-data). */
  name: string;
  namespace: string;
  image: string;
  shards: number;
  /** A cron schedule: render a CronJob instead of a Job. */
  schedule?: string;
  clientSecretRef: SecretRef;
  dbPasswordRef: SecretRef;
  /** Size of the data volume (journal and logs). */
  storage: string;
  storageClass?: string;
  /** --metrics: serve /metrics in each pod and add the monitoring objects (k8s/monitoring.ts). */
  metrics?: { noProgressSeconds: number; dashboardNamespace: string };
}

/**
 * The pod's own defaults, beside MOSIP's names: JSON log lines (fluentd parses them), and with metrics, a server
 * on every interface of the pod (the scrape comes from Prometheus' pod) on K8S_METRICS_PORT.
 */
function podDefaults(metrics: boolean): Record<string, string | number> {
  return { logFormat: 'json', ...(metrics ? { metricsHost: '0.0.0.0', metricsPort: K8S_METRICS_PORT } : {}) };
}

const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/**
 * A run's peak RSS is 105-122 MB (BENCHMARKS.md). A resumed run (and so a Job's retried pod) also keeps about
 * 200 bytes for each packet its earlier attempts notified: the limit leaves room for a run of 4 million.
 */
const RESOURCES = { requests: { cpu: '100m', memory: '192Mi' }, limits: { cpu: '1', memory: '1024Mi' } };

export function parseSecretRef(text: string, flag: string): SecretRef {
  const m = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?)\/([-._a-zA-Z0-9]+)$/.exec(text);
  if (!m) throw new InputError(`${flag} "${text}": expected <secret-name>/<key>, e.g. keycloak-client-secrets/mosip_regproc_client_secret`);
  return { name: m[1]!, key: m[3]! };
}

function checkOptions(o: K8sOptions): void {
  // The run names are <name>-<index>, or for a CronJob <name>-<YYYYMMDD-HHMM>-<index> and
  // <name>-manual-<12 hex>-<index> (at most 61 characters with a 38-character name): at most 63 characters.
  const longest = o.schedule ? 52 - 14 : 52 - String(o.shards - 1).length;
  if (!NAME.test(o.name) || o.name.length > longest) throw new InputError(`--name "${o.name}": use lower-case letters, digits and '-', at most ${longest} characters, starting and ending with a letter or digit`);
  if (!NAME.test(o.namespace) || o.namespace.length > 63) throw new InputError(`--namespace "${o.namespace}": not a valid namespace name`);
  if (o.metrics && (!NAME.test(o.metrics.dashboardNamespace) || o.metrics.dashboardNamespace.length > 63)) throw new InputError(`--dashboard-namespace "${o.metrics.dashboardNamespace}": not a valid namespace name`);
  if (!Number.isInteger(o.shards) || o.shards < 1 || o.shards > 100) throw new InputError(`--shards "${o.shards}": expected a whole number from 1 to 100`);
  if (o.schedule !== undefined && o.schedule.trim().split(/\s+/).length !== 5 && !/^@(hourly|daily|midnight|weekly|monthly|yearly|annually)$/.test(o.schedule.trim())) {
    throw new InputError(`--schedule "${o.schedule}": expected a cron schedule of five fields, e.g. "0 1 * * *" (01:00 every night)`);
  }
  if (!/^\d+(\.\d+)?(Ki|Mi|Gi|Ti)$/.test(o.storage)) throw new InputError(`--storage "${o.storage}": expected a size like 1Gi or 500Mi`);
  if (o.image.trim() === '' || /\s/.test(o.image)) throw new InputError(`--image "${o.image}": not an image reference`);
}

/** Files that a setting or --file names on this machine: their text goes into the ConfigMap, the pod reads it there. */
const FILE_SETTINGS = { queryFile: 'query.sql', caFile: 'ca.pem' } as const;
const PACKETS_KEY = 'packets.txt';
/** A ConfigMap holds at most 1 MiB. */
const CONFIGMAP_MAX = 1024 * 1024 - 4096;

export interface Rendered {
  /** The Kubernetes objects, in the order to apply them. */
  objects: Record<string, unknown>[];
  /** The YAML stream `kubectl apply -f` reads. */
  yaml: string;
  /** Where the settings came from (printed on stderr). */
  sources: SettingSources;
}

/**
 * Renders the objects. Settings are checked exactly as the pod will check them: the rendered config file and
 * command are resolved with resolveRunSettings (the run's own checks) before anything is printed (with the secrets only marked as given).
 */
export function renderManifests(flags: RunFlags, env: NodeJS.ProcessEnv, options: K8sOptions): Rendered {
  checkOptions(options);
  if (flags.resume !== undefined) throw new InputError('--resume does not apply to `reprocess k8s`: each pod resumes its own run by --run-name');
  if (flags.runName !== undefined) throw new InputError('--run-name does not apply to `reprocess k8s`: each pod is named <name>-<index> (see --name)');
  for (const key of ['shard', 'runsDir', 'logDir'] as const) {
    if (key in (flags as Record<string, unknown>) && (flags as Record<string, unknown>)[key] !== undefined) {
      throw new InputError(`--${key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())} is set by \`reprocess k8s\` itself (shards: --shards; directories: under ${DATA_DIR}, the volume)`);
    }
  }
  // Only what the operator gave for this render counts: flags and --config, then MOSIP's in-cluster names. The
  // shell's DB_* and REPROCESS_* values describe where the operator sits (a tunnel, a laptop database), not the
  // cluster, so none is copied into the ConfigMap; the secrets come from Kubernetes Secrets by reference.
  const configFile = flags.config;
  const first = loadSettings({ flags, env: {}, configFile });
  if (first.settings.dbUrl !== undefined) throw new InputError(`${first.origins.dbUrl ?? '--db-url'}: a URL may carry the password; for Kubernetes give --db-host/--db-port/--db-user/--db-name (the password comes from the Secret, see --db-password-secret)`);
  for (const key of ['shard', 'runsDir', 'logDir'] as const) {
    if (first.origins[key]) throw new InputError(`${first.origins[key]}: ${key} is set by \`reprocess k8s\` itself (shards: --shards; directories: under ${DATA_DIR}, the volume)`);
  }
  const defaults = Object.fromEntries(Object.entries(CLUSTER_DEFAULTS).filter(([key]) => !(key in first.origins)));
  // A metrics port given without --metrics is served too (and the container declares it): only the objects differ.
  const pod = Object.fromEntries(Object.entries(podDefaults(options.metrics !== undefined || first.settings.metricsPort !== undefined))
    .filter(([key]) => !(key in first.origins) && !(key === 'metricsPort' && first.settings.metricsPort !== undefined)));
  const { settings, origins } = loadSettings({ flags: { ...defaults, ...pod, ...flags }, env: {}, configFile });
  const sources = settingSources(origins, Object.keys(defaults), pod, configFile, env);

  const files: Record<string, string> = {};
  const config: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(settings) as [keyof Settings, unknown][]) {
    if (SECRET_KEYS.has(key) || key === 'runsDir' || key === 'logDir' || key === 'shard') continue;
    if (!(key in origins)) continue; // a default stays the tool's default
    if (key in FILE_SETTINGS) {
      const fileName = FILE_SETTINGS[key as keyof typeof FILE_SETTINGS];
      files[fileName] = readText(String(value), origins[key]!);
      config[key] = `${CONFIG_DIR}/${fileName}`;
    } else config[key] = hideUrlPasswords(value); // a URL's password is never sent, so never rendered
  }
  const sourceArgs: string[] = [];
  if (flags.db) sourceArgs.push('--db');
  if (flags.file !== undefined) {
    files[PACKETS_KEY] = readText(flags.file, '--file');
    sourceArgs.push('--file', `${CONFIG_DIR}/${PACKETS_KEY}`);
  }
  for (const r of flags.registration ?? []) sourceArgs.push('--registration', r);
  if (flags.all) sourceArgs.push('--all');
  if (flags.canary) sourceArgs.push('--canary');
  if (flags.dryRun) sourceArgs.push('--dry-run');
  if (flags.resendInDoubt) sourceArgs.push('--resend-in-doubt');
  const configYaml = `# reprocess settings for ${options.name}, rendered by \`reprocess k8s\`. Secrets are not here: they come from\n`
    + `# Kubernetes Secrets (REGPROC_CLIENT_PWD, DB_PWD) by reference. --runs-dir, --log-dir and --shard are set by the pod's command.\n`
    + describeSources(sources).slice(0, -1).map((line) => `# ${line.trim()}\n`).join('')
    + yaml().stringify(config);
  const size = Buffer.byteLength(configYaml) + Object.values(files).reduce((n, t) => n + Buffer.byteLength(t), 0);
  if (size > CONFIGMAP_MAX) throw new InputError(`the settings and files (${Object.keys(files).join(', ') || 'config.yaml'}) come to ${size} bytes; a ConfigMap holds at most 1 MiB: split --file into smaller runs or select with --db`);

  // A dry run reports on the whole selection (it does not split by --shard): one pod says it all.
  if (flags.dryRun) options = { ...options, shards: 1 };
  checkAsThePod(flags.dryRun === true, sourceArgs, configYaml, files, options);
  const objects = buildObjects(options, { ...files, 'config.yaml': configYaml }, sourceArgs, Boolean(flags.dryRun), settings.metricsPort);
  if (options.metrics) {
    objects.push(...monitoringObjects({
      name: options.name, namespace: options.namespace, cron: options.schedule !== undefined,
      breakerPatienceSeconds: settings.breakerPatience, noProgressSeconds: options.metrics.noProgressSeconds,
      dashboardNamespace: options.metrics.dashboardNamespace,
      labels: { 'app.kubernetes.io/name': 'mosip-reprocess', 'app.kubernetes.io/instance': options.name },
    }));
  }
  const header = [
    `# Rendered by \`reprocess k8s\` for namespace ${options.namespace}. No secret value is in this file: the pods read`,
    `# REGPROC_CLIENT_PWD from Secret ${options.clientSecretRef.name} (key ${options.clientSecretRef.key}) and DB_PWD from Secret ${options.dbPasswordRef.name} (key ${options.dbPasswordRef.key}),`,
    `# both in namespace ${options.namespace}. A pod can only read Secrets of its own namespace: MOSIP keeps db-common-secrets`,
    `# in namespace postgres, so copy it into ${options.namespace} first (see docs/kubernetes.md in mosip-reprocess).`,
  ].join('\n');
  return { objects, yaml: header + '\n' + objects.map((o) => '---\n' + yaml().stringify(o, { lineWidth: 0 })).join(''), sources };
}

/** Where the rendered settings came from, in words, for the operator (stderr) and the config file's header. */
export interface SettingSources {
  flags: string[];
  configFile: { path: string; keys: string[] } | null;
  clusterDefaults: string[];
  /** The pod's own defaults (JSON logs; with metrics, the server's address and port). */
  podDefaults: string[];
  /** This shell's variables that name a setting and were not used. */
  ignoredEnv: string[];
}

function settingSources(origins: Record<string, string>, clusterKeys: string[], pod: Record<string, unknown>, configFile: string | undefined, env: NodeJS.ProcessEnv): SettingSources {
  const defaultKeys = [...clusterKeys, ...Object.keys(pod)];
  const keys = Object.keys(origins).filter((k) => !SECRET_KEYS.has(k));
  const fromDefaults = keys.filter((k) => clusterKeys.includes(k));
  const fromFile = keys.filter((k) => !defaultKeys.includes(k) && configFile !== undefined && origins[k]!.startsWith(`${configFile}:`));
  const fromFlags = keys.filter((k) => !defaultKeys.includes(k) && !fromFile.includes(k));
  const ignoredEnv: string[] = SETTINGS.filter((s) => s.key !== 'clientSecret' && s.key !== 'dbPassword' && env[s.env] !== undefined && env[s.env] !== '').map((s) => s.env);
  if (configFile === undefined && env.REPROCESS_CONFIG) ignoredEnv.push('REPROCESS_CONFIG');
  return {
    flags: fromFlags.map((k) => origins[k]!),
    configFile: configFile === undefined ? null : { path: configFile, keys: fromFile },
    clusterDefaults: fromDefaults.map((k) => `${origins[k]} ${String(CLUSTER_DEFAULTS[k as keyof typeof CLUSTER_DEFAULTS])}`),
    podDefaults: Object.keys(pod).filter((k) => k in origins).map((k) => `${origins[k]} ${String(pod[k])}`),
    ignoredEnv,
  };
}

/** The sources as lines for stderr. */
export function describeSources(s: SettingSources): string[] {
  const list = (items: string[]) => (items.length > 0 ? items.join(', ') : '(none)');
  return [
    'settings in the ConfigMap:',
    `  from flags: ${list(s.flags)}`,
    ...(s.configFile ? [`  from ${s.configFile.path}: ${list(s.configFile.keys)}`] : []),
    `  MOSIP's in-cluster defaults: ${list(s.clusterDefaults)}`,
    ...(s.podDefaults.length > 0 ? [`  the pod's defaults: ${s.podDefaults.join(', ')}`] : []),
    ...(s.ignoredEnv.length > 0 ? [`  not taken from this shell: ${s.ignoredEnv.join(', ')} (give them as flags or in --config to render them)`] : []),
    '  secrets: from the Kubernetes Secrets named in the header, never from this shell or the config file',
  ];
}

function readText(path: string, origin: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new InputError(`${origin} ${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
}

/**
 * Resolves the pod's own command line (shard 1 of n, the rendered config file, the files of the ConfigMap) with
 * resolveRunSettings, the checks of the run itself, so that a setting the pod would refuse is refused here, before anything is applied.
 */
function checkAsThePod(dryRun: boolean, sourceArgs: string[], configYaml: string, files: Record<string, string>, o: K8sOptions): void {
  const dir = mkdtempSync(join(tmpdir(), 'reprocess-k8s-'));
  try {
    const config = join(dir, 'config.yaml');
    let text = configYaml;
    for (const [name, content] of Object.entries(files)) {
      writeFileSync(join(dir, name), content);
      text = text.split(`${CONFIG_DIR}/${name}`).join(join(dir, name));
    }
    writeFileSync(config, text);
    mkdirSync(join(dir, 'data'));
    const flags: RunFlags = {
      config, runsDir: join(dir, 'data', 'runs'), logDir: join(dir, 'data', 'logs'), shard: `1/${o.shards}`,
      ...(dryRun ? { dryRun: true } : { runName: `${o.name}-0` }),
    };
    for (let i = 0; i < sourceArgs.length; i++) {
      const arg = sourceArgs[i]!;
      if (arg === '--file') flags.file = join(dir, basename(sourceArgs[++i]!));
      else if (arg === '--registration') flags.registration = [...(flags.registration ?? []), sourceArgs[++i]!];
      else if (arg !== '--dry-run') (flags as Record<string, unknown>)[arg.slice(2).replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())] = true;
    }
    // Only the pod's environment: the Secrets' values are there at run time (marked, never read or printed here).
    const podEnv: NodeJS.ProcessEnv = { REGPROC_CLIENT_PWD: '(from the Secret)', DB_PWD: '(from the Secret)' };
    resolveRunSettings(flags, podEnv);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The pod's command. The Job gives each pod its index in JOB_COMPLETION_INDEX (0-based); a shell turns it into
 * --shard <index+1>/<n> and --run-name. A replacement pod of the same Job gets the same run name, so it continues
 * the run (--run-name resumes it); a new Job gets a new one:
 * - a Job: <job>-<index>;
 * - a Job the CronJob made on its schedule: Kubernetes names it <cronjob>-<scheduled time in minutes since 1970>,
 *   and the run name carries that date and time, <cronjob>-<YYYYMMDD-HHMM>-<index>: each night is a new run, and a
 *   pod replaced after midnight still continues the night it belongs to;
 * - any other Job made from the CronJob's template (`kubectl create job --from=cronjob/<name> <job>`): its name
 *   has no scheduled time, so the run is named by the Job's uid (the controller-uid label, which every pod of
 *   one Job carries): <cronjob>-manual-<12 hex digits of the uid>-<index>, a new run for each such Job.
 * `exec` makes the tool PID 1, so a replacement pod (same hostname <job>-<index>) never mistakes the dead pod's
 * process for a live one. A name it cannot work out is a setting error (exit 2, which fails the Job).
 */
export function podScript(cron: boolean): string {
  // The scheduled time has 8 or 9 digits (1989 to 3871) with no leading zero (which sh would read as octal).
  const minutes = '[1-9]' + '[0-9]'.repeat(7);
  const naming = cron
    ? [
      'case "$JOB_NAME" in',
      `  "$RUN_NAME_PREFIX"-${minutes}|"$RUN_NAME_PREFIX"-${minutes}[0-9])`,
      '    stamp=$(date -u -d "@$(( ${JOB_NAME##*-} * 60 ))" +%Y%m%d-%H%M) || exit 2',
      '    name="$RUN_NAME_PREFIX-$stamp-$JOB_COMPLETION_INDEX" ;;',
      '  *)',
      '    first="${JOB_UID%%-*}"; rest="${JOB_UID#*-}"; second="${rest%%-*}"',
      '    case "$first$second" in ""|*[!0-9a-f]*) echo "no Job uid in the pod\'s labels (batch.kubernetes.io/controller-uid): cannot name the run" >&2; exit 2 ;; esac',
      '    name="$RUN_NAME_PREFIX-manual-$first$second-$JOB_COMPLETION_INDEX" ;;',
      'esac',
    ]
    : ['name="$RUN_NAME_PREFIX-$JOB_COMPLETION_INDEX"'];
  return [
    'set -eu',
    ...naming,
    'shard="$((JOB_COMPLETION_INDEX + 1))/$SHARDS"',
    'if [ "${DRY_RUN:-}" = 1 ]; then exec reprocess "$@" --runs-dir ' + RUNS_DIR + ' --log-dir "' + LOGS_DIR + '/$name"; fi',
    'exec reprocess "$@" --shard "$shard" --run-name "$name" --runs-dir ' + RUNS_DIR + ' --log-dir "' + LOGS_DIR + '/$name"',
  ].join('\n');
}

/**
 * The tool's exit codes as the Job treats them (docs/reference.md, "Exit codes"). A pod that ends with a code a
 * resume can finish is replaced and the replacement continues the same run by --run-name.
 */
export const EXIT_CODES = {
  /** The run ended (done, a budget, a failed canary) with packets not forwarded: final, a new pod would find the run finished. */
  notForwarded: 1,
  /** Bad settings or input: every pod would fail the same way. */
  badInput: 2,
  /** Database, server or auth unreachable or refused, the lock held by another run, or the lock lost: a resume can finish it. */
  unreachable: 3,
  /** A bug in reprocess. */
  bug: 4,
  /** Stopped gracefully on a signal (128 + SIGHUP, SIGINT, SIGTERM): a resume can finish it. */
  signals: [129, 130, 143],
  /** Killed (SIGKILL, e.g. out of memory): a resume can finish it. */
  killed: 137,
} as const;

/** Failed pods a shard may have before Kubernetes gives that shard up (disruptions do not count). */
export const RETRIES_PER_SHARD = 3;

/**
 * The Job's podFailurePolicy. Kubernetes takes the first rule that matches a failed pod; a pod no rule matches
 * counts against backoffLimitPerIndex and is replaced.
 */
export function podFailurePolicy(): { rules: Record<string, unknown>[] } {
  const exitCodes = (values: number[]) => ({ containerName: 'reprocess', operator: 'In', values });
  return {
    rules: [
      // Evicted, preempted or drained pods do not count at all: whatever their exit code, the replacement continues.
      { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
      // Bad settings: every shard would fail the same way, so the Job fails at once.
      { action: 'FailJob', onExitCodes: exitCodes([EXIT_CODES.badInput]) },
      // Some packets not forwarded: final for this shard (a new pod would find the run finished and exit 1 again), but
      // the other shards go on; the Job ends Failed with this index in status.failedIndexes.
      { action: 'FailIndex', onExitCodes: exitCodes([EXIT_CODES.notForwarded]) },
      // Anything else (3 unreachable or lock, 4 a bug, 129/130/143 a graceful stop, 137 killed) counts against
      // backoffLimitPerIndex and the replacement pod resumes the run.
    ],
  };
}

function buildObjects(o: K8sOptions, configData: Record<string, string>, sourceArgs: string[], dryRun: boolean, metricsPort: number | undefined): Record<string, unknown>[] {
  const labels = { 'app.kubernetes.io/name': 'mosip-reprocess', 'app.kubernetes.io/instance': o.name };
  const configName = `${o.name}-config`;
  const claimName = `${o.name}-data`;
  const configMap = {
    apiVersion: 'v1', kind: 'ConfigMap',
    metadata: { name: configName, namespace: o.namespace, labels },
    data: configData,
  };
  const pvc = {
    apiVersion: 'v1', kind: 'PersistentVolumeClaim',
    metadata: {
      name: claimName, namespace: o.namespace, labels,
      annotations: { 'mosip-reprocess/purpose': 'journals and logs of the runs: keep it, --run-name resumes from it and `reprocess verify` reads it' },
    },
    spec: {
      // Several shards may run on several nodes at once: they need a volume every node can mount.
      accessModes: [o.shards > 1 ? 'ReadWriteMany' : 'ReadWriteOnce'],
      resources: { requests: { storage: o.storage } },
      ...(o.storageClass ? { storageClassName: o.storageClass } : {}),
    },
  };
  const secretEnv = (envName: string, ref: SecretRef) => ({ name: envName, valueFrom: { secretKeyRef: { name: ref.name, key: ref.key } } });
  const container = {
    name: 'reprocess',
    image: o.image,
    imagePullPolicy: 'IfNotPresent',
    command: ['sh', '-c', podScript(o.schedule !== undefined), 'reprocess'],
    args: ['--config', `${CONFIG_DIR}/config.yaml`, ...sourceArgs],
    ...(metricsPort !== undefined ? { ports: [{ name: METRICS_PORT_NAME, containerPort: metricsPort, protocol: 'TCP' }] } : {}),
    env: [
      { name: 'SHARDS', value: String(o.shards) },
      { name: 'RUN_NAME_PREFIX', value: o.name },
      ...(dryRun ? [{ name: 'DRY_RUN', value: '1' }] : []),
      // The labels Kubernetes (1.27 or later) puts on every pod of a Job: the Job's name and uid.
      ...(o.schedule !== undefined ? [
        { name: 'JOB_NAME', valueFrom: { fieldRef: { fieldPath: "metadata.labels['batch.kubernetes.io/job-name']" } } },
        { name: 'JOB_UID', valueFrom: { fieldRef: { fieldPath: "metadata.labels['batch.kubernetes.io/controller-uid']" } } },
      ] : []),
      secretEnv('REGPROC_CLIENT_PWD', o.clientSecretRef),
      secretEnv('DB_PWD', o.dbPasswordRef),
    ],
    resources: RESOURCES,
    securityContext: {
      runAsNonRoot: true, runAsUser: IMAGE_UID, runAsGroup: IMAGE_UID,
      readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] },
    },
    volumeMounts: [
      { name: 'data', mountPath: DATA_DIR },
      { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
    ],
  };
  const podTemplate = {
    metadata: { labels: { ...labels, 'sidecar.istio.io/inject': 'false' }, annotations: { 'sidecar.istio.io/inject': 'false' } },
    spec: {
      restartPolicy: 'Never',
      // SIGTERM stops taking packets and lets those in flight finish, then the journal is written.
      terminationGracePeriodSeconds: 120,
      securityContext: { runAsNonRoot: true, runAsUser: IMAGE_UID, runAsGroup: IMAGE_UID, fsGroup: IMAGE_UID, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [container],
      volumes: [
        { name: 'data', persistentVolumeClaim: { claimName } },
        { name: 'config', configMap: { name: configName } },
      ],
    },
  };
  const jobSpec = {
    completionMode: 'Indexed',
    completions: o.shards,
    parallelism: o.shards,
    // Each shard's own retries (Kubernetes 1.29 or later): one shard that keeps failing does not use up the
    // others' retries, and a failed shard does not stop the others. backoffLimit is left unset: with
    // backoffLimitPerIndex Kubernetes sets it to its maximum, so only the per-shard limit counts.
    backoffLimitPerIndex: RETRIES_PER_SHARD,
    // A replacement starts only once the old pod has stopped (and written its journal); with a
    // podFailurePolicy this is the only value Kubernetes accepts.
    podReplacementPolicy: 'Failed',
    podFailurePolicy: podFailurePolicy(),
    template: podTemplate,
  };
  const workload = o.schedule === undefined
    ? { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: o.name, namespace: o.namespace, labels }, spec: jobSpec }
    : {
      apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: o.name, namespace: o.namespace, labels },
      spec: {
        schedule: o.schedule,
        // One night at a time: a run still going when the next is due keeps going; the next one is skipped.
        concurrencyPolicy: 'Forbid',
        startingDeadlineSeconds: 3600,
        successfulJobsHistoryLimit: 7,
        failedJobsHistoryLimit: 7,
        jobTemplate: { metadata: { labels }, spec: jobSpec },
      },
    };
  return [configMap, pvc, workload];
}
