// Builds a run's HTML report: reads the journal (one streamed pass for the numbers), then, when a database is
// given, a second streamed pass to see where each packet is now. The database is optional: when it is not
// configured or cannot be read, the report says so in that section and still has everything else.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import type { RunHandle } from '../../journal/runStore.js';
import { readJournalStats, DEFAULT_LISTED_FAILURES } from './journalStats.js';
import { packetFinals } from './packetFinals.js';
import { renderRunReport } from './runReport.js';
import { whereNow, type WhereNow } from './whereNow.js';

export interface RunReportOptions {
  /** The registration database, or null (then `noDbReason` says why). */
  db: Queryable | null;
  schema: string;
  noDbReason?: string;
  /** The command that writes the CSV with every packet, shown where the list is capped. */
  csvCommand: string;
  listedFailures?: number;
}

export interface BuiltRunReport {
  html: string;
  packets: number;
  notForwarded: number;
  whereNow: WhereNow | null;
  whereNowNote: string;
}

export async function buildRunReport(run: RunHandle, options: RunReportOptions): Promise<BuiltRunReport> {
  const stats = await readJournalStats(run.journalPath, {
    resumes: run.meta.resumes, createdAt: run.meta.createdAt, listedFailures: options.listedFailures ?? DEFAULT_LISTED_FAILURES,
  });
  const summary = existsSync(run.summaryPath) ? JSON.parse(readFileSync(run.summaryPath, 'utf8')) as Record<string, unknown> : null;
  let now: WhereNow | null = null;
  let note = options.noDbReason ?? 'No database configured (DB_HOST or --db-url): where the packets are now was not checked.';
  if (options.db) {
    try {
      now = await whereNow(options.db, options.schema, packetFinals(run.journalPath, stats.superseded));
      note = `Every packet's registration row, read from the database (schema ${options.schema}).`;
    } catch (err) {
      note = `The database could not be read, so where the packets are now is not shown: ${(err as Error).message}`;
    }
  }
  const html = renderRunReport({ meta: run.meta, summary, stats, whereNow: now, whereNowNote: note, csvCommand: options.csvCommand });
  return { html, packets: stats.packets, notForwarded: stats.failuresTotal, whereNow: now, whereNowNote: note };
}

/** Builds the report and writes it to `path` (through a temporary file, renamed when complete). */
export async function writeRunHtml(run: RunHandle, path: string, options: RunReportOptions): Promise<BuiltRunReport> {
  const built = await buildRunReport(run, options);
  writeFileSync(`${path}.tmp-${process.pid}`, built.html);
  renameSync(`${path}.tmp-${process.pid}`, path);
  return built;
}
