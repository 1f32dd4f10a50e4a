// `verify`: every packet a run notified, in any of its attempts, looked up in the database now.
import { loadSettings } from '../config/load.js';
import { createPool } from '../db/connect.js';
import { openRun } from '../journal/runStore.js';
import { readWholeRun } from '../journal/wholeRun.js';
import { verifyPackets, type VerifyReport } from '../report/verify.js';
import { dbSettingsOf, withDb } from '../source/openSource.js';

export interface VerifyRequest {
  runId: string;
  /** Flags as the command line gives them (runsDir, dbUrl, schema...), over the environment and config file. */
  flags: Record<string, unknown>;
  env: NodeJS.ProcessEnv;
  configFile?: string | undefined;
}

export async function verifyRun(request: VerifyRequest): Promise<VerifyReport> {
  const { settings } = loadSettings({ flags: request.flags, env: request.env, configFile: request.configFile });
  const whole = readWholeRun(openRun(settings.runsDir, request.runId));
  const entries = whole.notified.map((p) => ({
    workflowInstanceId: p.workflowInstanceId, rid: p.rid, outcome: p.outcome, startedAt: p.startedAt,
  }));
  const pool = createPool(dbSettingsOf(settings));
  try {
    return await withDb(settings, () => verifyPackets(pool, settings.dbSchema, entries));
  } finally {
    await pool.end().catch(() => undefined);
  }
}
