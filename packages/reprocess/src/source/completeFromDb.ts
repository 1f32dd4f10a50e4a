// Turns parsed entries into packets. A RID-only line takes process, workflow instance, iteration and source
// from the one live registration row of that RID; none or several live rows is an error, never a guess.
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import type { Packet } from '../domain/packet.js';
import { findRegistrationsByRid, type RegistrationByRidRow } from '../sql/findRegistrationsByRid.js';
import { EntryDeduper } from './dedupe.js';
import type { FullEntry, ParsedEntry, RidOnlyEntry } from './packetLine.js';
import { ProblemList } from './problems.js';

/**
 * One packet per distinct workflow instance, in input order. An entry that resolves to a workflow instance
 * listed earlier is dropped (so the result can be shorter than entries). db may be null when no entry is
 * RID-only. Throws an InputError listing every RID that is not found, ambiguous, or could not be looked up.
 */
export async function completeFromDb(
  db: Queryable | null, schema: string, entries: readonly ParsedEntry[],
): Promise<Packet[]> {
  const ridOnly = entries.filter((e): e is RidOnlyEntry => e.kind === 'rid');
  const rowsByRid = new Map<string, RegistrationByRidRow[]>();
  if (ridOnly.length > 0 && db) {
    for (const row of await findRegistrationsByRid(db, schema, ridOnly.map((e) => e.rid))) {
      const list = rowsByRid.get(row.reg_id) ?? [];
      list.push(row);
      rowsByRid.set(row.reg_id, list);
    }
  }

  const problems = new ProblemList();
  const deduper = new EntryDeduper();
  const kept: FullEntry[] = [];
  for (const entry of entries) {
    // A copy: the deduper fills a kept entry's unstated fields from later duplicates.
    const full = entry.kind === 'full' ? { ...entry } : resolve(entry, db ? rowsByRid.get(entry.rid) ?? [] : null, problems);
    if (!full) continue;
    const outcome = deduper.add(full);
    if (outcome.kind === 'conflict') problems.add(full.origin, outcome.issues);
    if (outcome.kind === 'new') kept.push(full);
  }
  problems.throwIfAny('input lines that cannot be completed from the database');
  return kept.map(toPacket);
}

/** The entry completed from its RID's live rows (null rows: no database), or null after reporting why not. */
function resolve(entry: RidOnlyEntry, rows: RegistrationByRidRow[] | null, problems: ProblemList): FullEntry | null {
  if (rows === null) {
    problems.add(entry.origin, [{ field: 'reg_id', reason: `${entry.rid} has no process or workflow instance id and needs the database to complete it` }]);
    return null;
  }
  const [row, ...others] = rows;
  if (!row) {
    problems.add(entry.origin, [{ field: 'reg_id', reason: `${entry.rid} not found: no active, not deleted registration row` }]);
    return null;
  }
  if (others.length > 0) {
    const candidates = rows.map((r) => `${r.workflow_instance_id} (${r.process})`).join(', ');
    problems.add(entry.origin, [{
      field: 'reg_id',
      reason: `${entry.rid} is ambiguous: ${rows.length} active registration rows, workflow instances ${candidates}; give the wanted workflow_instance_id (and process) on the line`,
    }]);
    return null;
  }
  return {
    kind: 'full',
    rid: row.reg_id,
    process: row.process,
    workflowInstanceId: row.workflow_instance_id,
    iteration: row.iteration ?? 1,
    source: row.source,
    origin: entry.origin,
  };
}

/** Defaults for what a full line leaves out: iteration 1 (MOSIP's stage needs one), no source. */
function toPacket(entry: FullEntry): Packet {
  return {
    rid: entry.rid,
    process: entry.process,
    workflowInstanceId: entry.workflowInstanceId,
    iteration: entry.iteration ?? 1,
    source: entry.source,
    origin: entry.origin,
  };
}
