// --dry-run: what a run would take, with breakdowns; nothing is sent, no token is fetched, nothing is written.
import { createPool } from '../db/connect.js';
import { buildDbDryRun, buildListDryRun, listWarningMessage, type DryRunReport } from '../report/dryRun.js';
import { loadPacketsFromArg, loadPacketsFromFile } from '../source/loadPackets.js';
import { criteriaOf } from '../source/openSource.js';
import { dbSettingsOf, withDb } from '../db/runDatabase.js';
import { utcCutoff } from '../sql/selectEligible.js';
import type { RunRequest } from './request.js';
import { droppedMeaning } from '../pacer/pipelineWatch.js';

export async function dryRunReprocess(request: RunRequest): Promise<DryRunReport> {
  const report = await dryRunReport(request);
  const s = request.settings;
  if (s.pace === 'auto') report.pace = { maxWaitSeconds: s.maxWait ?? s.messageMaxAge / 2, dropped: droppedMeaning(s.messageMaxAge) };
  return report;
}

async function dryRunReport(request: RunRequest): Promise<DryRunReport> {
  const { mode, flags, settings: s } = request;
  const pool = request.dbConfigured ? createPool(dbSettingsOf(s)) : null;
  try {
    if (mode === 'db') {
      const db = pool!;
      const criteria = criteriaOf(s, await withDb(s, () => utcCutoff(db, s.olderThan)));
      return await withDb(s, () => buildDbDryRun(db, s.dbSchema, criteria, s.limit, 10));
    }
    const loaded = await withDb(s, () => mode === 'file'
      ? loadPacketsFromFile(flags.file!, pool, s.dbSchema)
      : loadPacketsFromArg(flags.registration!, pool, s.dbSchema));
    const criteria = pool ? criteriaOf(s, await withDb(s, () => utcCutoff(pool, s.olderThan))) : null;
    const report = await withDb(s, () => buildListDryRun(pool, s.dbSchema, loaded.packets, criteria, 10, s.limit));
    const taken = loaded.takenFromRow;
    if (taken.count > 0) report.warnings.push({ code: 'taken_from_row', count: taken.count, message: listWarningMessage('taken_from_row', taken.count), examples: taken.examples });
    return report;
  } finally {
    await pool?.end().catch(() => undefined);
  }
}
