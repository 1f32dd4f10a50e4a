// --cohort <id> (repeatable) and --canary --by-cohort in a run: which cohorts (src/triage/cohort.ts) the run takes.
// Before anything is sent, the selection is read the way `reprocess triage` reads it (triage/scan.ts): an id that
// names no cohort of the selection is bad input (exit 2, nothing sent), and with --by-cohort one packet of each
// cohort that a run would send becomes that cohort's canary. Then the run's own stream is filtered: each batch of
// packets is looked up (packetFacts, by workflow id) and only those of the chosen cohorts pass; with --by-cohort
// the canaries come first, and the rest only for cohorts whose canary passed (allow()).
import type pg from 'pg';
import type { Packet } from '../domain/packet.js';
import { workflowKey } from '../domain/packetKey.js';
import { InputError } from '../errors.js';
import { holdBackRulesOf } from '../config/safety.js';
import { includedReasons } from '../domain/holdBack.js';
import { withReconnect } from '../db/reconnect.js';
import { packetFacts } from '../sql/packetFacts.js';
import { cohortId, cohortKeyOf, describeKey, verdictOf, type CohortKey, type Verdict } from '../domain/cohort.js';
import { cohortIdsOf } from '../config/cohortFlags.js';
import { scanSelection, SCAN_BATCH } from '../triage/scan.js';
import type { EventSink } from './events.js';
import type { RunRequest } from './request.js';

/** One cohort's canary: the packet sent first, and what its cohort is. */
export interface CohortCanary {
  cohortId: string;
  verdict: Verdict;
  /** "VALIDATE_PACKET: VALIDATE_PACKET REPROCESS RPR-PKV-FAILED-014" */
  describe: string;
  key: CohortKey;
  /** Packets of the cohort a run would send (the canary included), when the selection was read. */
  packets: number;
  packet: Packet;
}

export interface CohortStage {
  /** The cohorts the run takes (--cohort), or null: all of them. */
  readonly chosen: ReadonlySet<string> | null;
  /** With --by-cohort: the canaries, largest cohort first; null otherwise. */
  readonly canaries: CohortCanary[] | null;
  /** With --by-cohort: from now on only these cohorts' packets pass (those whose canary moved on). */
  allow(cohortIds: Iterable<string>): void;
  /**
   * The source's packets, filtered: canaries first (--by-cohort), then the chosen cohorts' packets. `seen` is the
   * run's set of workflow ids already taken or passed over: a packet dropped here is added to it, so an --all batch
   * does not read it again.
   */
  wrap(packets: AsyncIterable<Packet>, seen: Set<string>): AsyncIterable<Packet>;
}

/**
 * null without --cohort and --by-cohort. Called before anything is sent or created (bad ids are an InputError);
 * `done` holds the workflow ids a resumed run already finished (never a canary).
 */
export async function openCohortStage(request: RunRequest, pool: pg.Pool | null, emit: EventSink, done: ReadonlySet<string>): Promise<CohortStage | null> {
  const { flags, settings: s } = request;
  const wanted = cohortIdsOf(flags.cohort);
  const byCohort = Boolean(flags.canary && flags.byCohort);
  if (wanted.length === 0 && !byCohort) return null;
  if (!pool) throw new InputError('--cohort and --by-cohort read the packets\' history in the database: configure it (DB_HOST or --db-url)');
  const chosen = wanted.length > 0 ? new Set(wanted) : null;
  const rules = holdBackRulesOf(s);
  const included = new Set(includedReasons(rules));

  // The selection as the triage reads it: which cohorts exist, how many packets a run would send of each, and
  // (--by-cohort) the first such packet of each, in the selection's order.
  const found = new Map<string, { key: CohortKey; verdict: Verdict; describe: string; sendable: number; held: number; canary: Packet | null }>();
  await scanSelection(request, pool, {
    batch(packets) {
      for (const { packet, facts } of packets) {
        const key = cohortKeyOf(facts);
        const id = cohortId(key);
        if (chosen && !chosen.has(id)) continue;
        let c = found.get(id);
        if (!c) found.set(id, c = { key, verdict: verdictOf(key), describe: describeKey(key), sendable: 0, held: 0, canary: null });
        const sendable = (facts.held_reason === null || included.has(facts.held_reason)) && !done.has(workflowKey(packet.workflowInstanceId));
        if (!sendable) { c.held += 1; continue; }
        c.sendable += 1;
        c.canary ??= packet;
      }
      // Without --by-cohort, reading stops once every id asked for was seen.
      return byCohort || !chosen || found.size < chosen.size;
    },
  });
  if (chosen) {
    const unknown = [...chosen].filter((id) => !found.has(id));
    if (unknown.length > 0) {
      throw new InputError(`--cohort ${unknown.join(', ')}: no packet of this selection is in ${unknown.length === 1 ? 'that cohort' : 'those cohorts'} `
        + '(`reprocess triage` with the same selection flags lists the cohorts and their ids)');
    }
    for (const id of chosen) {
      const c = found.get(id)!;
      if (c.sendable === 0 && !byCohort) {
        emit({ type: 'warning', message: `--cohort ${id} (${c.verdict}, ${c.describe}): a run holds all its packets back${c.verdict === 'repeating' ? '; --include-repeat-failures sends them' : ''}` });
      }
    }
  }
  const canaries: CohortCanary[] | null = byCohort
    ? [...found.entries()].filter(([, c]) => c.canary !== null)
      .map(([id, c]) => ({ cohortId: id, key: c.key, verdict: c.verdict, describe: c.describe, packets: c.sendable, packet: { ...c.canary!, origin: `${c.canary!.origin} (canary of cohort ${id})` } }))
      .sort((a, b) => b.packets - a.packets || (a.cohortId < b.cohortId ? -1 : 1))
    : null;
  if (canaries) {
    emit({ type: 'note', message: `--by-cohort: ${canaries.length} cohort(s) with packets to send; one canary each first${found.size > canaries.length ? ` (${found.size - canaries.length} cohort(s) have none a run would send)` : ''}` });
  }

  // --by-cohort: nothing but the canaries passes until allow() names the cohorts whose canary moved on.
  let allowed: Set<string> | null = canaries ? new Set() : chosen;
  const canaryKeys = new Set((canaries ?? []).map((c) => workflowKey(c.packet.workflowInstanceId)));
  return {
    chosen,
    canaries,
    allow(ids) { allowed = new Set(ids); },
    wrap(packets, seen) {
      return (async function* () {
        if (canaries) yield* canaries.map((c) => c.packet);
        let batch: Packet[] = [];
        const flush = async function* (): AsyncGenerator<Packet, void, void> {
          const facts = await withReconnect(() => packetFacts(pool, s.dbSchema, batch.map((p) => p.workflowInstanceId), rules));
          const idOf = new Map(facts.map((f) => [workflowKey(f.workflow_instance_id), cohortId(cohortKeyOf(f))]));
          for (const p of batch) {
            const key = workflowKey(p.workflowInstanceId);
            const id = idOf.get(key);
            // A packet whose row is gone or inactive now has no cohort: the stage would not find it, it is passed over.
            if (id !== undefined && (allowed === null || allowed.has(id))) yield p;
            else seen.add(key);
          }
          batch = [];
        };
        for await (const p of packets) {
          if (canaryKeys.has(workflowKey(p.workflowInstanceId))) continue;
          batch.push(p);
          if (batch.length >= SCAN_BATCH) yield* flush();
        }
        if (batch.length > 0) yield* flush();
      })();
    },
  };
}
