// --canary --by-cohort: one canary per cohort (run/cohortStage.ts picked them) is sent first, each is watched the
// way the single canary is (run/canary.ts: until its row moved past securezone, or it failed), and the run goes on
// with the cohorts whose canary moved on only. The others are reported with their canary's outcome, and the run
// exits 1 (their packets were not sent).
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import type { Packet } from '../domain/packet.js';
import { workflowKey } from '../domain/packetKey.js';
import { watchCanary, type CanaryVerdict } from './canary.js';
import type { CohortCanary, CohortStage } from './cohortStage.js';
import type { EventSink } from './events.js';
import type { RunOutcome } from './runner.js';
import type { PacketResult, StopReason } from './types.js';

/** Canaries watched at once (each polls the database about once a second). */
const WATCHED_AT_ONCE = 4;

export interface CohortCanaryInput {
  stage: CohortStage & { canaries: CohortCanary[] };
  /** Sends these packets as the run sends any (journal, pacer, budget); onResult hears each reply. */
  send(packets: AsyncIterable<Packet>, onResult: (result: PacketResult) => void): Promise<RunOutcome>;
  /** The canaries, as the run's stream yields them (its filters applied). */
  packets: AsyncIterable<Packet>;
  db: Queryable;
  schema: string;
  timeoutMs: number;
  signal?: AbortSignal;
  emit: EventSink;
  /** A line for the journal (a note record). */
  journalNote(message: string): void;
}

export interface CohortCanaryOutcome {
  outcome: RunOutcome;
  /** A stop of the sending itself (Ctrl-C, 401, ...), or every canary failed. */
  stop: StopReason | null;
  passed: string[];
  failed: { cohortId: string; detail: string }[];
}

export async function runCohortCanaries(input: CohortCanaryInput): Promise<CohortCanaryOutcome> {
  const { stage, emit } = input;
  const results = new Map<string, PacketResult>();
  emit({ type: 'note', message: `canaries: sending one packet of each of ${stage.canaries.length} cohort(s) first` });
  const outcome = await input.send(input.packets, (r) => results.set(workflowKey(r.packet.workflowInstanceId), r));
  if (outcome.stop) return { outcome, stop: outcome.stop, passed: [], failed: [] };

  emit({ type: 'note', message: 'canaries: watching their rows until each moves past securezone...' });
  const verdicts = new Map<string, CanaryVerdict>();
  const queue = [...stage.canaries];
  const watchNext = async (): Promise<void> => {
    for (let c = queue.shift(); c; c = queue.shift()) {
      const result = results.get(workflowKey(c.packet.workflowInstanceId));
      verdicts.set(c.cohortId, result
        ? await watchCanary(input.db, input.schema, result, { timeoutMs: input.timeoutMs, ...(input.signal ? { signal: input.signal } : {}) })
        : { ok: false, detail: `its canary ${c.packet.rid} was not sent (a filter of the run dropped it)` });
    }
  };
  await Promise.all(Array.from({ length: Math.min(WATCHED_AT_ONCE, queue.length) }, watchNext));

  const passed: string[] = [];
  const failed: { cohortId: string; detail: string }[] = [];
  for (const c of stage.canaries) {
    const v = verdicts.get(c.cohortId)!;
    const line = `canary of cohort ${c.cohortId} (${c.verdict}, ${c.describe}; ${c.packets} packet(s)): ${v.ok ? 'passed' : 'FAILED'}: ${v.detail}`;
    input.journalNote(line);
    emit({ type: v.ok ? 'note' : 'warning', message: `${line}${!v.ok && v.hint ? `\n  likely cause: ${v.hint}` : ''}` });
    if (v.ok) passed.push(c.cohortId);
    else failed.push({ cohortId: c.cohortId, detail: v.detail });
  }
  stage.allow(passed);
  if (passed.length === 0) {
    return { outcome, stop: { kind: 'canary_failed', message: `no cohort's canary moved on (${failed.length} failed): nothing more is sent` }, passed, failed };
  }
  emit({
    type: 'note',
    message: `canaries: continuing with ${passed.length} cohort(s) (${passed.join(', ')})${failed.length ? `; leaving ${failed.length} alone (${failed.map((f) => f.cohortId).join(', ')})` : ''}`,
  });
  return { outcome, stop: null, passed, failed };
}
