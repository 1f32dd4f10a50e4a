import type { Packet } from '../domain/packet.js';
import type { NotifyOutcome } from '../mosip/wire.js';

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

/** Why a run ended before its source was exhausted. */
export type StopReason =
  | { kind: 'forbidden'; message: string }
  | { kind: 'unauthorized'; message: string }
  | { kind: 'auth_failed'; message: string }
  | { kind: 'unreachable'; message: string }
  | { kind: 'interrupted'; message: string };

export interface RunSummary {
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  sent: number;
  counts: Record<NotifyOutcome, number>;
  duplicatesSkipped: number;
  rowsSkipped: number;
  stop: StopReason | null;
  exitCode: 0 | 1 | 3;
}

export interface RunObserver {
  onPacket(result: PacketResult): void;
  onWarning(message: string): void;
}
