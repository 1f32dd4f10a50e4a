// mosip-reprocess as a library: the CLI (`reprocess`) is a thin shell over these functions, and the demo uses
// them too. Resolve a request from flags (or build one), then run it, dry-run it, or verify a run afterwards.
export { resolveRunRequest, resumeCommand, type Mode, type RunFlags, type RunRequest } from './run/request.js';
export { runReprocess, RunInterrupted, type RunOptions, type RunResult } from './run/reprocess.js';
export { dryRunReprocess } from './run/dryRun.js';
export { verifyRun, type VerifyRequest } from './run/verifyRun.js';
export { ignoreEvents, type EventSink, type RunEvent } from './run/events.js';
export { readWholeRun, notifiedPackets, latestUnfinishedRun, type WholeRun, type NotifiedPacket, type StoredSummary } from './journal/wholeRun.js';
export type { PacketResult, RunSummary, StopReason } from './domain/runResult.js';
export type { DryRunReport } from './report/dryRun.js';
export type { VerifyReport } from './report/verify.js';
export type { Settings } from './config/settings.js';
export { InputError, UnreachableError } from './errors.js';
export { triageReprocess, type TriageReport, type Cohort, type TriageRequest } from './triage/triage.js';
export { resolveTriageRequest } from './triage/request.js';
export { explainPacket, type ExplainReport, type ExplainedRow } from './triage/explain.js';
export { cohortId, cohortKeyOf, normaliseComment, verdictOf, VERDICTS, VERDICT_TEXT, type CohortKey, type Verdict } from './domain/cohort.js';
