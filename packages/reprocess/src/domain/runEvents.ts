// What a run tells whoever drives it (the CLI prints these, the log files and the metrics take them; the demo and
// other code can do as they like). Here, low, so that the report (log lines, metrics) reads it without the run.
import type { Packet } from './packet.js';
import type { HoldBackReason } from './holdBack.js';
import type { AutoPaceStatus } from './pace.js';
import type { PacketResult, RunSummary } from './runResult.js';

export type RunEvent =
  /** The run directory exists and the journal is open: from here on, packets may be sent. */
  | { type: 'started'; runId: string; resumed: boolean; source: string; journalPath: string; runsDir: string }
  /** One packet's final result (after its retries); `at`: when it was journaled (the result record's time). */
  | { type: 'packet'; result: PacketResult; at?: string }
  /** A packet leaves: its send record is on disk; it is in flight until its 'packet' (or 'withdrawn') event. */
  | { type: 'sending'; packet: Packet }
  /** A packet taken for sending that did not go after all (the run stopped first, or no token could be had). */
  | { type: 'withdrawn'; packet: Packet }
  /** The circuit breaker changed state; `message` says why (the terminal prints it as a warning). */
  | { type: 'breaker'; state: 'closed' | 'open' | 'half_open'; message: string }
  /** Packets left out because MOSIP would not move them now, by reason, as counted so far (the warning says it in words). */
  | { type: 'held_back'; counts: Partial<Record<HoldBackReason, number>> }
  /** The end of the run: its summary, and the command that continues it when it stopped before finishing. */
  | { type: 'finished'; runId: string; summary: RunSummary; resumeCommand: string | null }
  /** How many packets the run will take at most (for a progress bar); may come late or never. */
  | { type: 'total'; packets: number }
  /** Something the operator should read (a batch starts, the canary is watched, a packet settled on resume). */
  | { type: 'note'; message: string }
  | { type: 'warning'; message: string }
  /** --pace auto: the rate and what the pipeline shows, after each observation. */
  | { type: 'pace'; status: AutoPaceStatus; reason: string };

export type EventSink = (event: RunEvent) => void;

/** A sink that drops everything. */
export const ignoreEvents: EventSink = () => undefined;
