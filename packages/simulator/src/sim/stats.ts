// What the simulator saw: per-route request counts, token issuing, notifications per packet, reply outcomes and
// the messages it put on the (simulated) Kafka bus. Tests use it to prove e.g. "notified exactly once".
import type { NotifyOutcome } from '@mosip-reprocess/contract/wire.js';
import { emptyFaultCounts, type FaultCounts, type FaultKind } from './faults.js';
import type { ForwardedMessage } from './forwarding.js';
import type { StagePath } from './securezoneStage.js';

export type RouteName = 'authenticate' | 'notification' | 'health' | 'certs' | 'stats' | 'faults' | 'other';

/** The outcomes a reply from this server can classify as (wire.classifyReply). */
export type ReplyOutcome = Exclude<NotifyOutcome, 'network_error' | 'in_doubt'>;

export interface SimulatorStats {
  /** Requests per route (RouteName keys). */
  requests: Record<string, number>;
  /** Authmanager clientidsecretkey calls: tokens issued, and calls refused for any reason. */
  auth: { successes: number; failures: number };
  /** Notifications that passed authentication, by the body's workflowInstanceId ('' when it had none). */
  notificationsByWorkflowId: Record<string, number>;
  /** Every notification reply (including 401/403), as the client classifies it. */
  outcomes: Record<ReplyOutcome, number>;
  /** Which branch of the stage each authenticated notification took. */
  stagePaths: Partial<Record<StagePath, number>>;
  /** Messages sent to Kafka (only while routing is enabled); the oldest are dropped past the log limit. */
  forwarded: ForwardedMessage[];
  forwardedTotal: number;
  /** Requests each injected fault affected (faults.ts); all 0 without fault injection. */
  faults: FaultCounts;
}

type LiveStats = Omit<SimulatorStats, 'notificationsByWorkflowId'> & { notificationsByWorkflowId: Map<string, number> };

export class StatsRecorder {
  private stats: LiveStats = emptyStats();

  constructor(private readonly forwardedLogLimit: number) {}

  request(route: RouteName): void {
    this.stats.requests[route] = (this.stats.requests[route] ?? 0) + 1;
  }

  authResult(success: boolean): void {
    if (success) this.stats.auth.successes += 1;
    else this.stats.auth.failures += 1;
  }

  outcome(outcome: ReplyOutcome): void {
    this.stats.outcomes[outcome] += 1;
  }

  notification(workflowInstanceId: string | null, path: StagePath): void {
    const key = workflowInstanceId ?? '';
    const byId = this.stats.notificationsByWorkflowId;
    byId.set(key, (byId.get(key) ?? 0) + 1);
    this.stats.stagePaths[path] = (this.stats.stagePaths[path] ?? 0) + 1;
  }

  forwarded(message: ForwardedMessage): void {
    this.stats.forwardedTotal += 1;
    const log = this.stats.forwarded;
    log.push(message);
    // Trimmed in batches: shift() per message would copy the whole log every time on a long benchmark.
    if (log.length > this.forwardedLogLimit + Math.max(1000, this.forwardedLogLimit / 10)) log.splice(0, log.length - this.forwardedLogLimit);
  }

  fault(kind: FaultKind): void {
    this.stats.faults[kind] += 1;
  }

  reset(): void {
    this.stats = emptyStats();
  }

  /** A copy, safe to keep while the simulator runs on; also the JSON of GET /sim/stats. */
  snapshot(): SimulatorStats {
    const s = this.stats;
    return {
      requests: { ...s.requests },
      auth: { ...s.auth },
      // fromEntries defines own properties, so no workflow id (not even "__proto__") can touch the prototype.
      notificationsByWorkflowId: Object.fromEntries(s.notificationsByWorkflowId),
      outcomes: { ...s.outcomes },
      stagePaths: { ...s.stagePaths },
      forwarded: s.forwarded.slice(Math.max(0, s.forwarded.length - this.forwardedLogLimit)),
      forwardedTotal: s.forwardedTotal,
      faults: { ...s.faults },
    };
  }
}

function emptyStats(): LiveStats {
  return {
    requests: { authenticate: 0, notification: 0, health: 0, certs: 0, stats: 0, faults: 0, other: 0 },
    auth: { successes: 0, failures: 0 },
    notificationsByWorkflowId: new Map(),
    outcomes: { forwarded: 0, not_uploaded: 0, not_found: 0, stage_error: 0, unauthorized: 0, forbidden: 0, server_error: 0 },
    stagePaths: {},
    forwarded: [],
    forwardedTotal: 0,
    faults: emptyFaultCounts(),
  };
}
