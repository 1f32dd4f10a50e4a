// Which packets a run takes: the database selection (APPROACH 1/2, --all batches, a custom query) or a list
// (--file, --registration), with the database errors an operator can act on.
import type pg from 'pg';
import { describeDb, type DbSettings } from '../db/connect.js';
import type { Packet } from '../domain/packet.js';
import { APPROACH2_STAGES } from '@mosip-reprocess/contract/enums.js';
import type { Settings } from '../config/settings.js';
import { allEligiblePackets, customQueryPackets, eligiblePackets } from './dbSource.js';
import { loadPacketsFromArg, loadPacketsFromFile } from './loadPackets.js';
import { countEligible, utcCutoff, type EligibilityCriteria } from '../sql/selectEligible.js';
import { databaseProblem } from '../db/problems.js';
import type { EventSink } from '../run/events.js';
import type { RunFlags } from '../run/request.js';

export function dbSettingsOf(s: Settings): DbSettings {
  return {
    url: s.dbUrl, host: s.dbHost, port: s.dbPort, user: s.dbUser, password: s.dbPassword, database: s.dbName, ssl: s.dbSsl,
  };
}

export function criteriaOf(s: Settings, cutoffUtc: string): EligibilityCriteria {
  return {
    trnStatuses: s.trnStatuses,
    maxRetries: s.maxRetries,
    excludeStatuses: s.excludeStatuses,
    stages: s.approach === 2 ? [...new Set([...APPROACH2_STAGES, ...s.stages])] : null,
    cutoffUtc,
  };
}

import type { Mode } from '../run/request.js';
export type { Mode };

export interface OpenedSource {
  stream(onRowSkipped: () => void, seen: ReadonlySet<string>, onBatch: () => void): AsyncIterable<Packet>;
  duplicates: number;
  /** How many packets the run will take at most, for the progress bar (may be slow: not awaited before sending). */
  count?: () => Promise<number>;
}

export async function openSource(
  mode: Mode, flags: RunFlags, s: Settings, pool: pg.Pool | null, emit: EventSink, remaining: number, done: ReadonlySet<string>,
): Promise<OpenedSource> {
  if (mode === 'file' || mode === 'registration') {
    const loaded = await withDb(s, () => mode === 'file'
      ? loadPacketsFromFile(flags.file!, pool, s.dbSchema)
      : loadPacketsFromArg(flags.registration!, pool, s.dbSchema));
    if (loaded.duplicates > 0) emit({ type: 'warning', message: `${loaded.duplicates} duplicate entr${loaded.duplicates === 1 ? 'y' : 'ies'} in the input; each packet is sent once` });
    const pending = loaded.packets.filter((p) => !done.has(p.workflowInstanceId.toLowerCase())).length;
    if (remaining < pending) emit({ type: 'note', message: `--limit ${s.limit}: taking ${remaining} of the ${pending} packets still to send` });
    return {
      duplicates: 0,
      count: async () => Math.min(pending, remaining),
      async *stream() { yield* loaded.packets; },
    };
  }
  const db = pool!;
  if (s.queryFile) {
    await withDb(s, () => db.query('SELECT 1'));
    return {
      duplicates: 0,
      stream: (onRowSkipped) => guardDb(s, customQueryPackets(db, s.queryFile!, Infinity, (reason) => {
        onRowSkipped();
        emit({ type: 'warning', message: `${reason}; skipped` });
      })),
    };
  }
  const cutoff = await withDb(s, () => utcCutoff(db, s.olderThan));
  const criteria = criteriaOf(s, cutoff);
  const reconnect = { onRetry: (message: string) => emit({ type: 'warning', message }) };
  const count = async () => {
    const n = await countEligible(db, s.dbSchema, criteria);
    return flags.all ? (s.maxPackets ? Math.min(n, s.maxPackets) : n) : Math.min(n, remaining);
  };
  if (flags.all) {
    const criteriaForBatch = async () => criteriaOf(s, await utcCutoff(db, s.olderThan));
    return {
      duplicates: 0,
      count,
      stream: (_onRowSkipped, seen, onBatch) => guardDb(s, allEligiblePackets(db, s.dbSchema, criteriaForBatch, s.limit, seen, (batch) => {
        onBatch();
        emit({ type: 'note', message: `batch ${batch}: up to ${s.limit} packets` });
      }, undefined, reconnect)),
    };
  }
  // Unbounded here: the run takes `remaining` after the filters, and the pages are only read as it goes.
  return { duplicates: 0, count, stream: () => guardDb(s, eligiblePackets(db, s.dbSchema, criteria, Infinity, undefined, reconnect)) };
}

/** Turns connection failures and a missing table into clear errors (exit 3 / exit 2). */
export async function withDb<T>(s: Settings, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw databaseProblem(err, describeDb(dbSettingsOf(s)), s.dbSchema) ?? err;
  }
}

export async function* guardDb(s: Settings, packets: AsyncIterable<Packet>): AsyncGenerator<Packet, void, void> {
  try {
    yield* packets;
  } catch (err) {
    throw databaseProblem(err, describeDb(dbSettingsOf(s)), s.dbSchema) ?? err;
  }
}
