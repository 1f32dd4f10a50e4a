// The --file and --registration inputs end to end: parse and validate everything, then complete RID-only
// entries from the database. Any problem is an InputError (exit 2) raised before a packet is returned.
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import type { Packet } from '../domain/packet.js';
import { InputError } from '../errors.js';
import { completeFromDb, type TakenFromRow } from './completeFromDb.js';
import { EntryDeduper } from './dedupe.js';
import { readPacketFile } from './fileSource.js';
import { parsePacketLine, type ParsedEntry } from './packetLine.js';
import { ProblemList } from './problems.js';

export interface LoadedPackets {
  packets: Packet[];
  /** Input entries dropped because they name a packet already listed (report as a warning). */
  duplicates: number;
  /** Lines whose iteration or source disagreed with their row: the row's are sent (report as a warning). */
  takenFromRow: TakenFromRow;
}

/** The warning for lines whose iteration or source the row overrode, or null. */
export function takenFromRowMessage(t: TakenFromRow): string | null {
  if (t.count === 0) return null;
  const more = t.count > t.examples.length ? `\n  ... and ${t.count - t.examples.length} more` : '';
  return `${t.count} listed packet(s) give an iteration or source other than their registration row's: the row's are sent `
    + `(MOSIP's own senders send the row's values):\n  ${t.examples.join('\n  ')}${more}`;
}

/** db may be null when every line is complete; a RID-only line then fails with "needs the database". */
export async function loadPacketsFromFile(path: string, db: Queryable | null, schema: string): Promise<LoadedPackets> {
  const { entries, duplicates } = await readPacketFile(path);
  const { packets, takenFromRow } = await completeFromDb(db, schema, entries);
  return { packets, duplicates: duplicates + entries.length - packets.length, takenFromRow };
}

/** One or more --registration values; several get origins "--registration #1", "--registration #2", ... */
export async function loadPacketsFromArg(
  values: string | readonly string[], db: Queryable | null, schema: string,
): Promise<LoadedPackets> {
  const list = typeof values === 'string' ? [values] : values;
  if (list.length === 0) throw new InputError('--registration: no value given; nothing was sent');
  const problems = new ProblemList();
  const deduper = new EntryDeduper();
  const entries: ParsedEntry[] = [];
  let duplicates = 0;
  list.forEach((value, i) => {
    const origin = list.length === 1 ? '--registration' : `--registration #${i + 1}`;
    const parsed = parsePacketLine(value, origin);
    if (parsed.kind === 'skip') return problems.add(origin, [{ reason: 'is empty or a comment' }]);
    if (parsed.kind === 'problem') return problems.add(origin, parsed.issues);
    const outcome = deduper.add(parsed);
    if (outcome.kind === 'conflict') problems.add(origin, outcome.issues);
    else if (outcome.kind === 'duplicate') duplicates++;
    else entries.push(parsed);
  });
  problems.throwIfAny('--registration');
  const { packets, takenFromRow } = await completeFromDb(db, schema, entries);
  return { packets, duplicates: duplicates + entries.length - packets.length, takenFromRow };
}
