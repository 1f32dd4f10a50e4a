// --canary --by-cohort: one canary per cohort (run/cohortStage.ts picked them) is sent first, each is watched the
// way the single canary is (run/canary.ts: until its row moved past securezone, or it failed), and the run goes on
// with the cohorts whose canary moved on only. The others are reported with their canary's outcome, and the run
// exits 1 (their packets were not sent).
// A cohort stuck on a failure asks more of its canary: moving past securezone is not enough, it must get past the
// stage that failed (that stage writes SUCCESS or PROCESSED for it after the send). Failing there again, the same
// way or another, or not getting there within --canary-timeout, fails the canary: MOSIP marks such a failure
// REPROCESS, which the single canary's rule counts as moving on (waiting for the reprocessor).
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import type { Packet } from '../domain/packet.js';
import { workflowKey } from '../domain/packetKey.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { FAILURE_TRN_STATUSES, SUCCESS_TRN_STATUSES } from '@mosip-reprocess/contract/history.js';
import { withReconnect } from '../db/reconnect.js';
import { CLOCK_SKEW_MS } from '../domain/rowVerdict.js';
import { selectTransactionsSince, type HistoryMark } from '../sql/selectTransactionsSince.js';
import { watchCanary, type CanaryVerdict } from './canary.js';
import type { CohortCanary } from './cohortStage.js';
import type { EventSink } from './events.js';
import type { RunOutcome } from './runner.js';
import type { PacketResult, StopReason } from '../domain/runResult.js';

/** Canaries watched at once (each polls the database about once a second). */
const WATCHED_AT_ONCE = 4;

export interface CohortCanaryInput {
  /** One per cohort (cohortStage.ts). */
  canaries: CohortCanary[];
  /** From now on the run passes only these cohorts' packets (CohortStage.allow). */
  allow(cohortIds: string[]): void;
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
  const { canaries, emit } = input;
  const results = new Map<string, PacketResult>();
  emit({ type: 'note', message: `canaries: sending one packet of each of ${canaries.length} cohort(s) first` });
  const outcome = await input.send(input.packets, (r) => results.set(workflowKey(r.packet.workflowInstanceId), r));
  if (outcome.stop) return { outcome, stop: outcome.stop, passed: [], failed: [] };

  emit({ type: 'note', message: 'canaries: watching their rows until each moves past securezone...' });
  const verdicts = new Map<string, CanaryVerdict>();
  const queue = [...canaries];
  const watchNext = async (): Promise<void> => {
    for (let c = queue.shift(); c; c = queue.shift()) {
      const result = results.get(workflowKey(c.packet.workflowInstanceId));
      verdicts.set(c.cohortId, result
        ? await watchCohortCanary(input, c, result)
        : { ok: false, detail: `its canary ${c.packet.rid} was not sent (a filter of the run dropped it)` });
    }
  };
  await Promise.all(Array.from({ length: Math.min(WATCHED_AT_ONCE, queue.length) }, watchNext));

  const passed: string[] = [];
  const failed: { cohortId: string; detail: string }[] = [];
  for (const c of canaries) {
    const v = verdicts.get(c.cohortId)!;
    const line = `canary of cohort ${c.cohortId} (${c.verdict}, ${c.describe}; ${c.packets} packet(s)): ${v.ok ? 'passed' : 'FAILED'}: ${v.detail}`;
    input.journalNote(line);
    emit({ type: v.ok ? 'note' : 'warning', message: `${line}${!v.ok && v.hint ? `\n  likely cause: ${v.hint}` : ''}` });
    if (v.ok) passed.push(c.cohortId);
    else failed.push({ cohortId: c.cohortId, detail: v.detail });
  }
  input.allow(passed);
  if (passed.length === 0) {
    return { outcome, stop: { kind: 'canary_failed', message: `no cohort's canary moved on (${failed.length} failed): nothing more is sent` }, passed, failed };
  }
  emit({
    type: 'note',
    message: `canaries: continuing with ${passed.length} cohort(s) (${passed.join(', ')})${failed.length ? `; leaving ${failed.length} alone (${failed.map((f) => f.cohortId).join(', ')})` : ''}`,
  });
  return { outcome, stop: null, passed, failed };
}

/** The single canary's watch, then, for a cohort stuck on a failure, the stage that failed. */
async function watchCohortCanary(input: CohortCanaryInput, c: CohortCanary, result: PacketResult): Promise<CanaryVerdict> {
  const deadline = Date.now() + input.timeoutMs;
  const signal = input.signal ? { signal: input.signal } : {};
  const moved = await watchCanary(input.db, input.schema, result, { timeoutMs: input.timeoutMs, ...signal });
  const failedAt = c.key.failureStage;
  if (!moved.ok || failedAt === null) return moved;
  // MOSIP's clock, not ours: after the transaction the row pointed at before the send. Only a packet read without
  // its row (no database when it was selected) falls back to the send's start on this host, less the skew allowed.
  const before = result.packet.before;
  const since: HistoryMark = before?.dtimes ? { trnId: before.trnId, dtimes: before.dtimes } : { at: new Date(Date.parse(result.startedAt) - CLOCK_SKEW_MS) };
  const failures = new Set<string>(FAILURE_TRN_STATUSES);
  const successes = new Set<string>(SUCCESS_TRN_STATUSES);
  for (;;) {
    const trns = await withReconnect(() => selectTransactionsSince(input.db, input.schema, result.packet.rid, since));
    const at = trns.find((t) => t.trn_type_code === failedAt && (successes.has(t.status_code) || failures.has(t.status_code)));
    if (at && successes.has(at.status_code)) {
      return { ok: true, detail: `${moved.detail}; and got past ${failedAt}, where its cohort fails (${at.status_code} ${at.sub_status_code})` };
    }
    if (at) {
      const same = at.status_code === c.key.status && at.sub_status_code === c.key.subStatus;
      return {
        ok: false,
        detail: `${failedAt} ${same ? 'failed it the same way again' : 'failed it again'}: ${at.status_code} ${at.sub_status_code}`,
        hint: same ? 'a re-drive does not fix this cohort: fix what its status comment says first (`reprocess explain <rid>`)' : 'look at that stage before sending more of this cohort',
      };
    }
    if (Date.now() >= deadline) break;
    try {
      await sleep(1000, undefined, signal);
    } catch {
      return { ok: false, detail: 'the canary was interrupted by the operator' };
    }
  }
  return {
    ok: false,
    detail: `${moved.detail}, but it did not reach ${failedAt}, where its cohort fails, within ${Math.round(input.timeoutMs / 1000)} s`,
    hint: 'raise --canary-timeout if the pipeline is just slow',
  };
}
