// Registration rows for tests: by default a packet stuck after the upgrade that APPROACH 1 selects
// (PROCESSING, UPLOAD_PACKET SUCCESS two days ago, retry count 0), with a matching sync row.
import { randomUUID } from 'node:crypto';
import { makeRid } from '@mosip-reprocess/contract/rid.js';
import type { Packet } from 'mosip-reprocess/domain/packet.js';
import type { RegistrationRowInput } from '@mosip-reprocess/simulator/sql/registrationRows.js';

const DAY_MS = 86_400_000;
let sequence = 0;

export function stuckRow(over: Partial<RegistrationRowInput> = {}): RegistrationRowInput {
  const now = Date.now();
  return {
    regId: makeRid(10001, 10002, ++sequence, new Date(now - 5 * DAY_MS)),
    workflowInstanceId: randomUUID(),
    process: 'NEW',
    statusCode: 'PROCESSING',
    latestTrnTypeCode: 'UPLOAD_PACKET',
    latestTrnStatusCode: 'SUCCESS',
    latestTrnDtimes: new Date(now - 2 * DAY_MS),
    regProcessRetryCount: 0,
    regStageName: 'PacketUploaderStage',
    source: 'REGISTRATION_CLIENT',
    iteration: 1,
    crDtimes: new Date(now - 4 * DAY_MS),
    ...over,
  };
}

export function packetOf(row: RegistrationRowInput): Packet {
  return {
    rid: row.regId, process: row.process, workflowInstanceId: row.workflowInstanceId,
    iteration: row.iteration ?? 1, source: row.source ?? null, origin: 'test',
  };
}
