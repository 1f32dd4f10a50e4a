// --pace auto as the run reports it (pacer/autoPacer.ts makes it): the rate, its phase and what the pipeline shows.
// Here, low, because the run's events carry it to whoever watches the run (the terminal, the metrics).

/** The controller's phase (pacer/auto.ts); paused: the waiting time inside the pipeline reached --max-wait. */
export type AutoPhase = 'startup' | 'steady' | 'paused';

export interface AutoPaceStatus {
  rate: number;
  phase: AutoPhase | 'blind';
  inside: number;
  unseen: number;
  maxWaitMs: number;
  exited: number;
  dropped: number;
  /** Out of the queues but not drained: a later stage holds them (or left them stalled). */
  held: number;
}
