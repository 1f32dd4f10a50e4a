// --cohort <id> (repeatable) and --by-cohort: checked with the other flags, before anything is read or sent. Whether
// an id names a cohort of this selection is known only once the selection is read (src/run/cohortStage.ts).
import { InputError } from '../errors.js';
import { COHORT_ID } from '../domain/cohort.js';

export function checkCohortFlags(flags: { cohort?: string[] | string; byCohort?: boolean; canary?: boolean; dryRun?: boolean }, dbConfigured: boolean): void {
  const ids = cohortIdsOf(flags.cohort);
  for (const id of ids) {
    if (!COHORT_ID.test(id)) {
      throw new InputError(`--cohort "${id}": not a cohort id (they look like c1a2b3c4d, as \`reprocess triage\` prints them)`);
    }
  }
  if (flags.byCohort && !flags.canary) throw new InputError('--by-cohort sends one canary per cohort: use it with --canary');
  if ((ids.length > 0 || flags.byCohort) && flags.dryRun) {
    throw new InputError(`${ids.length > 0 ? '--cohort' : '--by-cohort'} with --dry-run: \`reprocess triage\` shows each cohort, its packets and what a run would do with them`);
  }
  if ((ids.length > 0 || flags.byCohort) && !dbConfigured) {
    throw new InputError(`${ids.length > 0 ? '--cohort' : '--by-cohort'} reads the packets' history in the database: configure it (DB_HOST or --db-url)`);
  }
}

/** The --cohort values, lower-cased, each once. */
export function cohortIdsOf(value: string[] | string | undefined): string[] {
  if (value === undefined) return [];
  return [...new Set((typeof value === 'string' ? [value] : value).map((v) => v.trim().toLowerCase()))];
}
