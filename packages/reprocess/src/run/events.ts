// What a run tells whoever drives it (the CLI prints these; the demo and other code can do as they like).
import type { AutoPaceStatus } from '../pacer/autoPacer.js';
import type { PacketResult } from '../domain/runResult.js';

export type RunEvent =
  /** The run directory exists and the journal is open: from here on, packets may be sent. */
  | { type: 'started'; runId: string; resumed: boolean; source: string; journalPath: string; runsDir: string }
  /** One packet's final result (after its retries). */
  | { type: 'packet'; result: PacketResult }
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
