// `report <run-id> --html [file] --csv [file]` as a library call: resolves the settings (runs directory,
// database), writes the files, and says where the packets are now when a database is configured.
import { join, resolve } from 'node:path';
import { loadSettings } from '../../config/load.js';
import { createPool } from '../../db/connect.js';
import { openRun } from '../../journal/runStore.js';
import { dbSettingsOf } from '../../db/runDatabase.js';
import { withRunDatabase } from '../../journal/runIdentity.js';
import { writeRunCsv } from '../csv.js';
import { writeRunHtml } from './buildRunReport.js';

export interface ReportFilesRequest {
  runId: string;
  /** Flags as the command line gives them (runsDir, dbUrl, schema), over the environment and config file. */
  flags: Record<string, unknown>;
  env: NodeJS.ProcessEnv;
  configFile?: string | undefined;
  /** true: <run dir>/report.html. */
  html?: string | true;
  /** true: <run dir>/packets.csv. */
  csv?: string | true;
}

export interface ReportFiles {
  html: { path: string; packets: number; notForwarded: number } | null;
  csv: { path: string; packets: number; withWhereNow: boolean } | null;
  /** What could not be shown, and why (no database configured, or it could not be read). */
  notes: string[];
}

export async function writeReportFiles(request: ReportFilesRequest): Promise<ReportFiles> {
  const given = loadSettings({ flags: request.flags, env: request.env, configFile: request.configFile });
  const run = openRun(given.settings.runsDir, request.runId);
  // "Where now" reads a database only when one is given, and then only the run's own (journal/runIdentity.ts).
  const wantsDb = 'dbUrl' in given.origins || 'dbHost' in given.origins;
  const { settings } = wantsDb ? withRunDatabase(run, given, true).loaded : given;
  const pool = wantsDb ? createPool(dbSettingsOf(settings)) : null;
  const target = (given: string | true, name: string) => resolve(given === true ? join(run.dir, name) : given);
  const out: ReportFiles = { html: null, csv: null, notes: [] };
  try {
    if (request.html) {
      const path = target(request.html, 'report.html');
      const csvCommand = `reprocess report ${run.id} --csv${settings.runsDir !== 'reprocess-runs' ? ` --runs-dir ${settings.runsDir}` : ''}`;
      const r = await writeRunHtml(run, path, { db: pool, schema: settings.dbSchema, csvCommand });
      if (!r.whereNow) out.notes.push(r.whereNowNote);
      out.html = { path, packets: r.packets, notForwarded: r.notForwarded };
    }
    if (request.csv) {
      const path = target(request.csv, 'packets.csv');
      const r = await writeRunCsv(run.journalPath, path, pool, settings.dbSchema, run.meta.resumes);
      if (r.dbError) out.notes.push(`the database could not be read; the CSV's "now_" columns are empty: ${r.dbError}`);
      out.csv = { path, packets: r.packets, withWhereNow: r.withWhereNow };
    }
    return out;
  } finally {
    await pool?.end().catch(() => undefined);
  }
}
