// Turns parsed entries into packets. A RID-only line takes process, workflow instance, iteration and source
// from the one live registration row of that RID; none or several live rows is an error, never a guess. With a
// database, a full line (rid, process, workflow id) takes iteration and source from its row too: the securezone
// stage forwards what the message says, MOSIP's own senders put the row's values there (docs/mosip-facts.md,
// "Request body"), and a line that leaves them out, or gets them wrong, would send the wrong ones.
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import type { Packet } from '../domain/packet.js';
import { findRegistrationsByRid, type RegistrationByRidRow } from '../sql/findRegistrationsByRid.js';
import { findRegistrationsByWorkflowId } from '../sql/findRegistrationsByWorkflowId.js';
import { workflowKey } from '../domain/packetKey.js';
import { EntryDeduper } from './dedupe.js';
import type { FullEntry, ParsedEntry, RidOnlyEntry } from './packetLine.js';
import { ProblemList } from './problems.js';

/** Lines whose iteration or source differ from their row's: the row's were taken ("<origin>: <wf>: ..."). */
export interface TakenFromRow {
  count: number;
  examples: string[];
}

const TAKEN_EXAMPLES = 20;

/**
 * One packet per distinct workflow instance, in input order. An entry that resolves to a workflow instance
 * listed earlier is dropped (so the result can be shorter than entries). db may be null when no entry is
 * RID-only. Throws an InputError listing every RID that is not found, ambiguous, or could not be looked up.
 */
export async function completeFromDb(
  db: Queryable | null, schema: string, entries: readonly ParsedEntry[],
): Promise<{ packets: Packet[]; takenFromRow: TakenFromRow }> {
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
  const takenFromRow = db ? await takeRowValues(db, schema, kept) : { count: 0, examples: [] };
  return { packets: kept.map(toPacket), takenFromRow };
}

/** Sets each entry's iteration and source to its row's (entries without a row keep the line's); counts the disagreements. */
async function takeRowValues(db: Queryable, schema: string, entries: FullEntry[]): Promise<TakenFromRow> {
  const rows = new Map((await findRegistrationsByWorkflowId(db, schema, entries.map((e) => e.workflowInstanceId)))
    .map((r) => [workflowKey(r.workflow_instance_id), r]));
  const taken: TakenFromRow = { count: 0, examples: [] };
  for (const entry of entries) {
    const row = rows.get(workflowKey(entry.workflowInstanceId));
    if (!row) continue;
    const iteration = row.iteration ?? 1;
    const differ: string[] = [];
    if (entry.iteration !== null && entry.iteration !== iteration) differ.push(`iteration ${entry.iteration}, the row ${iteration}`);
    if (entry.source !== null && entry.source !== row.source) differ.push(`source ${entry.source}, the row ${row.source ?? 'NULL (not sent)'}`);
    entry.iteration = iteration;
    entry.source = row.source;
    if (differ.length === 0) continue;
    taken.count += 1;
    if (taken.examples.length < TAKEN_EXAMPLES) taken.examples.push(`${entry.origin}: ${entry.workflowInstanceId}: the line gives ${differ.join('; ')}`);
  }
  return taken;
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
