// Valid values of MOSIP 1.2.0.1 (see docs/mosip-facts.md, "Identifiers and codes").

/** registration.process / the notification body's reg_type. */
export const PROCESSES = [
  'NEW', 'UPDATE', 'CORRECTION', 'ACTIVATED', 'DEACTIVATED', 'RES_UPDATE', 'LOST', 'RES_REPRINT',
  'BIOMETRIC_CORRECTION', 'OPENCRVS_NEW',
] as const;
export type Process = (typeof PROCESSES)[number];

/** registration.source; NULL on rows migrated from 1.1.5. */
export const SOURCES = ['REGISTRATION_CLIENT', 'RESIDENT', 'OPENCRVS'] as const;

/** registration.status_code */
export const STATUS_CODES = [
  'FAILED', 'REJECTED', 'PROCESSING', 'PROCESSED', 'REPROCESS_FAILED', 'PAUSED', 'RESUMABLE', 'REPROCESS',
  'PAUSED_FOR_ADDITIONAL_INFO',
] as const;

/** registration.latest_trn_status_code */
export const TRN_STATUS_CODES = [
  'SUCCESS', 'FAILED', 'IN_PROGRESS', 'ERROR', 'REPROCESS', 'PROCESSED', 'REJECTED', 'PROCESSING', 'REPROCESS_FAILED',
] as const;

/** registration.latest_trn_type_code, including 1.1.5.5 values that survive migration. */
export const TRN_TYPE_CODES = [
  'PACKET_RECEIVER', 'VIRUS_SCAN', 'UPLOAD_PACKET', 'VALIDATE_PACKET', 'PACKET_CLASSIFICATION', 'CMD_VALIDATION',
  'OPERATOR_VALIDATION', 'SUPERVISOR_VALIDATION', 'INTRODUCER_VALIDATION', 'EXTERNAL_INTEGRATION',
  'DEMOGRAPHIC_VERIFICATION', 'MANUAL_ADJUDICATION', 'VERIFICATION', 'BIOGRAPHIC_VERIFICATION', 'UIN_GENERATOR',
  'BIOMETRIC_EXTRACTION', 'NOTIFICATION', 'PRINT_SERVICE', 'PRINT_POSTAL_SERVICE', 'PRINT', 'PACKET_REPROCESS',
  'QUALITY_CLASSIFIER', 'BIOMETRIC_AUTHENTICATION', 'SECUREZONE_NOTIFICATION', 'INTERNAL_WORKFLOW_ACTION',
  'WORKFLOW_RESUME', 'FINALIZATION', 'OSI_VALIDATE', 'QUALITY_CHECK', 'MANUAL_VERIFICATION',
] as const;

/** `registration.processor.main-processes`: these use the reg_id-based duplicate check. */
export const MAIN_PROCESSES = ['NEW', 'UPDATE', 'LOST', 'RES_UPDATE', 'ACTIVATE', 'DEACTIVATE', 'OPENCRVS_NEW'] as const;

/** The guide's APPROACH 1 defaults. */
export const APPROACH1_TRN_STATUSES = ['SUCCESS', 'REPROCESS', 'IN_PROGRESS'] as const;
export const APPROACH1_EXCLUDED_STATUS_CODES = ['PROCESSED', 'FAILED', 'REJECTED'] as const;

/** The guide's APPROACH 2 stage list (latest_trn_type_code), for countries with securezone.routing.enabled=false. */
export const APPROACH2_STAGES = [
  'UPLOAD_PACKET', 'VALIDATE_PACKET', 'QUALITY_CHECK', 'OSI_VALIDATE', 'BIOMETRIC_AUTHENTICATION',
  'DEMOGRAPHIC_VERIFICATION', 'BIOGRAPHIC_VERIFICATION', 'MANUAL_VERIFICATION', 'UIN_GENERATOR',
] as const;

export function isProcess(value: string): value is Process {
  return (PROCESSES as readonly string[]).includes(value);
}

/** One named constant per code of a list: `TRN_TYPE.SECUREZONE_NOTIFICATION`, checked against the list by the compiler. */
function codes<const T extends readonly string[]>(list: T): { readonly [K in T[number]]: K } {
  return Object.freeze(Object.fromEntries(list.map((c) => [c, c]))) as { readonly [K in T[number]]: K };
}

/** registration.status_code values by name (only the workflow engine changes this column). */
export const STATUS = codes(STATUS_CODES);
/** registration.latest_trn_status_code / registration_transaction.status_code values by name. */
export const TRN_STATUS = codes(TRN_STATUS_CODES);
/** registration.latest_trn_type_code / registration_transaction.trn_type_code values by name. */
export const TRN_TYPE = codes(TRN_TYPE_CODES);

/** reg_stage_name of the securezone notification stage (the Java class's simple name). */
export const SECUREZONE_STAGE_NAME = 'SecurezoneNotificationStage';
