// RegistrationRepositary.findByRegId as the securezone stage uses it when the body has no workflow id: "the first"
// active row. MOSIP has no ORDER BY; the oldest is taken here so runs are repeatable.
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import { quoteSchema } from '@mosip-reprocess/contract/sql/ident.js';
import { STAGE_REGISTRATION_COLUMNS, toStageRegistration, type StageRegistration, type StageRegistrationDbRow } from './stageRegistration.js';

export async function findOldestActiveRegistrationByRegId(
  db: Queryable, schema: string, regId: string,
): Promise<StageRegistration | null> {
  const { rows } = await db.query<StageRegistrationDbRow>(
    `SELECT ${STAGE_REGISTRATION_COLUMNS} FROM ${quoteSchema(schema)}.registration
      WHERE reg_id = $1 AND is_deleted = false AND is_active = true ORDER BY cr_dtimes LIMIT 1`,
    [regId],
  );
  return rows[0] ? toStageRegistration(rows[0]) : null;
}
