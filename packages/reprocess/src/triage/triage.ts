// `reprocess triage`: why each packet of a run's selection is stuck, grouped into cohorts (cohort.ts), with what
// was already tried on them (MOSIP's reprocessor, from the history; this tool, from the journals in --runs-dir)
// and a verdict per cohort. Only reads: the selection a batch at a time (scan.ts), in READ ONLY statements, and
// the journals as streams. What is kept grows with the number of cohorts, not of packets (plus one small entry per
// packet this tool ever notified, from the journals).
import type { NotifyOutcome } from '@mosip-reprocess/contract/wire.js';
import { createPool } from '../db/connect.js';
import { workflowKey } from '../domain/packetKey.js';
import { holdBackRulesOf } from '../config/safety.js';
import { includedReasons, type HoldBackReason, type HoldBackRules } from '../domain/holdBack.js';
import { toolRedrivesByPacket, type ToolRedrives } from '../journal/packetRedrives.js';
import type { EligibilityCriteria } from '../sql/eligibility.js';
import { nowUtcText } from '../sql/nowUtcText.js';
import { AGE_BUCKETS, type AgeBucket } from '../sql/rowFacts.js';
import { dbSettingsOf, withDb } from '../db/runDatabase.js';
import { cohortId, cohortKeyOf, transientOf, verdictOf, VERDICTS, type CohortKey, type Verdict } from '../domain/cohort.js';
import { scanSelection, type ScannedPacket, type ScanSource } from './scan.js';
import { newRunId } from '../journal/runId.js';
import type { NoticeSink } from '../domain/notices.js';
import { startObservation } from '../report/metrics/observe.js';

export interface Cohort extends CohortKey {
  id: string;
  verdict: Verdict;
  /** For a transient cohort: MOSIP's name of the failure, what it is, and where MOSIP writes it. */
  transient: { mosipName: string; what: string; source: string } | null;
  /** Packets in the cohort. */
  count: number;
  /** latest_trn_dtimes of the oldest and newest packet (ISO UTC): how long they have been stuck. */
  oldestUtc: string | null;
  newestUtc: string | null;
  /** Packets by age of latest_trn_dtimes. */
  byAge: Record<AgeBucket, number>;
  /** The last failure's count in each packet's history (same stage, status and sub status): least and most. */
  timesMin: number | null;
  timesMax: number | null;
  /** Packets a run holds back, by reason (under this triage's --include-* flags, those it sends anyway are not counted). */
  heldBack: Partial<Record<HoldBackReason, number>>;
  /** Packets a run would send now. */
  runWouldSend: number;
  /** MOSIP's reprocessor, from the history: its passes over these packets, how many packets it passed, and of those how many failed again afterwards. */
  reprocessor: { passes: number; packets: number; failedAgain: number };
  /** This tool, from the journals in --runs-dir: notifications, packets notified, and each packet's last reply. */
  tool: { sends: number; packets: number; lastOutcomes: Partial<Record<NotifyOutcome | 'no_reply', number>> };
  /** One packet of the cohort (the first met, in the selection's order). */
  sample: { rid: string; workflowInstanceId: string; comment: string | null };
}

export interface TriageReport {
  kind: 'triage';
  /** Database time (UTC) the ages are measured from. */
  asOfUtc: string;
  source: string;
  /** The --db criteria (cutoff as computed at the start); null for --file, --registration, --query-file. */
  criteria: EligibilityCriteria | null;
  rules: HoldBackRules;
  /** Packets in the selection (listed packets: each once; with --shard, this shard's): the cohorts' counts and notFound add up to it. */
  selected: number;
  /** Listed packets (or query rows) without an active row: the securezone stage would not find them. In no cohort. */
  notFound: number;
  /** Query rows skipped for a NULL key column. */
  skippedRows: number;
  /** Largest first (then by id). */
  cohorts: Cohort[];
  byVerdict: Record<Verdict, { cohorts: number; packets: number }>;
  /** The selection by what a run does with it: sent, or held back by reason. */
  runWouldSend: number;
  heldBack: Partial<Record<HoldBackReason, number>>;
  /** Runs whose journals were read (--runs-dir), and the packets they notified in all. */
  journals: { runsDir: string; packetsNotified: number };
}

export interface TriageRequest extends ScanSource {
  dbConfigured: boolean;
}

/**
 * Triage of the selection a run with these settings would read. With --metrics-port (or --pushgateway) the metrics
 * show the packets scanned so far (reprocess_packets_selected) and, at the end, the held-back counts; its run_id is
 * triage-<time>-<4 hex> (a triage makes no run). `tell` hears the warnings (a push that failed, the metrics' address).
 */
export async function triageReprocess(request: TriageRequest, options: { tell?: NoticeSink } = {}): Promise<TriageReport> {
  const s = request.settings;
  const observation = await startObservation(s, { fixedRate: null, onWarning: (message) => options.tell?.({ type: 'warning', message }) });
  if (observation?.url) options.tell?.({ type: 'note', message: `metrics: ${observation.url}` });
  observation?.observe({ type: 'started', runId: `triage-${newRunId(new Date())}`, resumed: false, source: 'triage', journalPath: '', runsDir: s.runsDir });
  const pool = createPool(dbSettingsOf(s));
  try {
    const tool = toolRedrivesByPacket(s.runsDir);
    const acc = new TriageAccumulator(holdBackRulesOf(s), tool);
    let scannedSoFar = 0;
    const scanned = await scanSelection(request, pool, {
      batch: (packets) => {
        for (const p of packets) acc.add(p);
        scannedSoFar += packets.length;
        observation?.observe({ type: 'total', packets: scannedSoFar });
      },
      notFound: () => { acc.notFound += 1; },
      skipped: () => { acc.skippedRows += 1; },
    });
    const asOfUtc = await withDb(s, () => nowUtcText(pool));
    const report = acc.report({ asOfUtc, source: scanned.description, criteria: scanned.criteria, runsDir: s.runsDir });
    observation?.observe({ type: 'total', packets: report.selected });
    observation?.observe({ type: 'held_back', counts: report.heldBack });
    return report;
  } finally {
    await pool.end().catch(() => undefined);
    await observation?.close();
  }
}

/** Folds scanned packets into cohorts; one entry per cohort. */
export class TriageAccumulator {
  notFound = 0;
  skippedRows = 0;
  private selected = 0;
  private readonly cohorts = new Map<string, Cohort>();
  private readonly included: Set<HoldBackReason>;

  constructor(private readonly rules: HoldBackRules, private readonly tool: ReadonlyMap<string, ToolRedrives>) {
    this.included = new Set(includedReasons(rules));
  }

  add({ packet, facts }: ScannedPacket): Cohort {
    this.selected += 1;
    const key = cohortKeyOf(facts);
    const id = cohortId(key);
    let c = this.cohorts.get(id);
    if (!c) {
      const verdict = verdictOf(key);
      const t = verdict === 'transient' ? transientOf(key) : null;
      c = {
        id, ...key, verdict, transient: t ? { mosipName: t.mosipName, what: t.what, source: t.source } : null,
        count: 0, oldestUtc: null, newestUtc: null, byAge: Object.fromEntries(AGE_BUCKETS.map((b) => [b, 0])) as Record<AgeBucket, number>,
        timesMin: null, timesMax: null, heldBack: {}, runWouldSend: 0,
        reprocessor: { passes: 0, packets: 0, failedAgain: 0 }, tool: { sends: 0, packets: 0, lastOutcomes: {} },
        sample: { rid: packet.rid, workflowInstanceId: packet.workflowInstanceId, comment: key.failureStage ? facts.f_comment : null },
      };
      this.cohorts.set(id, c);
    }
    c.count += 1;
    const at = facts.latest_trn_dtimes;
    if (at !== null) {
      if (c.oldestUtc === null || at < c.oldestUtc) c.oldestUtc = at;
      if (c.newestUtc === null || at > c.newestUtc) c.newestUtc = at;
    }
    c.byAge[facts.age] += 1;
    if (key.failureStage !== null && facts.times !== null) {
      c.timesMin = Math.min(c.timesMin ?? Infinity, facts.times);
      c.timesMax = Math.max(c.timesMax ?? 0, facts.times);
    }
    const held = facts.held_reason;
    if (held !== null && !this.included.has(held)) c.heldBack[held] = (c.heldBack[held] ?? 0) + 1;
    else c.runWouldSend += 1;
    if (facts.h_passes > 0) {
      c.reprocessor.passes += facts.h_passes;
      c.reprocessor.packets += 1;
      if (facts.h_failed_after_pass) c.reprocessor.failedAgain += 1;
    }
    const sent = this.tool.get(workflowKey(packet.workflowInstanceId));
    if (sent && sent.sends > 0) {
      c.tool.sends += sent.sends;
      c.tool.packets += 1;
      const o = sent.lastOutcome ?? 'no_reply';
      c.tool.lastOutcomes[o] = (c.tool.lastOutcomes[o] ?? 0) + 1;
    }
    return c;
  }

  report(meta: { asOfUtc: string; source: string; criteria: EligibilityCriteria | null; runsDir: string }): TriageReport {
    const cohorts = [...this.cohorts.values()].sort((a, b) => b.count - a.count || (a.id < b.id ? -1 : 1));
    const byVerdict = Object.fromEntries(VERDICTS.map((v) => [v, { cohorts: 0, packets: 0 }])) as TriageReport['byVerdict'];
    const heldBack: Partial<Record<HoldBackReason, number>> = {};
    let runWouldSend = 0;
    for (const c of cohorts) {
      byVerdict[c.verdict].cohorts += 1;
      byVerdict[c.verdict].packets += c.count;
      runWouldSend += c.runWouldSend;
      for (const [r, n] of Object.entries(c.heldBack) as [HoldBackReason, number][]) heldBack[r] = (heldBack[r] ?? 0) + n;
    }
    const selected = this.selected + this.notFound;
    return {
      kind: 'triage', asOfUtc: meta.asOfUtc, source: meta.source, criteria: meta.criteria, rules: this.rules,
      selected, notFound: this.notFound, skippedRows: this.skippedRows, cohorts, byVerdict, runWouldSend, heldBack,
      journals: { runsDir: meta.runsDir, packetsNotified: this.tool.size },
    };
  }
}
