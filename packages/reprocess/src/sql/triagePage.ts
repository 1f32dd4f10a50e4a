// The triage's read of the --db selection: one keyset page of the guide's rows (every row the guide's query takes,
// held back or not: the triage explains all of them), in workflow id order, with each packet's facts
// (packetFacts.ts). A page reads the history of its packets by reg_id over MOSIP's index: never one query per packet.
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import { guideWhereSql, holdBackOf, type EligibilityCriteria } from './eligibility.js';
import { packetFactsColumns, packetFactsFrom, type PacketFactsRow } from './packetFacts.js';
import { Params } from './params.js';

export async function selectTriagePage(
  db: Queryable, schema: string, criteria: EligibilityCriteria, after: string, pageSize: number,
): Promise<PacketFactsRow[]> {
  const p = new Params();
  const columns = packetFactsColumns(p, schema, holdBackOf(criteria));
  const from = packetFactsFrom(p, schema);
  const { rows } = await db.query<PacketFactsRow>(
    `SELECT ${columns}
       FROM ${from}
      WHERE ${guideWhereSql(p, criteria)}
        AND r.workflow_instance_id > ${p.add(after)}
      ORDER BY r.workflow_instance_id
      LIMIT ${p.add(pageSize)}`,
    p.values,
  );
  return rows;
}
