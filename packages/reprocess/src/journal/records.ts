// What a run's journal holds: one JSON object per line, appended and flushed to disk before the run moves on.
// A `send` is written before the notification goes out and a `result` after the reply, so after a crash the
// journal tells exactly which packets were acknowledged and which were in flight.
import type { NotifyOutcome } from '@mosip-reprocess/contract/wire.js';
import type { RowBefore } from '../domain/rowVerdict.js';

export interface SendRecord {
  t: 'send';
  at: string;
  wf: string;
  rid: string;
  process: string;
  iteration: number;
  source: string | null;
  origin: string;
  attempt: number;
  /** latest_trn_type_code when selected (--db): the stage the packet was stuck in (for the report). */
  stage?: string;
  /** The row as read before the send (Packet.before): the lost-reply, in-doubt and verify evidence, clock-free. */
  before?: RowBefore;
}

export interface ResultRecord {
  t: 'result';
  at: string;
  wf: string;
  rid: string;
  attempt: number;
  outcome: NotifyOutcome;
  http: number | null;
  reply: string;
  latencyMs: number;
  /** The time the send started (ISO), for verification against latest_trn_dtimes. */
  startedAt: string;
}

/**
 * A send record written ahead (--delay 0, runner.ts) whose packet never left: the run stopped before its turn.
 * It voids that send record; a resume sends the packet like any other not yet sent.
 */
export interface WithdrawnRecord {
  t: 'withdrawn';
  at: string;
  wf: string;
  rid: string;
}

/** A packet sent before a crash whose reply never came, settled on resume by the documented rule. */
export interface InDoubtRecord {
  t: 'in_doubt';
  at: string;
  wf: string;
  rid: string;
  /** delivered: the database shows the stage handled it after the send; resend: it did not (or --resend-in-doubt). */
  decision: 'delivered' | 'resend' | 'unresolved';
  detail: string;
}

export interface NoteRecord {
  t: 'note';
  at: string;
  message: string;
}

/** The start of an attempt: the first run, or a --resume of it. */
export interface StartRecord {
  t: 'start';
  at: string;
  /** 1 for the first attempt, 2 for the first resume, ... */
  attempt: number;
  /** Who runs it, so that a later start can tell a crashed attempt from one still running. */
  host: string;
  pid: number;
  /** --reason, when given. */
  reason?: string | null;
}

export interface EndRecord {
  t: 'end';
  at: string;
  exitCode: number;
  stop: string | null;
  /** The kind of stop (interrupted, max_packets, unreachable, canary_failed, ...); absent in older journals. */
  stopKind?: string | null;
}

/** `reprocess action`: one workflow action request, journaled (and flushed) before it is sent. */
export interface ActionSendRecord {
  t: 'action_send';
  at: string;
  action: string;
  rids: string[];
}

/** `reprocess action`: what the reply said for one RID. */
export interface ActionResultRecord {
  t: 'action_result';
  at: string;
  rid: string;
  outcome: string;
  http: number | null;
  errorCode: string | null;
  message: string;
}

/** `reprocess action`: a RID the database check left out (src/action/ridVerdict.ts), never sent. */
export interface ActionSkippedRecord {
  t: 'action_skipped';
  at: string;
  rid: string;
  /** Where it came from: db (pause rule ...), file:line, --registration. */
  origin: string;
  reason: string;
}

/**
 * --pace auto: a forwarded packet the pipeline dropped (its row did not move for longer than --message-max-age;
 * src/pacer/pipelineWatch.ts). --resume sends it again, if its row still has not moved.
 */
export interface DroppedRecord {
  t: 'dropped';
  at: string;
  wf: string;
  rid: string;
  /** When its send started (ISO). */
  sentAt: string;
  /** latest_trn_dtimes when it was found dropped (ISO UTC), or null if never written. */
  lastMoved: string | null;
  stalledSeconds: number;
}

/** --pace auto, at each decision: its rate and what it saw inside the pipeline (the report's timeline). */
export interface PaceRecord {
  t: 'pace';
  at: string;
  ratePerSec: number;
  /** Notified packets inside the pipeline, and those sent but not yet seen written. */
  inPipeline: number;
  notSeen: number;
  /** The longest waiting time inside (now minus latest_trn_dtimes), and the --max-wait it must stay under. */
  waitingMs: number;
  maxWaitMs: number;
}

/** A new client token after the first: fetched ahead of its expiry, or after a 401. */
export interface TokenRecord {
  t: 'token';
  at: string;
  reason: 'expiry' | '401';
}

/** The circuit breaker opened, probed or closed. */
export interface BreakerRecord {
  t: 'breaker';
  at: string;
  state: string;
  detail: string;
}

export type JournalRecord = SendRecord | WithdrawnRecord | ResultRecord | InDoubtRecord | NoteRecord | StartRecord | EndRecord | DroppedRecord
  | ActionSendRecord | ActionResultRecord | ActionSkippedRecord | PaceRecord | BreakerRecord | TokenRecord;
