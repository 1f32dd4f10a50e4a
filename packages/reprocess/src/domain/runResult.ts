import type { Packet } from './packet.js';
import type { NotifyOutcome } from '@mosip-reprocess/contract/wire.js';

export interface PacketResult {
  packet: Packet;
  outcome: NotifyOutcome;
  httpStatus: number | null;
  reply: string;
  latencyMs: number;
  attempts: number;
  /** ISO time the send started. */
  startedAt: string;
}

/** Ends that mean carrying on would only repeat the same failure: exit code 3. */
export type FatalStopKind = 'forbidden' | 'unauthorized' | 'auth_failed' | 'unreachable' | 'lock_lost';
/** Ends the operator asked for (Ctrl-C, a packet or time budget) or a failed canary. */
export type PlannedStopKind = 'interrupted' | 'max_packets' | 'max_duration' | 'until' | 'canary_failed';

export interface StopReason {
  kind: FatalStopKind | PlannedStopKind;
  message: string;
  /** An operator's stop by a process signal (SIGINT, SIGTERM, SIGHUP): the run exits 128 + its number. */
  signal?: NodeJS.Signals;
}

export const FATAL_STOPS: ReadonlySet<StopReason['kind']> = new Set(['forbidden', 'unauthorized', 'auth_failed', 'unreachable', 'lock_lost']);

export interface RunSummary {
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  sent: number;
  counts: Record<NotifyOutcome, number>;
  duplicatesSkipped: number;
  rowsSkipped: number;
  /** Packets not sent because an earlier run (resume) or batch of this run already had them. */
  alreadyDone: number;
  batches: number;
  stop: StopReason | null;
  /** 0, 1 or 3; 128 + the signal's number when a signal stopped the run (130 SIGINT, 143 SIGTERM, 129 SIGHUP). */
  exitCode: number;
  /** Extra attempts after 5xx or lost replies; lost replies settled from the database; circuit breaker trips. */
  resilience: { retries: number; settledFromDb: number; breakerTrips: number; reauthentications: number };
  /** Peak resident memory of the process, MB (it must stay flat however large the table). */
  peakRssMb: number;
  /** --reason: why the operator ran it (also in the journal's start record and the logs). */
  reason?: string | null;
  /** Packets MOSIP would not move now (paused, retry budget spent) that this run left out, as far as it looked. */
  heldBack?: number;
  /**
   * --pace auto: the notified packets in the pipeline at the end of this attempt. dropped: still as the notification
   * left them for longer than --message-max-age (named in the journal and by verify; --resume sends them again);
   * held: a later stage holds them (or left them past that age): neither drained nor dropped, never re-driven;
   * redriven: dropped packets of an earlier attempt sent again by this one.
   */
  pipeline?: { dropped: number; held: number; inside: number; unseen: number; exited: number; redriven: number; finalRate: number };
}

export interface RunObserver {
  /**
   * Called when a packet is taken for sending. The packet goes out only once the returned promise resolves
   * (the journal has its send record on disk); a rejection stops the run with the packet unsent.
   */
  onSend?(packet: Packet): void | Promise<void>;
  /** The packet leaves: its send record is on disk and its notification starts (it ends in onPacket or onWithdraw). */
  onLeave?(packet: Packet): void;
  /** A packet passed to onSend that will not be sent after all: the run stopped before its turn came. */
  onWithdraw?(packet: Packet): void;
  onPacket(result: PacketResult): void;
  onWarning(message: string): void;
}
