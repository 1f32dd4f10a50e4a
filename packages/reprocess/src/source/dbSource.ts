// Source of packets from the registration table: the guide's selection, or an operator's custom query.
import pg from 'pg';
import { createPool, type DbSettings } from '../db/connect.js';
import { cancelOnAbort } from '../db/cancel.js';
import { withReconnect, type ReconnectOptions } from '../db/reconnect.js';
import type { Packet } from '../domain/packet.js';
import { workflowKey } from '../domain/packetKey.js';
import { InputError } from '../errors.js';
import { readQueryFile } from '../config/queryFile.js';
import { REQUIRED_COLUMNS, readOnlyRows, type CustomQueryRow } from '../sql/customQuery.js';
import { selectEligiblePage, type EligibilityCriteria, type EligibleRow } from '../sql/selectEligible.js';

const PAGE_SIZE = 500;
/**
 * A run's first page is small: the first packet waits for it, and on a large table a page costs tens of
 * milliseconds to a tenth of a second (its rows' history is read for the repeating-failure rule), more in
 * proportion to its rows than not (on 1,000,000 rows, on a fresh connection: about 20 ms for 16 rows, 30 to 45
 * ms for 50). The next, full page is read as soon as this one is in, while it is sent.
 */
export const FIRST_PAGE_SIZE = 16;

export function rowToPacket(row: EligibleRow, origin: string): Packet {
  return {
    rid: row.reg_id,
    process: row.process,
    workflowInstanceId: row.workflow_instance_id,
    iteration: row.iteration ?? 1,
    source: row.source ?? null,
    origin,
    ...(row.latest_trn_type_code ? { stage: row.latest_trn_type_code } : {}),
    ...(row.latest_trn_dtimes_exact !== undefined ? { before: { trnId: row.latest_trn_id ?? null, dtimes: row.latest_trn_dtimes_exact } } : {}),
  };
}

/** A keyset read already under way: its rows, and how many were asked for. */
export interface StartedPage<R> { page: Promise<R[]>; size: number }

/** Starts a keyset read; a consumer that stops early leaves it unread, and its failure is then not unhandled. */
export function startPage<R>(read: (after: string, size: number) => Promise<R[]>, after: string, size: number): StartedPage<R> {
  const page = read(after, size);
  page.catch(() => undefined);
  return { page, size };
}

/**
 * Keyset pages of rows in workflow id order, at most `limit` rows. The next page is read while the current one
 * is being sent: a page costs tens of milliseconds on a large table (its rows are scattered over the heap), and
 * waiting for it every `pageSize` packets left the sender idle for a third of a fast run. `first`: the first
 * page's read, already started (from `from`, at most `limit` rows).
 */
export async function* keysetPages<R extends { workflow_instance_id: string } = EligibleRow>(
  read: (after: string, size: number) => Promise<R[]>, pageSize: number, limit = Infinity, from = '', first?: StartedPage<R>,
): AsyncGenerator<R[], void, void> {
  const start = (after: string, size: number) => startPage(read, after, size);
  let rows = 0;
  let next = first ?? start(from, Math.min(pageSize, limit));
  for (;;) {
    const page = await next.page;
    rows += page.length;
    // A short page is the last one: nothing after it matched when it was read.
    const more = page.length === next.size && rows < limit;
    if (more) next = start(page[page.length - 1]!.workflow_instance_id, Math.min(pageSize, limit - rows));
    if (page.length > 0) yield page;
    if (!more) return;
  }
}

/** Eligible packets, at most `limit`, fetched a page at a time in workflow id order. */
export async function* eligiblePackets(
  pool: pg.Pool, schema: string, criteria: EligibilityCriteria, limit: number, pageSize = PAGE_SIZE, reconnect: ReconnectOptions = {},
  first?: StartedPage<EligibleRow>,
): AsyncGenerator<Packet, void, void> {
  for await (const page of keysetPages(eligibleReader(pool, schema, criteria, reconnect), pageSize, limit, '', first)) {
    for (const row of page) yield rowToPacket(row, 'db');
  }
}

/** Reads one page of the selection (reconnecting once the database is back). */
export function eligibleReader(pool: pg.Pool, schema: string, criteria: EligibilityCriteria, reconnect: ReconnectOptions = {}) {
  return (after: string, size: number) => withReconnect(() => selectEligiblePage(pool, schema, criteria, after, size), reconnect);
}

/**
 * --all: batches of `batchSize` until no eligible packet remains. The keyset goes on across batches: a batch
 * starts after the last row the one before it read (with a fresh age cutoff, as running the guide's script again
 * would), so rows that stay eligible (packets of other shards, a `null` reply's row) are not read again by every
 * batch. At the end of the table the scan starts over from the first key, for rows that became eligible behind
 * it; a pass over the whole table that takes nothing ends the run. Workflow ids already `seen` in this run are
 * never taken again, and `keep` (the shard) decides which rows are this run's at all.
 */
export async function* allEligiblePackets(
  pool: pg.Pool, schema: string, criteriaForBatch: () => Promise<EligibilityCriteria>, batchSize: number,
  seen: ReadonlySet<string>, onBatch: (batch: number) => void, pageSize = PAGE_SIZE, reconnect: ReconnectOptions = {},
  keep: (workflowInstanceId: string) => boolean = () => true,
): AsyncGenerator<Packet, void, void> {
  let after = '';
  /** Packets taken since the scan last started from the first key. */
  let takenThisPass = 0;
  for (let batch = 1; ;) {
    const criteria = await withReconnect(criteriaForBatch, reconnect);
    const read = (from: string, size: number) => withReconnect(() => selectEligiblePage(pool, schema, criteria, from, size), reconnect);
    let taken = 0;
    let reachedEnd = true;
    pages: for await (const page of keysetPages(read, pageSize, Infinity, after)) {
      for (const row of page) {
        after = row.workflow_instance_id;
        if (seen.has(workflowKey(row.workflow_instance_id)) || !keep(row.workflow_instance_id)) continue;
        if (taken === 0) onBatch(batch);
        yield rowToPacket(row, `db batch ${batch}`);
        taken += 1;
        if (taken >= batchSize) { reachedEnd = false; break pages; }
      }
    }
    if (taken > 0) batch += 1;
    takenThisPass += taken;
    if (!reachedEnd) continue;
    // The end of the table: a pass that took nothing means nothing eligible is left; otherwise look again from the start.
    if (takenThisPass === 0) return;
    after = '';
    takenThisPass = 0;
  }
}

/** Packets from --query-file, at most `limit`; the query runs READ ONLY. Rows missing a key column are reported via onSkip. */
export async function* customQueryPackets(
  db: pg.Pool | DbSettings, queryFile: string, limit: number, onSkip: (reason: string) => void, signal?: AbortSignal,
): AsyncGenerator<Packet, void, void> {
  const sql = readQueryFile(queryFile);
  // Given settings, the query gets a connection of its own with no query timeout: pg arms its query_timeout for a
  // cursor and never disarms it (the cursor never calls back), so it would end a read 30 s after the cursor opened
  // and keep the process alive after the run. A stop cancels the statement instead (below).
  const pool = db instanceof pg.Pool ? db : createPool({ ...db, queryTimeoutMs: undefined, max: 1, applicationName: 'mosip-reprocess query file' });
  const owned = pool !== db;
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (err) {
    if (owned) await pool.end().catch(() => undefined);
    throw err;
  }
  // A stop cancels the operator's statement at the server instead of waiting for its next rows (db/cancel.ts).
  const stopWatching = cancelOnAbort(pool, client, signal);
  let taken = 0;
  let checked = false;
  let rowNumber = 0;
  const batches = readOnlyRows(client, sql, PAGE_SIZE);
  try {
    for (;;) {
      let next: IteratorResult<CustomQueryRow[], void>;
      try {
        next = await batches.next();
      } catch (err) {
        const e = err as { message?: string; code?: string };
        // 25006 = read_only_sql_transaction; 42xxx = syntax/undefined objects: the operator's SQL is at fault.
        if (e.code === '25006' || e.code?.startsWith('42')) {
          throw new InputError(`query file ${queryFile}: ${e.message}${e.code === '25006' ? ' (custom queries run READ ONLY; nothing was changed)' : ''}`);
        }
        throw err;
      }
      if (next.done) return;
      for (const row of next.value) {
        rowNumber += 1;
        if (!checked) {
          const missing = REQUIRED_COLUMNS.filter((c) => !(c in row));
          if (missing.length > 0) {
            throw new InputError(`query file ${queryFile}: the query must return reg_id, process and workflow_instance_id; missing ${missing.join(', ')}`);
          }
          checked = true;
        }
        if (!row.reg_id || !row.process || !row.workflow_instance_id) {
          onSkip(`query row ${rowNumber}: reg_id, process or workflow_instance_id is NULL`);
          continue;
        }
        yield rowToPacket({
          reg_id: row.reg_id, process: row.process, workflow_instance_id: row.workflow_instance_id,
          iteration: row.iteration ?? null, source: row.source ?? null,
        }, `query row ${rowNumber}`);
        taken += 1;
        if (taken >= limit) return;
      }
    }
  } finally {
    // Also when the consumer stops early: close the cursor and end the READ ONLY transaction before release.
    stopWatching();
    await batches.return().catch(() => undefined);
    client.release();
    if (owned) await pool.end().catch(() => undefined);
  }
}
