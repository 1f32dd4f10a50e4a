// When two entries are the same packet: the one de-duplication rule of a run (input lines, the filter chain,
// the dry run, --all batches, the journal's done set all key by it).
// A workflow instance id is a UUID, and a UUID is the same whatever the case of its hex digits (MOSIP writes
// them lower-case; a spreadsheet may not), so ids compare case-insensitively. A RID is 29 digits: as is.

/** The key of a workflow instance id: its lower-case form. */
export function workflowKey(workflowInstanceId: string): string {
  return workflowInstanceId.toLowerCase();
}

/** The key of a RID-only entry (validated as 29 digits before it gets here). */
export function ridKey(rid: string): string {
  return rid.trim();
}
