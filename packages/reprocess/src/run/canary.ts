// The guide's "reprocess one packet first to ensure that all stages are functioning correctly", automated:
// after the first packet's reply, watch its row until the securezone stage wrote it and a later stage then took
// it. Only then does the run continue.
// Whether it moved on is the one verdict of its row (domain/rowVerdict.ts), the same `verify` gives, decided from
// the row as read before the send (no clock): the canary passes when verify would class the packet moved_on,
// processed, reprocess, held, stalled or paused (a later stage or the workflow engine took it), fails as soon as
// verify would class it failed, rejected_duplicate or missing, and otherwise (at_securezone: accepted, not yet
// taken; untouched: not even accepted) waits until its time is up. A re-driven FAILED packet keeps status_code
// FAILED while it moves on (stages never change status_code), so that column alone never fails it.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import { withReconnect } from '../db/reconnect.js';
import { rowsNowForSentPackets } from '../sql/selectRowsSinceSend.js';
import { MOVED_ON_VERDICTS, PENDING_VERDICTS, ROW_VERDICT_MEANINGS, rowVerdict } from '../domain/rowVerdict.js';
import { TRN_STATUS, TRN_TYPE } from '@mosip-reprocess/contract/enums.js';
import type { PacketResult } from '../domain/runResult.js';

export interface CanaryOptions {
  timeoutMs: number;
  pollMs?: number;
  signal?: AbortSignal;
  onProgress?: (message: string) => void;
}

export interface CanaryVerdict {
  ok: boolean;
  /** What was seen, in the operator's words. */
  detail: string;
  /** The likely cause and what to do, when it failed. */
  hint?: string;
}

export async function watchCanary(db: Queryable, schema: string, result: PacketResult, options: CanaryOptions): Promise<CanaryVerdict> {
  const { packet } = result;
  if (result.outcome !== 'forwarded') {
    return {
      ok: false,
      detail: `the canary packet ${packet.rid} was not forwarded: ${result.outcome} (${result.reply})`,
      hint: result.outcome === 'not_found'
        ? 'no active row has this workflow id: check --schema and that the tool reads the same database the stage writes'
        : 'fix what the reply says before sending more',
    };
  }
  const deadline = Date.now() + options.timeoutMs;
  const pollMs = options.pollMs ?? 1000;
  const sent = { workflowInstanceId: packet.workflowInstanceId, startedAt: new Date(result.startedAt), before: packet.before };
  let acceptedAt: number | null = null;
  for (;;) {
    const [row] = await withReconnect(() => rowsNowForSentPackets(db, schema, [sent]), options.signal ? { signal: options.signal } : {});
    const verdict = rowVerdict(row ?? null);
    if (row && MOVED_ON_VERDICTS.has(verdict)) {
      return { ok: true, detail: `the canary packet ${packet.rid} passed securezone and moved on to ${row.latestTrnTypeCode} (${row.latestTrnStatusCode}): ${verdict}` };
    }
    if (!PENDING_VERDICTS.has(verdict)) {
      return {
        ok: false,
        detail: row
          ? `the canary packet ${packet.rid} left securezone but ${row.latestTrnTypeCode} ended ${row.latestTrnStatusCode} (status_code ${row.statusCode}): ${verdict}, ${ROW_VERDICT_MEANINGS[verdict]}`
          : `the canary packet ${packet.rid} passed securezone, then its row disappeared: ${ROW_VERDICT_MEANINGS[verdict]}`,
        hint: 'a later stage is failing: look at that stage before reprocessing more packets',
      };
    }
    if (verdict === 'at_securezone') {
      acceptedAt ??= Date.now();
      options.onProgress?.(`canary ${packet.rid}: securezone recorded ${row?.latestTrnStatusCode}; waiting for it to move on`);
    } else {
      options.onProgress?.(`canary ${packet.rid}: waiting for the securezone stage's write`);
    }
    if (Date.now() >= deadline) break;
    try {
      await sleep(pollMs, undefined, options.signal ? { signal: options.signal } : undefined);
    } catch {
      return { ok: false, detail: 'the canary was interrupted by the operator' };
    }
  }
  const waited = Math.round(options.timeoutMs / 1000);
  if (acceptedAt === null) {
    return {
      ok: false,
      detail: `the reply said forwarded, but in ${waited} s the database showed no ${TRN_TYPE.SECUREZONE_NOTIFICATION} ${TRN_STATUS.SUCCESS} write of ${packet.rid}'s row`,
      hint: 'the tool may be reading another database or schema than the stage writes (check DB_HOST, DB_NAME, --schema)',
    };
  }
  return {
    ok: false,
    detail: `the securezone stage accepted ${packet.rid} but it did not move on to a later stage within ${waited} s`,
    hint: 'routing from securezone may be disabled (securezone.routing.enabled=false: use --approach 2 and let the automated reprocessor handle early packets), '
      + 'or the camel route / Kafka topic securezone-notification-*-bus-out is not consumed; raise --canary-timeout if the cluster is just slow',
  };
}
