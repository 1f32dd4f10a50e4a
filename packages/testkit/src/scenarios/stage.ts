// The MOSIP side of a scenario: the simulator (authmanager, securezone stage, workflow manager) and, behind it, the
// pipeline model behaving as the scenario says. It also keeps the ground truth the invariants compare the tool's
// journals with: how often the stage handled each packet (the simulator's count per workflow id) and how many of
// the messages it forwarded for a packet the pipeline lost (never consumed, or dropped for age). Only a lost message
// makes a second notification legitimate.
import { createPool } from 'mosip-reprocess/db/connect.js';
import { startPipeline, type PipelineModel } from '@mosip-reprocess/simulator/sim/pipeline.js';
import { startSimulator, type RunningSimulator } from '@mosip-reprocess/simulator/sim/server.js';
import type { FaultSettings } from '@mosip-reprocess/simulator/sim/faults.js';
import type { Scenario } from './combination.js';

/** The tool's --message-max-age in every scenario, and the pipeline's age limit to match (MOSIP's is 3600 s). */
export const MESSAGE_MAX_AGE_MS = 3000;

export interface Stage {
  sim: RunningSimulator;
  pipeline: PipelineModel | null;
  /** Times the securezone stage handled the packet (any branch: forwarded, null, ...). */
  handled(workflowInstanceId: string): number;
  /** Messages forwarded for the packet that no later stage ever consumed (drop) or that a stage dropped for age. */
  lost(workflowInstanceId: string): number;
  /** Notification requests that reached the simulator so far (all packets, all outcomes). */
  notificationsReceived(): number;
  /** Requests for the tool's work that reached the simulator so far: notifications and workflow action requests. */
  requestsReceived(): number;
  /** Until every notification that reached the simulator has been answered (or its connection closed). */
  idle(timeoutMs?: number): Promise<boolean>;
  close(): Promise<void>;
}

export async function startStage(scenario: Scenario, dbUrl: string, schema: string, secret: string): Promise<Stage> {
  const { behaviour, knobs } = scenario;
  // Its own sessions, named as the simulator's (the session watch counts only the tool's).
  const pool = createPool({ url: dbUrl, max: 12, applicationName: 'mosip-simulator' });
  const expired = new Map<string, number>();
  const skew = behaviour === 'skewed-clock' ? knobs.skewMs : 0;
  const pipeline = behaviour === 'drop' ? null : startPipeline({
    pool, schema, seed: knobs.simSeed, stageLatencyMs: 10, capacityPerSecond: Infinity, maxMessageAgeMs: MESSAGE_MAX_AGE_MS,
    clockSkewMs: skew,
    ...(behaviour === 'hold' ? { hold: knobs.hold } : {}),
    onStep(e) {
      if (e.outcome === 'expired' && e.workflowInstanceId) expired.set(e.workflowInstanceId, (expired.get(e.workflowInstanceId) ?? 0) + 1);
    },
  });
  const faults: FaultSettings | undefined =
    behaviour === 'slow-reply' ? { seed: knobs.simSeed, slowRangeMs: [100, 1400], slowRate: 0.6 }
      : behaviour === 'lost-reply' || behaviour === 'skewed-clock' ? { seed: knobs.simSeed, dropRate: knobs.lostReplies.rate, dropMode: knobs.lostReplies.mode }
        : undefined;
  const sim = await startSimulator({
    db: pool, schema, clients: [{ secret }], clockSkewMs: skew,
    ...(faults ? { faults } : {}),
    ...(pipeline ? { onForward: pipeline.onForward } : {}),
  });
  return {
    sim,
    pipeline,
    handled: (wf) => sim.stats().notificationsByWorkflowId[wf] ?? 0,
    lost(wf) {
      if (pipeline) return expired.get(wf) ?? 0;
      return sim.stats().forwarded.filter((m) => m.message.workflowInstanceId === wf).length; // nothing consumes them
    },
    notificationsReceived: () => sim.stats().requests.notification ?? 0,
    requestsReceived: () => (sim.stats().requests.notification ?? 0) + (sim.stats().requests.workflowAction ?? 0),
    async idle(timeoutMs = 60_000) {
      for (const started = Date.now(); Date.now() - started < timeoutMs;) {
        const s = sim.stats();
        const answered = Object.values(s.outcomes).reduce((a, b) => a + b, 0) + s.faults.dropped;
        if (answered >= (s.requests.notification ?? 0)) return true;
        await new Promise((r) => setTimeout(r, 20));
      }
      return false;
    },
    async close() {
      await sim.close();
      await pipeline?.stop();
      await pool.end();
    },
  };
}
