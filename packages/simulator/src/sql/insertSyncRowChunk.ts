// One chunk of registration_list (sync) rows in one statement, for registration rows inserted by
// registrationRows.ts. The sync row comes first in MOSIP (registration client sync, then packet upload); it gets
// the same time.
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import { quoteSchema } from '@mosip-reprocess/contract/sql/ident.js';
import { utcTimestampText } from '@mosip-reprocess/contract/sql/utcText.js';
import type { CompleteRegistrationRow } from './registrationRows.js';

export async function insertSyncRowChunk(db: Queryable, schema: string, rows: readonly CompleteRegistrationRow[]): Promise<void> {
  await db.query(
    `INSERT INTO ${quoteSchema(schema)}.registration_list
        (workflow_instance_id, reg_id, process, source, additional_info_req_id, packet_id, packet_checksum,
         center_id, registration_date, client_status_code, lang_code, cr_by, cr_dtimes, is_deleted)
      SELECT wf, reg_id, process, source, req_id, reg_id, md5(wf), left(reg_id, 5), cr::date, 'APPROVED', 'eng',
             'MOSIP_SYSTEM', cr, false
      FROM unnest($1::varchar[], $2::varchar[], $3::varchar[], $4::varchar[], $5::varchar[], $6::timestamp[])
        AS u(wf, reg_id, process, source, req_id, cr)`,
    [
      rows.map((r) => r.workflowInstanceId),
      rows.map((r) => r.regId),
      rows.map((r) => r.process),
      rows.map((r) => r.source),
      rows.map((r) => r.additionalInfoReqId),
      rows.map((r) => utcTimestampText(r.crDtimes)),
    ],
  );
}
