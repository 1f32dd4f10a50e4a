// One tick of MOSIP's automated reprocessor (ReprocessorVerticle.process, 1.2.0.1; docs/mosip-facts.md, "Automated
// reprocessor"), for the RESUMABLE packets only: that is how packets resumed through the workflow action API move
// on. The other half of a tick (getUnProcessedPackets, stuck packets past the elapse time) is not modelled: the
// simulator does not compete with the tool it is testing.
//
// Per RESUMABLE row, oldest upd_dtimes first, at most fetchSize:
// - reg_process_retry_count equal to the attempt count: status_code and latest status REPROCESS_FAILED, type
//   PACKET_REPROCESS, "Reprocess count has exceeded the configured attempts" (RPR-RPS-FAILED-001); nothing sent.
// - else, (reg_stage_name, latest status) in the restart trigger filter: sent to securezone-notification-bus-in
//   ("Reprocess restart from stage Completed", RPR-RPS-SUCCESS-002);
// - else sent to the stage's own address, -bus-out if the latest status is SUCCESS, -bus-in otherwise
//   ("Reprocess Completed", RPR-RPS-SUCCESS-001).
// A sent row gets reg_process_retry_count + 1, latest status REPROCESS, type PACKET_REPROCESS, upd_by MOSIP_SYSTEM;
// status_code keeps its stored value (updateRegistrationStatusForWorkflowEngine is given the DTO's unchanged
// RESUMABLE; code reading: nothing in 1.2.0.1 resets it before the stages complete the packet).
// The messages are returned, not routed: the pipeline model starts from the securezone stage's output only.
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { SECUREZONE_STAGE_NAME, STATUS, TRN_STATUS, TRN_TYPE } from '@mosip-reprocess/contract/enums.js';
import { findResumablePackets, type ResumableRegistration } from '../sql/findResumablePackets.js';
import { insertStatusTransaction } from '../sql/insertStatusTransaction.js';
import { rewriteLatestTransaction } from '../sql/rewriteLatestTransaction.js';
import { topicFor, type ForwardedMessage } from './forwarding.js';
import { inTransaction } from '@mosip-reprocess/contract/sql/transaction.js';

export interface ReprocessorSettings {
  /** registration.processor.reprocess.fetchsize (C: 100). */
  fetchSize?: number;
  /** registration.processor.reprocess.attempt.count (C: 20). */
  attemptCount?: number;
  /** registration.processor.reprocess.restart-from-stage. */
  restartFromStage?: string;
  /** registration.processor.reprocess.restart-trigger-filter, `Stage:STATUS` with `*` for SUCCESS, IN_PROGRESS, REPROCESS. */
  restartTriggerFilter?: readonly string[];
  /** The reprocessor pod's clock offset from the database's, ms (+ ahead, - behind): its writes' timestamps carry it. Default 0. */
  clockOffsetMs?: number;
}

export const REPROCESSOR_DEFAULTS = {
  fetchSize: 100,
  attemptCount: 20,
  restartFromStage: SECUREZONE_STAGE_NAME,
  restartTriggerFilter: ['DemoDedupeStage:SUCCESS', 'BioDedupeStage:*', 'UinGeneratorStage:REPROCESS'],
  clockOffsetMs: 0,
} as const;

export interface ReprocessorTickResult {
  /** Rows sent on, with the message the reprocessor put on the bus. */
  sent: { workflowInstanceId: string; regId: string; message: ForwardedMessage }[];
  /** Rows marked REPROCESS_FAILED (retry count at the attempt count). */
  reprocessFailed: string[];
}

/** MessageBusUtil.getMessageBusAdress: drop "Stage", a dash before every capital after the first, lower case. */
export function messageBusAddress(stageName: string): string {
  let address = stageName.slice(0, -5);
  for (let i = 1; i < address.length; i++) {
    const c = address.charAt(i);
    if (c !== c.toLowerCase() && c === c.toUpperCase()) {
      address = `${address.slice(0, i)}-${address.slice(i)}`;
      i += 1;
    }
  }
  return address.toLowerCase();
}

export async function reprocessorTick(pool: pg.Pool, schema: string, settings: ReprocessorSettings = {}, now: Date = new Date()): Promise<ReprocessorTickResult> {
  const s = { ...REPROCESSOR_DEFAULTS, ...settings };
  const triggers = new Map<string, Set<string>>();
  for (const filter of s.restartTriggerFilter) {
    const [stage = '', status = ''] = filter.split(':');
    const set = triggers.get(stage) ?? new Set<string>();
    for (const code of status === '*' ? ['SUCCESS', 'IN_PROGRESS', 'REPROCESS'] : [status]) set.add(code);
    triggers.set(stage, set);
  }
  const result: ReprocessorTickResult = { sent: [], reprocessFailed: [] };
  for (const row of await findResumablePackets(pool, schema, s.fetchSize)) {
    if (row.regProcessRetryCount === s.attemptCount) {
      await write(pool, schema, s.clockOffsetMs, row, {
        statusCode: STATUS.REPROCESS_FAILED, latestTrnStatusCode: TRN_STATUS.REPROCESS_FAILED, subStatusCode: 'RPR-RPS-FAILED-001', updBy: undefined,
        comment: 'Reprocess count has exceeded the configured attempts',
      });
      result.reprocessFailed.push(row.workflowInstanceId);
      continue;
    }
    const restart = row.regStageName !== null && row.latestTrnStatusCode !== null
      && triggers.get(row.regStageName)?.has(row.latestTrnStatusCode) === true;
    // A null stage name throws in MOSIP (substring of null) and ends the whole tick as RPR-RS-000.
    if (!restart && row.regStageName === null) break;
    const address = restart
      ? `${messageBusAddress(s.restartFromStage)}-bus-in`
      : `${messageBusAddress(row.regStageName!)}-${row.latestTrnStatusCode === TRN_STATUS.SUCCESS ? 'bus-out' : 'bus-in'}`;
    const message = messageFor(row, address, now);
    await write(pool, schema, s.clockOffsetMs, row, {
      statusCode: null, latestTrnStatusCode: TRN_STATUS.REPROCESS, updBy: 'MOSIP_SYSTEM',
      subStatusCode: restart ? 'RPR-RPS-SUCCESS-002' : 'RPR-RPS-SUCCESS-001',
      comment: restart ? 'Reprocess restart from stage Completed' : 'Reprocess Completed',
      regProcessRetryCount: (row.regProcessRetryCount ?? 0) + 1,
    });
    result.sent.push({ workflowInstanceId: row.workflowInstanceId, regId: row.regId, message });
  }
  return result;
}

function messageFor(row: ResumableRegistration, address: string, now: Date): ForwardedMessage {
  // KafkaMosipEventBus puts the reg type into bus-out addresses only; bus-in topics are shared.
  const topic = address.endsWith('-bus-out') ? topicFor(address, row.process) : address;
  return {
    topic,
    key: row.regId,
    message: {
      reg_type: row.process, rid: row.regId, isValid: true, internalError: false, messageBusAddress: { address },
      retryCount: null, tags: {}, lastHopTimestamp: now.toISOString(), source: row.source, iteration: row.iteration ?? 1,
      workflowInstanceId: row.workflowInstanceId,
    },
  };
}

async function write(pool: pg.Pool, schema: string, clockOffsetMs: number, row: ResumableRegistration, w: {
  statusCode: string | null; latestTrnStatusCode: string; subStatusCode: string; comment: string;
  updBy: string | undefined; regProcessRetryCount?: number;
}): Promise<void> {
  const transactionId = randomUUID();
  // One transaction: the transaction row and the registration row are written together, or neither is.
  await inTransaction(pool, async (client) => {
    await insertStatusTransaction(client, schema, {
      id: transactionId, regId: row.regId, parentRegtrnId: row.latestTrnId, trnTypeCode: TRN_TYPE.PACKET_REPROCESS,
      statusCode: w.latestTrnStatusCode, subStatusCode: w.subStatusCode, statusComment: w.comment, refId: row.regId, clockOffsetMs,
    });
    await rewriteLatestTransaction(client, schema, {
      workflowInstanceId: row.workflowInstanceId, statusCode: w.statusCode, latestTrnId: transactionId,
      latestTrnTypeCode: TRN_TYPE.PACKET_REPROCESS, latestTrnStatusCode: w.latestTrnStatusCode, regStageName: row.regStageName,
      statusComment: w.comment, clockOffsetMs,
      ...(w.updBy === undefined ? {} : { updBy: w.updBy }),
      ...(w.regProcessRetryCount === undefined ? {} : { regProcessRetryCount: w.regProcessRetryCount }),
    });
  }, { commitIf: () => true });
}
