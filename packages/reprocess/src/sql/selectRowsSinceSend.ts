// The current registration row of each sent packet: the one read behind every verdict of a packet's row
// (domain/rowVerdict.ts): `verify`, the canary, a lost reply, a send in doubt on resume, --pace auto's watcher.
// One batch of workflow ids per statement. Whether the row was written since the send is decided from the row as
// read before the send (its latest_trn_id and exact latest_trn_dtimes, kept with the send) when there is one;
// otherwise here, in SQL, against the send's start passed as a UTC timestamp (the database compares its
// microsecond timestamps exactly).
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import { quoteSchema } from '@mosip-reprocess/contract/sql/ident.js';
import { exactUtcText, isoUtcText, NOW_UTC, utcTimestampText } from '@mosip-reprocess/contract/sql/utcText.js';
import { CLOCK_SKEW_MS, writtenSince, type RowBefore } from '../domain/rowVerdict.js';
import { ACTIVE_SQL } from './rowFacts.js';

export interface SentPacketKey {
  workflowInstanceId: string;
  /** When the send started (this host's clock): compared with latest_trn_dtimes only when `before` is absent. */
  startedAt: Date;
  /** The row as read before the send (journal send record): the clock-free evidence. */
  before?: RowBefore | null | undefined;
}

/** A packet's row now. */
export interface PacketRowNow {
  regId: string;
  statusCode: string | null;
  latestTrnTypeCode: string | null;
  latestTrnStatusCode: string | null;
  regStageName: string | null;
  /** ISO UTC text, or null. */
  latestTrnDtimes: string | null;
  /** The same with microseconds, as stored: what a write changes. */
  latestTrnDtimesExact: string | null;
  latestTrnId: string | null;
  /** is_active = true AND is_deleted = false: the row MOSIP's stages look up. */
  active: boolean;
  /** Something wrote the row since the send (domain/rowVerdict.ts, writtenSince). */
  writtenSinceSend: boolean;
  /** Seconds since latest_trn_dtimes, on the database's UTC clock (null when NULL). */
  idleSeconds: number | null;
}

interface Row {
  ord: string;
  reg_id: string;
  status_code: string | null;
  latest_trn_type_code: string | null;
  latest_trn_status_code: string | null;
  reg_stage_name: string | null;
  latest_trn_dtimes: string | null;
  latest_trn_dtimes_exact: string | null;
  latest_trn_id: string | null;
  active: boolean;
  written_since_send: boolean;
  idle_seconds: number | null;
}

/**
 * The rows of a batch of sent packets, aligned with the input: null where no row has that workflow id. A send with
 * no row read before it counts a row written up to `clockSkewMs` before its start as written since (CLOCK_SKEW_MS).
 * The `= ANY($1)` keeps the access on the primary key whatever plan the join gets.
 */
export async function rowsNowForSentPackets(
  db: Queryable, schema: string, sent: readonly SentPacketKey[], clockSkewMs = CLOCK_SKEW_MS,
): Promise<(PacketRowNow | null)[]> {
  const result: (PacketRowNow | null)[] = sent.map(() => null);
  if (sent.length === 0) return result;
  const { rows } = await db.query<Row>(
    `SELECT e.ord, r.reg_id, r.status_code, r.latest_trn_type_code, r.latest_trn_status_code, r.reg_stage_name,
            ${isoUtcText('r.latest_trn_dtimes')} AS latest_trn_dtimes,
            ${exactUtcText('r.latest_trn_dtimes')} AS latest_trn_dtimes_exact, r.latest_trn_id,
            ${ACTIVE_SQL} AS active,
            coalesce(r.latest_trn_dtimes >= e.started_at, false) AS written_since_send,
            extract(epoch FROM (${NOW_UTC} - r.latest_trn_dtimes))::float8 AS idle_seconds
       FROM unnest($1::varchar[], $2::timestamp[]) WITH ORDINALITY AS e(wf, started_at, ord)
       JOIN ${quoteSchema(schema)}.registration r ON r.workflow_instance_id = e.wf
      WHERE r.workflow_instance_id = ANY($1::varchar[])`,
    [sent.map((s) => s.workflowInstanceId), sent.map((s) => utcTimestampText(new Date(s.startedAt.getTime() - clockSkewMs)))],
  );
  for (const r of rows) {
    const i = Number(r.ord) - 1;
    const now = { latestTrnId: r.latest_trn_id, latestTrnDtimesExact: r.latest_trn_dtimes_exact };
    result[i] = {
      regId: r.reg_id,
      statusCode: r.status_code,
      latestTrnTypeCode: r.latest_trn_type_code,
      latestTrnStatusCode: r.latest_trn_status_code,
      regStageName: r.reg_stage_name,
      latestTrnDtimes: r.latest_trn_dtimes,
      ...now,
      active: r.active,
      writtenSinceSend: writtenSince(now, sent[i]!.before, r.written_since_send),
      idleSeconds: r.idle_seconds,
    };
  }
  return result;
}
