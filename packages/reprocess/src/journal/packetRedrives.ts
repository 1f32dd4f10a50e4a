// What this tool already did to packets, from the journals in a runs directory: for the triage, per packet, how
// many notifications went out and the last reply; for `explain`, one RID's sends and replies run by run. Journals
// are read as streams (journalRecords), never whole; the triage keeps one small entry per packet ever sent.
import type { NotifyOutcome } from '@mosip-reprocess/contract/wire.js';
import { workflowKey } from '../domain/packetKey.js';
import { journalRecords } from './replay.js';
import { listRunIds, openRun, runReasonOf } from './runStore.js';

/** A packet's notifications over every run in the runs directory. */
export interface ToolRedrives {
  /** Notifications sent (send records whose packet left: a withdrawn one is not counted). */
  sends: number;
  /** The last reply's outcome, or null when no reply was journaled (in doubt, or the run crashed). */
  lastOutcome: NotifyOutcome | null;
}

/** Per workflow id (workflowKey), the packets the runs in `runsDir` notified. */
export function toolRedrivesByPacket(runsDir: string): Map<string, ToolRedrives> {
  const byPacket = new Map<string, ToolRedrives>();
  for (const id of listRunIds(runsDir)) {
    const run = openRun(runsDir, id);
    for (const r of journalRecords(run.journalPath)) {
      if (r.t !== 'send' && r.t !== 'withdrawn' && r.t !== 'result') continue;
      const key = workflowKey(r.wf);
      let entry = byPacket.get(key);
      if (!entry) byPacket.set(key, entry = { sends: 0, lastOutcome: null });
      if (r.t === 'send') entry.sends += 1;
      else if (r.t === 'withdrawn') entry.sends = Math.max(0, entry.sends - 1);
      else entry.lastOutcome = r.outcome;
    }
  }
  return byPacket;
}

/** One notification of a RID in a run, as its journal tells it. */
export interface PacketSend {
  runId: string;
  /** The run's source ("db (APPROACH 1)", "file x.txt"), and its --reason. */
  source: string;
  reason: string | null;
  wf: string;
  sentAt: string;
  /** The stage it was stuck in when selected, when journaled. */
  stage: string | null;
  outcome: NotifyOutcome | 'withdrawn' | null;
  /** HTTP attempts it took (retries after a 5xx or a lost reply included). */
  attempts: number | null;
  http: number | null;
  reply: string | null;
  repliedAt: string | null;
}

/** Every notification of this RID in the runs directory, oldest first. */
export function sendsOfRid(runsDir: string, rid: string): PacketSend[] {
  const sends: PacketSend[] = [];
  for (const id of listRunIds(runsDir)) {
    const run = openRun(runsDir, id);
    const reason = runReasonOf(run.meta);
    const open = new Map<string, PacketSend>();
    for (const r of journalRecords(run.journalPath)) {
      if ((r.t !== 'send' && r.t !== 'withdrawn' && r.t !== 'result') || r.rid !== rid) continue;
      const key = workflowKey(r.wf);
      if (r.t === 'send') {
        const send: PacketSend = {
          runId: id, source: run.meta.source, reason, wf: r.wf, sentAt: r.at, stage: r.stage ?? null,
          outcome: null, attempts: null, http: null, reply: null, repliedAt: null,
        };
        sends.push(send);
        open.set(key, send);
        continue;
      }
      const send = open.get(key);
      if (!send) continue;
      open.delete(key);
      if (r.t === 'withdrawn') send.outcome = 'withdrawn';
      else Object.assign(send, { outcome: r.outcome, attempts: r.attempt, http: r.http, reply: r.reply, repliedAt: r.at });
    }
  }
  return sends;
}
