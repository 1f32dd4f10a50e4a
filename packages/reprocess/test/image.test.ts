// The container image (`npm run image`). Containers cannot run on these machines (no cgroups), so the image is
// checked the way its files would run in a pod: `podman image mount` (read-only, like readOnlyRootFilesystem),
// a temporary directory bound onto /data (the PVC), and the tool run inside with chroot as the image's non-root
// user: --help, a dry run against this machine's PostgreSQL, and a run against the simulator on 127.0.0.1.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator } from '@mosip-reprocess/simulator/sim/server.js';
import { insertRegistrations } from '@mosip-reprocess/simulator/sql/registrationRows.js';
import { freshSchema, TEST_DB_URL, type TestSchema } from '@mosip-reprocess/testkit/db.js';
import { stuckRow } from '@mosip-reprocess/testkit/rows.js';

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
const IMAGE = `localhost/mosip-reprocess:${VERSION}`;
const UID = 10001;
const SECRET = 'image-test-client-secret';

function has(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Why the image cannot be checked here, or false. */
function skipReason(): string | false {
  if (!has('podman')) return 'podman is not installed (the CI installs it and runs `npm run image` first)';
  if (process.getuid?.() !== 0) return 'mounting the image and chroot need root';
  try {
    execFileSync('podman', ['image', 'exists', IMAGE], { stdio: 'ignore' });
  } catch {
    return `the image ${IMAGE} is not built (run \`npm run image\`)`;
  }
  return false;
}
const SKIP = skipReason();

let root = '';
let data = '';
let db: TestSchema;
before(async () => {
  if (SKIP) return;
  db = await freshSchema('image');
  root = execFileSync('podman', ['image', 'mount', IMAGE], { encoding: 'utf8' }).trim();
  data = mkdtempSync(join(tmpdir(), 'reprocess-image-data-'));
  execFileSync('chown', [`${UID}:${UID}`, data]);
  execFileSync('mount', ['--bind', data, join(root, 'data')]);
});
after(async () => {
  if (SKIP) return;
  try { execFileSync('umount', [join(root, 'data')]); } catch { /* not mounted */ }
  try { execFileSync('podman', ['image', 'unmount', IMAGE], { stdio: 'ignore' }); } catch { /* already */ }
  await db.drop();
});

interface Out { code: number; stdout: string; stderr: string }
/** `reprocess <args>` inside the image, as uid 10001, with the image's environment (PATH, /data/runs, /data/logs). */
function inImage(args: string[], env: Record<string, string> = {}): Promise<Out> {
  const imageEnv = JSON.parse(execFileSync('podman', ['image', 'inspect', '--format', '{{json .Config.Env}}', IMAGE], { encoding: 'utf8' })) as string[];
  return new Promise((resolve) => {
    execFile('chroot', ['--userspec', `${UID}:${UID}`, root, 'env', '-i', ...imageEnv, ...Object.entries(env).map(([k, v]) => `${k}=${v}`), 'sh', '-c', 'cd /data && exec reprocess "$@"', 'reprocess', ...args],
      (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });
}

test('image: production files only, a non-root user, --help runs inside it', { skip: SKIP }, async () => {
  const modules = join(root, 'opt', 'reprocess', 'node_modules');
  assert.ok(existsSync(join(modules, 'mosip-reprocess', 'dist', 'src', 'cli', 'main.js')));
  assert.ok(existsSync(join(modules, 'mosip-reprocess', 'dist', 'bundle', 'reprocess.cjs')), 'the CLI\'s bundle, which bin/reprocess.js runs');
  assert.ok(existsSync(join(modules, 'mosip-reprocess', 'dist', 'bundle', 'undici.cjs')));
  assert.ok(existsSync(join(modules, '@mosip-reprocess', 'contract')));
  assert.ok(existsSync(join(modules, 'prom-client')), 'the metrics need prom-client');
  for (const absent of ['@mosip-reprocess/simulator', '@mosip-reprocess/testkit', '@electric-sql/pglite', 'typescript', 'kubernetes-models', '@kubernetes-models/prometheus-operator', '@prometheus-io/lezer-promql']) {
    assert.ok(!existsSync(join(modules, absent)), `${absent} must not be in the image`);
  }
  assert.match(readFileSync(join(root, 'etc', 'passwd'), 'utf8'), /^reprocess:x:10001:10001:/m);
  const user = execFileSync('podman', ['image', 'inspect', '--format', '{{.Config.User}}', IMAGE], { encoding: 'utf8' }).trim();
  assert.equal(user, `${UID}:${UID}`);
  // A pod's output goes to fluentd: JSON log lines unless the operator says otherwise.
  const imageEnv = JSON.parse(execFileSync('podman', ['image', 'inspect', '--format', '{{json .Config.Env}}', IMAGE], { encoding: 'utf8' })) as string[];
  assert.ok(imageEnv.includes('REPROCESS_LOG_FORMAT=json'), imageEnv.join(' '));
  const help = await inImage(['--help']);
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /Restart stuck MOSIP registration packets/);
  const node = await new Promise<string>((res) => execFile('chroot', ['--userspec', `${UID}:${UID}`, root, '/usr/local/bin/node', '--version'], (_e, out) => res(out.trim())));
  assert.match(node, /^v20\./);
  // The CronJob's pod turns its Job's scheduled minute into a date with the image's own sh and date.
  const stamp = execFileSync('chroot', ['--userspec', `${UID}:${UID}`, root, 'sh', '-c', 'date -u -d "@$(( 29410260 * 60 ))" +%Y%m%d-%H%M'], { encoding: 'utf8' }).trim();
  assert.equal(stamp, new Date(29410260 * 60_000).toISOString().replace(/^(\d+)-(\d+)-(\d+)T(\d+):(\d+).*$/, '$1$2$3-$4$5'));
});

test('image: a dry run against this machine\'s PostgreSQL, then a run against the simulator, writing only under /data', { skip: SKIP }, async () => {
  const rows = Array.from({ length: 6 }, () => stuckRow());
  await insertRegistrations(db.pool, db.schema, rows);
  const env = { REPROCESS_DB_URL: TEST_DB_URL, DB_SCHEMA: db.schema };
  const dry = await inImage(['--db', '--dry-run', '--json'], env);
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /"matched":6\b/);
  assert.deepEqual(readdirSync(data), [], 'a dry run writes nothing');

  const sim = await startSimulator({ db: db.pool, schema: db.schema, clients: [{ secret: SECRET }] });
  try {
    const run = await inImage(['--db', '--run-name', 'image-1', '--delay', '0', '--server', sim.url], { ...env, REGPROC_CLIENT_PWD: SECRET });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(sim.stats().forwardedTotal, 6);
    // Journal and logs are on the "volume", owned by the image's user.
    assert.ok(readdirSync(join(data, 'runs')).length === 1);
    assert.ok(existsSync(join(data, 'logs', 'out.log')));
    assert.equal(statSync(join(data, 'runs')).uid, UID);
    // The same name again: the run finished, nothing is sent twice.
    const again = await inImage(['--db', '--run-name', 'image-1', '--delay', '0', '--server', sim.url], { ...env, REGPROC_CLIENT_PWD: SECRET });
    assert.equal(again.code, 0, again.stderr);
    assert.equal(sim.stats().forwardedTotal, 6);
  } finally {
    await sim.close();
  }
});
