// What the parts of a run below it (the source, the filters) tell the operator: notes and warnings, and the
// held-back counts by reason (for the metrics; a warning says them in words). The run's event sink
// (run/events.ts) takes these and more.
import type { HoldBackReason } from './holdBack.js';

export type Notice =
  | { type: 'note'; message: string }
  | { type: 'warning'; message: string }
  /** Packets left out because MOSIP would not move them now, by reason, as counted so far. */
  | { type: 'held_back'; counts: Partial<Record<HoldBackReason, number>> };

export type NoticeSink = (notice: Notice) => void;
