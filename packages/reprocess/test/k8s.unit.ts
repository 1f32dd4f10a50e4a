// `reprocess k8s`: the manifests for a run. Every object is validated against the Kubernetes API schema
// (kubernetes-models: types, required fields, enums); the points a MOSIP operator relies on are checked one by
// one; the pod's shell command is run for real with a stand-in `reprocess` that prints its arguments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ConfigMap, PersistentVolumeClaim } from 'kubernetes-models/v1';
import { CronJob, Job } from 'kubernetes-models/batch/v1';
import { PodMonitor, PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { parser as promqlParser } from '@prometheus-io/lezer-promql';
import { exportedSeriesNames, RunMetrics } from 'mosip-reprocess/report/metrics/runMetrics.js';
import { KUBE_STATE_METRICS } from 'mosip-reprocess/k8s/monitoring.js';
import { BIN } from '@mosip-reprocess/testkit/cli.js';
import { loadSettings } from 'mosip-reprocess/config/load.js';
import { registerK8sCommand } from 'mosip-reprocess/cli/k8sCommand.js';
import type { Io } from 'mosip-reprocess/cli/runCommand.js';
import { Command, CommanderError } from 'commander';

const CLIENT_SECRET = 'k8s-client-secret-value-1f9a';
const DB_SECRET = 'k8s-db-password-value-77c2';

interface Out { code: number; stdout: string; stderr: string }
type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** `reprocess k8s <args>` in this process (commander and all): fast, so every case can be checked. */
async function k8s(args: string[], env: Record<string, string> = {}): Promise<Out> {
  let stdout = '';
  let stderr = '';
  const io: Io = {
    out: (line) => { stdout += line + '\n'; }, err: (line) => { stderr += line + '\n'; }, progress: () => {}, stderrIsTTY: false,
    env: { REGPROC_CLIENT_PWD: CLIENT_SECRET, DB_PWD: DB_SECRET, ...env },
  };
  const program = new Command('reprocess').exitOverride().configureOutput({ writeErr: (t) => { stderr += t; }, writeOut: (t) => { stdout += t; } });
  registerK8sCommand(program, () => io);
  const before = process.exitCode;
  process.exitCode = undefined; // a failed test before this one sets it
  let code = 0;
  try {
    await program.parseAsync(['k8s', ...args], { from: 'user' });
    code = Number(process.exitCode ?? 0);
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
    code = 2;
  } finally {
    process.exitCode = before;
  }
  return { code, stdout, stderr };
}

/** The real binary, as an operator runs it. */
function k8sBinary(args: string[], env: Record<string, string>): Promise<Out> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, 'k8s', ...args], { env: { PATH: process.env.PATH ?? '', ...env } },
      (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });
}

const MODELS: Record<string, new (o: Obj) => { validate(): void }> = {
  ConfigMap: ConfigMap as never, PersistentVolumeClaim: PersistentVolumeClaim as never, Job: Job as never, CronJob: CronJob as never,
  PodMonitor: PodMonitor as never, PrometheusRule: PrometheusRule as never,
};

/** Parses the YAML stream and validates every object against the API schema; returns them by kind (a second of a kind by kind/name). */
function objects(out: Out): Record<string, Obj> {
  assert.equal(out.code, 0, out.stderr);
  const docs = parseAllDocuments(out.stdout).map((d) => d.toJSON() as Obj).filter(Boolean);
  const byKind: Record<string, Obj> = {};
  for (const doc of docs) {
    const Model = MODELS[doc.kind];
    assert.ok(Model, `unexpected kind ${doc.kind}`);
    new Model(doc).validate(); // throws with the path of the first field that does not fit the schema
    byKind[byKind[doc.kind] ? `${doc.kind}/${doc.metadata.name}` : doc.kind] = doc;
  }
  return byKind;
}

const podSpec = (o: Record<string, Obj>) => (o.Job ?? o.CronJob!.spec.jobTemplate).spec.template.spec;
const container = (o: Record<string, Obj>) => podSpec(o).containers[0];

/** Runs the pod's command (sh -c) with a stand-in `reprocess` on PATH that prints its arguments, one a line. */
function runPodCommand(c: Obj, env: Record<string, string>): string[] {
  const bin = mkdtempSync(join(tmpdir(), 'k8s-pod-'));
  writeFileSync(join(bin, 'reprocess'), '#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done\n');
  chmodSync(join(bin, 'reprocess'), 0o755);
  const plain = Object.fromEntries((c.env as Obj[]).filter((e) => 'value' in e).map((e) => [e.name, e.value]));
  const out = execFileSync(c.command[0], [...c.command.slice(1), ...c.args], { env: { PATH: `${bin}:/usr/bin:/bin`, ...plain, ...env }, encoding: 'utf8' });
  return out.trim().split('\n');
}
const after = (args: string[], flag: string) => args[args.indexOf(flag) + 1];

test('k8s: ConfigMap, PVC and an Indexed Job that validate against the API schema, with MOSIP\'s in-cluster names and no secret value', async () => {
  const out = await k8s(['--db', '--shards', '3', '--limit', '200', '--older-than', '2d']);
  const o = objects(out);
  assert.deepEqual(Object.keys(o).sort(), ['ConfigMap', 'Job', 'PersistentVolumeClaim']);
  for (const secret of [CLIENT_SECRET, DB_SECRET]) assert.ok(!(out.stdout + out.stderr).includes(secret), 'a secret value was printed');
  for (const obj of Object.values(o)) assert.equal(obj.metadata.namespace, 'regproc');

  const job = o.Job!;
  assert.equal(job.spec.completionMode, 'Indexed');
  assert.equal(job.spec.completions, 3);
  assert.equal(job.spec.parallelism, 3);
  assert.ok(job.spec.backoffLimitPerIndex >= 3, 'a killed pod must be replaceable');
  assert.equal(job.spec.template.metadata.labels['sidecar.istio.io/inject'], 'false');
  const spec = podSpec(o);
  assert.equal(spec.restartPolicy, 'Never');
  assert.equal(spec.securityContext.runAsNonRoot, true);
  assert.ok(spec.securityContext.runAsUser > 0);
  const c = container(o);
  assert.equal(c.image, 'localhost/mosip-reprocess:0.1.0');
  assert.equal(c.securityContext.readOnlyRootFilesystem, true);
  assert.equal(c.securityContext.allowPrivilegeEscalation, false);
  assert.match(c.resources.requests.memory, /^\d+Mi$/);
  assert.ok(parseInt(c.resources.requests.memory, 10) >= 122, 'the request covers the measured peak RSS (122 MB)');
  assert.ok(parseInt(c.resources.limits.memory, 10) > parseInt(c.resources.requests.memory, 10));
  const secretEnv = Object.fromEntries((c.env as Obj[]).filter((e) => e.valueFrom?.secretKeyRef).map((e) => [e.name, e.valueFrom.secretKeyRef]));
  assert.deepEqual(secretEnv, {
    REGPROC_CLIENT_PWD: { name: 'keycloak-client-secrets', key: 'mosip_regproc_client_secret' },
    DB_PWD: { name: 'db-common-secrets', key: 'db-dbuser-password' },
  });
  // The only writable mount is the PVC, at /data; the config is read-only.
  const mounts = Object.fromEntries((c.volumeMounts as Obj[]).map((m) => [m.name, m]));
  assert.equal(mounts.data.mountPath, '/data');
  assert.equal(mounts.config.readOnly, true);
  const volumes = Object.fromEntries((spec.volumes as Obj[]).map((v) => [v.name, v]));
  assert.equal(volumes.data.persistentVolumeClaim.claimName, o.PersistentVolumeClaim!.metadata.name);
  assert.equal(volumes.config.configMap.name, o.ConfigMap!.metadata.name);
  assert.deepEqual(o.PersistentVolumeClaim!.spec.accessModes, ['ReadWriteMany'], 'three pods may run on three nodes');

  // The ConfigMap's config.yaml is a config file the tool reads: MOSIP's names, the given settings, no secret.
  const dir = mkdtempSync(join(tmpdir(), 'k8s-config-'));
  writeFileSync(join(dir, 'config.yaml'), o.ConfigMap!.data['config.yaml']);
  const { settings } = loadSettings({ flags: {}, env: {}, configFile: join(dir, 'config.yaml') });
  assert.equal(settings.dbHost, 'postgres-postgresql.postgres');
  assert.equal(settings.dbPort, 5432);
  assert.equal(settings.dbName, 'mosip_regprc');
  assert.equal(settings.dbUser, 'regprcuser');
  assert.equal(settings.server, 'http://regproc-group2.regproc');
  assert.equal(settings.authServer, 'http://authmanager.kernel');
  assert.equal(settings.limit, 200);
  assert.equal(settings.olderThan, 2 * 86400);
  assert.equal(settings.clientSecret, undefined);
  assert.equal(settings.dbPassword, undefined);
  assert.deepEqual(c.args.slice(0, 2), ['--config', '/etc/reprocess/config.yaml']);

  // Pod 2 of 3 (index 1) runs shard 2/3 under the run name <job>-1, with its directories on the volume.
  const args = runPodCommand(c, { JOB_COMPLETION_INDEX: '1' });
  assert.equal(after(args, '--shard'), '2/3');
  assert.equal(after(args, '--run-name'), 'reprocess-1');
  assert.equal(after(args, '--runs-dir'), '/data/runs');
  assert.match(after(args, '--log-dir')!, /^\/data\/logs\//);
  assert.ok(args.includes('--db'));
  assert.ok(!args.includes('--dry-run'));
});

test('k8s: --namespace, --image, --name and both secret references are overridable; settings win over the in-cluster defaults', async () => {
  const o = objects(await k8s([
    '--db', '--namespace', 'ops', '--image', 'registry.example/reprocess:1', '--name', 'night',
    '--client-secret', 'my-client/pwd', '--db-password-secret', 'my-db/pwd', '--db-host', 'db.example', '--server', 'https://mosip.example',
  ]));
  for (const obj of Object.values(o)) assert.equal(obj.metadata.namespace, 'ops');
  const c = container(o);
  assert.equal(c.image, 'registry.example/reprocess:1');
  assert.deepEqual((c.env as Obj[]).filter((e) => e.valueFrom?.secretKeyRef).map((e) => e.valueFrom.secretKeyRef), [{ name: 'my-client', key: 'pwd' }, { name: 'my-db', key: 'pwd' }]);
  assert.match(o.ConfigMap!.data['config.yaml'], /^dbHost: db\.example$/m);
  assert.match(o.ConfigMap!.data['config.yaml'], /^server: https:\/\/mosip\.example$/m);
  assert.deepEqual(o.PersistentVolumeClaim!.spec.accessModes, ['ReadWriteOnce']);
  assert.equal(after(runPodCommand(c, { JOB_COMPLETION_INDEX: '0' }), '--run-name'), 'night-0');
});

test('k8s --dry-run: one pod that only dry-runs the whole selection (no run name, no shard, nothing sent)', async () => {
  const o = objects(await k8s(['--db', '--dry-run', '--shards', '2']));
  assert.equal(o.Job!.spec.completions, 1);
  assert.equal(o.Job!.spec.parallelism, 1);
  const args = runPodCommand(container(o), { JOB_COMPLETION_INDEX: '0' });
  assert.ok(args.includes('--dry-run'));
  assert.ok(!args.includes('--run-name'));
  assert.ok(!args.includes('--shard'));
});

test('k8s --schedule: a CronJob whose nightly runs are named by the scheduled date, one night at a time', async () => {
  const o = objects(await k8s(['--db', '--all', '--schedule', '0 1 * * *', '--name', 'nightly']));
  assert.deepEqual(Object.keys(o).sort(), ['ConfigMap', 'CronJob', 'PersistentVolumeClaim']);
  assert.equal(o.CronJob!.spec.schedule, '0 1 * * *');
  assert.equal(o.CronJob!.spec.concurrencyPolicy, 'Forbid');
  assert.equal(o.CronJob!.spec.jobTemplate.spec.completionMode, 'Indexed');
  // The CronJob names each Job <cronjob>-<scheduled time in minutes since 1970>; 2026-11-30 01:00 UTC here.
  const minutes = String(Date.UTC(2026, 10, 30, 1, 0) / 60_000);
  const args = runPodCommand(container(o), { JOB_COMPLETION_INDEX: '0', JOB_NAME: `nightly-${minutes}` });
  assert.equal(after(args, '--run-name'), 'nightly-20261130-0100-0');
  assert.ok(args.includes('--all'));
});

test('k8s: files the run names (--file, --query-file) travel in the ConfigMap; a secret in the config file does not', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'k8s-files-'));
  writeFileSync(join(dir, 'rids.txt'), '10001100010002220250101120000\n');
  writeFileSync(join(dir, 'night.yaml'), `clientSecret: ${CLIENT_SECRET}\ndbPassword: ${DB_SECRET}\ndelay: 0.5\n`);
  writeFileSync(join(dir, 'stuck.sql'), 'SELECT reg_id, process, workflow_instance_id FROM regprc.registration LIMIT 10\n');
  const query = objects(await k8s(['--db', '--query-file', join(dir, 'stuck.sql')]));
  assert.equal(query.ConfigMap!.data['query.sql'], 'SELECT reg_id, process, workflow_instance_id FROM regprc.registration LIMIT 10\n');
  assert.match(query.ConfigMap!.data['config.yaml'], /^queryFile: \/etc\/reprocess\/query\.sql$/m);
  const out = await k8s(['--file', join(dir, 'rids.txt'), '--config', join(dir, 'night.yaml')], { REGPROC_CLIENT_PWD: '', DB_PWD: '' });
  const o = objects(out);
  assert.ok(!out.stdout.includes(CLIENT_SECRET) && !out.stdout.includes(DB_SECRET));
  assert.equal(o.ConfigMap!.data['packets.txt'], '10001100010002220250101120000\n');
  assert.match(o.ConfigMap!.data['config.yaml'], /^delay: 0\.5$/m);
  const c = container(o);
  assert.equal(after(c.args, '--file'), '/etc/reprocess/packets.txt');
});

test('k8s: bad input is refused with exit 2 and nothing printed on stdout', async () => {
  const cases: [string[], RegExp][] = [
    [['--db', '--shards', '0'], /--shards "0"/],
    [['--db', '--shards', 'two'], /--shards "two"/],
    [['--db', '--db-url', 'postgres://u:p@h/db'], /unknown option '--db-url'/],
    [['--db', '--client-secret', 'no-key'], /--client-secret "no-key"/],
    [['--db', '--schedule', 'every night'], /--schedule "every night"/],
    [['--db', '--name', 'Night_1'], /--name "Night_1"/],
    // What the pod itself would refuse is refused here, before anything is applied.
    [['--file', '/nonexistent/rids.txt'], /--file \/nonexistent\/rids\.txt: cannot read it/],
    [['--db', '--stages', 'UPLOAD_PACKET'], /--stages adds latest_trn_type_code values to APPROACH 2/],
    [['--db', '--limit', '0'], /--limit/],
  ];
  for (const [args, message] of cases) {
    const out = await k8s(args);
    assert.equal(out.code, 2, `${args.join(' ')}: ${out.stderr}`);
    assert.equal(out.stdout, '', args.join(' '));
    assert.match(out.stderr, message);
  }
  // A URL in this shell's environment is not taken (nor printed): the pods use MOSIP's in-cluster database.
  const url = await k8s(['--db'], { REPROCESS_DB_URL: 'postgres://u:pw-in-url@h/db' });
  assert.equal(url.code, 0, url.stderr);
  assert.ok(!(url.stdout + url.stderr).includes('pw-in-url'));
  assert.match(url.stderr, /not taken from this shell: REPROCESS_DB_URL/);
  const configUrl = mkdtempSync(join(tmpdir(), 'k8s-url-'));
  writeFileSync(join(configUrl, 'c.yaml'), 'dbUrl: postgres://u:pw-in-file@h/db\n');
  const fromFile = await k8s(['--db', '--config', join(configUrl, 'c.yaml')]);
  assert.equal(fromFile.code, 2);
  assert.ok(!fromFile.stderr.includes('pw-in-file'));
  // A config file that is not valid YAML: where, never the text (here a secret whose quote is left open).
  writeFileSync(join(configUrl, 'broken.yaml'), `delay: 1\nclientSecret: "${CLIENT_SECRET}\ndbPassword: ${DB_SECRET}\n`);
  const broken = await k8s(['--db', '--config', join(configUrl, 'broken.yaml')]);
  assert.equal(broken.code, 2);
  assert.equal(broken.stdout, '');
  assert.match(broken.stderr, /broken\.yaml:\d+:\d+: not valid YAML/);
  assert.ok(!broken.stderr.includes(CLIENT_SECRET) && !broken.stderr.includes(DB_SECRET), broken.stderr);
});

test('k8s, the binary: secrets set in the environment never reach the output; bad input exits 2 with nothing on stdout', async () => {
  const env = { REGPROC_CLIENT_PWD: CLIENT_SECRET, DB_PWD: DB_SECRET };
  const good = await k8sBinary(['--db', '--shards', '2'], env);
  objects(good);
  for (const secret of [CLIENT_SECRET, DB_SECRET]) assert.ok(!(good.stdout + good.stderr).includes(secret));
  const bad = await k8sBinary(['--db', '--shards', '0'], env);
  assert.equal(bad.code, 2);
  assert.equal(bad.stdout, '');
  assert.match(bad.stderr, /--shards "0"/);
});

// ---- The Job's podFailurePolicy, walked as Kubernetes walks it ----

/** A failed pod as the Job controller sees it: the reprocess container's exit code and the pod's conditions. */
interface FailedPod { exitCode: number; disrupted?: boolean }
type Action = 'Ignore' | 'FailJob' | 'FailIndex' | 'Count';

/**
 * The checks the API server makes on a Job's failure handling (pkg/apis/batch/validation, Kubernetes 1.29 to
 * 1.34), which the JSON schema that kubernetes-models validates against cannot express.
 */
function apiServerProblems(spec: Obj): string[] {
  const problems: string[] = [];
  const containers = new Set((spec.template.spec.containers as Obj[]).map((c) => c.name));
  if (spec.backoffLimitPerIndex !== undefined) {
    if (spec.completionMode !== 'Indexed') problems.push('backoffLimitPerIndex requires completionMode Indexed');
    if (spec.template.spec.restartPolicy !== 'Never') problems.push('backoffLimitPerIndex requires restartPolicy Never');
  }
  if (spec.maxFailedIndexes !== undefined && spec.backoffLimitPerIndex === undefined) problems.push('maxFailedIndexes requires backoffLimitPerIndex');
  const policy = spec.podFailurePolicy as Obj | undefined;
  if (policy) {
    if (spec.template.spec.restartPolicy !== 'Never') problems.push('podFailurePolicy requires restartPolicy Never');
    if (spec.podReplacementPolicy !== undefined && spec.podReplacementPolicy !== 'Failed') problems.push('podFailurePolicy allows only podReplacementPolicy Failed');
    if (policy.rules.length > 20) problems.push('at most 20 rules');
    for (const [i, rule] of (policy.rules as Obj[]).entries()) {
      if (rule.action === 'FailIndex' && spec.backoffLimitPerIndex === undefined) problems.push(`rule ${i}: FailIndex requires backoffLimitPerIndex`);
      if ((rule.onExitCodes === undefined) === (rule.onPodConditions === undefined)) problems.push(`rule ${i}: exactly one of onExitCodes and onPodConditions`);
      const codes = rule.onExitCodes as Obj | undefined;
      if (codes) {
        if (codes.containerName !== undefined && !containers.has(codes.containerName)) problems.push(`rule ${i}: no container ${codes.containerName}`);
        const values = codes.values as number[];
        if (values.length === 0 || values.length > 255) problems.push(`rule ${i}: 1 to 255 values`);
        if (codes.operator === 'In' && values.includes(0)) problems.push(`rule ${i}: 0 with In`);
        if (new Set(values).size !== values.length || values.some((v, j) => j > 0 && values[j - 1]! > v)) problems.push(`rule ${i}: values must be ordered and unique`);
      }
      for (const pattern of (rule.onPodConditions ?? []) as Obj[]) {
        if (!['True', 'False', 'Unknown'].includes(pattern.status)) problems.push(`rule ${i}: a condition pattern needs a status`);
      }
    }
  }
  return problems;
}

/** The action for a failed pod: the first rule that matches it (pkg/controller/job/pod_failure_policy.go); none: Count. */
function policyAction(spec: Obj, pod: FailedPod): Action {
  for (const rule of (spec.podFailurePolicy?.rules ?? []) as Obj[]) {
    if (rule.onPodConditions) {
      const matches = (rule.onPodConditions as Obj[]).some((p) => p.type === 'DisruptionTarget' && p.status === 'True' && pod.disrupted === true);
      if (matches) return rule.action;
    } else if (rule.onExitCodes && pod.exitCode !== 0) {
      const { operator, values } = rule.onExitCodes as { operator: string; values: number[] };
      if ((operator === 'In') === values.includes(pod.exitCode)) return rule.action;
    }
  }
  return 'Count';
}

/**
 * The Job controller's bookkeeping for an Indexed Job with backoffLimitPerIndex: each shard runs its pods in
 * turn (each failed pod replaced until the index fails); FailJob stops every shard. Returns each shard's end.
 */
function runJob(spec: Obj, podsByShard: FailedPod[][]): { job: 'Complete' | 'Failed'; shards: ('succeeded' | 'failed' | 'terminated' | 'not finished')[] } {
  const limit = spec.backoffLimitPerIndex as number;
  const globalLimit = (spec.backoffLimit as number | undefined) ?? (spec.backoffLimitPerIndex !== undefined ? 2 ** 31 - 1 : 6);
  const shards = podsByShard.map(() => 'not finished' as 'succeeded' | 'failed' | 'terminated' | 'not finished');
  const failures = podsByShard.map(() => 0);
  let failedTotal = 0;
  let jobFailed = false;
  for (const [i, pods] of podsByShard.entries()) {
    for (const pod of pods) {
      if (jobFailed || shards[i] !== 'not finished') break;
      if (pod.exitCode === 0 && !pod.disrupted) { shards[i] = 'succeeded'; break; }
      const action = policyAction(spec, pod);
      if (action === 'FailJob') { jobFailed = true; break; }
      if (action === 'FailIndex') { shards[i] = 'failed'; break; }
      if (action === 'Count') {
        failures[i]! += 1;
        failedTotal += 1;
        if (failures[i]! > limit) shards[i] = 'failed';
        if (failedTotal > globalLimit) jobFailed = true;
      }
    }
  }
  if (jobFailed) return { job: 'Failed', shards: shards.map((s) => (s === 'not finished' ? 'terminated' : s)) };
  return { job: shards.every((s) => s === 'succeeded') ? 'Complete' : 'Failed', shards };
}

test('k8s: the podFailurePolicy as Kubernetes walks it: disruptions first, exit 2 fails the Job, exit 1 only its shard, every exit a resume can finish is retried', async () => {
  for (const args of [['--db', '--shards', '3'], ['--db', '--schedule', '0 1 * * *', '--shards', '2']]) {
    const o = objects(await k8s(args));
    const spec = (o.Job ?? o.CronJob!.spec.jobTemplate).spec;
    assert.deepEqual(apiServerProblems(spec), [], args.join(' '));
    assert.equal(spec.backoffLimitPerIndex, 3, 'docs/kubernetes.md promises 3 retries per shard');
    assert.equal(spec.backoffLimit, undefined, 'a global backoffLimit would let one shard\'s failures fail the others');
    assert.equal(spec.maxFailedIndexes, undefined, 'a failed shard must not stop the others');
    assert.equal(spec.podFailurePolicy.rules[0].onPodConditions?.[0]?.type, 'DisruptionTarget', 'the DisruptionTarget rule comes first');

    // One failed pod of each kind: what Kubernetes does with it.
    const cases: [FailedPod, Action][] = [
      [{ exitCode: 2 }, 'FailJob'],
      [{ exitCode: 1 }, 'FailIndex'],
      [{ exitCode: 3 }, 'Count'],
      [{ exitCode: 4 }, 'Count'],
      [{ exitCode: 129 }, 'Count'],
      [{ exitCode: 130 }, 'Count'],
      [{ exitCode: 143 }, 'Count'],
      [{ exitCode: 137 }, 'Count'],
      // A drained, evicted or preempted pod: whatever its exit code, it does not count.
      [{ exitCode: 143, disrupted: true }, 'Ignore'],
      [{ exitCode: 137, disrupted: true }, 'Ignore'],
      [{ exitCode: 2, disrupted: true }, 'Ignore'],
      [{ exitCode: 1, disrupted: true }, 'Ignore'],
    ];
    for (const [pod, action] of cases) assert.equal(policyAction(spec, pod), action, `${args.join(' ')}: exit ${pod.exitCode}${pod.disrupted ? ' (disrupted)' : ''}`);
  }

  const spec = objects(await k8s(['--db', '--shards', '3'])).Job!.spec;
  const ok: FailedPod = { exitCode: 0 };
  // A normal night: shard 0 leaves a few packets not forwarded (exit 1); shard 1 is drained twice and deleted
  // once (SIGTERM: 143), then finishes; shard 2 loses the database for a while (3, 3) then finishes. Only
  // shard 0 fails; nothing stops the other two.
  assert.deepEqual(runJob(spec, [
    [{ exitCode: 1 }],
    [{ exitCode: 143, disrupted: true }, { exitCode: 143, disrupted: true }, { exitCode: 143 }, ok],
    [{ exitCode: 3 }, { exitCode: 3 }, ok],
  ]), { job: 'Failed', shards: ['failed', 'succeeded', 'succeeded'] });
  // Every shard forwarded everything, after a kill -9 and a Ctrl-C: the Job completes.
  assert.deepEqual(runJob(spec, [[{ exitCode: 137 }, ok], [{ exitCode: 130 }, ok], [ok]]), { job: 'Complete', shards: ['succeeded', 'succeeded', 'succeeded'] });
  // Bad settings: the Job fails at once and the running shards are stopped.
  assert.deepEqual(runJob(spec, [[ok], [{ exitCode: 2 }], [ok]]), { job: 'Failed', shards: ['succeeded', 'terminated', 'terminated'] });
  // A shard that cannot get through (3 four times) gives up after its 3 retries; the others still finish.
  assert.deepEqual(runJob(spec, [[ok], [{ exitCode: 3 }, { exitCode: 3 }, { exitCode: 3 }, { exitCode: 3 }, ok], [ok]]),
    { job: 'Failed', shards: ['succeeded', 'failed', 'succeeded'] });
});

test('k8s --schedule: a Job made by hand from the CronJob is a new run each time; a scheduled Job keeps its run name across pod replacements', async () => {
  const o = objects(await k8s(['--db', '--schedule', '0 1 * * *', '--name', 'nightly', '--shards', '2']));
  const c = container(o);
  const envFrom = Object.fromEntries((c.env as Obj[]).filter((e) => e.valueFrom?.fieldRef).map((e) => [e.name, e.valueFrom.fieldRef.fieldPath]));
  assert.deepEqual(envFrom, {
    JOB_NAME: "metadata.labels['batch.kubernetes.io/job-name']",
    JOB_UID: "metadata.labels['batch.kubernetes.io/controller-uid']",
  });
  const runName = (env: Record<string, string>) => after(runPodCommand(c, env), '--run-name');
  const uid1 = '3f2a9c1b-4d5e-4f60-8a7b-0c1d2e3f4a5b';
  const uid2 = '9e8d7c6b-5a49-4b38-9c27-16f5e4d3c2b1';
  // `kubectl create job --from=cronjob/nightly retry`: named by the Job's uid, the same for a replacement pod.
  const manual = runName({ JOB_COMPLETION_INDEX: '1', JOB_NAME: 'retry', JOB_UID: uid1 });
  assert.equal(manual, 'nightly-manual-3f2a9c1b4d5e-1');
  assert.equal(runName({ JOB_COMPLETION_INDEX: '1', JOB_NAME: 'retry', JOB_UID: uid1 }), manual);
  // The same Job name again (deleted and created anew) is a new Job, so a new run.
  assert.notEqual(runName({ JOB_COMPLETION_INDEX: '1', JOB_NAME: 'retry', JOB_UID: uid2 }), manual);
  // A name that merely ends in digits is not a scheduled time.
  assert.equal(runName({ JOB_COMPLETION_INDEX: '0', JOB_NAME: 'nightly-2', JOB_UID: uid2 }), 'nightly-manual-9e8d7c6b5a49-0');
  assert.equal(runName({ JOB_COMPLETION_INDEX: '0', JOB_NAME: 'other-29876543', JOB_UID: uid2 }), 'nightly-manual-9e8d7c6b5a49-0');
  // The CronJob's own Job: the scheduled date, whatever the uid (a pod replaced after midnight continues the night).
  const minutes = String(Date.UTC(2026, 10, 30, 1, 0) / 60_000);
  assert.equal(runName({ JOB_COMPLETION_INDEX: '1', JOB_NAME: `nightly-${minutes}`, JOB_UID: uid1 }), 'nightly-20261130-0100-1');
  // No uid to name a manual run by: a setting error (exit 2), nothing started.
  assert.throws(() => runPodCommand(c, { JOB_COMPLETION_INDEX: '0', JOB_NAME: 'retry', JOB_UID: '' }), (err: { status?: number }) => err.status === 2);
});

test('k8s: this shell\'s DB_* and REPROCESS_* values are not copied into the ConfigMap; it says what came from where', async () => {
  const env = { DB_HOST: 'localhost', DB_PORT: '15432', DB_USER: 'me', REPROCESS_LIMIT: '7', REPROCESS_SERVER: 'http://localhost:8090' };
  const out = await k8s(['--db', '--older-than', '3d'], env);
  const o = objects(out);
  const dir = mkdtempSync(join(tmpdir(), 'k8s-env-'));
  writeFileSync(join(dir, 'config.yaml'), o.ConfigMap!.data['config.yaml']);
  const { settings } = loadSettings({ flags: {}, env: {}, configFile: join(dir, 'config.yaml') });
  assert.equal(settings.dbHost, 'postgres-postgresql.postgres');
  assert.equal(settings.dbPort, 5432);
  assert.equal(settings.dbUser, 'regprcuser');
  assert.equal(settings.server, 'http://regproc-group2.regproc');
  assert.equal(settings.limit, 1000, 'the tool\'s default, not this shell\'s REPROCESS_LIMIT');
  assert.equal(settings.olderThan, 3 * 86400);
  assert.match(out.stderr, /from flags: --older-than/);
  assert.match(out.stderr, /in-cluster defaults: .*--db-host postgres-postgresql\.postgres/);
  assert.match(out.stderr, /not taken from this shell: .*DB_HOST.*DB_PORT.*DB_USER.*REPROCESS_LIMIT/);
  assert.ok(!out.stdout.includes('15432') && !out.stdout.includes('localhost:8090'));

  // Given as flags or in --config, they are rendered, and the output says so.
  writeFileSync(join(dir, 'night.yaml'), 'dbHost: db.internal\nlimit: 500\n');
  const given = await k8s(['--db', '--db-port', '6432', '--config', join(dir, 'night.yaml')], env);
  const g = objects(given).ConfigMap!.data['config.yaml'];
  assert.match(g, /^dbHost: db\.internal$/m);
  assert.match(g, /^dbPort: 6432$/m);
  assert.match(g, /^limit: 500$/m);
  assert.match(given.stderr, /from flags: --db-port/);
  assert.match(given.stderr, new RegExp(`from ${join(dir, 'night.yaml').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: dbHost, limit`));
  assert.ok(!/in-cluster defaults: .*--db-host/.test(given.stderr));

  // A password inside a URL is never rendered (the tool never sends it).
  const withPassword = await k8s(['--db', '--server', 'https://op:url-pass-77@mosip.example']);
  assert.ok(!withPassword.stdout.includes('url-pass-77'));
  assert.match(objects(withPassword).ConfigMap!.data['config.yaml'], /^server: https:\/\/op:\(hidden\)@mosip\.example$/m);
});

// ---- --metrics: the monitoring objects ----

/** The metric names a PromQL expression selects (every VectorSelector's name); throws on a syntax error. */
function promqlMetricNames(expr: string): string[] {
  const tree = promqlParser.parse(expr);
  const names: string[] = [];
  const cursor = tree.cursor();
  do {
    if (cursor.type.isError) throw new Error(`not valid PromQL at ${cursor.from}: ${expr}`);
    if (cursor.name === 'Identifier' && cursor.node.parent?.name === 'VectorSelector') names.push(expr.slice(cursor.from, cursor.to));
  } while (cursor.next());
  return names;
}

/** What the tool really exports: the names in a registry's text (the process metrics included) and METRICS. */
async function exportedNames(): Promise<Set<string>> {
  const registry = new RunMetrics({ reason: null, fixedRate: 1 });
  const processNames = new Set((await registry.text()).split('\n').filter((l) => l.startsWith('# TYPE ')).map((l) => l.split(' ')[2]!));
  const names = exportedSeriesNames([...processNames].filter((n) => !n.startsWith('reprocess_')));
  for (const n of processNames) if (n.startsWith('reprocess_')) assert.ok(names.has(n) || names.has(`${n}_count`), `${n} is exported but not in METRICS`);
  return names;
}

/** Grafana's own variables an expression may use besides the dashboard's. */
const GRAFANA_BUILTINS = new Set(['__rate_interval', '__interval', '__range']);

/**
 * What Grafana needs to load and draw a dashboard from a provisioned file: a uid it accepts, a title and schema
 * version, each variable named and typed, each panel with a unique id, a known type, a place on the 24-column grid
 * that no other panel takes, a data source that is a declared variable, and targets with their own refIds.
 */
function dashboardProblems(d: Obj): string[] {
  const problems: string[] = [];
  if (typeof d.uid !== 'string' || !/^[a-zA-Z0-9_-]{1,40}$/.test(d.uid)) problems.push(`uid ${d.uid}: 1 to 40 letters, digits, - or _`);
  if (typeof d.title !== 'string' || d.title === '') problems.push('no title');
  if (!Number.isInteger(d.schemaVersion) || d.schemaVersion < 36) problems.push('schemaVersion below 36 (data sources by uid)');
  if ('id' in d && d.id !== null) problems.push('a provisioned dashboard has no id');
  const variables = new Set<string>();
  for (const v of (d.templating?.list ?? []) as Obj[]) {
    if (typeof v.name !== 'string' || !['datasource', 'query', 'custom', 'constant', 'interval', 'textbox'].includes(v.type)) problems.push(`variable ${v.name}: name and type`);
    if (v.type === 'query' && v.datasource?.uid !== '${datasource}') problems.push(`variable ${v.name}: its data source is not the datasource variable`);
    variables.add(v.name);
  }
  if (!variables.has('datasource')) problems.push('no datasource variable');
  const ids = new Set<number>();
  const cells = new Set<string>();
  for (const p of d.panels as Obj[]) {
    const where = `panel ${p.id} (${p.title})`;
    if (!Number.isInteger(p.id) || ids.has(p.id)) problems.push(`${where}: id missing or repeated`);
    ids.add(p.id);
    if (!['timeseries', 'stat', 'table', 'gauge', 'bargauge', 'text', 'row'].includes(p.type)) problems.push(`${where}: unknown type ${p.type}`);
    if (typeof p.title !== 'string' || p.title === '') problems.push(`${where}: no title`);
    const g = p.gridPos as Obj;
    if (![g?.x, g?.y, g?.w, g?.h].every((n) => Number.isInteger(n) && n >= 0) || g.w < 1 || g.h < 1 || g.x + g.w > 24) problems.push(`${where}: gridPos`);
    else for (let x = g.x; x < g.x + g.w; x++) for (let y = g.y; y < g.y + g.h; y++) {
      if (cells.has(`${x},${y}`)) problems.push(`${where}: overlaps another panel at ${x},${y}`);
      cells.add(`${x},${y}`);
    }
    if (p.datasource?.type !== 'prometheus' || p.datasource?.uid !== '${datasource}') problems.push(`${where}: data source`);
    const refIds = new Set<string>();
    if (!Array.isArray(p.targets) || p.targets.length === 0) problems.push(`${where}: no targets`);
    for (const t of (p.targets ?? []) as Obj[]) {
      if (typeof t.refId !== 'string' || refIds.has(t.refId)) problems.push(`${where}: refId missing or repeated`);
      refIds.add(t.refId);
      if (typeof t.expr !== 'string' || t.expr === '') problems.push(`${where}: no expr`);
      for (const [, name] of String(t.expr).matchAll(/\$\{?(\w+)/g)) {
        if (!variables.has(name!) && !GRAFANA_BUILTINS.has(name!)) problems.push(`${where}: unknown variable $${name}`);
      }
    }
  }
  return problems;
}

/** Grafana's variables replaced by values of their kind, so that the expression parses as Prometheus will get it. */
const asPrometheusGetsIt = (expr: string) => expr.replace(/\$__rate_interval|\$__interval|\$__range/g, '5m');

test('k8s --metrics: a PodMonitor, a PrometheusRule and a Grafana dashboard ConfigMap that validate, scrape this Job\'s pods on their metrics port, and use only metrics the tool exports', async () => {
  const out = await k8s(['--db', '--shards', '2', '--metrics', '--breaker-patience', '5m', '--stall-alert', '20m']);
  const o = objects(out);
  assert.deepEqual(Object.keys(o).sort(), ['ConfigMap', 'ConfigMap/mosip-reprocess-dashboard', 'Job', 'PersistentVolumeClaim', 'PodMonitor', 'PrometheusRule']);
  for (const secret of [CLIENT_SECRET, DB_SECRET]) assert.ok(!(out.stdout + out.stderr).includes(secret));

  // The pod serves /metrics on every interface of the pod, on the port the PodMonitor scrapes by name; it logs JSON.
  const c = container(o);
  const port = (c.ports as Obj[]).find((p) => p.name === 'metrics');
  assert.equal(port?.containerPort, 9464);
  const dir = mkdtempSync(join(tmpdir(), 'k8s-metrics-'));
  writeFileSync(join(dir, 'config.yaml'), o.ConfigMap!.data['config.yaml']);
  const { settings } = loadSettings({ flags: {}, env: {}, configFile: join(dir, 'config.yaml') });
  assert.equal(settings.metricsPort, 9464);
  assert.equal(settings.metricsHost, '0.0.0.0');
  assert.equal(settings.logFormat, 'json');
  assert.match(out.stderr, /the pod's defaults: --log-format json, --metrics-host 0\.0\.0\.0, --metrics-port 9464/);

  const pm = o.PodMonitor!;
  assert.equal(pm.metadata.namespace, 'regproc');
  const podLabels = (o.Job!.spec.template.metadata.labels) as Record<string, string>;
  for (const [k, v] of Object.entries(pm.spec.selector.matchLabels as Record<string, string>)) assert.equal(podLabels[k], v, `the PodMonitor selects ${k}=${v}: the pods carry it`);
  assert.deepEqual(pm.spec.namespaceSelector.matchNames, ['regproc']);
  assert.equal(pm.spec.podMetricsEndpoints[0].port, 'metrics');
  assert.equal(pm.spec.podMetricsEndpoints[0].path, '/metrics');
  const relabeled = (pm.spec.podMetricsEndpoints[0].relabelings as Obj[]).map((r) => r.targetLabel);
  assert.deepEqual(relabeled, ['reprocess_name', 'shard', 'job_name']);

  // The alerts: the five the operator needs, each expression valid PromQL over the tool's metrics (and, for the
  // Job's failure, kube-state-metrics'), each for as long as the settings say.
  const exported = await exportedNames();
  const rules = (o.PrometheusRule!.spec.groups[0].rules) as Obj[];
  assert.deepEqual(rules.map((r) => r.alert), ['ReprocessRunFailed', 'ReprocessPacketsDropped', 'ReprocessBreakerOpen', 'ReprocessNoProgress', 'ReprocessPacketsInDoubt']);
  for (const r of rules) {
    for (const name of promqlMetricNames(r.expr)) {
      assert.ok(exported.has(name) || (KUBE_STATE_METRICS as readonly string[]).includes(name), `${r.alert}: ${name} is not a metric the tool (or kube-state-metrics) exports`);
    }
    assert.ok(r.labels.severity && r.annotations.summary && r.annotations.description, r.alert);
  }
  const rule = (name: string) => rules.find((r) => r.alert === name)!;
  assert.equal(rule('ReprocessBreakerOpen').for, '5m', 'the breaker alert waits for --breaker-patience');
  assert.equal(rule('ReprocessNoProgress').for, '20m');
  assert.match(rule('ReprocessRunFailed').expr, /kube_job_failed\{namespace="regproc", job_name="reprocess", condition="true"\}/);
  assert.match(rule('ReprocessPacketsInDoubt').expr, /outcome="in_doubt"/);

  // The dashboard: where and how Rancher's Grafana finds it, what Grafana needs, and metrics the tool exports only.
  const cm = o['ConfigMap/mosip-reprocess-dashboard']!;
  assert.equal(cm.metadata.namespace, 'cattle-dashboards');
  assert.equal(cm.metadata.labels.grafana_dashboard, '1');
  const dashboard = JSON.parse(cm.data['mosip-reprocess.json']) as Obj;
  assert.deepEqual(dashboardProblems(dashboard), []);
  const exprs = [
    ...(dashboard.panels as Obj[]).flatMap((p) => (p.targets as Obj[]).map((t) => t.expr as string)),
    ...(dashboard.templating.list as Obj[]).filter((v) => v.type === 'query').map((v) => (v.query.query as string).replace(/^label_values\((.*), \w+\)$/, '$1')),
  ];
  const used = new Set<string>();
  for (const expr of exprs) {
    for (const name of promqlMetricNames(asPrometheusGetsIt(expr))) {
      assert.ok(exported.has(name), `the dashboard uses ${name}, which the tool does not export (${expr})`);
      used.add(name);
    }
  }
  const titles = (dashboard.panels as Obj[]).map((p) => p.title as string);
  for (const wanted of [/by outcome/, /^Rate$/, /^In flight$/, /^Pipeline wait/, /^Dropped/, /^Remaining$/]) assert.ok(titles.some((t) => wanted.test(t)), `a panel ${wanted}`);
  for (const metric of ['reprocess_notifications_total', 'reprocess_in_flight', 'reprocess_pipeline_wait_seconds', 'reprocess_dropped_total', 'reprocess_packets_remaining', 'reprocess_send_rate']) assert.ok(used.has(metric), metric);

  // The helpers catch what they are for.
  assert.throws(() => promqlMetricNames('sum(rate(reprocess_notifications_total[5m])'), /not valid PromQL/);
  assert.deepEqual(dashboardProblems({ ...dashboard, panels: [...dashboard.panels, { ...dashboard.panels[0], id: 99 }] }).length > 0, true, 'an overlapping panel is caught');
});

test('k8s --metrics with --schedule: the failed-Job alert follows every Job the CronJob owns; without --metrics nothing is scraped but the pods still log JSON; bad monitoring options exit 2', async () => {
  const cron = objects(await k8s(['--db', '--schedule', '0 1 * * *', '--name', 'nightly', '--metrics', '--metrics-port', '9100']));
  const failed = (cron.PrometheusRule!.spec.groups[0].rules as Obj[]).find((r) => r.alert === 'ReprocessRunFailed')!;
  assert.match(failed.expr, /kube_job_owner\{namespace="regproc", owner_kind="CronJob", owner_name="nightly"\}/);
  assert.deepEqual(promqlMetricNames(failed.expr), ['kube_job_failed', 'kube_job_owner']);
  assert.equal((container(cron).ports as Obj[])[0]!.containerPort, 9100, 'the given --metrics-port');
  assert.equal(cron.PodMonitor!.spec.selector.matchLabels['app.kubernetes.io/instance'], 'nightly');

  const plain = await k8s(['--db']);
  const p = objects(plain);
  assert.deepEqual(Object.keys(p).sort(), ['ConfigMap', 'Job', 'PersistentVolumeClaim']);
  assert.equal(container(p).ports, undefined);
  assert.match(p.ConfigMap!.data['config.yaml'], /^logFormat: json$/m);
  assert.doesNotMatch(p.ConfigMap!.data['config.yaml'], /metrics/);
  // The operator's choice wins over the pod's default.
  assert.match(objects(await k8s(['--db', '--log-format', 'text'])).ConfigMap!.data['config.yaml'], /^logFormat: text$/m);

  for (const [args, message] of [
    [['--db', '--metrics', '--stall-alert', '10'], /--stall-alert "10": must be a duration/],
    [['--db', '--metrics', '--stall-alert', '30s'], /--stall-alert "30s": must be a duration .* from 1m to 1d/],
    [['--db', '--metrics', '--dashboard-namespace', 'Bad_NS'], /--dashboard-namespace "Bad_NS"/],
    [['--db', '--metrics', '--metrics-port', '70000'], /--metrics-port/],
    [['--db', '--metrics', '--dry-run'], /--metrics does not go with --dry-run/],
  ] as [string[], RegExp][]) {
    const bad = await k8s(args);
    assert.equal(bad.code, 2, `${args.join(' ')}: ${bad.stderr}`);
    assert.equal(bad.stdout, '');
    assert.match(bad.stderr, message);
  }
});
