// What the triage knows of a packet: its row (where it is stuck, since when, whether a run would hold it back and
// why) and its RID's history (the last failure, whether it repeats, MOSIP's reprocessor passes), for the active
// rows of given workflow ids. The select list is shared with the triage's keyset page (triagePage.ts), so a listed
// packet, a selected one and a run's --cohort filter all get the same facts from the same SQL.
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import { quoteSchema } from '@mosip-reprocess/contract/sql/ident.js';
import { exactUtcText, isoUtcText } from '@mosip-reprocess/contract/sql/utcText.js';
import type { HoldBackReason, HoldBackRules } from '../domain/holdBack.js';
import { holdBackReasonSql } from './holdBackReason.js';
import { historyStatsSql, lastFailureSql, repeatingSql, type HistoryStatsColumns, type LastFailureColumns } from './lastFailure.js';
import { Params } from './params.js';
import { ACTIVE_SQL, ageBucketSql, type AgeBucket } from './rowFacts.js';

export interface PacketFactsRow extends LastFailureColumns, HistoryStatsColumns {
  workflow_instance_id: string;
  reg_id: string;
  process: string;
  iteration: number | null;
  source: string | null;
  latest_trn_type_code: string | null;
  latest_trn_status_code: string | null;
  /** ISO UTC text. */
  latest_trn_dtimes: string | null;
  /** The row as read now, to judge later writes against without a clock (a --by-cohort canary is sent from these). */
  latest_trn_id: string | null;
  latest_trn_dtimes_exact: string | null;
  age: AgeBucket;
  /** Why a run would hold it back (whatever the --include-* flags say), or null. */
  held_reason: HoldBackReason | null;
  /** THE repeating rule (lastFailure.ts) for this packet. */
  repeating: boolean;
}

/** The select list over `registration r` joined with the laterals `lf` (last failure) and `hs` (history stats). */
export function packetFactsColumns(p: Params, schema: string, rules: HoldBackRules): string {
  const repeating = repeatingSql(p, rules, 'lf');
  return `r.workflow_instance_id, r.reg_id, r.process, r.iteration, r.source, r.latest_trn_type_code, r.latest_trn_status_code,
          ${isoUtcText('r.latest_trn_dtimes')} AS latest_trn_dtimes, ${ageBucketSql('r.latest_trn_dtimes')} AS age,
          r.latest_trn_id, ${exactUtcText('r.latest_trn_dtimes')} AS latest_trn_dtimes_exact,
          ${holdBackReasonSql(p, schema, rules, 'r', repeating)} AS held_reason,
          ${repeating} AS repeating,
          lf.f_type, lf.f_status, lf.f_sub, lf.f_comment, lf.f_at, lf.times, lf.resolved,
          coalesce(hs.h_rows, 0) AS h_rows, coalesce(hs.h_passes, 0) AS h_passes, coalesce(hs.h_failed_after_pass, false) AS h_failed_after_pass`;
}

/** The FROM clause the select list reads. */
export function packetFactsFrom(p: Params, schema: string): string {
  return `${quoteSchema(schema)}.registration r
      LEFT JOIN LATERAL (${lastFailureSql(p, schema, 'r.reg_id')}) lf ON true
      LEFT JOIN LATERAL (${historyStatsSql(p, schema, 'r.reg_id')}) hs ON true`;
}

/** Facts of the active rows of these workflow ids (the rows the securezone stage finds); others are absent. */
export async function packetFacts(
  db: Queryable, schema: string, workflowIds: readonly string[], rules: HoldBackRules,
): Promise<PacketFactsRow[]> {
  if (workflowIds.length === 0) return [];
  const p = new Params();
  const columns = packetFactsColumns(p, schema, rules);
  const from = packetFactsFrom(p, schema);
  const { rows } = await db.query<PacketFactsRow>(
    `SELECT ${columns}
       FROM ${from}
      WHERE r.workflow_instance_id = ANY(${p.add([...workflowIds])}::varchar[])
        AND ${ACTIVE_SQL}`,
    p.values,
  );
  return rows;
}
