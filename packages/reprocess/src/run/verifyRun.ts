// `verify`: every packet a run notified, in any of its attempts, looked up in the database now.
import { loadSettings } from '../config/load.js';
import { createPool } from '../db/connect.js';
import { openRun } from '../journal/runStore.js';
import { withRunDatabase } from '../journal/runIdentity.js';
import { notifiedPackets } from '../journal/wholeRun.js';
import { verifyPackets, type VerifyReport } from '../report/verify.js';
import { dbSettingsOf, withDb } from '../db/runDatabase.js';

export interface VerifyRequest {
  runId: string;
  /** Flags as the command line gives them (runsDir, dbUrl, schema...), over the environment and config file. */
  flags: Record<string, unknown>;
  env: NodeJS.ProcessEnv;
  configFile?: string | undefined;
}

export async function verifyRun(request: VerifyRequest): Promise<VerifyReport> {
  const given = loadSettings({ flags: request.flags, env: request.env, configFile: request.configFile });
  const run = openRun(given.settings.runsDir, request.runId);
  // The rows of the run's own database (journal/runIdentity.ts), never a default one.
  const { settings, origins } = withRunDatabase(run, given, true).loaded;
  // The age limit the run itself used, unless given now.
  const stored = (run.meta.settings as { messageMaxAge?: unknown } | undefined)?.messageMaxAge;
  const messageMaxAgeSeconds = 'messageMaxAge' in origins || typeof stored !== 'number' ? settings.messageMaxAge : stored;
  const entries = notifiedPackets(run).map((p) => ({
    workflowInstanceId: p.workflowInstanceId, rid: p.rid, outcome: p.outcome, startedAt: p.startedAt, before: p.before ?? null,
  }));
  const pool = createPool(dbSettingsOf(settings));
  try {
    return await withDb(settings, () => verifyPackets(pool, settings.dbSchema, entries, { messageMaxAgeSeconds }));
  } finally {
    await pool.end().catch(() => undefined);
  }
}
