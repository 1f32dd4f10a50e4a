// `reprocess report <run-id> --csv`: one line per packet the run handled (its whole-run outcome, after every
// resume), and where it is now when the database is reachable. Streamed: the journal is read line by line and
// the file written in blocks, so a run of millions of packets takes flat memory.
import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import type { PacketRowNow } from '../sql/selectRowsSinceSend.js';
import type { VerifyClass } from './verify.js';
import { packetFinals, type PacketFinal } from './html/packetFinals.js';
import { readJournalStats } from './html/journalStats.js';
import { whereNow } from './html/whereNow.js';

export const CSV_HEADER = [
  'rid', 'process', 'workflow_instance_id', 'stage_before', 'outcome', 'http_status', 'reply', 'attempts', 'sent_at_utc',
  'now_class', 'now_status_code', 'now_latest_trn_type_code', 'now_latest_trn_status_code', 'now_latest_trn_dtimes_utc',
] as const;

/** One CSV field (RFC 4180); text that a spreadsheet would run as a formula is prefixed with a quote. */
export function csvField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(p: PacketFinal, cls: VerifyClass | null, row: PacketRowNow | null): string {
  return [
    p.rid, p.process, p.wf, p.stage, p.outcome, p.http, p.reply, p.attempts, p.startedAt,
    cls, row?.statusCode, row?.latestTrnTypeCode, row?.latestTrnStatusCode, row?.latestTrnDtimes,
  ].map(csvField).join(',') + '\r\n';
}

export interface CsvResult {
  packets: number;
  /** false: the "now_" columns are empty (no database, or it could not be read: `dbError`). */
  withWhereNow: boolean;
  dbError: string | null;
}

/** Writes the CSV of a run to `path` (through a temporary file, renamed when complete). */
export async function writeRunCsv(
  journalPath: string, path: string, db: Queryable | null, schema: string, resumes: readonly string[] = [],
): Promise<CsvResult> {
  const stats = await readJournalStats(journalPath, { resumes, listedFailures: 0 });
  const header = CSV_HEADER.join(',') + '\r\n';
  let packets = 0;
  let dbError: string | null = null;
  if (db) {
    try {
      await writeStreamed(path, async (write) => {
        packets = 0;
        write(header);
        await whereNow(db, schema, packetFinals(journalPath, stats.superseded), (p, cls, row) => { packets += 1; write(csvLine(p, cls, row)); });
      });
      return { packets, withWhereNow: true, dbError: null };
    } catch (err) {
      // The database could not be read: the file is written again without the "now_" columns filled.
      dbError = (err as Error).message;
    }
  }
  await writeStreamed(path, async (write) => {
    packets = 0;
    write(header);
    for await (const p of packetFinals(journalPath, stats.superseded)) { packets += 1; write(csvLine(p, null, null)); }
  });
  return { packets, withWhereNow: false, dbError };
}

/** Writes a file in blocks of about 1 MB through `<path>.tmp-<pid>`, renamed only when complete. */
export async function writeStreamed(path: string, produce: (write: (text: string) => void) => Promise<void>): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  let buffer = '';
  try {
    await produce((text) => {
      buffer += text;
      if (buffer.length >= 1 << 20) { writeSync(fd, buffer); buffer = ''; }
    });
    if (buffer) writeSync(fd, buffer);
    closeSync(fd);
    renameSync(tmp, path);
  } catch (err) {
    try { closeSync(fd); } catch { /* already closed */ }
    rmSync(tmp, { force: true });
    throw err;
  }
}
