// `reprocess action <RESUME_PROCESSING|RESUME_FROM_BEGINNING|STOP_PROCESSING>`: moves paused packets the MOSIP way,
// through the workflow action API. RIDs come from the database (active rows PAUSED, one per RID, optionally under a
// pause rule), a file or --registration; they go in requests of --batch-size at --delay, each request journaled
// before it is sent and each RID's outcome after; the one-run lock is held throughout. Prints nothing: it tells
// an event sink and returns a result, like runReprocess().
import { hostname } from 'node:os';
import { writeFileSync } from 'node:fs';
import { redactSettings } from '../config/load.js';
import type { Settings } from '../config/settings.js';
import { createPool } from '../db/connect.js';
import { InputError, UnreachableError } from '../errors.js';
import type { Journal } from '../journal/journal.js';
import type { ActionResultRecord, ActionSendRecord, ActionSkippedRecord } from '../journal/records.js';
import { readJournal } from '../journal/replay.js';
import { createRun, type RunHandle } from '../journal/runStore.js';
import { AuthError, MosipClient } from '../notifier/client.js';
import { Pacer } from '../pacer/pacer.js';
import { RunLog } from '../report/logFiles.js';
import { actionEventLines } from './lines.js';
import type { LogLine } from '../report/logLines.js';
import { startObservation, type Observation } from '../report/metrics/observe.js';
import { readPacketFile } from '../source/fileSource.js';
import { parsePacketLine } from '../source/packetLine.js';
import { dbSettingsOf, withDb } from '../db/runDatabase.js';
import { lookupRidStates, type RidState } from '../sql/lookupRidStates.js';
import { selectPausedRids } from '../sql/selectPausedRids.js';
import type { EventSink } from '../run/events.js';
import { takeRunLock } from '../run/lockedRun.js';
import type { RunLock } from '../run/lock.js';
import { resumeCommand } from '../journal/runIdentity.js';
import { signalExitCode, stopReasonOf } from '../run/stop.js';
import { storedDbOf } from '../journal/runIdentity.js';
import { WorkflowActionClient } from './client.js';
import { actionBatches, HOTLISTED_RULE, ridVerdict, type RidPolicy } from './ridVerdict.js';
import { SETTLED_OUTCOMES, type WorkflowAction, type WorkflowActionOutcome } from './contract.js';

export type ActionSource = { kind: 'db'; pauseRule: string | null } | { kind: 'file'; path: string } | { kind: 'registration'; values: string[] };

export interface ActionRequest {
  action: WorkflowAction;
  source: ActionSource;
  settings: Settings;
  dbConfigured: boolean;
  /** Where the workflow manager listens (default: the settings' server). */
  actionServer: string | null;
  batchSize: number;
  /** STOP_PROCESSING rejects packets for good: it needs an explicit yes. */
  yes: boolean;
  /** RESUME_* may take rows paused under HOTLISTED_OPERATOR (an explicit consent); absent: no. */
  includeHotlisted?: boolean;
  /** The flags to keep in run.json, so that --resume repeats the same action. */
  flags: Record<string, unknown>;
  /** The action run being continued. */
  resume: RunHandle | null;
}

/** A RID to send; `rows`: its active rows when more than one (it then goes alone in its request). */
export interface ActionRid { rid: string; origin: string; rows?: number }

export interface ActionPlan {
  action: WorkflowAction;
  rids: ActionRid[];
  /** RIDs left out by the database check, with the reason (at most SKIPPED_NAMED of them; skippedCount counts all). */
  skipped: { item: ActionRid; reason: string }[];
  skippedCount: number;
  /** Whether RESUME_* takes rows paused under HOTLISTED_OPERATOR (--include-hotlisted). */
  includeHotlisted: boolean;
  /** Whether the listed RIDs were checked against the database. */
  checked: boolean;
  /** RIDs an earlier attempt of this run already settled. */
  alreadyDone: number;
  batches: number;
}

export interface ActionResult {
  runId: string;
  counts: Partial<Record<WorkflowActionOutcome, number>>;
  skipped: number;
  stop: { kind: string; message: string; signal?: NodeJS.Signals } | null;
  /** As a run's: 0, 1, 3, or 128 + the signal's number for a stop by a signal (130 SIGINT, 143 SIGTERM, 129 SIGHUP). */
  exitCode: number;
  resumeCommand: string | null;
}

export type ActionEvent =
  /** A RID's outcome; `at`: its journal record's time; `ms`: how long its request took. */
  | { type: 'rid'; rid: string; origin: string; outcome: WorkflowActionOutcome; http: number | null; detail: string; at?: string; ms?: number }
  | { type: 'started'; runId: string; journalPath: string; source: string }
  /** How many RIDs the plan sends (after the database check). */
  | { type: 'total'; rids: number }
  /** A request leaves with these RIDs (its record is on disk). */
  | { type: 'sending'; rids: string[] }
  | { type: 'note'; message: string }
  | { type: 'warning'; message: string }
  | { type: 'finished'; action: WorkflowAction; result: ActionResult };

export function checkActionRequest(r: ActionRequest): void {
  if (r.action === 'STOP_PROCESSING' && !r.yes) {
    throw new InputError('STOP_PROCESSING rejects the packets for good (status_code REJECTED, no UIN): add --yes to confirm; nothing was sent');
  }
  if (r.source.kind === 'db' && !r.dbConfigured) throw new InputError('--db needs the database (DB_HOST or --db-url)');
  if (r.source.kind === 'db' && r.source.pauseRule === HOTLISTED_RULE && r.action !== 'STOP_PROCESSING' && !r.includeHotlisted) {
    throw new InputError(`--pause-rule ${HOTLISTED_RULE} with ${r.action} resumes packets whose operator is hotlisted (and makes them immune to that rule): add --include-hotlisted to confirm; nothing was sent`);
  }
  if (!Number.isInteger(r.batchSize) || r.batchSize < 1 || r.batchSize > 1000) throw new InputError(`--batch-size ${r.batchSize}: expected a whole number from 1 to 1000`);
}

/** A plan names this many skipped RIDs at most (a --db scan may pass many); it counts them all. */
export const SKIPPED_NAMED = 10_000;

/** The RIDs the action would send, checked against the database when there is one. Sends nothing. */
export async function planAction(r: ActionRequest, done: ReadonlySet<string> = new Set()): Promise<ActionPlan> {
  const s = r.settings;
  const policy: RidPolicy = { action: r.action, pauseRule: r.source.kind === 'db' ? r.source.pauseRule : null, includeHotlisted: r.includeHotlisted === true };
  const pool = r.dbConfigured ? createPool(dbSettingsOf(s)) : null;
  const kept: ActionRid[] = [];
  const skipped: ActionPlan['skipped'] = [];
  let skippedCount = 0;
  const judge = (item: ActionRid, state: RidState | undefined) => {
    const verdict = ridVerdict(state, policy);
    if (verdict.send) kept.push(verdict.rows > 1 ? { ...item, rows: verdict.rows } : item);
    else {
      skippedCount += 1;
      if (skipped.length < SKIPPED_NAMED) skipped.push({ item, reason: verdict.reason });
    }
  };
  const plan = (checked: boolean): ActionPlan => ({
    action: r.action, rids: kept, skipped, skippedCount, includeHotlisted: r.includeHotlisted === true, checked,
    alreadyDone: done.size, batches: actionBatches(kept, r.batchSize).length,
  });
  try {
    if (r.source.kind === 'db') {
      const db = pool!;
      let after = '';
      while (kept.length < s.limit) {
        // reg_id has no index in 1.2.0.1: each page reads the table once to find the RIDs' other rows, so pages are large.
        const page = await withDb(s, () => selectPausedRids(db, s.dbSchema, policy.pauseRule, after, 5000));
        if (page.length === 0) break;
        after = page[page.length - 1]!.reg_id;
        for (const state of page) {
          if (done.has(state.reg_id.toLowerCase())) continue;
          const rules = [...new Set(state.pause_rule_ids.filter(Boolean))].join(' / ');
          judge({ rid: state.reg_id, origin: `db${rules ? ` (pause rule ${rules})` : ''}` }, state);
          if (kept.length >= s.limit) break;
        }
      }
      return plan(true);
    }
    const listed = distinctRids(r.source.kind === 'file' ? await ridsOfFile(r.source.path) : ridsOfArgs(r.source.values)).filter((x) => !done.has(x.rid.toLowerCase()));
    if (!pool) {
      kept.push(...listed.slice(0, s.limit));
      return plan(false);
    }
    const states = new Map<string, RidState>();
    for (let i = 0; i < listed.length; i += 1000) {
      for (const st of await withDb(s, () => lookupRidStates(pool, s.dbSchema, listed.slice(i, i + 1000).map((x) => x.rid)))) states.set(st.reg_id, st);
    }
    for (const item of listed) {
      if (kept.length >= s.limit) break;
      judge(item, states.get(item.rid));
    }
    return plan(true);
  } finally {
    await pool?.end().catch(() => undefined);
  }
}

/** Sends the plan. Throws InputError / UnreachableError (RunLockBusy included) before anything is sent. */
export async function runAction(r: ActionRequest, emit: (e: ActionEvent) => void, options: { signal?: AbortSignal } = {}): Promise<ActionResult> {
  checkActionRequest(r);
  const s = r.settings;
  if (!s.server && !r.actionServer) throw new InputError('no MOSIP server: give --server <url> (or --action-server), REPROCESS_SERVER, or "server:" in the config file');
  if (!s.clientSecret) throw new InputError('no client secret: set REGPROC_CLIENT_PWD (or clientSecret in the config file)');
  let lock: RunLock | null = null;
  let auth: MosipClient | null = null;
  let client: WorkflowActionClient | null = null;
  let journal: Journal | null = null;
  let log: RunLog | null = null;
  let observation: Observation | null = null;
  let runId: string | null = null;
  // Lines told before the log file is open (the plan's warnings) are written to it once it is.
  const early: LogLine[] = [];
  /** Every event: to the caller, the metrics and the log file (the same lines the terminal shows). */
  const tell = (e: ActionEvent) => {
    emit(e);
    observation?.observeAction(e);
    for (const line of actionEventLines(e, runId)) {
      if (log) log.line(line);
      else early.push(line);
    }
  };
  const sink: EventSink = (e) => { if (e.type === 'note' || e.type === 'warning') tell(e); };
  try {
    // Before anything is read or sent: a port that cannot be had is a setting error (exit 2).
    observation = await startObservation(s, {
      fixedRate: s.rate ?? (s.delay > 0 ? 1 / s.delay : Infinity), action: r.action,
      onWarning: (message) => tell({ type: 'warning', message }),
    });
    if (observation?.url) tell({ type: 'note', message: `metrics: ${observation.url}` });
    lock = await takeRunLock({ settings: s, dbConfigured: r.dbConfigured, resume: r.resume ? { run: r.resume, replayed: null as never } : null }, 'action', sink);
    const done = r.resume ? settledRids(r.resume) : new Set<string>();
    const plan = await planAction(r, done);
    if (!plan.checked) {
      tell({ type: 'warning', message: `no database configured: whether the listed RIDs are PAUSED could not be checked; MOSIP refuses a whole request when one RID is not, and the others are then sent again without it${r.action !== 'STOP_PROCESSING' && !r.includeHotlisted ? `; nor whether one is paused under ${HOTLISTED_RULE} (resuming it would need --include-hotlisted)` : ''}` });
    }
    for (const { item, reason } of plan.skipped) tell({ type: 'warning', message: `${item.origin}: ${item.rid}: skipped: ${reason}` });
    if (plan.skippedCount > plan.skipped.length) tell({ type: 'warning', message: `${plan.skippedCount - plan.skipped.length} more RID(s) skipped, not named here` });

    auth = new MosipClient({
      server: (r.actionServer ?? s.server)!, authServer: s.authServer ?? s.server, clientId: s.clientId, clientSecret: s.clientSecret,
      appId: s.appId, timeoutSeconds: s.timeout, caFile: s.caFile, insecure: s.insecure,
    });
    try {
      await auth.authenticate();
    } catch (err) {
      if (err instanceof AuthError) throw new UnreachableError(err.message);
      throw err;
    }
    client = new WorkflowActionClient(auth, (r.actionServer ?? s.server)!, { caFile: s.caFile, insecure: s.insecure, timeoutSeconds: s.timeout });

    const run = r.resume ?? createRun(s.runsDir, {
      kind: 'action', db: storedDbOf(s, r.dbConfigured),
      flags: r.flags, configFile: null, settings: redactSettings(s),
      source: `action ${r.action} (${r.source.kind === 'db' ? `db${r.source.pauseRule ? `, pause rule ${r.source.pauseRule}` : ''}` : r.source.kind === 'file' ? `file ${r.source.path}` : '--registration'})`,
    });
    if (r.resume) {
      run.meta.resumes.push(new Date().toISOString());
      run.saveMeta();
    }
    await lock?.setRunId(run.id);
    journal = run.openJournal();
    journal.append({ t: 'start', at: new Date().toISOString(), attempt: 1 + run.meta.resumes.length, host: hostname(), pid: process.pid, reason: s.reason ?? null });
    runId = run.id;
    log = new RunLog(s.logDir, s.logFormat);
    log.runId = run.id;
    log.write(`action run ${run.id} ${r.resume ? 'resumed' : 'started'} ${new Date().toISOString()} ${run.meta.source}${s.reason ? ` reason=${JSON.stringify(s.reason)}` : ''}`);
    for (const line of early.splice(0)) log.line({ ...line, record: { ...line.record, run_id: run.id } });
    tell({ type: 'started', runId: run.id, journalPath: run.journalPath, source: run.meta.source });
    tell({ type: 'total', rids: plan.rids.length });
    if (plan.alreadyDone > 0) tell({ type: 'note', message: `resume: ${plan.alreadyDone} RID(s) already settled in this run are skipped` });
    for (const { item, reason } of plan.skipped) journal.append({ t: 'action_skipped', at: new Date().toISOString(), rid: item.rid, origin: item.origin, reason } satisfies ActionSkippedRecord);
    if (plan.skippedCount > plan.skipped.length) journal.append({ t: 'note', at: new Date().toISOString(), message: `${plan.skippedCount - plan.skipped.length} more RID(s) skipped, not named` });

    const counts: Partial<Record<WorkflowActionOutcome, number>> = {};
    let stop: ActionResult['stop'] = null;
    const pacer = new Pacer((s.rate !== undefined ? 1 / s.rate : s.delay) * 1000);
    const queue: ActionRid[][] = actionBatches(plan.rids, r.batchSize);
    const j = journal;
    while (queue.length > 0 && !stop) {
      const batch = queue.shift()!;
      try {
        await pacer.wait(options.signal);
        await lock?.ready();
      } catch {
        stop = stopReasonOf(options.signal?.reason);
        break;
      }
      const lost = lock?.stopMessage();
      if (lost) { stop = { kind: 'lock_lost', message: `the run lock was lost: ${lost}` }; break; }
      const rids = batch.map((b) => b.rid);
      await j.appendDurable({ t: 'action_send', at: new Date().toISOString(), action: r.action, rids } satisfies ActionSendRecord);
      tell({ type: 'sending', rids });
      const sentAt = performance.now();
      const reply = await client.send(rids, r.action);
      const ms = Math.round(performance.now() - sentAt);
      const detail = reply.error ? `${reply.error.errorCode} ${reply.error.message}` : reply.http === 200 ? '' : reply.text.slice(0, 300);
      const retry: ActionRid[] = [];
      for (const item of batch) {
        const outcome = reply.outcomes.get(item.rid) ?? 'in_doubt';
        if (outcome === 'held_back' && reply.outcomes.size > 1 && [...reply.outcomes.values()].some((o) => o === 'not_found' || o === 'not_paused')) {
          retry.push(item); // refused because of another RID of the request: nothing written; sent again without it
          continue;
        }
        counts[outcome] = (counts[outcome] ?? 0) + 1;
        const at = new Date().toISOString();
        j.append({ t: 'action_result', at, rid: item.rid, outcome, http: reply.http, errorCode: reply.error?.errorCode ?? null, message: detail } satisfies ActionResultRecord);
        tell({ type: 'rid', rid: item.rid, origin: item.origin, outcome, http: reply.http, detail, at, ms });
      }
      if (retry.length > 0) queue.unshift(retry);
      const first = reply.outcomes.values().next().value as WorkflowActionOutcome | undefined;
      if (first === 'forbidden') stop = { kind: 'forbidden', message: `the workflow action API answered 403 (${detail || reply.text.slice(0, 200)}): the client needs REGISTRATION_PROCESSOR or GLOBAL_ADMIN` };
      else if (first === 'unauthorized') stop = { kind: 'unauthorized', message: 'the workflow action API answered 401 even with a fresh token' };
      else if (first === 'server_error' || first === 'network_error') stop = { kind: 'unreachable', message: `the workflow action API did not answer (${reply.http ? `HTTP ${reply.http}` : reply.text}); nothing more is sent` };
      else if (first === 'invalid_request') stop = { kind: 'invalid_request', message: `MOSIP refused the request itself (${detail}); nothing more is sent` };
    }
    const fatal = stop !== null && ['forbidden', 'unauthorized', 'unreachable', 'lock_lost'].includes(stop.kind);
    const allApplied = Object.entries(counts).every(([o, n]) => o === 'applied' || n === 0);
    const exitCode = fatal ? 3 : stop?.signal ? signalExitCode(stop.signal) : stop === null && allApplied && plan.skippedCount === 0 ? 0 : 1;
    j.append({ t: 'end', at: new Date().toISOString(), exitCode, stop: stop?.message ?? null, stopKind: stop?.kind ?? null });
    writeFileSync(run.summaryPath, JSON.stringify({ runId: run.id, action: r.action, counts, skipped: plan.skippedCount, stop, exitCode, reason: s.reason ?? null }, null, 2) + '\n');
    if ((counts.applied ?? 0) > 0 && r.action !== 'STOP_PROCESSING') {
      tell({ type: 'note', message: `${counts.applied} packet(s) are now RESUMABLE: they move only when MOSIP's reprocessor runs (its cron tick, every 3 min by default, takes RESUMABLE rows first); while it is disabled they stay where they are` });
    }
    const result: ActionResult = { runId: run.id, counts, skipped: plan.skippedCount, stop, exitCode, resumeCommand: stop && stop.kind !== 'invalid_request' ? resumeCommand(run.id, s.runsDir, 'action') : null };
    tell({ type: 'finished', action: r.action, result });
    return result;
  } finally {
    await observation?.close();
    log?.close();
    await journal?.close().catch(() => undefined);
    await client?.close().catch(() => undefined);
    await auth?.close().catch(() => undefined);
    await lock?.release().catch(() => undefined);
  }
}

/** RIDs an earlier attempt settled (see SETTLED_OUTCOMES); sent without a result journaled are not settled: the database check decides. */
export function settledRids(run: RunHandle): Set<string> {
  const out = new Set<string>();
  for (const rec of readJournal(run.journalPath)) {
    if (rec.t === 'action_result' && SETTLED_OUTCOMES.has(rec.outcome as WorkflowActionOutcome)) out.add(rec.rid.toLowerCase());
  }
  return out;
}

async function ridsOfFile(path: string): Promise<ActionRid[]> {
  const { entries } = await readPacketFile(path);
  return entries.map((e) => ({ rid: e.rid, origin: e.origin }));
}

function ridsOfArgs(values: readonly string[]): ActionRid[] {
  if (values.length === 0) throw new InputError('--registration: no value given; nothing was sent');
  return values.map((v, i) => {
    const origin = values.length === 1 ? '--registration' : `--registration #${i + 1}`;
    const parsed = parsePacketLine(v, origin);
    if (parsed.kind === 'skip') throw new InputError(`${origin}: is empty or a comment; nothing was sent`);
    if (parsed.kind === 'problem') throw new InputError(`${origin}: ${parsed.issues.map((x) => `${x.field ? `${x.field}: ` : ''}${x.reason}`).join('; ')}; nothing was sent`);
    return { rid: parsed.rid, origin };
  });
}

function distinctRids(items: ActionRid[]): ActionRid[] {
  const seen = new Set<string>();
  return items.filter((x) => {
    const k = x.rid.toLowerCase();
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

export { resumeCommand };
