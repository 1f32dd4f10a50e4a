// Issue #20 at scale (soak suite): the triage of 100,000 selected packets with 400,000 history rows reads the history
// in batches over the reg_id index, finishes in seconds and in flat memory, and its numbers add up to the selection
// and agree with what a run takes. The rows are made in SQL (generate_series), 4 history rows each:
//   every 20th packet: refused at validation three times (KER-PUT-020): repeating;
//   every 4th from the 2nd: ABIS did not answer at bio dedupe: transient;
//   the rest: received, notified, uploaded, validated, then nothing: quiet.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { API_RESOURCE_ACCESS_FAILED, KER_PUT_020_COMMENT, PACKET_MANAGER_EXCEPTION } from '@mosip-reprocess/contract/history.js';
import { freshSchema, type TestSchema } from '@mosip-reprocess/testkit/db.js';
import { triageReprocess } from '../src/triage/triage.js';
import { resolveTriageRequest } from '../src/triage/request.js';
import { selectionCounts, utcCutoff } from '../src/sql/selectEligible.js';

const PACKETS = 100_000;
let db: TestSchema;

before(async () => {
  db = await freshSchema('triagesoak');
  const s = `"${db.schema}"`;
  await db.pool.query(
    `INSERT INTO ${s}.registration (reg_id, process, status_code, lang_code, latest_trn_id, latest_trn_type_code, latest_trn_status_code,
        latest_trn_dtimes, reg_process_retry_count, reg_stage_name, trn_retry_count, is_active, is_deleted, cr_by, cr_dtimes, workflow_instance_id, source, iteration)
     SELECT '10001' || lpad((10001 + i % 10000)::text, 5, '0') || lpad((i / 10000 + 1)::text, 5, '0') || '20250101000000', 'NEW',
            CASE WHEN i % 20 = 0 THEN 'REPROCESS' ELSE 'PROCESSING' END, 'eng', md5(i::text),
            CASE WHEN i % 20 = 0 THEN 'VALIDATE_PACKET' WHEN i % 4 = 1 THEN 'BIOGRAPHIC_VERIFICATION' ELSE 'VALIDATE_PACKET' END,
            CASE WHEN i % 20 = 0 OR i % 4 = 1 THEN 'REPROCESS' ELSE 'SUCCESS' END,
            (now() AT TIME ZONE 'UTC') - interval '2 days' - (i % 500) * interval '1 hour', 2, 'PacketValidatorStage', 1, true, false,
            'MOSIP_SYSTEM', (now() AT TIME ZONE 'UTC') - interval '60 days', gen_random_uuid()::text, 'REGISTRATION_CLIENT', 1
       FROM generate_series(1, $1::int) i`, [PACKETS]);
  await db.pool.query(
    `INSERT INTO ${s}.registration_transaction (id, reg_id, trn_type_code, status_code, sub_status_code, lang_code, status_comment, cr_by, cr_dtimes)
     SELECT gen_random_uuid()::text, r.reg_id, x.t, x.st, x.sub, 'eng', x.cm, 'MOSIP_SYSTEM', r.latest_trn_dtimes - (4 - x.k) * interval '1 hour'
       FROM ${s}.registration r
      CROSS JOIN LATERAL (
        SELECT * FROM (VALUES
          (1, 'PACKET_RECEIVER', 'SUCCESS', 'RPR-PKR-SUCCESS-001', 'Packet has reached Packet Receiver', true),
          (2, 'SECUREZONE_NOTIFICATION', 'SUCCESS', 'RPR-SEN-SUCCESS-001', 'Notification received to securezone', r.status_code <> 'REPROCESS'),
          (3, 'UPLOAD_PACKET', 'SUCCESS', 'RPR-PKU-SUCCESS-001', 'Packet is Uploaded to Packet Store', r.status_code <> 'REPROCESS'),
          (4, r.latest_trn_type_code, r.latest_trn_status_code,
             CASE WHEN r.latest_trn_status_code = 'SUCCESS' THEN 'RPR-PKV-SUCCESS-001' ELSE $1 END,
             CASE WHEN r.latest_trn_status_code = 'SUCCESS' THEN 'Packet Validation is Successful' ELSE $2 END, r.status_code <> 'REPROCESS'),
          (2, 'VALIDATE_PACKET', 'REPROCESS', $3, $4 || ' ' || r.workflow_instance_id, r.status_code = 'REPROCESS'),
          (3, 'VALIDATE_PACKET', 'REPROCESS', $3, $4 || ' ' || r.workflow_instance_id, r.status_code = 'REPROCESS'),
          (4, 'VALIDATE_PACKET', 'REPROCESS', $3, $4 || ' ' || r.workflow_instance_id, r.status_code = 'REPROCESS')
        ) v(k, t, st, sub, cm, keep) WHERE keep) x`,
    [API_RESOURCE_ACCESS_FAILED.code, `${API_RESOURCE_ACCESS_FAILED.message}java.net.SocketTimeoutException: Read timed out`,
      PACKET_MANAGER_EXCEPTION.code, KER_PUT_020_COMMENT]);
  await db.pool.query(`ANALYZE ${s}.registration`);
  await db.pool.query(`ANALYZE ${s}.registration_transaction`);
});
after(async () => { await db.drop(); });

test('triage of 100,000 packets with 400,000 history rows: in seconds, in flat memory, the numbers adding up', async () => {
  const { rows: [h] } = await db.pool.query(`SELECT count(*)::int AS n FROM "${db.schema}".registration_transaction`);
  assert.equal(h.n, 4 * PACKETS);

  global.gc?.();
  const baseline = process.memoryUsage().heapUsed;
  let peak = baseline;
  const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().heapUsed); }, 20);
  const started = performance.now();
  const r = await triageReprocess(resolveTriageRequest({ db: true, dbUrl: db.url, schema: db.schema, runsDir: '/nonexistent-runs' }, {}));
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  const grewMb = (peak - baseline) / 1048576;
  console.log(`triage of ${r.selected} packets, ${h.n} history rows: ${seconds.toFixed(1)} s, heap grew at most ${grewMb.toFixed(1)} MB, ${r.cohorts.length} cohorts`);

  assert.equal(r.selected, PACKETS);
  assert.equal(r.cohorts.reduce((n, c) => n + c.count, 0), PACKETS);
  assert.deepEqual(Object.fromEntries(Object.entries(r.byVerdict).map(([v, x]) => [v, x.packets])),
    { repeating: PACKETS / 20, unknown: 0, transient: PACKETS / 4, quiet: PACKETS - PACKETS / 20 - PACKETS / 4 });
  assert.equal(r.cohorts.length, 3, 'the KER-PUT-020 comments differ by packet, yet make one cohort');
  const counts = await selectionCounts(db.pool, db.schema, {
    trnStatuses: ['SUCCESS', 'REPROCESS', 'IN_PROGRESS'], maxRetries: 500, excludeStatuses: ['PROCESSED', 'FAILED', 'REJECTED'], stages: null,
    cutoffUtc: await utcCutoff(db.pool, 86_400),
  });
  assert.equal(r.runWouldSend, counts.taken);
  assert.equal(r.heldBack.repeating, PACKETS / 20);
  // Memory: what is kept grows with the cohorts, not the packets (a page of 500 at a time).
  assert.ok(grewMb < 64, `heap grew ${grewMb.toFixed(1)} MB`);
});
