// Starts a throw-away PostgreSQL server for the tests: initdb + pg_ctl from Debian's postgresql package, in a
// temp dir, on a free loopback port. As root (CI, these machines) it runs them as the `postgres` user, since
// PostgreSQL refuses to run as root.
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { freePort } from '@mosip-reprocess/simulator/embedded/pglite.js';

export interface RealPostgres {
  url: string;
  port: number;
  version: string;
  dataDir: string;
  /** Restarts the server process (same data, same port). */
  restart(): void;
  stop(): void;
}

/** Directory holding initdb and pg_ctl, or null when PostgreSQL is not installed. */
export function findPostgresBinDir(): string | null {
  const candidates: string[] = [];
  const debianRoot = '/usr/lib/postgresql';
  if (existsSync(debianRoot)) {
    const versions = readdirSync(debianRoot).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
    for (const v of versions) candidates.push(join(debianRoot, v, 'bin'));
  }
  for (const dir of (process.env.PATH ?? '').split(delimiter)) if (dir) candidates.push(dir);
  for (const dir of candidates) {
    if (existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) return dir;
  }
  return null;
}

function runAs(user: string | null, command: string, args: string[]): void {
  const [cmd, argv] = user ? ['runuser', ['-u', user, '--', command, ...args]] : [command, args];
  const result = spawnSync(cmd, argv, { encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(`${command} failed (${result.status}): ${result.stderr || result.stdout}`);
  }
}

/**
 * Restarts the harness's server (same data dir, same port: pg_ctl reuses postmaster.opts), as a failover or
 * maintenance restart would. Test files reach it through TEST_PG_BIN_DIR and TEST_PG_DATA_DIR.
 */
export function restartPostgres(binDir: string, dataDir: string): void {
  const user = process.getuid?.() === 0 ? 'postgres' : null;
  // -l: the server must not inherit our pipes, or the call would wait for it to exit.
  runAs(user, join(binDir, 'pg_ctl'), ['-D', dataDir, '-l', join(dirname(dataDir), 'server.log'), '-m', 'fast', '-w', '-t', '60', 'restart']);
}

export async function startRealPostgres(binDir: string): Promise<RealPostgres> {
  const asRoot = process.getuid?.() === 0;
  const user = asRoot ? 'postgres' : null;
  const root = mkdtempSync(join(tmpdir(), 'reprocess-pg-'));
  const dataDir = join(root, 'data');
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(root, uid, gid);
  }
  const initdb = join(binDir, 'initdb');
  const pgCtl = join(binDir, 'pg_ctl');
  runAs(user, initdb, ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
  const port = await freePort();
  const options = `-p ${port} -k ${root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200 -c TimeZone=UTC`;
  const start = () => runAs(user, pgCtl, ['-D', dataDir, '-o', options, '-l', join(root, 'server.log'), '-w', '-t', '60', 'start']);
  start();
  const version = execFileSync(join(binDir, 'postgres'), ['--version'], { encoding: 'utf8' }).trim();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    version,
    dataDir,
    restart: () => restartPostgres(binDir, dataDir),
    stop() {
      try {
        runAs(user, pgCtl, ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    },
  };
}
