// --dry-run: what a run would take, with breakdowns; nothing is sent and no token is fetched.
import type pg from 'pg';
import type { Settings } from '../config/settings.js';
import { InputError } from '../errors.js';
import { loadPacketsFromArg, loadPacketsFromFile } from '../source/loadPackets.js';
import { utcCutoff } from '../sql/selectEligible.js';
import { criteriaOf, withDb, type Mode } from './packetSource.js';
import type { Io, RunFlags } from './runCommand.js';

export async function dryRun(mode: Mode, flags: RunFlags, s: Settings, pool: pg.Pool | null, io: Io): Promise<number> {
  const { buildDbDryRun, buildListDryRun, renderDryRun } = await import('../report/dryRun.js');
  let report;
  if (mode === 'db') {
    if (s.queryFile) throw new InputError('--dry-run with --query-file: run the query yourself; the breakdown covers the built-in selection');
    const db = pool!;
    const criteria = criteriaOf(s, await withDb(s, () => utcCutoff(db, s.olderThan)));
    report = await withDb(s, () => buildDbDryRun(db, s.dbSchema, criteria, s.limit, 10));
  } else {
    const loaded = await withDb(s, () => mode === 'file'
      ? loadPacketsFromFile(flags.file!, pool, s.dbSchema)
      : loadPacketsFromArg(flags.registration!, pool, s.dbSchema));
    const criteria = pool ? criteriaOf(s, await withDb(s, () => utcCutoff(pool, s.olderThan))) : null;
    report = await withDb(s, () => buildListDryRun(pool, s.dbSchema, loaded.packets, criteria, 10, s.limit));
  }
  io.out(s.json ? JSON.stringify(report) : renderDryRun(report));
  return 0;
}
