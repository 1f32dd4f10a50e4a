// The guide's "reprocess one packet first to ensure that all stages are functioning correctly", automated:
// after the first packet's reply, watch the database until the securezone stage recorded SUCCESS for it and
// the packet then moved on to a later stage. Only then does the run continue.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import { withReconnect } from '../db/reconnect.js';
import { rowStates, transactionsSince } from '../sql/rowState.js';
import { utcTimestampText } from '@mosip-reprocess/contract/sql/utcText.js';
import type { PacketResult } from './types.js';

export interface CanaryOptions {
  timeoutMs: number;
  pollMs?: number;
  /** Our clock and the database's may differ a little; look this far before the send. */
  clockSkewMs?: number;
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

const SECUREZONE = 'SECUREZONE_NOTIFICATION';
const FAILED_STATUSES = new Set(['FAILED', 'ERROR', 'REJECTED', 'REPROCESS_FAILED']);

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
  const sinceMs = Date.parse(result.startedAt) - (options.clockSkewMs ?? 2000);
  const since = utcTimestampText(new Date(sinceMs));
  const deadline = Date.now() + options.timeoutMs;
  const pollMs = options.pollMs ?? 1000;
  let acceptedAt: number | null = null;
  for (;;) {
    // registration_transaction has no workflow id, so the securezone record is found by RID; whether the
    // packet moved on is read from its own row (by workflow id), so another instance of the RID cannot pass it.
    const trns = await withReconnect(() => transactionsSince(db, schema, packet.rid, since));
    const accepted = trns.some((t) => t.trn_type_code === SECUREZONE && t.status_code === 'SUCCESS');
    if (accepted) {
      acceptedAt ??= Date.now();
      const row = (await withReconnect(() => rowStates(db, schema, [packet.workflowInstanceId]))).get(packet.workflowInstanceId.toLowerCase());
      const movedOn = row?.latest_trn_dtimes && row.latest_trn_dtimes.getTime() >= sinceMs && row.latest_trn_type_code !== SECUREZONE;
      if (row && movedOn) {
        if (FAILED_STATUSES.has(row.latest_trn_status_code ?? '') || ['FAILED', 'REJECTED'].includes(row.status_code)) {
          return {
            ok: false,
            detail: `the canary packet ${packet.rid} left securezone but ${row.latest_trn_type_code} ended ${row.latest_trn_status_code} (status_code ${row.status_code})`,
            hint: 'a later stage is failing: look at that stage before reprocessing more packets',
          };
        }
        return { ok: true, detail: `the canary packet ${packet.rid} passed securezone and moved on to ${row.latest_trn_type_code} (${row.latest_trn_status_code})` };
      }
      options.onProgress?.(`canary ${packet.rid}: securezone recorded SUCCESS; waiting for it to move on`);
    } else {
      options.onProgress?.(`canary ${packet.rid}: waiting for the securezone stage's record`);
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
      detail: `the reply said forwarded, but in ${waited} s the database showed no SECUREZONE_NOTIFICATION SUCCESS transaction for ${packet.rid}`,
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
