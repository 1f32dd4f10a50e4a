// The shape of a realistic regprc backlog after a 1.1.5.5 -> 1.2.0.1 upgrade: how often each process, status, stage
// and retry count occurs. Values are MOSIP 1.2.0.1 enums (docs/mosip-facts.md, "Identifiers and codes"); the
// weights are ours.
import { SECUREZONE_STAGE_NAME } from '@mosip-reprocess/contract/enums.js';

export const PROCESS_WEIGHTS = {
  NEW: 78, UPDATE: 9, LOST: 4, RES_UPDATE: 3, ACTIVATED: 1, DEACTIVATED: 1, RES_REPRINT: 1, BIOMETRIC_CORRECTION: 2,
  OPENCRVS_NEW: 1,
} as const;

export const STATUS_CODE_WEIGHTS = {
  PROCESSING: 68, PROCESSED: 12, FAILED: 6, REJECTED: 4, REPROCESS: 4, PAUSED: 2, REPROCESS_FAILED: 2, RESUMABLE: 1,
  PAUSED_FOR_ADDITIONAL_INFO: 1,
} as const;

/** latest_trn_status_code of a packet still in flight. */
export const IN_FLIGHT_TRN_STATUS_WEIGHTS = {
  SUCCESS: 55, REPROCESS: 15, IN_PROGRESS: 12, ERROR: 7, FAILED: 7, PROCESSING: 4,
} as const;

/** 1.2.0.1 latest_trn_type_code -> reg_stage_name of the stage that writes it. */
export const STAGE_OF_TRN_TYPE: Readonly<Record<string, string>> = {
  PACKET_RECEIVER: 'PacketReceiverStage',
  SECUREZONE_NOTIFICATION: SECUREZONE_STAGE_NAME,
  UPLOAD_PACKET: 'PacketUploaderStage',
  VALIDATE_PACKET: 'PacketValidatorStage',
  PACKET_CLASSIFICATION: 'PacketClassifierStage',
  CMD_VALIDATION: 'CMDValidatorStage',
  OPERATOR_VALIDATION: 'OperatorValidatorStage',
  SUPERVISOR_VALIDATION: 'SupervisorValidatorStage',
  INTRODUCER_VALIDATION: 'IntroducerValidatorStage',
  QUALITY_CLASSIFIER: 'QualityClassifierStage',
  DEMOGRAPHIC_VERIFICATION: 'DemoDedupeStage',
  BIOGRAPHIC_VERIFICATION: 'BioDedupeStage',
  MANUAL_ADJUDICATION: 'ManualAdjudicationStage',
  VERIFICATION: 'VerificationStage',
  UIN_GENERATOR: 'UinGeneratorStage',
  BIOMETRIC_EXTRACTION: 'BiometricExtractionStage',
  BIOMETRIC_AUTHENTICATION: 'BiometricAuthenticationStage',
  EXTERNAL_INTEGRATION: 'ExternalStage',
  FINALIZATION: 'FinalizationStage',
  PRINT_SERVICE: 'CredentialRequestorStage', // the last stage of 1.2.0.1 (pipeline.ts CREDENTIAL_REQUESTOR)
  // 1.1.5.5 codes that survive the migration, with the 1.1.x stage names.
  QUALITY_CHECK: 'QualityCheckerStage',
  OSI_VALIDATE: 'OSIValidatorStage',
  MANUAL_VERIFICATION: 'ManualVerificationStage',
};

/**
 * Rows migrated from 1.1.5.5 keep the stage name 1.1.5.5 wrote where it differs from 1.2.0.1's: its last stage was
 * the class PrintingStage (registration v1.1.5.5 registration-processor-printing-stage; the 1.1.5.5-to-1.2.0.1
 * upgrade script keeps that name, db_upgrade_scripts/mosip_regprc/sql/1.1.5.5_to_1.2.0.1-B1_upgrade.sql l.242).
 */
export const MIGRATED_STAGE_OF_TRN_TYPE: Readonly<Record<string, string>> = {
  PRINT_SERVICE: 'PrintingStage',
};

/** Where in-flight packets sit: mostly early and dedupe stages. */
export const IN_FLIGHT_TRN_TYPE_WEIGHTS = {
  PACKET_RECEIVER: 6, SECUREZONE_NOTIFICATION: 5, UPLOAD_PACKET: 8, VALIDATE_PACKET: 10, PACKET_CLASSIFICATION: 5,
  CMD_VALIDATION: 3, OPERATOR_VALIDATION: 4, SUPERVISOR_VALIDATION: 2, INTRODUCER_VALIDATION: 1, QUALITY_CLASSIFIER: 5,
  DEMOGRAPHIC_VERIFICATION: 9, BIOGRAPHIC_VERIFICATION: 10, MANUAL_ADJUDICATION: 5, VERIFICATION: 2, UIN_GENERATOR: 6,
  BIOMETRIC_EXTRACTION: 3, BIOMETRIC_AUTHENTICATION: 2, EXTERNAL_INTEGRATION: 1, FINALIZATION: 2, PACKET_REPROCESS: 9,
} as const;

/** Migrated rows can still carry 1.1.x codes. */
export const LEGACY_TRN_TYPES = ['QUALITY_CHECK', 'OSI_VALIDATE', 'MANUAL_VERIFICATION'] as const;

/** Terminal packets end in these. */
export const FINISHED_TRN_TYPES = ['PRINT_SERVICE', 'FINALIZATION', 'UIN_GENERATOR'] as const;

/** Fractions of the rows that get a particular trait. */
export const RATES = {
  /** Rows migrated from 1.1.5: source NULL. */
  migrated: 0.12,
  /** Of the migrated in-flight rows, how many still carry a legacy type code. */
  legacyTypeWhenMigrated: 0.35,
  /** A second sync + packet for an already received RID (the later one is the duplicate). */
  duplicateResend: 0.004,
  /** Rows created within the last day. */
  createdToday: 0.06,
  /** Older rows whose latest transaction is within the last day (recently touched). */
  touchedToday: 0.08,
  inactive: 0.003,
  secondIteration: 0.02,
} as const;

/** reg_process_retry_count buckets: mostly small, a tail past the guide's 500 limit. */
export const RETRY_BUCKETS: readonly { weight: number; min: number; max: number }[] = [
  { weight: 55, min: 0, max: 0 },
  { weight: 22, min: 1, max: 3 },
  { weight: 12, min: 4, max: 20 },
  { weight: 8, min: 21, max: 500 },
  { weight: 3, min: 501, max: 1500 },
];

/** Oldest packet age, in days. */
export const MAX_AGE_DAYS = 540;

/**
 * Paused packets (docs/mosip-facts.md, "Pause rules"). PAUSED rows were paused by a rule of
 * mosip.regproc.camelbridge.pause-settings (C l.523): "PAUSE" matches at packet-classifier-new-bus-out,
 * HOTLISTED_OPERATOR anywhere; when both match, the longer pause (and its default action) wins.
 * WorkflowInternalActionVerticle.processPacketForPaused writes status_code PAUSED, latest_trn_type_code
 * INTERNAL_WORKFLOW_ACTION (latest_trn_status_code kept: the stage's SUCCESS), pause_rule_ids = the matched rule
 * ids joined with ",", resume_timestamp = now + pauseFor and the rule's default_resume_action. The weights are
 * ours.
 */
export const PAUSE_RULE_WEIGHTS = { PAUSE: 65, HOTLISTED_OPERATOR: 30, 'PAUSE,HOTLISTED_OPERATOR': 5 } as const;

/** The rules' ruleDescription, which the status comment quotes. */
export const PAUSE_RULE_DESCRIPTIONS: Readonly<Record<string, string>> = {
  PAUSE: 'Non resident adult applicant packet',
  HOTLISTED_OPERATOR: 'Packet created by hotlisted operator',
};

/** PlatformSuccessMessages.PACKET_MARK_AS_PAUSED, followed by the rule descriptions in brackets. */
export const PAUSED_COMMENT = 'Packet paused because of pause settings match';
/** PlatformSuccessMessages.PAUSE_AND_REQUEST_ADDITIONAL_INFO (default resume action STOP_PROCESSING). */
export const PAUSED_FOR_ADDITIONAL_INFO_COMMENT = 'packet paused and request additional info';
/** How long a PAUSED_FOR_ADDITIONAL_INFO packet waits for the resident (ours; configured per process in MOSIP). */
export const ADDITIONAL_INFO_PAUSE_SECONDS = 14 * 86400;
/** Of the RESUMABLE rows (resumed, waiting for the reprocessor), those resumed from the beginning. */
export const RESUMED_FROM_BEGINNING_RATE = 0.3;
