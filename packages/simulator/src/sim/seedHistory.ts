// The history (regprc.registration_transaction) of a seeded backlog, with MOSIP's own codes and texts: each row's
// latest transaction (the row latest_trn_id points at) and what led to it, short enough for a 1,000,000-row seed;
// and the packets that fail the same way on every pass: a data error at packet validation (the packet manager's
// KER-PUT-020, which MOSIP marks REPROCESS, so its reprocessor sends the packet back again and again).
// Codes: StatusUtil / StatusConstants (mosip/registration v1.2.0.1, registration-processor-core), the stages'
// catch blocks (pipeline.ts), ReprocessorVerticle and WorkflowInternalActionVerticle (contract/src/history.ts).
import {
  API_RESOURCE_ACCESS_FAILED, DB_NOT_ACCESSIBLE, KER_PUT_020_COMMENT, PACKET_MANAGER_EXCEPTION, REPROCESSOR_PASS,
} from '@mosip-reprocess/contract/history.js';
import { WORKFLOW_ACTION_SUB_STATUS_CODE, WORKFLOW_RESUME_TRN_TYPE_CODE } from '@mosip-reprocess/contract/workflowAction.js';
import { TRN_TYPE } from '@mosip-reprocess/contract/enums.js';
import type { TransactionRowInput } from '../sql/insertTransactionChunk.js';
import type { RegistrationRowInput } from '../sql/registrationRows.js';
import { PACKET_VALIDATOR, STAGES_WITH_VALIDATORS, type PipelineStage } from './pipeline.js';
import { DUPLICATE_COMMENT, SUCCESS_COMMENT, SUCCESS_SUB_STATUS } from './securezoneStage.js';
import type { SeededRandom } from './random.js';

type Codes = Pick<PipelineStage, 'successSubStatus' | 'successComment' | 'failedSubStatus' | 'failedComment' | 'reprocessSubStatus' | 'reprocessComment'>;

const API_DOWN = { reprocessSubStatus: API_RESOURCE_ACCESS_FAILED.code, reprocessComment: `${API_RESOURCE_ACCESS_FAILED.message}java.net.SocketTimeoutException: Read timed out` };
const DB_DOWN = { reprocessSubStatus: DB_NOT_ACCESSIBLE.code, reprocessComment: `${DB_NOT_ACCESSIBLE.message}Could not open JDBC Connection for transaction` };

/** Stages of the 1.2.0.1 flow the pipeline model does not run, and the 1.1.5 ones a migration leaves behind. */
const OTHER_STAGES: Record<string, Codes> = {
  PACKET_RECEIVER: { successSubStatus: 'RPR-PKR-SUCCESS-001', successComment: 'Packet has reached Packet Receiver', failedSubStatus: 'RPR-PKR-FAILED-002', failedComment: 'Packet Decryption Failed', ...DB_DOWN },
  // The securezone stage's only refusal is the duplicate, written with its success sub status and the duplicate
  // comment (RPR-SEZ-002 goes only to the audit log; SecurezoneNotificationStage.java l.251-260, the same texts as
  // the live stage in securezoneStage.ts).
  SECUREZONE_NOTIFICATION: { successSubStatus: SUCCESS_SUB_STATUS, successComment: SUCCESS_COMMENT, failedSubStatus: SUCCESS_SUB_STATUS, failedComment: DUPLICATE_COMMENT, ...DB_DOWN },
  MANUAL_ADJUDICATION: { successSubStatus: 'RPR-MNV-SUCCESS-001', successComment: 'Match Not Found by Manual Verifier', failedSubStatus: 'RPR-MNV-FAILED-002', failedComment: 'Match Found by Manual Verifier', ...API_DOWN },
  VERIFICATION: { successSubStatus: 'RPR-VER-001', successComment: 'Verification success', failedSubStatus: 'RPR-VER-002', failedComment: 'Verification failed', ...API_DOWN },
  BIOMETRIC_AUTHENTICATION: { successSubStatus: 'RPR-BAU-SUCCESS-001', successComment: 'Biometric Authentication is Successful', failedSubStatus: 'RPR-BAU-FAILED-001', failedComment: 'Biometric Authentication has Failed', ...API_DOWN },
  EXTERNAL_INTEGRATION: { successSubStatus: 'RPR-EXS-SUCCESS-001', successComment: 'Packet processing in External stage is sucessful', failedSubStatus: 'RPR-EXS-SUCCESS-001', failedComment: 'Packet processing in External stage failed', ...API_DOWN },
  QUALITY_CHECK: { successSubStatus: 'RPR-QCK-SUCCESS-002', successComment: 'Biometric Quality Check is Successful', failedSubStatus: 'RPR-QCK-FAILED-001', failedComment: 'Quality Score of Biometrics Captured is Below the Threshold', ...API_DOWN },
  OSI_VALIDATE: { successSubStatus: 'RPR-OVM-SUCCESS-001', successComment: 'OPERATOR Validation is Successful', failedSubStatus: 'RPR-OVM-FAILED-001', failedComment: 'OfficerId is inActive', ...API_DOWN },
  MANUAL_VERIFICATION: { successSubStatus: 'RPR-MNV-SUCCESS-001', successComment: 'Match Not Found by Manual Verifier', failedSubStatus: 'RPR-MNV-FAILED-002', failedComment: 'Match Found by Manual Verifier', ...API_DOWN },
};

const CODES: Readonly<Record<string, Codes>> = {
  ...OTHER_STAGES,
  ...Object.fromEntries(STAGES_WITH_VALIDATORS.map((s) => [s.trnTypeCode, s])),
};

const SUCCESS_LIKE = new Set(['SUCCESS', 'PROCESSED', 'IN_PROGRESS', 'PROCESSING']);
/** The reprocessor's texts (StatusUtil.RE_PROCESS_COMPLETED / RE_PROCESS_FAILED). */
const REPROCESS_COMPLETED = { code: 'RPR-RPS-SUCCESS-001', message: 'Reprocess Completed' };
const REPROCESS_FAILED = { code: 'RPR-RPS-FAILED-001', message: 'Reprocess count has exceeded the configured attempts' };
/** StatusUtil.WORKFLOW_INTERNAL_ACTION_SUCCESS: what WorkflowInternalActionVerticle writes (pause, mark-as-reprocess). */
const WORKFLOW_INTERNAL_ACTION_SUCCESS = 'RPR-WIA-001';

/** Share of the guide-selectable rows seeded as a data error that loops (ours, not MOSIP's). */
export const REPEATING_RATE = 0.04;

export class HistoryMaker {
  constructor(private readonly rng: SeededRandom, private readonly uuid: () => string) {}

  /**
   * Whether this row becomes a packet that fails the same way on every pass: PacketValidatorStage refused it
   * `failures` times (3 to 6) with the packet manager's KER-PUT-020, MOSIP's reprocessor re-sending it in between
   * (reg_process_retry_count = passes, trn_retry_count = failures: each internal error adds one). Only rows the
   * guide's query could select (in flight, not paused) are candidates.
   */
  makeRepeating(row: RegistrationRowInput): number | null {
    const candidate = ['PROCESSING', 'REPROCESS'].includes(row.statusCode ?? 'PROCESSING') && row.pauseRuleIds == null
      && ['SUCCESS', 'REPROCESS', 'IN_PROGRESS'].includes(row.latestTrnStatusCode ?? 'SUCCESS') && row.isActive !== false;
    if (!candidate || !this.rng.chance(REPEATING_RATE)) return null;
    const failures = this.rng.int(3, 6);
    Object.assign(row, {
      statusCode: 'REPROCESS', latestTrnTypeCode: PACKET_VALIDATOR.trnTypeCode, latestTrnStatusCode: 'REPROCESS',
      regStageName: PACKET_VALIDATOR.name, statusComment: KER_PUT_020_COMMENT, regProcessRetryCount: failures - 1, trnRetryCount: failures,
      lastSuccessStageName: 'PacketUploaderStage',
    });
    return failures;
  }

  /** The row's history, oldest first; the last row is its latest transaction (id = latest_trn_id). */
  historyOf(row: RegistrationRowInput, repeatedFailures: number | null): TransactionRowInput[] {
    const crMs = (row.crDtimes ?? new Date()).getTime();
    const latestMs = Math.max(crMs, (row.latestTrnDtimes ?? row.crDtimes ?? new Date()).getTime());
    const steps: Omit<TransactionRowInput, 'id' | 'regId' | 'parentRegtrnId' | 'crDtimes'>[] = [];
    const stage = (type: string) => CODES[type] ?? CODES.PACKET_RECEIVER!;
    const type = row.latestTrnTypeCode ?? TRN_TYPE.PACKET_RECEIVER;
    const status = row.latestTrnStatusCode ?? 'SUCCESS';
    if (type !== TRN_TYPE.PACKET_RECEIVER) steps.push(ok(stage(TRN_TYPE.PACKET_RECEIVER), TRN_TYPE.PACKET_RECEIVER));

    if (repeatedFailures !== null) {
      steps.push(ok(stage(TRN_TYPE.SECUREZONE_NOTIFICATION), TRN_TYPE.SECUREZONE_NOTIFICATION), ok(stage(TRN_TYPE.UPLOAD_PACKET), TRN_TYPE.UPLOAD_PACKET));
      for (let i = 0; i < repeatedFailures; i++) {
        if (i > 0) steps.push({ trnTypeCode: REPROCESSOR_PASS.trnTypeCode, statusCode: REPROCESSOR_PASS.statusCode, subStatusCode: REPROCESS_COMPLETED.code, statusComment: REPROCESS_COMPLETED.message });
        steps.push({ trnTypeCode: PACKET_VALIDATOR.trnTypeCode, statusCode: 'REPROCESS', subStatusCode: PACKET_MANAGER_EXCEPTION.code, statusComment: KER_PUT_020_COMMENT });
      }
    } else if (type === TRN_TYPE.PACKET_REPROCESS) {
      // The reprocessor re-sent a packet that had failed at its stage; REPROCESS_FAILED: it gave up.
      const failedAt = STAGES_WITH_VALIDATORS.find((s) => s.name === row.regStageName) ?? PACKET_VALIDATOR;
      steps.push({ trnTypeCode: failedAt.trnTypeCode, statusCode: 'REPROCESS', subStatusCode: failedAt.reprocessSubStatus, statusComment: failedAt.reprocessComment });
      steps.push(status === 'REPROCESS_FAILED'
        ? { trnTypeCode: type, statusCode: status, subStatusCode: REPROCESS_FAILED.code, statusComment: REPROCESS_FAILED.message }
        : { trnTypeCode: type, statusCode: status, subStatusCode: REPROCESS_COMPLETED.code, statusComment: REPROCESS_COMPLETED.message });
    } else if (type === TRN_TYPE.INTERNAL_WORKFLOW_ACTION || type === WORKFLOW_RESUME_TRN_TYPE_CODE) {
      // Paused (or resumed) after a stage's success: the workflow engine's row keeps the step's status.
      steps.push({ trnTypeCode: type, statusCode: status, subStatusCode: type === WORKFLOW_RESUME_TRN_TYPE_CODE ? WORKFLOW_ACTION_SUB_STATUS_CODE : WORKFLOW_INTERNAL_ACTION_SUCCESS, statusComment: row.statusComment ?? null });
    } else if (type !== TRN_TYPE.PACKET_RECEIVER || !SUCCESS_LIKE.has(status)) {
      const c = stage(type);
      // Now and then an earlier pass of the same stage had failed on a service that did not answer, and was re-driven.
      if (SUCCESS_LIKE.has(status) && this.rng.chance(0.15)) {
        steps.push({ trnTypeCode: type, statusCode: 'REPROCESS', subStatusCode: c.reprocessSubStatus, statusComment: c.reprocessComment });
        steps.push({ trnTypeCode: REPROCESSOR_PASS.trnTypeCode, statusCode: REPROCESSOR_PASS.statusCode, subStatusCode: REPROCESS_COMPLETED.code, statusComment: REPROCESS_COMPLETED.message });
      }
      steps.push(SUCCESS_LIKE.has(status) ? { ...ok(c, type), statusCode: status }
        : status === 'REPROCESS' ? { trnTypeCode: type, statusCode: status, subStatusCode: c.reprocessSubStatus, statusComment: c.reprocessComment }
          : { trnTypeCode: type, statusCode: status, subStatusCode: c.failedSubStatus, statusComment: c.failedComment });
    } else {
      steps.push({ ...ok(stage(type), type), statusCode: status });
    }

    // Times: the first at cr_dtimes, the last at latest_trn_dtimes, the others spread between (at least a second apart).
    const span = Math.max(steps.length * 1000, latestMs - crMs);
    const start = latestMs - span;
    const out: TransactionRowInput[] = [];
    let parent: string | null = null;
    steps.forEach((s, i) => {
      const last = i === steps.length - 1;
      const id = last && row.latestTrnId ? row.latestTrnId : this.uuid();
      const at = last ? latestMs : start + Math.floor((span * i) / steps.length);
      out.push({ ...s, id, regId: row.regId, parentRegtrnId: parent, crDtimes: new Date(at) });
      parent = id;
    });
    return out;
  }
}

function ok(c: Codes, type: string): Omit<TransactionRowInput, 'id' | 'regId' | 'parentRegtrnId' | 'crDtimes'> {
  return { trnTypeCode: type, statusCode: 'SUCCESS', subStatusCode: c.successSubStatus, statusComment: c.successComment };
}
