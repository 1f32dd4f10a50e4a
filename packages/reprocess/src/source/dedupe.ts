// Drops input entries that name a workflow instance (or, for RID-only lines, a RID) already listed, so no
// packet is sent twice (the rule of domain/packetKey.ts: workflow ids compare case-insensitively). Two lines for the same workflow instance that disagree are an error, not a choice.
import { ridKey, workflowKey } from '../domain/packetKey.js';
import type { FieldIssue, FullEntry, ParsedEntry } from './packetLine.js';

export type DedupeOutcome =
  | { kind: 'new' }
  | { kind: 'duplicate' }
  | { kind: 'conflict'; issues: FieldIssue[] };

export class EntryDeduper {
  private readonly byWorkflowId = new Map<string, FullEntry>();
  private readonly ridOnly = new Map<string, string>(); // rid -> origin of the first line

  add(entry: ParsedEntry): DedupeOutcome {
    if (entry.kind === 'rid') {
      if (this.ridOnly.has(ridKey(entry.rid))) return { kind: 'duplicate' };
      this.ridOnly.set(ridKey(entry.rid), entry.origin);
      return { kind: 'new' };
    }
    const kept = this.byWorkflowId.get(workflowKey(entry.workflowInstanceId));
    if (!kept) {
      this.byWorkflowId.set(workflowKey(entry.workflowInstanceId), entry);
      return { kind: 'new' };
    }
    const issues = disagreements(kept, entry);
    if (issues.length > 0) return { kind: 'conflict', issues };
    // The same instance again; keep what the later line adds (e.g. an iteration the first line left out).
    kept.iteration ??= entry.iteration;
    kept.source ??= entry.source;
    return { kind: 'duplicate' };
  }
}

/** Fields the two entries for one workflow instance give different values for (unstated ones do not count). */
function disagreements(kept: FullEntry, entry: FullEntry): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const differ = (field: FieldIssue['field'], a: unknown, b: unknown) => {
    if (a !== null && b !== null && a !== b) {
      issues.push({
        field,
        reason: `workflow instance ${entry.workflowInstanceId} has ${field} ${String(a)} at ${kept.origin} but ${String(b)} here`,
      });
    }
  };
  differ('reg_id', kept.rid, entry.rid);
  differ('process', kept.process, entry.process);
  differ('iteration', kept.iteration, entry.iteration);
  differ('source', kept.source, entry.source);
  return issues;
}
