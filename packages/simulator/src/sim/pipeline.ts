// The simulated 1.2.0.1 workflow behind the securezone stage ("Zero-setup demo", the pipeline model). Every message
// the stage forwards (SimulatorOptions.onForward) becomes one packet that moves through the stages over time, the
// way the camel routes and the stage consumers would move it, and each stage step writes what MOSIP writes
// (src/sim/pipelineStep.ts, statements in src/sql).
//
// Model, in the order a packet sees it, with MOSIP's limits (docs/mosip-facts.md, "Pipeline after securezone"):
// - every stage has a queue (its Kafka topic) and a capacity: it consumes at most capacityPerSecond messages per
//   second from its queue, spread evenly; a burst above that rate queues and the queue grows;
// - a message older than maxMessageAgeMs when the stage consumes it is dropped, with no database write
//   (MosipVerticleManager.consumeAndSend and each stage's mosip.regproc.<stage>.message.expiry-time-limit, which
//   MOSIP sets to mosip.regproc.common.stage.message.expiry-time-limit, 3600 s). Its age is counted from its
//   lastHopTimestamp: when the securezone stage (for the first stage) or the previous stage sent it. A dropped
//   message takes no capacity: the consumer discards it and reads the next one. The row stays where
//   the previous stage left it, and looks stuck;
// - each stage takes its latency, then its step is written (at most maxConcurrentDbWork writes at once);
// - the packet uploader counts its passes in trn_retry_count (+1 on every pass) and, on the pass that brings it to
//   uploadRetryLimit (registration.processor.max.retry, 10), fails the packet: status_code FAILED, sub-status
//   RPR-PKU-FAILED-009 (PacketUploaderServiceImpl.validateAndUploadPacket). Only the packet receiver resets it, so
//   a packet re-driven many times fails there;
// - a step succeeds (latest SUCCESS; the last stage completes the packet as PROCESSED) or, with the configured
//   probability, fails: FAILED (status_code FAILED, like workflow-cmd://complete-as-failed) or REPROCESS
//   (status_code REPROCESS, like workflow-cmd://mark-as-reprocess; docs/mosip-facts.md, "Who changes the status
//   code"). A failed packet stops; the automated reprocessor or the tool must re-drive it. Each outcome writes the stage's own sub status and
//   comment (PipelineStage: success, failure, and the internal error its reprocess comes from);
// - a data error does not go away: a packet whose validation the packet manager refused before (KER-PUT-020 in its
//   history: PACKET_MANAGER_EXCEPTION, status REPROCESS; @mosip-reprocess/contract/history.js) is refused the same
//   way on every pass, as MOSIP's PacketValidateProcessor would with the same packet. The seed makes such packets.
// - if the row is no longer where this packet left it (re-notified, reprocessed, edited), the packet is
//   "superseded" and stops without writing;
// - with `hold`, a share of the packets is taken and kept by a later stage, as MOSIP keeps a packet while a system
//   or a person decides: the bio dedupe stage sends it to ABIS and writes BIOGRAPHIC_VERIFICATION / IN_PROGRESS
//   ("Biometric Deduplication In-Progress", BioDedupeProcessor), or, on a potential match, writes
//   BIOGRAPHIC_VERIFICATION / FAILED and hands it to manual adjudication, which writes MANUAL_ADJUDICATION /
//   IN_PROGRESS ("Manual verification request sent to queue", ManualAdjudicationServiceImpl.process) and waits
//   for a person. A held packet stays there (its row keeps that write) until the model stops;
// - with `clockSkewMs`, the stage pods' clock is off the database's: their writes' timestamps carry the offset,
//   and they age messages on that clock.
// The securezone stage's own worker pool (10 requests at once) is the HTTP server's (server.ts, workerPool.ts).
// Simplification: in MOSIP the workflow command that ends a packet (complete-as-processed, complete-as-failed,
// mark-as-reprocess; WorkflowInternalActionVerticle) writes a second transaction row of type INTERNAL_WORKFLOW_ACTION.
// The model folds that status change into the stage's own row, so there is exactly one transaction row per step
// and latest_trn_type_code shows the stage the packet ended or stopped in.
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { StepRow } from '../sql/lockStepRow.js';
import { pipelineStepRunner, type PipelineStepWrite, type StepApplied, type StepRunner } from './pipelineStep.js';
import type { ForwardedMessage } from './forwarding.js';
import { SeededRandom } from './random.js';
import { checkClockSkew } from './options.js';
import {
  API_RESOURCE_ACCESS_FAILED, DB_NOT_ACCESSIBLE, KER_PUT_020_COMMENT, OBJECT_STORE_EXCEPTION, PACKET_MANAGER_EXCEPTION,
} from '@mosip-reprocess/contract/history.js';

/** One stage: its reg_stage_name (Java class name), trn type and the sub-status codes/comments it writes. */
export interface PipelineStage {
  name: string;
  trnTypeCode: string;
  successSubStatus: string;
  successComment: string;
  /** Written when the step fails as FAILED (the stage's own validation failure). */
  failedSubStatus: string;
  failedComment: string;
  /** Written when the step fails as REPROCESS: the internal error (a service that did not answer) the stage catches. */
  reprocessSubStatus: string;
  reprocessComment: string;
}

// Codes and texts from StatusUtil / StatusConstants (mosip/registration registration-processor-core; code reading).
// Typos are MOSIP's ("RPR-PKC" has no dash before SUCCESS; "extaction", "successfuly").
const SYSTEM_EXCEPTION = 'RPR-SYS-EXCEPTION-001';
/**
 * The reprocess a stage writes is the internal error it catches (status REPROCESS in RegistrationExceptionMapperUtil):
 * the StatusUtil message, then the exception's own text, which depends on the deployment (here a read timeout, the
 * same for every packet). Which error each stage catches: ApisResourceAccessException in the packet validator,
 * quality classifier, demo and bio dedupe, UIN generator, biometric extraction, finalization and the credential
 * requestor (PRINT_SERVICE); the object store in the packet uploader; the database in the packet classifier (its
 * processor's catch blocks in mosip/registration v1.2.0.1).
 */
const TIMEOUT = 'java.net.SocketTimeoutException: Read timed out';
const API_DOWN = { reprocessSubStatus: API_RESOURCE_ACCESS_FAILED.code, reprocessComment: `${API_RESOURCE_ACCESS_FAILED.message}${TIMEOUT}` };
const stage = (
  name: string, trnTypeCode: string, successSubStatus: string, successComment: string,
  failedSubStatus: string, failedComment: string,
  reprocess: { reprocessSubStatus: string; reprocessComment: string } = API_DOWN,
): PipelineStage => Object.freeze({ name, trnTypeCode, successSubStatus, successComment, failedSubStatus, failedComment, ...reprocess });

export const PACKET_UPLOADER = stage('PacketUploaderStage', 'UPLOAD_PACKET',
  'RPR-PKU-SUCCESS-001', 'Packet is Uploaded to Packet Store', 'RPR-PKU-FAILED-003', 'Packet Upload Failed',
  // PacketUploaderServiceImpl: catch ObjectStoreNotAccessibleException, the comment is the message alone.
  { reprocessSubStatus: OBJECT_STORE_EXCEPTION.code, reprocessComment: OBJECT_STORE_EXCEPTION.message });
export const PACKET_VALIDATOR = stage('PacketValidatorStage', 'VALIDATE_PACKET',
  'RPR-PKV-SUCCESS-001', 'Packet Validation is Successful', 'RPR-PKV-FAILED-003', 'Check Sum Validation Failed');
export const PACKET_CLASSIFIER = stage('PacketClassifierStage', 'PACKET_CLASSIFICATION',
  'RPR-PKCSUCCESS-001', 'Packet Classification is Successful', SYSTEM_EXCEPTION, 'Unknown exception occured ',
  // PacketClassificationProcessor: catch DataAccessException / TablenotAccessibleException.
  { reprocessSubStatus: DB_NOT_ACCESSIBLE.code, reprocessComment: `${DB_NOT_ACCESSIBLE.message}Could not open JDBC Connection for transaction` });
export const CMD_VALIDATOR = stage('CMDValidatorStage', 'CMD_VALIDATION',
  'RPR-CMD-SUCCESS-001', 'CMD Validation is Successful', 'RPR-CMD-FAILED-009', 'Device Validation Failed');
export const OPERATOR_VALIDATOR = stage('OperatorValidatorStage', 'OPERATOR_VALIDATION',
  'RPR-OVM-SUCCESS-001', 'OPERATOR Validation is Successful', 'RPR-OVM-FAILED-001', 'OfficerId is inActive');
export const SUPERVISOR_VALIDATOR = stage('SupervisorValidatorStage', 'SUPERVISOR_VALIDATION',
  'RPR-SVM-SUCCESS-001', 'SUPERVISOR Validation is Successful', 'RPR-SVM-FAILED-001', 'SupervisorId is inActive');
export const INTRODUCER_VALIDATOR = stage('IntroducerValidatorStage', 'INTRODUCER_VALIDATION',
  'RPR-IVM-SUCCESS-001', 'INTRODUCER Validation is Successful',
  'RPR-IVM-FAILED-002', 'UIN or RID of Introducer Not Found in Packet');
export const QUALITY_CLASSIFIER = stage('QualityClassifierStage', 'QUALITY_CLASSIFIER',
  'RPR-QCK-SUCCESS-002', 'Biometric Quality Check is Successful',
  'RPR-QCK-FAILED-001', 'Quality Score of Biometrics Captured is Below the Threshold');
export const DEMO_DEDUPE = stage('DemoDedupeStage', 'DEMOGRAPHIC_VERIFICATION',
  'RPR-DDP-SUCCESS-001', 'Demo Dedupe is Successful', SYSTEM_EXCEPTION, 'Demo Dedupe Failed  in ABIS');
export const BIO_DEDUPE = stage('BioDedupeStage', 'BIOGRAPHIC_VERIFICATION',
  'RPR-BDP-SUCCESS-002', 'Biometric Deduplication is Successful', SYSTEM_EXCEPTION, 'Identify Response Failed for Request ID - ');
export const UIN_GENERATOR = stage('UinGeneratorStage', 'UIN_GENERATOR',
  'RPR-UIN-SUCCESS-001', 'UIN Generated Successfully', 'RPR-UIN-FAILED-004', 'UIN Generation failed - ');
export const BIOMETRIC_EXTRACTION = stage('BiometricExtractionStage', 'BIOMETRIC_EXTRACTION',
  'RPR-BEN-SUCCESS-001', 'biometric extaction was successful',
  'RPR-BEN-FAILED-001', 'Draft request is unavaialble in id-repo draft repository.');
export const FINALIZATION = stage('FinalizationStage', 'FINALIZATION',
  'RPR-FIN-SUCCESS-001', 'idrepo draft was published  successfuly', 'RPR-FIN-FAILED-001', 'Draft request failed to publish.');
// The last stage of 1.2.0.1 is the credential requestor: it consumes printing-bus-in and writes PRINT_SERVICE with
// the RPR-PPS-* codes under its own class name (CredentialRequestorStage.java l.85, 163, 196-198, 272-280;
// reg_stage_name is getStageName(), the class's simple name). PrintingStage was 1.1.5's class; only migrated rows
// still carry it (seedProfile.ts).
export const CREDENTIAL_REQUESTOR = stage('CredentialRequestorStage', 'PRINT_SERVICE',
  'RPR-PPS-SUCCESS-001', 'Print request submitted', 'RPR-PPS-FAILED-009', 'Print request failed');

/** The NEW-packet stages after the securezone stage, without the optional CMD/operator/supervisor/introducer validators. */
export const DEFAULT_STAGES: readonly PipelineStage[] = Object.freeze([
  PACKET_UPLOADER, PACKET_VALIDATOR, PACKET_CLASSIFIER, QUALITY_CLASSIFIER, DEMO_DEDUPE, BIO_DEDUPE,
  UIN_GENERATOR, BIOMETRIC_EXTRACTION, FINALIZATION, CREDENTIAL_REQUESTOR,
]);

/** The same with the validators the camel route runs between the packet classifier and the quality classifier. */
export const STAGES_WITH_VALIDATORS: readonly PipelineStage[] = Object.freeze([
  PACKET_UPLOADER, PACKET_VALIDATOR, PACKET_CLASSIFIER, CMD_VALIDATOR, OPERATOR_VALIDATOR, SUPERVISOR_VALIDATOR,
  INTRODUCER_VALIDATOR, QUALITY_CLASSIFIER, DEMO_DEDUPE, BIO_DEDUPE, UIN_GENERATOR, BIOMETRIC_EXTRACTION,
  FINALIZATION, CREDENTIAL_REQUESTOR,
]);

/** The stage that takes and keeps a held packet (PipelineOptions.hold). */
export type HoldStage = 'BIOGRAPHIC_VERIFICATION' | 'MANUAL_ADJUDICATION';
export const HOLD_STAGES: readonly HoldStage[] = ['BIOGRAPHIC_VERIFICATION', 'MANUAL_ADJUDICATION'];

export interface PipelineHold {
  /** Share (0..1) of the packets held, drawn per message in message order (seeded). */
  share: number;
  /**
   * BIOGRAPHIC_VERIFICATION (default): the bio dedupe stage sent it to ABIS and waits for the answer.
   * MANUAL_ADJUDICATION: ABIS found a potential match; manual adjudication waits for a person.
   */
  at?: HoldStage;
}

// StatusUtil.BIO_DEDUPE_INPROGRESS, BIO_DEDUPE_POTENTIAL_MATCH and RPR_MANUAL_VERIFICATION_SENT_TO_QUEUE (1.2.0.1).
const BIO_DEDUPE_IN_PROGRESS = { subStatusCode: 'RPR-BDP-SUCCESS-001', comment: 'Biometric Deduplication In-Progress' } as const;
const BIO_DEDUPE_POTENTIAL_MATCH = { subStatusCode: 'RPR-BDP-FAILED-001', comment: 'Potential Biometric Match Found while Processing Packet' } as const;
export const MANUAL_ADJUDICATION_STAGE_NAME = 'ManualAdjudicationStage';
const MANUAL_ADJUDICATION_SENT_TO_QUEUE = { subStatusCode: 'RPR-MVS-002', comment: 'Manual verification request sent to queue' } as const;

/** StatusUtil.PACKET_RETRY_CNT_EXCEEDED (PACKET_UPLOADER_MODULE_FAILED + "009"). */
export const UPLOAD_RETRY_EXCEEDED_SUB_STATUS = 'RPR-PKU-FAILED-009';
export const UPLOAD_RETRY_EXCEEDED_COMMENT = 'Retry count has exceeded the maximum limit specified';

/** FAILED: complete-as-failed; REPROCESS: mark-as-reprocess; mixed: each failure picks one of the two at random. */
export type FailureMode = 'FAILED' | 'REPROCESS' | 'mixed';

/** A per-stage setting: one value for every stage, or values by reg_stage_name; '*' covers stages not named. */
export type PerStage<T> = T | Readonly<Record<string, T>>;

export interface PipelineOptions {
  /** The regprc database (not closed by the model). */
  pool: pg.Pool;
  /** Default 'regprc'. */
  schema?: string;
  /** Default DEFAULT_STAGES. */
  stages?: readonly PipelineStage[];
  /** Time a packet spends in a stage before its step is written, in ms. Default 200. */
  stageLatencyMs?: PerStage<number>;
  /** Messages per second each stage consumes from its queue; Infinity consumes at once. Default 20. */
  capacityPerSecond?: PerStage<number>;
  /**
   * A message older than this when a stage consumes it is dropped without a database write, in ms
   * (mosip.regproc.common.stage.message.expiry-time-limit: 3600 s). Default 3_600_000; Infinity never drops.
   */
  maxMessageAgeMs?: number;
  /** registration.processor.max.retry: the packet uploader fails a packet on the pass that brings trn_retry_count to this. Default 10. */
  uploadRetryLimit?: number;
  /** Probability (0..1) that a step fails. Default 0. */
  failureRate?: PerStage<number>;
  /** Default 'REPROCESS'. */
  failureMode?: FailureMode;
  /** Seed of the failure draws; the same seed and message order give the same outcomes. Default: random. */
  seed?: number;
  /** Step writes running at once (each holds a pool connection). Default 2. */
  maxConcurrentDbWork?: number;
  /** Let the model's timers keep the process alive. Default false: timers are unref'd. */
  keepProcessAlive?: boolean;
  /**
   * The stage pods' clock offset from the database's, in ms (+ ahead, - behind): their writes of latest_trn_dtimes,
   * upd_dtimes and cr_dtimes carry it, and they age messages on their own clock. Default 0. Give the simulator the
   * same (SimulatorOptions.clockSkewMs) for a cluster whose pods all drifted alike.
   */
  clockSkewMs?: number;
  /** A share of the packets is taken and kept by a later stage, IN_PROGRESS (PipelineHold). Default: none. */
  hold?: PipelineHold;
  /** The clock, ms since the epoch (message ages, admission times). Default Date.now (+ clockSkewMs); tests inject one. */
  now?: () => number;
  /** Called after every step (applied, superseded, expired, or failed on a database error); throws are ignored. */
  onStep?: (event: PipelineStepEvent) => void;
}

/**
 * The latest status a step wrote (IN_PROGRESS: a held packet's step; FAILED also for the bio dedupe stage's potential
 * match, which hands the packet to manual adjudication), or what happened instead: expired: dropped unread because
 * it was older than maxMessageAgeMs (nothing written).
 */
export type StepOutcome = 'SUCCESS' | 'PROCESSED' | 'FAILED' | 'REPROCESS' | 'IN_PROGRESS' | 'superseded' | 'expired' | 'db_error';

export interface PipelineStepEvent {
  /** From the row once known, else from the message. */
  workflowInstanceId: string | null;
  rid: string | null;
  stage: string;
  outcome: StepOutcome;
  /** The transaction row written (applied steps only). */
  transactionId: string | null;
  error?: unknown;
}

export interface StageCounts {
  /** Packets in this stage now (waiting out its latency or for a database slot; not those queued for it). */
  current: number;
  /** Messages waiting in this stage's queue. */
  queued: number;
  passed: number;
  failed: number;
  reprocess: number;
  superseded: number;
  /** Dropped from this stage's queue for age (no database write). */
  expired: number;
  dbErrors: number;
  /** Packets this stage took and keeps (hold). */
  held: number;
}

export interface PipelineStats {
  /** Messages taken by accept(). */
  accepted: number;
  /** Waiting in a stage's queue (all stages). */
  backlog: number;
  /** Inside a stage and not finished. */
  inFlight: number;
  /** Consumed by the first stage. */
  admitted: number;
  /** Ended PROCESSED. */
  completed: number;
  /** Ended FAILED (a stage's failure, or the uploader's retry budget). */
  failed: number;
  /** Of those, failed by the packet uploader's retry budget. */
  retryBudgetFailed: number;
  /** Ended REPROCESS. */
  reprocess: number;
  /** Stopped because the row was missing or had moved on (nothing written for that step). */
  superseded: number;
  /** Dropped by a stage for age (older than maxMessageAgeMs when consumed); nothing written. */
  expired: number;
  /** Taken and kept by a stage (hold): IN_PROGRESS at BIOGRAPHIC_VERIFICATION or MANUAL_ADJUDICATION, waiting. */
  held: number;
  /** Stopped because a step's write threw. */
  dbErrors: number;
  /** Messages with neither workflowInstanceId nor rid (nothing to look up). */
  ignored: number;
  /** Queued and in-flight packets discarded by stop(). */
  dropped: number;
  lastError: string | null;
  /** Live timers of the model (0 once stopped or idle). */
  pendingTimers: number;
  stopped: boolean;
  /** By reg_stage_name, in pipeline order. */
  perStage: Record<string, StageCounts>;
}

interface Packet {
  workflowInstanceId: string | null;
  rid: string | null;
  stageIndex: number;
  /** latest_trn_id this packet wrote last; null before the first step. */
  latestTrnId: string | null;
  /** Index of the stage that fails, or -1. */
  failAt: number;
  failAs: 'FAILED' | 'REPROCESS';
  /** Taken and kept at the hold stage (PipelineOptions.hold). */
  held: boolean;
  /** A held packet past its bio dedupe step, on its way to manual adjudication's write. */
  toManualAdjudication: boolean;
}

interface Queued {
  packet: Packet;
  /** When the message was sent to this stage (its lastHopTimestamp), ms since the epoch. */
  hopAt: number;
}

interface StageQueue {
  items: Fifo<Queued>;
  intervalMs: number;
  nextAdmitAt: number;
  timer: NodeJS.Timeout | undefined;
}

interface Resolved {
  stages: readonly PipelineStage[];
  latency: number[];
  failure: number[];
  intervals: number[];
  maxMessageAgeMs: number;
  uploadRetryLimit: number;
  failureMode: FailureMode;
  seed: number;
  maxConcurrentDbWork: number;
  keepProcessAlive: boolean;
  clockSkewMs: number;
  /** Index of the bio dedupe stage where held packets stop, or -1 without hold. */
  holdIndex: number;
  holdShare: number;
  holdAt: HoldStage;
}

export class PipelineModel {
  /** accept, bound: pass as SimulatorOptions.onForward. */
  readonly onForward = (message: ForwardedMessage): void => this.accept(message);

  private readonly opts: Resolved;
  private readonly pool: pg.Pool;
  private readonly runStep: StepRunner;
  private readonly onStep: ((event: PipelineStepEvent) => void) | undefined;
  private readonly random: () => number;
  private readonly holdRandom: () => number;
  private readonly now: () => number;

  private readonly queues: StageQueue[];
  private readonly dbQueue = new Fifo<Packet>();
  private readonly inStage = new Set<Packet>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly activeWrites = new Set<Promise<void>>();
  private readonly idleWaiters = new Set<() => void>();
  private stopped = false;
  private stopping: Promise<void> | undefined;

  private counters = {
    accepted: 0, admitted: 0, completed: 0, failed: 0, retryBudgetFailed: 0, reprocess: 0, superseded: 0, expired: 0,
    dbErrors: 0, ignored: 0, dropped: 0, held: 0,
  };
  private lastError: string | null = null;
  private readonly perStage: Omit<StageCounts, 'queued'>[];

  constructor(options: PipelineOptions) {
    if (!options.pool) throw new Error('the pipeline model needs a pg Pool');
    this.opts = resolvePipelineOptions(options);
    this.pool = options.pool;
    this.runStep = pipelineStepRunner(options.schema ?? 'regprc', this.opts.clockSkewMs);
    this.onStep = options.onStep;
    const skew = this.opts.clockSkewMs;
    this.now = options.now ?? (skew === 0 ? Date.now : () => Date.now() + skew);
    const random = new SeededRandom(this.opts.seed);
    this.random = () => random.next();
    // Its own stream, so that turning holds on does not change which packets fail.
    const holdRandom = new SeededRandom(this.opts.seed + 1);
    this.holdRandom = () => holdRandom.next();
    this.perStage = this.opts.stages.map(() => ({ current: 0, passed: 0, failed: 0, reprocess: 0, superseded: 0, expired: 0, dbErrors: 0, held: 0 }));
    this.queues = this.opts.intervals.map((intervalMs) => ({ items: new Fifo<Queued>(), intervalMs, nextAdmitAt: 0, timer: undefined }));
  }

  /** Takes a message the securezone stage forwarded. Never throws; ignored once stop() was called. */
  accept(message: ForwardedMessage): void {
    if (this.stopped) return;
    const dto = message?.message;
    const workflowInstanceId = typeof dto?.workflowInstanceId === 'string' ? dto.workflowInstanceId : null;
    const rid = typeof dto?.rid === 'string' ? dto.rid : null;
    this.counters.accepted += 1;
    if (workflowInstanceId === null && rid === null) {
      this.counters.ignored += 1;
      return;
    }
    // Outcomes are drawn here, in message order, so a seed reproduces them whatever the timing.
    const { failAt, failAs } = this.drawOutcome();
    const held = this.opts.holdShare > 0 && this.holdRandom() < this.opts.holdShare;
    const sentAt = typeof dto?.lastHopTimestamp === 'string' ? Date.parse(dto.lastHopTimestamp) : NaN;
    this.enqueue(0, {
      workflowInstanceId, rid, stageIndex: 0, latestTrnId: null, failAt, failAs, held, toManualAdjudication: false,
    }, Number.isNaN(sentAt) ? this.now() : sentAt);
  }

  /** Changes the stages' capacity while running (e.g. to halve it mid-run); the queues keep their messages. */
  setCapacityPerSecond(capacity: PerStage<number>): void {
    const intervals = resolveIntervals(this.opts.stages, capacity);
    this.queues.forEach((q, i) => {
      q.intervalMs = intervals[i]!;
      if (q.timer !== undefined) {
        clearTimeout(q.timer);
        this.timers.delete(q.timer);
        q.timer = undefined;
      }
      this.pump(i);
    });
  }

  stats(): PipelineStats {
    const perStage: Record<string, StageCounts> = {};
    this.opts.stages.forEach((s, i) => { perStage[s.name] = { ...this.perStage[i]!, queued: this.queues[i]!.items.length }; });
    return {
      ...this.counters,
      backlog: this.queues.reduce((n, q) => n + q.items.length, 0),
      inFlight: this.inStage.size,
      lastError: this.lastError,
      pendingTimers: this.timers.size,
      stopped: this.stopped,
      perStage,
    };
  }

  /** Resolves true once nothing is queued or in flight, false if timeoutMs passes first. */
  drain(timeoutMs = 30_000): Promise<boolean> {
    if (this.isIdle()) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      // Deliberately ref'd: whoever awaits drain() keeps the process alive until it settles.
      const timer = setTimeout(() => {
        this.idleWaiters.delete(onIdle);
        resolve(this.isIdle());
      }, timeoutMs);
      const onIdle = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      this.idleWaiters.add(onIdle);
    });
  }

  /**
   * Cancels every timer, discards the queues and the packets in flight, and waits for the step writes already
   * running to finish (a running query cannot be recalled). Afterwards nothing runs and the stats stay fixed.
   */
  stop(): Promise<void> {
    if (this.stopping) return this.stopping;
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    let queued = 0;
    for (const q of this.queues) {
      q.timer = undefined;
      queued += q.items.length;
      q.items.clear();
    }
    this.dbQueue.clear(); // its packets are also in inStage
    this.stopping = Promise.allSettled([...this.activeWrites]).then(() => {
      // What is left in a stage was waiting out a (cancelled) latency, queued for a write, or had its write
      // running when stop() was called (writeStep leaves those alone once stopped).
      this.counters.dropped += queued + this.inStage.size;
      for (const p of this.inStage) this.perStage[p.stageIndex]!.current -= 1;
      this.inStage.clear();
      this.notifyIdle();
    });
    return this.stopping;
  }

  // ---------------------------------------------------------------------------------------------------------
  private drawOutcome(): { failAt: number; failAs: 'FAILED' | 'REPROCESS' } {
    const { failure, failureMode } = this.opts;
    for (let i = 0; i < failure.length; i++) {
      const rate = failure[i]!;
      if (rate > 0 && this.random() < rate) {
        const failAs = failureMode === 'mixed' ? (this.random() < 0.5 ? 'FAILED' : 'REPROCESS') : failureMode;
        return { failAt: i, failAs };
      }
    }
    return { failAt: -1, failAs: 'REPROCESS' };
  }

  /** Puts a message on stage `index`'s queue (its topic), sent at `hopAt`. */
  private enqueue(index: number, packet: Packet, hopAt: number): void {
    const q = this.queues[index]!;
    const now = this.now();
    if (q.items.length === 0 && q.nextAdmitAt < now) q.nextAdmitAt = now; // no credit for idle time
    q.items.push({ packet, hopAt });
    this.pump(index);
  }

  /** The stage consumes what its capacity allows by now; expired messages are dropped without taking a slot. */
  private pump(index: number): void {
    const q = this.queues[index]!;
    if (this.stopped || q.timer !== undefined) return;
    const now = this.now();
    // Consumptions due by now (a late timer catches up, so the average rate is exactly the capacity).
    while (q.items.length > 0 && q.nextAdmitAt <= now) {
      const { packet, hopAt } = q.items.shift()!;
      if (now - hopAt > this.opts.maxMessageAgeMs) {
        this.expire(packet, index);
        continue;
      }
      if (index === 0) this.counters.admitted += 1;
      this.enterStage(packet, index);
      q.nextAdmitAt += q.intervalMs;
    }
    if (q.items.length > 0) {
      q.timer = this.schedule(() => {
        q.timer = undefined;
        this.pump(index);
      }, Math.max(1, q.nextAdmitAt - now));
    }
    this.notifyIdle();
  }

  private expire(packet: Packet, index: number): void {
    this.counters.expired += 1;
    this.perStage[index]!.expired += 1;
    this.emit({ workflowInstanceId: packet.workflowInstanceId, rid: packet.rid, stage: this.opts.stages[index]!.name, outcome: 'expired', transactionId: null });
  }

  private enterStage(packet: Packet, index: number): void {
    packet.stageIndex = index;
    this.inStage.add(packet);
    this.perStage[index]!.current += 1;
    const latency = this.opts.latency[index]!;
    if (latency > 0) this.schedule(() => this.queueWrite(packet), latency);
    else this.queueWrite(packet);
  }

  private queueWrite(packet: Packet): void {
    if (this.stopped) return;
    this.dbQueue.push(packet);
    this.pumpWrites();
  }

  private pumpWrites(): void {
    while (!this.stopped && this.activeWrites.size < this.opts.maxConcurrentDbWork && this.dbQueue.length > 0) {
      const packet = this.dbQueue.shift()!;
      const running: Promise<void> = this.writeStep(packet).catch((error: unknown) => {
        this.lastError = error instanceof Error ? error.message : String(error); // a bug, not a DB error
      }).finally(() => {
        this.activeWrites.delete(running);
        this.pumpWrites();
        this.notifyIdle();
      });
      this.activeWrites.add(running);
    }
  }

  /** What the stage writes for this packet, given its row (the uploader's retry budget reads trn_retry_count). */
  private decideWrite(packet: Packet, index: number, row: StepRow): PipelineStepWrite {
    const s = this.opts.stages[index]!;
    if (packet.held && index === this.opts.holdIndex) return this.holdWrite(packet, s);
    const last = index === this.opts.stages.length - 1;
    let trnRetryCount: number | null = null;
    if (s.trnTypeCode === PACKET_UPLOADER.trnTypeCode) {
      trnRetryCount = (row.trn_retry_count ?? 0) + 1;
      if (trnRetryCount >= this.opts.uploadRetryLimit) {
        return {
          transactionId: randomUUID(), trnTypeCode: s.trnTypeCode, trnStatusCode: 'FAILED',
          subStatusCode: UPLOAD_RETRY_EXCEEDED_SUB_STATUS, statusComment: UPLOAD_RETRY_EXCEEDED_COMMENT,
          regStageName: s.name, statusCode: 'FAILED', trnRetryCount,
        };
      }
    }
    if (s.trnTypeCode === PACKET_VALIDATOR.trnTypeCode && row.data_error) {
      // The same packet, the same answer from the packet manager: refused again, marked for reprocessing.
      return {
        transactionId: randomUUID(), trnTypeCode: s.trnTypeCode, trnStatusCode: 'REPROCESS',
        subStatusCode: PACKET_MANAGER_EXCEPTION.code, statusComment: KER_PUT_020_COMMENT,
        regStageName: s.name, statusCode: 'REPROCESS', trnRetryCount,
      };
    }
    const outcome: 'SUCCESS' | 'PROCESSED' | 'FAILED' | 'REPROCESS' =
      packet.failAt === index ? packet.failAs : last ? 'PROCESSED' : 'SUCCESS';
    return {
      transactionId: randomUUID(),
      trnTypeCode: s.trnTypeCode,
      trnStatusCode: outcome,
      subStatusCode: outcome === 'FAILED' ? s.failedSubStatus : outcome === 'REPROCESS' ? s.reprocessSubStatus : s.successSubStatus,
      statusComment: outcome === 'FAILED' ? s.failedComment : outcome === 'REPROCESS' ? s.reprocessComment : s.successComment,
      regStageName: s.name,
      statusCode: outcome === 'SUCCESS' ? null : outcome,
      trnRetryCount,
    };
  }

  /** A held packet's step at the bio dedupe stage, or manual adjudication's after it. status_code is kept. */
  private holdWrite(packet: Packet, bioDedupe: PipelineStage): PipelineStepWrite {
    const write = (trnTypeCode: string, trnStatusCode: string, regStageName: string, w: { subStatusCode: string; comment: string }): PipelineStepWrite => ({
      transactionId: randomUUID(), trnTypeCode, trnStatusCode, subStatusCode: w.subStatusCode, statusComment: w.comment,
      regStageName, statusCode: null, trnRetryCount: null,
    });
    if (packet.toManualAdjudication) return write('MANUAL_ADJUDICATION', 'IN_PROGRESS', MANUAL_ADJUDICATION_STAGE_NAME, MANUAL_ADJUDICATION_SENT_TO_QUEUE);
    return this.opts.holdAt === 'MANUAL_ADJUDICATION'
      ? write(bioDedupe.trnTypeCode, 'FAILED', bioDedupe.name, BIO_DEDUPE_POTENTIAL_MATCH)
      : write(bioDedupe.trnTypeCode, 'IN_PROGRESS', bioDedupe.name, BIO_DEDUPE_IN_PROGRESS);
  }

  /** After a held packet's write: on to manual adjudication (a potential match), or kept where it is. */
  private afterHoldWrite(packet: Packet, index: number): void {
    this.finish(packet);
    if (this.opts.holdAt === 'MANUAL_ADJUDICATION' && !packet.toManualAdjudication) {
      packet.toManualAdjudication = true;
      this.enterStage(packet, index); // manual adjudication's own step, after the same latency
      return;
    }
    this.counters.held += 1;
    this.perStage[index]!.held += 1;
  }

  /** Writes one step and moves the packet on. Never rejects. */
  private async writeStep(packet: Packet): Promise<void> {
    const index = packet.stageIndex;
    const s = this.opts.stages[index]!;
    let applied: StepApplied | null;
    try {
      applied = await this.runStep(
        this.pool,
        packet.latestTrnId === null
          ? { kind: 'first', workflowInstanceId: packet.workflowInstanceId, regId: packet.rid, dataErrorCheck: s.trnTypeCode === PACKET_VALIDATOR.trnTypeCode }
          : { kind: 'next', workflowInstanceId: packet.workflowInstanceId!, expectedLatestTrnId: packet.latestTrnId, dataErrorCheck: s.trnTypeCode === PACKET_VALIDATOR.trnTypeCode },
        (row) => this.decideWrite(packet, index, row),
      );
    } catch (error) {
      if (this.stopped) return;
      this.counters.dbErrors += 1;
      this.perStage[index]!.dbErrors += 1;
      this.lastError = error instanceof Error ? error.message : String(error);
      this.finish(packet);
      this.emit({ workflowInstanceId: packet.workflowInstanceId, rid: packet.rid, stage: s.name, outcome: 'db_error', transactionId: null, error });
      return;
    }
    // stop() discards the packet; the write that was already running has still happened.
    if (this.stopped) return;

    if (applied === null) {
      this.counters.superseded += 1;
      this.perStage[index]!.superseded += 1;
      this.finish(packet);
      this.emit({ workflowInstanceId: packet.workflowInstanceId, rid: packet.rid, stage: s.name, outcome: 'superseded', transactionId: null });
      return;
    }

    packet.workflowInstanceId = applied.workflowInstanceId;
    packet.rid = applied.regId;
    packet.latestTrnId = applied.transactionId;
    if (packet.held && index === this.opts.holdIndex) {
      this.afterHoldWrite(packet, index);
      this.emit({
        workflowInstanceId: applied.workflowInstanceId, rid: applied.regId,
        stage: applied.write.regStageName, outcome: applied.write.trnStatusCode as StepOutcome, transactionId: applied.transactionId,
      });
      return;
    }
    const outcome = applied.write.trnStatusCode as 'SUCCESS' | 'PROCESSED' | 'FAILED' | 'REPROCESS';
    const counts = this.perStage[index]!;
    if (outcome === 'FAILED') {
      counts.failed += 1;
      this.counters.failed += 1;
      if (applied.write.subStatusCode === UPLOAD_RETRY_EXCEEDED_SUB_STATUS) this.counters.retryBudgetFailed += 1;
      this.finish(packet);
    } else if (outcome === 'REPROCESS') {
      counts.reprocess += 1;
      this.counters.reprocess += 1;
      this.finish(packet);
    } else {
      counts.passed += 1;
      if (outcome === 'PROCESSED') {
        this.counters.completed += 1;
        this.finish(packet);
      } else {
        this.finish(packet);
        this.enqueue(index + 1, packet, this.now());
      }
    }
    this.emit({ workflowInstanceId: applied.workflowInstanceId, rid: applied.regId, stage: s.name, outcome, transactionId: applied.transactionId });
  }

  private finish(packet: Packet): void {
    this.perStage[packet.stageIndex]!.current -= 1;
    this.inStage.delete(packet);
  }

  private emit(event: PipelineStepEvent): void {
    if (!this.onStep) return;
    try {
      this.onStep(event);
    } catch {
      // an observer's failure is not the pipeline's
    }
  }

  private schedule(fn: () => void, ms: number): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    if (!this.opts.keepProcessAlive) timer.unref();
    this.timers.add(timer);
    return timer;
  }

  private isIdle(): boolean {
    return this.queues.every((q) => q.items.length === 0) && this.inStage.size === 0 && this.activeWrites.size === 0;
  }

  private notifyIdle(): void {
    if (!this.isIdle() || this.idleWaiters.size === 0) return;
    const waiters = [...this.idleWaiters];
    this.idleWaiters.clear();
    for (const w of waiters) w();
  }
}

/** Creates a running model; pass `model.onForward` as SimulatorOptions.onForward. */
export function startPipeline(options: PipelineOptions): PipelineModel {
  return new PipelineModel(options);
}

export const PIPELINE_DEFAULTS = Object.freeze({
  schema: 'regprc',
  stageLatencyMs: 200,
  capacityPerSecond: 20,
  /** mosip.regproc.common.stage.message.expiry-time-limit (docs/mosip-facts.md, "Message expiry"). */
  maxMessageAgeMs: 3_600_000,
  /** registration.processor.max.retry (docs/mosip-facts.md, "Packet uploader budget"). */
  uploadRetryLimit: 10,
  failureRate: 0,
  failureMode: 'REPROCESS' as FailureMode,
  maxConcurrentDbWork: 2,
  keepProcessAlive: false,
});

function resolveIntervals(stages: readonly PipelineStage[], capacity: PerStage<number> | undefined): number[] {
  return perStage(stages, capacity, PIPELINE_DEFAULTS.capacityPerSecond, 'capacityPerSecond',
    (v) => v > 0, 'more than 0 packets per second (Infinity for no limit)').map((c) => (c === Infinity ? 0 : 1000 / c));
}

function resolvePipelineOptions(options: PipelineOptions): Resolved {
  const stages = options.stages ?? DEFAULT_STAGES;
  if (stages.length === 0) throw new Error('the pipeline needs at least one stage');
  const names = new Set<string>();
  for (const s of stages) {
    if (names.has(s.name)) throw new Error(`stage ${s.name} is listed twice`);
    if (s.name.length > 36) throw new Error(`stage name ${s.name} is longer than reg_stage_name (36)`);
    names.add(s.name);
  }
  const latency = perStage(stages, options.stageLatencyMs, PIPELINE_DEFAULTS.stageLatencyMs, 'stageLatencyMs',
    (v) => Number.isFinite(v) && v >= 0, 'a finite number of ms, 0 or more');
  const failure = perStage(stages, options.failureRate, PIPELINE_DEFAULTS.failureRate, 'failureRate',
    (v) => v >= 0 && v <= 1, 'between 0 and 1');
  const intervals = resolveIntervals(stages, options.capacityPerSecond);
  const maxMessageAgeMs = options.maxMessageAgeMs ?? PIPELINE_DEFAULTS.maxMessageAgeMs;
  if (!(maxMessageAgeMs > 0)) throw new Error('maxMessageAgeMs must be more than 0 (Infinity never drops)');
  const uploadRetryLimit = options.uploadRetryLimit ?? PIPELINE_DEFAULTS.uploadRetryLimit;
  if (!Number.isInteger(uploadRetryLimit) || uploadRetryLimit < 1 || uploadRetryLimit > 32767) {
    throw new Error('uploadRetryLimit must be a whole number from 1 to 32767');
  }
  const failureMode = options.failureMode ?? PIPELINE_DEFAULTS.failureMode;
  if (!['FAILED', 'REPROCESS', 'mixed'].includes(failureMode)) throw new Error(`unknown failureMode ${String(failureMode)}`);
  const maxConcurrentDbWork = options.maxConcurrentDbWork ?? PIPELINE_DEFAULTS.maxConcurrentDbWork;
  if (!Number.isInteger(maxConcurrentDbWork) || maxConcurrentDbWork < 1) throw new Error('maxConcurrentDbWork must be a whole number, 1 or more');
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 32);
  if (!Number.isFinite(seed)) throw new Error('seed must be a number');
  const clockSkewMs = options.clockSkewMs ?? 0;
  checkClockSkew(clockSkewMs);
  const holdShare = options.hold?.share ?? 0;
  if (typeof holdShare !== 'number' || !(holdShare >= 0 && holdShare <= 1)) throw new Error('hold.share must be from 0 to 1');
  const holdAt = options.hold?.at ?? 'BIOGRAPHIC_VERIFICATION';
  if (!HOLD_STAGES.includes(holdAt)) throw new Error(`hold.at must be one of ${HOLD_STAGES.join(', ')}, got ${String(holdAt)}`);
  const holdIndex = holdShare > 0 ? stages.findIndex((s) => s.trnTypeCode === BIO_DEDUPE.trnTypeCode) : -1;
  if (holdShare > 0 && holdIndex < 0) throw new Error(`hold needs the bio dedupe stage (${BIO_DEDUPE.name}) among the stages`);
  return {
    stages,
    latency,
    failure,
    intervals,
    maxMessageAgeMs,
    uploadRetryLimit,
    failureMode,
    seed,
    maxConcurrentDbWork,
    keepProcessAlive: options.keepProcessAlive ?? PIPELINE_DEFAULTS.keepProcessAlive,
    clockSkewMs,
    holdIndex,
    holdShare,
    holdAt,
  };
}

function perStage(
  stages: readonly PipelineStage[], value: PerStage<number> | undefined, fallback: number, option: string,
  valid: (v: number) => boolean, rule: string,
): number[] {
  const check = (v: unknown, where: string): number => {
    if (typeof v !== 'number' || Number.isNaN(v) || !valid(v)) throw new Error(`${option}${where} must be ${rule}`);
    return v;
  };
  if (value === undefined) return stages.map(() => fallback);
  if (typeof value === 'number') {
    const v = check(value, '');
    return stages.map(() => v);
  }
  const known = new Set(stages.map((s) => s.name));
  for (const key of Object.keys(value)) {
    if (key !== '*' && !known.has(key)) throw new Error(`${option}: unknown stage ${key} (stages: ${[...known].join(', ')})`);
  }
  const rest = value['*'] === undefined ? fallback : check(value['*'], '["*"]');
  return stages.map((s) => (value[s.name] === undefined ? rest : check(value[s.name], `.${s.name}`)));
}

/** FIFO with O(1) shift (the backlog can hold many thousands of messages). */
class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head += 1;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }
}
