// A packet's history as MOSIP 1.2.0.1 writes it in regprc.registration_transaction (one row per stage step:
// trn_type_code, status_code, sub_status_code, status_comment, cr_dtimes; indexed by reg_id), and the codes
// the tool's triage reads in it. The simulator writes the same codes and texts. Sources are mosip/registration
// at tag v1.2.0.1 unless said otherwise; RP = registration-processor/, core = RP/registration-processor-core/
// src/main/java/io/mosip/registration/processor/core/. Code reading, nothing run against a live MOSIP.
//
// How a stage writes a failure (e.g. RP/pre-processor/registration-processor-packet-validator-stage/.../
// PacketValidateProcessor.java): it catches the exception, sets status_comment to a StatusUtil message followed
// by the exception's own message, cut to 220 characters (core/status/util/TrimExceptionMessage.java), sets
// sub_status_code to that StatusUtil entry's code, and sets the transaction status the exception type maps to
// (core/util/RegistrationExceptionMapperUtil.java: e.g. APIS_RESOURCE_ACCESS_EXCEPTION -> REPROCESS,
// PACKET_MANAGER_EXCEPTION -> REPROCESS, IOEXCEPTION -> ERROR, PACKET_STRUCTURAL_VALIDATION_FAILED -> FAILED).
// RegistrationStatusServiceImpl then inserts the registration_transaction row. A MOSIP checked exception's
// message is "<code> --> <message>" (mosip/commons kernel-core BaseCheckedException), which is how a packet
// manager error such as KER-PUT-020 ends up inside the comment.

/** Transaction statuses of a step that did not succeed (RegistrationTransactionStatusCode, core/code). */
export const FAILURE_TRN_STATUSES = ['FAILED', 'ERROR', 'REPROCESS', 'REJECTED', 'REPROCESS_FAILED'] as const;

/** Transaction statuses of a step that succeeded: a later one at the same stage means its failure was overcome. */
export const SUCCESS_TRN_STATUSES = ['SUCCESS', 'PROCESSED'] as const;

/**
 * Rows the workflow engine writes about a packet, not a stage's own step: they repeat the status of the step
 * they follow and are never a failure of their own.
 * - PACKET_REPROCESS: MOSIP's reprocessor re-sending the packet (RP/workflow-engine/registration-processor-
 *   reprocessor/.../ReprocessorVerticle.java: status REPROCESS, RPR-RPS-SUCCESS-001 "Reprocess Completed" or
 *   -002 "Reprocess restart from stage Completed"; REPROCESS_FAILED, RPR-RPS-FAILED-001, when its attempts are spent);
 * - INTERNAL_WORKFLOW_ACTION: the camel route's workflow commands (mark-as-reprocess, complete-as-failed, pause;
 *   RP/workflow-engine/registration-processor-workflow-manager-service/.../WorkflowInternalActionVerticle.java,
 *   sub status RPR-WIA-001, the step's status kept);
 * - WORKFLOW_RESUME: the workflow action API (WorkflowActionService.java, RPR-WAS-001).
 */
export const BOOKKEEPING_TRN_TYPES = ['PACKET_REPROCESS', 'INTERNAL_WORKFLOW_ACTION', 'WORKFLOW_RESUME'] as const;

/** A pass of MOSIP's reprocessor in the history: trn_type_code PACKET_REPROCESS with status REPROCESS (ReprocessorVerticle). */
export const REPROCESSOR_PASS = { trnTypeCode: 'PACKET_REPROCESS', statusCode: 'REPROCESS' } as const;

/** A StatusUtil entry (core/status/util/StatusUtil.java): the sub_status_code and the start of status_comment. */
export interface StatusUtilEntry {
  code: string;
  message: string;
}

// The StatusUtil entries named below. Spelling ("Databse", "occured") is MOSIP's.
/** StatusUtil.API_RESOUCE_ACCESS_FAILED: a service the stage calls (ABIS, IDA, id-repo, packet manager's REST API) did not answer. */
export const API_RESOURCE_ACCESS_FAILED: StatusUtilEntry = { code: 'RPR-SYS-EXCEPTION-001', message: 'Unable to access API resource' };
/** StatusUtil.DB_NOT_ACCESSIBLE: the stage could not reach the regprc database. */
export const DB_NOT_ACCESSIBLE: StatusUtilEntry = { code: 'RPR-SYS-EXCEPTION-001', message: 'Databse Not Accessible' };
/** StatusUtil.OBJECT_STORE_EXCEPTION: the object store (MinIO/S3) did not answer. */
export const OBJECT_STORE_EXCEPTION: StatusUtilEntry = { code: 'RPR-SYS-EXCEPTION-001', message: 'Object store exception occured' };
/** StatusUtil.NGINX_ACCESS_EXCEPTION: the packet uploader could not fetch the packet from the landing zone's URL. */
export const NGINX_ACCESS_EXCEPTION: StatusUtilEntry = { code: 'RPR-SYS-EXCEPTION-001', message: 'NGINX url is not accessible' };
/** StatusUtil.VIRUS_SCANNER_SERVICE_NOT_ACCESSIBLE: ClamAV did not answer. */
export const VIRUS_SCANNER_SERVICE_NOT_ACCESSIBLE: StatusUtilEntry = { code: 'RPR-SYS-EXCEPTION-001', message: 'Virus Scanner Service is not accessible' };
/** StatusUtil.IDREPO_DRAFT_REPROCESSABLE_EXCEPTION (UIN generator). */
export const IDREPO_DRAFT_REPROCESSABLE: StatusUtilEntry = { code: 'RPR-UIN-FAILED-009', message: 'Exception occured updating idrepo draft, which can be reprocessed' };
/** StatusUtil.BIOMETRIC_EXTRACTION_IDREPO_DRAFT_REPROCESSABLE_EXCEPTION. */
export const BIOMETRIC_EXTRACTION_DRAFT_REPROCESSABLE: StatusUtilEntry = { code: 'RPR-BEN-FAILED-003', message: 'Exception occured updating idrepo draft, which can be reprocessed' };
/** StatusUtil.FINALIZATION_IDREPO_DRAFT_REPROCESSABLE_EXCEPTION. */
export const FINALIZATION_DRAFT_REPROCESSABLE: StatusUtilEntry = { code: 'RPR-FIN-FAILED-004', message: 'Exception occured updating idrepo draft, which can be reprocessed' };
/**
 * StatusUtil.PACKET_MANAGER_EXCEPTION at packet validation: the packet manager answered with an error (its own
 * KER-PUT-* code inside the comment). Status REPROCESS (PACKET_MANAGER_EXCEPTION in RegistrationExceptionMapperUtil),
 * so the camel route marks the packet for reprocessing, and the same data fails the same way on every pass.
 * Not transient: it is the data, not a service, that fails.
 */
export const PACKET_MANAGER_EXCEPTION: StatusUtilEntry = { code: 'RPR-PKV-FAILED-014', message: 'Exception occured in packet manager.' };
/**
 * The packet manager's PACKET_VALIDATION_FAILED (mosip/packet-manager, commons-packet/commons-packet-manager/src/main/
 * java/io/mosip/commons/packet/constants/PacketUtilityErrorCodes.java, commit c552c25c): the packet's contents failed
 * the packet manager's validation.
 */
export const KER_PUT_020 = { code: 'KER-PUT-020', message: 'Packet Validation exception occured.' } as const;
/** The status_comment PacketValidateProcessor writes for a KER-PUT-020 answer: StatusUtil message + "<code> --> <message>". */
export const KER_PUT_020_COMMENT = `${PACKET_MANAGER_EXCEPTION.message}${KER_PUT_020.code} --> ${KER_PUT_020.message}`;

/** One kind of failure that a re-drive has fixed before: the service it needed was down, not the packet wrong. */
export interface TransientFailure {
  /** registration_transaction.sub_status_code */
  subStatusCode: string;
  /**
   * status_comment starts with this: system exceptions share one sub status code (RPR-SYS-EXCEPTION-001) and
   * RPR-UIN-FAILED-009 is also VID_CREATION_FAILED's code, so the comment tells them apart; null: any comment.
   */
  commentPrefix: string | null;
  /** The StatusUtil entry's name, as in MOSIP's source. */
  mosipName: string;
  /** What failed, in the operator's words. */
  what: string;
  /** Where MOSIP writes it (mosip/registration v1.2.0.1 paths; RP = registration-processor/). */
  source: string;
}

/**
 * THE table of transient failures: a failure whose sub status (and comment prefix) is here was caused by a service
 * that did not answer (a timeout, an unreachable database, object store, ABIS, IDA or id-repo), and the same packet
 * went through once it answered. The triage calls a cohort whose last failure is one of these "transient". Read
 * from StatusUtil (core/status/util/StatusUtil.java) and where each entry is written.
 */
export const TRANSIENT_FAILURES: readonly TransientFailure[] = Object.freeze([
  {
    subStatusCode: API_RESOURCE_ACCESS_FAILED.code, commentPrefix: API_RESOURCE_ACCESS_FAILED.message, mosipName: 'API_RESOUCE_ACCESS_FAILED',
    what: 'a service the stage calls (ABIS, IDA, id-repo, the packet manager) did not answer; status REPROCESS (APIS_RESOURCE_ACCESS_EXCEPTION)',
    source: 'RP/core-processor/*/BioDedupeProcessor.java, DemodedupeProcessor.java, UinGeneratorStage.java, BiometricExtractionStage.java, FinalizationStage.java, BiometricAuthenticationStage.java; RP/pre-processor/*/PacketValidateProcessor.java, QualityClassifierStage.java (catch ApisResourceAccessException)',
  },
  {
    subStatusCode: DB_NOT_ACCESSIBLE.code, commentPrefix: DB_NOT_ACCESSIBLE.message, mosipName: 'DB_NOT_ACCESSIBLE',
    what: 'the stage could not reach its database; status REPROCESS (TABLE_NOT_ACCESSIBLE_EXCEPTION, DATA_ACCESS_EXCEPTION)',
    source: 'RP/pre-processor/*/PacketValidateProcessor.java, PacketUploaderServiceImpl.java (catch TablenotAccessibleException, DataAccessException)',
  },
  {
    subStatusCode: OBJECT_STORE_EXCEPTION.code, commentPrefix: OBJECT_STORE_EXCEPTION.message, mosipName: 'OBJECT_STORE_EXCEPTION',
    what: 'the object store did not answer; status REPROCESS (OBJECT_STORE_EXCEPTION)',
    source: 'RP/pre-processor/*/PacketUploaderServiceImpl.java, RP/core-processor/*/DemodedupeProcessor.java (catch ObjectStoreNotAccessibleException)',
  },
  {
    subStatusCode: NGINX_ACCESS_EXCEPTION.code, commentPrefix: NGINX_ACCESS_EXCEPTION.message, mosipName: 'NGINX_ACCESS_EXCEPTION',
    what: 'the packet uploader could not fetch the packet from the landing zone; status REPROCESS (NGINX_ACCESS_EXCEPTION)',
    source: 'RP/pre-processor/registration-processor-packet-uploader-stage/.../PacketUploaderServiceImpl.java (catch ApisResourceAccessException)',
  },
  {
    subStatusCode: VIRUS_SCANNER_SERVICE_NOT_ACCESSIBLE.code, commentPrefix: VIRUS_SCANNER_SERVICE_NOT_ACCESSIBLE.message, mosipName: 'VIRUS_SCANNER_SERVICE_NOT_ACCESSIBLE',
    what: 'the virus scanner did not answer; status FAILED (VIRUS_SCANNER_SERVICE_FAILED), though nothing is wrong with the packet',
    source: 'RP/pre-processor/*/PacketUploaderServiceImpl.java, RP/init/*/PacketReceiverServiceImpl.java (catch VirusScannerException)',
  },
  {
    subStatusCode: IDREPO_DRAFT_REPROCESSABLE.code, commentPrefix: IDREPO_DRAFT_REPROCESSABLE.message, mosipName: 'IDREPO_DRAFT_REPROCESSABLE_EXCEPTION',
    what: 'id-repo refused the draft with an error MOSIP itself marks reprocessable; status REPROCESS (PACKET_UIN_GENERATION_REPROCESS)',
    source: 'RP/core-processor/registration-processor-uin-generator-stage/.../UinGeneratorStage.java',
  },
  {
    subStatusCode: BIOMETRIC_EXTRACTION_DRAFT_REPROCESSABLE.code, commentPrefix: BIOMETRIC_EXTRACTION_DRAFT_REPROCESSABLE.message, mosipName: 'BIOMETRIC_EXTRACTION_IDREPO_DRAFT_REPROCESSABLE_EXCEPTION',
    what: 'id-repo refused the draft with an error MOSIP marks reprocessable; status REPROCESS (BIOMETRIC_EXTRACTION_REPROCESS)',
    source: 'RP/core-processor/registration-processor-biometric-extraction-stage/.../BiometricExtractionStage.java',
  },
  {
    subStatusCode: FINALIZATION_DRAFT_REPROCESSABLE.code, commentPrefix: FINALIZATION_DRAFT_REPROCESSABLE.message, mosipName: 'FINALIZATION_IDREPO_DRAFT_REPROCESSABLE_EXCEPTION',
    what: 'id-repo refused to publish the draft with an error MOSIP marks reprocessable; status REPROCESS',
    source: 'RP/core-processor/registration-processor-finalization-stage/.../FinalizationStage.java',
  },
] satisfies TransientFailure[]);

/** The transient failure this sub status and comment are, or null. */
export function transientFailureOf(subStatusCode: string | null, statusComment: string | null): TransientFailure | null {
  if (subStatusCode === null) return null;
  for (const t of TRANSIENT_FAILURES) {
    if (t.subStatusCode !== subStatusCode) continue;
    if (t.commentPrefix === null || (statusComment ?? '').startsWith(t.commentPrefix)) return t;
  }
  return null;
}
