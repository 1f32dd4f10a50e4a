// The promises every scenario must keep, each one check with the promise as its name. They compare three
// witnesses that do not depend on each other: the simulator's ground truth (how often the stage handled each
// packet, which forwarded messages the pipeline really lost), the runs' journals and summaries, and what each
// process printed and how it ended.
import type { Backlog, BacklogPacket } from './backlog.js';
import type { Scenario } from './combination.js';
import { actionStories, attemptsOf, isActionRun, packetStories, type PacketStory, type StoredRun } from './journals.js';
import { STOP_BOUND_MS, type Attempt, type Drive } from './operator.js';
import { isQueryFileCursor, LONG_TRANSACTION_MS, type SessionSighting } from './sessions.js';
import type { Stage } from './stage.js';

export interface Violation {
  /** The promise broken, in a few words. */
  promise: string;
  detail: string;
}

export interface Evidence {
  scenario: Scenario;
  backlog: Backlog;
  stage: Stage;
  drive: Drive;
  runs: StoredRun[];
  /** The longest transaction seen per session of the tool, and the sessions left open after the last attempt. */
  sessions: { longest: SessionSighting[]; leftOpen: SessionSighting[] };
  /** WORKFLOW_RESUME transactions per RID (what the workflow manager wrote). */
  workflowResumes: Map<string, number>;
}

export const PROMISES = {
  once: 'never sent twice',
  accounted: 'never silently lost',
  droppedMeansLost: 'dropped means the pipeline lost it',
  guards: 'the guards hold, after every resume too',
  stops: 'a stop ends the process within seconds',
  stopRecorded: 'a stop is recorded and says how to continue',
  numbers: 'the numbers add up',
  transactions: 'no transaction stays open for long',
  continuation: 'a stopped run can be continued to its end',
  action: 'an action moves only what it may, once',
} as const;

/** Not a promise of the tool: the scenario did not run as drawn, so its checks say less than they should. */
export const AS_DRAWN = 'the scenario ran as drawn';

/** Every check, in the order a report lists them. */
export function checkInvariants(e: Evidence): Violation[] {
  return [
    ...neverSentTwice(e),
    ...neverSilentlyLost(e),
    ...droppedMeansLost(e),
    ...guardsHold(e),
    ...stopsEndWithinSeconds(e),
    ...stopsAreRecorded(e),
    ...numbersAddUp(e),
    ...noLongTransactions(e),
    ...runsCanBeContinued(e),
    ...actionsMoveOnlyWhatTheyMay(e),
  ];
}

const who = (p: BacklogPacket) => `${p.row.regId} ${p.row.workflowInstanceId} (${p.why})`;
const told = (s: PacketStory | undefined) => (s
  ? `journals: ${s.sends} send(s), ${s.withdrawn} withdrawn, results [${s.results.join(', ')}], in doubt [${s.inDoubt.join(', ')}], ${s.dropped} dropped`
  : 'no journal mentions it');
const notifications = (e: Evidence) => e.scenario.source !== 'action';
/** Everything the attempts printed (their held-back lines, warnings, resume commands). */
const printed = (e: Evidence) => e.drive.attempts.map((a) => `${a.stderr}\n${a.stdout}`).join('\n');

/**
 * Never sent twice: the stage handles a packet at most once, plus once for every forwarded message of it that the
 * pipeline really lost and that the run then found dropped (decisions D3: the only reason to notify it again).
 * (An inactive row is held to its own rule in guardsHold: MOSIP writes nothing for it, so the lost-reply rule may
 * rightly send it again.)
 */
function neverSentTwice(e: Evidence): Violation[] {
  if (!notifications(e)) return [];
  const stories = packetStories(e.runs);
  return e.backlog.packets.filter((p) => p.expect !== 'null-once').flatMap((p) => {
    const wf = p.row.workflowInstanceId;
    const handled = e.stage.handled(wf);
    const story = stories.get(wf.toLowerCase());
    const allowed = 1 + Math.min(e.stage.lost(wf), story?.dropped ?? 0);
    return handled > allowed
      ? [{ promise: PROMISES.once, detail: `${who(p)}: the stage handled it ${handled} times (at most ${allowed} allowed; the pipeline lost ${e.stage.lost(wf)} of its messages); ${told(story)}` }]
      : [];
  });
}

/**
 * Never silently lost: every packet the source selected ends sent, in doubt, or reported not forwarded in the
 * journal; what the journal says happened did happen; and nothing reached the stage unjournaled.
 */
function neverSilentlyLost(e: Evidence): Violation[] {
  if (!notifications(e)) return [];
  const stories = packetStories(e.runs);
  const complete = e.drive.unfinished.length === 0;
  const out: Violation[] = [];
  for (const p of e.backlog.packets) {
    const wf = p.row.workflowInstanceId;
    const handled = e.stage.handled(wf);
    const story = stories.get(wf.toLowerCase());
    const journaledSends = (story?.sends ?? 0) - (story?.withdrawn ?? 0);
    if (handled > 0 && journaledSends === 0) {
      out.push({ promise: PROMISES.accounted, detail: `${who(p)}: the stage handled it ${handled} time(s) but no journal has a send for it` });
    }
    if (story?.last === 'forwarded' && handled === 0) {
      out.push({ promise: PROMISES.accounted, detail: `${who(p)}: the journal says forwarded, but the stage never handled it` });
    }
    if (complete && p.listed && p.expect === 'send' && handled === 0 && !story) {
      out.push({ promise: PROMISES.accounted, detail: `${who(p)}: never sent, not held back with a reason, not in doubt: no journal mentions it` });
    }
  }
  return out;
}

/** Dropped means lost: a packet the run journals as dropped by the pipeline had a message the pipeline really lost (D3). */
function droppedMeansLost(e: Evidence): Violation[] {
  if (!notifications(e)) return [];
  const stories = packetStories(e.runs);
  return e.backlog.packets.flatMap((p) => {
    const story = stories.get(p.row.workflowInstanceId.toLowerCase());
    if (!story || story.dropped === 0 || e.stage.lost(p.row.workflowInstanceId) > 0) return [];
    return [{ promise: PROMISES.droppedMeansLost, detail: `${who(p)}: journaled dropped ${story.dropped} time(s), but the pipeline lost none of its messages (a stage had taken it: ${e.scenario.behaviour})` }];
  });
}

/**
 * The guards hold, after every resume too: no paused packet, no row written within 6300 s, no packet whose retry
 * budget is spent is ever sent (no --include-* flag is given); an inactive duplicate is sent at most once; a
 * listed packet held back is named with its reason; and a resume runs on the run's own database (D2).
 */
function guardsHold(e: Evidence): Violation[] {
  const out: Violation[] = [];
  const text = printed(e);
  if (notifications(e)) {
    const stories = packetStories(e.runs);
    for (const p of e.backlog.packets) {
      const handled = e.stage.handled(p.row.workflowInstanceId);
      if (p.expect === 'never' && handled > 0) {
        out.push({ promise: PROMISES.guards, detail: `${who(p)}: sent ${handled} time(s), though its guard holds it back; ${sentIn(e, p)}` });
      }
      const story = stories.get(p.row.workflowInstanceId.toLowerCase());
      if (p.expect === 'null-once' && story?.results.includes('forwarded')) {
        out.push({ promise: PROMISES.guards, detail: `${who(p)}: the stage cannot find an inactive row, yet the journal says forwarded; ${told(story)}` });
      }
      // Selected once: a run takes it again only when the in-doubt rule says so (a reply that never came), or after
      // a transient reply (a 5xx or no reply once its retries ran out: no answer, so a resume sends it again); a
      // null reply is definitive, so no later batch, attempt or shard selects it again (item 1's re-reads).
      const resends = story?.inDoubt.filter((d) => d === 'resend').length ?? 0;
      const transient = story?.results.filter((o) => o === 'server_error' || o === 'network_error').length ?? 0;
      if (p.expect === 'null-once' && story && story.sends - story.withdrawn > 1 + resends + transient) {
        out.push({ promise: PROMISES.guards, detail: `${who(p)}: selected and sent ${story.sends - story.withdrawn} times though its null reply is definitive; ${told(story)}` });
      }
    }
  }
  if (e.drive.unfinished.length === 0) {
    for (const p of e.backlog.packets.filter((x) => x.listed && x.namedWhenHeld)) {
      const id = e.scenario.source === 'action' ? p.row.regId : p.row.workflowInstanceId;
      const named = text.split('\n').some((line) => line.includes(id) && /skipped|held back|left out|not sent|withheld/i.test(line));
      if (!named) out.push({ promise: PROMISES.guards, detail: `${who(p)}: held back (or should be) without a word: no line of the output names it` });
    }
  }
  for (const a of e.drive.attempts.filter((x) => x.role !== 'first' && x.role !== 'wrong-command')) {
    const line = a.stderr.split('\n').find((l) => /no database configured/.test(l));
    if (line) out.push({ promise: PROMISES.guards, detail: `${a.label}: the resume ran without the run's database (${line.trim()}); the run was started with --db-url` });
  }
  return out;
}

function sentIn(e: Evidence, p: BacklogPacket): string {
  const runs = e.runs.filter((r) => r.records.some((x) => x.t === 'send' && x.wf?.toLowerCase() === p.row.workflowInstanceId.toLowerCase()));
  if (runs.length === 0) return 'no journal has its send';
  return `sent by ${runs.map((r) => `run ${r.id} in attempt(s) ${attemptsOf(r).map((recs, i) => (recs.some((x) => x.t === 'send' && x.wf?.toLowerCase() === p.row.workflowInstanceId.toLowerCase()) ? i + 1 : 0)).filter(Boolean).join(', ')}`).join('; ')}`;
}

/** A stop ends the process within seconds: a signal, a budget, the breaker or a lost lock (D4). */
function stopsEndWithinSeconds(e: Evidence): Violation[] {
  return e.drive.attempts.flatMap((a) => {
    const out: Violation[] = [];
    if (a.forcedEnd) out.push({ promise: PROMISES.stops, detail: `${a.label}: ${a.forcedEnd}; the harness had to end it` });
    if (a.stop && a.stop.kind !== 'kill9' && Number.isFinite(a.stop.boundFrom) && !a.forcedEnd) {
      const took = a.endedAt - a.stop.boundFrom;
      if (took > STOP_BOUND_MS) out.push({ promise: PROMISES.stops, detail: `${a.label}: ended ${(took / 1000).toFixed(1)} s after its stop (${a.stop.detail}); the bound is ${STOP_BOUND_MS / 1000} s` });
    }
    return out;
  });
}

/**
 * A stop is recorded and says how to continue: a graceful stop writes the attempt's end into the journal and the
 * summary, prints the resume command, and exits with its own code (D5: 143 after SIGTERM; 3 when the server stayed
 * down or the lock was lost).
 */
function stopsAreRecorded(e: Evidence): Violation[] {
  const out: Violation[] = [];
  // (An attempt that never started its run, refused at its start, is reported by runsCanBeContinued.)
  for (const a of e.drive.attempts.filter((x) => x.stop && x.stop.kind !== 'kill9' && !x.forcedEnd && x.runId !== null)) {
    const run = e.runs.find((r) => r.id === a.runId);
    // Stops are applied to first attempts: the run's first attempt in its journal.
    const end = run ? (attemptsOf(run)[0] ?? []).find((r) => r.t === 'end') : undefined;
    if (end && !end.stop) continue; // it had finished before the stop could bite: nothing to record
    const expected = a.stop!.kind === 'sigterm' ? [143] : a.stop!.kind === 'breaker' || a.stop!.kind === 'lock-lost' ? [3] : [0, 1];
    if (!expected.includes(a.code)) out.push({ promise: PROMISES.stopRecorded, detail: `${a.label}: stopped by ${a.stop!.detail}, it exited ${a.code}, not ${expected.join(' or ')}` });
    if (!run) continue;
    if (!end) out.push({ promise: PROMISES.stopRecorded, detail: `${a.label}: its journal has no end record for this attempt` });
    if (!run.summary) out.push({ promise: PROMISES.stopRecorded, detail: `${a.label}: no summary.json was written` });
    if (!a.stderr.includes(`--resume ${run.id}`)) {
      out.push({ promise: PROMISES.stopRecorded, detail: `${a.label}: it did not print the command that continues run ${run.id}` });
    }
  }
  for (const a of e.drive.attempts.filter((x) => x.stop?.kind === 'kill9' && x.code !== 137)) {
    out.push({ promise: PROMISES.stopRecorded, detail: `${a.label}: killed with SIGKILL, its exit status was ${a.code}` });
  }
  return out;
}

/** The numbers add up: each attempt's summary agrees with its journal, and every notification was journaled first. */
function numbersAddUp(e: Evidence): Violation[] {
  const out: Violation[] = [];
  for (const run of e.runs.filter((r) => !isActionRun(r))) {
    const ended = attemptsOf(run).filter((recs) => recs.some((r) => r.t === 'end'));
    const summaries = run.summary?.attempts ?? [];
    if (ended.length !== summaries.length) {
      out.push({ promise: PROMISES.numbers, detail: `run ${run.id}: ${ended.length} attempt(s) ended in the journal, ${summaries.length} in summary.json` });
      continue;
    }
    ended.forEach((recs, i) => {
      const s = summaries[i]!;
      const sent = recs.filter((r) => r.t === 'send').length - recs.filter((r) => r.t === 'withdrawn').length;
      if (s.sent !== sent) out.push({ promise: PROMISES.numbers, detail: `run ${run.id} attempt ${i + 1}: summary says ${s.sent} sent, its journal ${sent} (sends less withdrawn)` });
      const results: Record<string, number> = {};
      for (const r of recs.filter((x) => x.t === 'result')) results[r.outcome!] = (results[r.outcome!] ?? 0) + 1;
      for (const [outcome, n] of Object.entries(s.counts)) {
        if ((results[outcome] ?? 0) !== n) out.push({ promise: PROMISES.numbers, detail: `run ${run.id} attempt ${i + 1}: summary counts ${n} ${outcome}, its journal ${results[outcome] ?? 0}` });
      }
    });
  }
  if (notifications(e)) {
    const stories = packetStories(e.runs);
    // (Not for inactive rows: a reply lost on the way back is sent again within the same send, by the rule.)
    for (const p of e.backlog.packets.filter((x) => x.expect !== 'null-once')) {
      const story = stories.get(p.row.workflowInstanceId.toLowerCase());
      const handled = e.stage.handled(p.row.workflowInstanceId);
      const sends = (story?.sends ?? 0) - (story?.withdrawn ?? 0);
      if (handled > Math.max(sends, 0) && sends > 0) {
        out.push({ promise: PROMISES.numbers, detail: `${who(p)}: the stage handled it ${handled} times, the journals have ${sends} send(s) for it` });
      }
    }
  }
  return out;
}

/** No transaction stays open for long, during the waits or after the run (D4: a query's cursor is closed on every stop). */
function noLongTransactions(e: Evidence): Violation[] {
  const out: Violation[] = e.sessions.longest.filter((s) => s.transactionMs > LONG_TRANSACTION_MS && !isQueryFileCursor(s)).map((s) => ({
    promise: PROMISES.transactions,
    detail: `session ${s.pid} (${s.applicationName}) held a transaction open ${(s.transactionMs / 1000).toFixed(1)} s (state ${s.state}): ${s.query.replace(/\s+/g, ' ').slice(0, 160)}`,
  }));
  for (const s of e.sessions.leftOpen) {
    out.push({ promise: PROMISES.transactions, detail: `session ${s.pid} (${s.applicationName}) was still open after every run had ended (state ${s.state}): ${s.query.replace(/\s+/g, ' ').slice(0, 160)}` });
  }
  return out;
}

/**
 * A stopped run can be continued to its end: every shard starts (D1), a continuation never fails before it begins
 * (D2: it finds the run's database), the notification command does not take over an action run (D6), and the
 * harness brought every run to its end.
 */
function runsCanBeContinued(e: Evidence): Violation[] {
  const out: Violation[] = [];
  const first = (a: Attempt) => a.stderr.split('\n').find((l) => /error|refused|holds the lock/i.test(l))?.trim() ?? a.stderr.split('\n')[0]?.trim() ?? '';
  for (const a of e.drive.attempts) {
    // The scenario's own stop can land before a slow process has created its run (two processes starting on a
    // loaded machine): a kill -9 ends it, an outage already on refuses its token (exit 3), a budget's --until has
    // passed (exit 2). Nothing was sent (every send is journaled first), there is no run to continue, and the
    // harness starts it again: not a broken promise.
    const stopCameFirst = (e.scenario.stop === 'kill9' && a.code === 137)
      || (e.scenario.stop === 'breaker' && a.code === 3 && /HTTP 503|no healthy upstream/.test(a.stderr))
      || (e.scenario.stop === 'budget' && a.code === 2 && /--until .*: that time has passed/.test(a.stderr));
    if (a.role === 'first' && a.runId === null && !a.forcedEnd && !stopCameFirst) {
      out.push({ promise: PROMISES.continuation, detail: `${a.label}: no run started (exit ${a.code}): ${first(a)}` });
    }
    if ((a.role === 'continuation' || a.role === 'again-after-refusal') && (a.code < 0 || a.code >= 2) && !a.forcedEnd) {
      out.push({ promise: PROMISES.continuation, detail: `${a.label}: exit ${a.code}: ${first(a)}` });
    }
    // The same --run-name after the run finished does nothing and exits with the run's own exit code (0 or 1).
    if (a.role === 'after-finish' && e.scenario.continuation === 'run-name') {
      const own = [...e.drive.attempts].reverse().find((x) => x !== a && x.runId !== null && x.runId === a.runId && x.role !== 'after-finish');
      const nothing = /already finished with exit code \d+: nothing to do/.test(a.stderr);
      if (!nothing || (own && a.code !== own.code)) {
        out.push({ promise: PROMISES.continuation, detail: `${a.label}: the same --run-name after the run finished exits ${a.code}${own ? `, not its run's ${own.code}` : ''}${nothing ? '' : ' without saying there is nothing to do'}` });
      }
    }
    if (a.role === 'wrong-command') {
      // D6: refused before anything starts; it must not take the action run for a notification run.
      const tookIt = a.stderr.split('\n').find((l) => /run \S+ resumed|no run lock is taken|no database configured/.test(l));
      if (a.code !== 2) out.push({ promise: PROMISES.continuation, detail: `${a.label}: \`reprocess --resume last\` with only a stopped action run exits ${a.code}, not 2: ${first(a)}` });
      if (tookIt) out.push({ promise: PROMISES.continuation, detail: `${a.label}: \`reprocess --resume last\` took the stopped action run for a notification run: ${tookIt.trim()}` });
    }
  }
  for (const u of e.drive.unfinished) out.push({ promise: PROMISES.continuation, detail: u });
  return out;
}

/**
 * An action moves only what it may, once: no securezone notification at all; every eligible RID's active rows are
 * resumed once (MOSIP moves every active row of a RID in one request), or the RID is named with its reason; no
 * hotlisted or unpaused packet is resumed.
 */
function actionsMoveOnlyWhatTheyMay(e: Evidence): Violation[] {
  if (e.scenario.source !== 'action') return [];
  const out: Violation[] = [];
  const sent = e.stage.notificationsReceived();
  if (sent > 0) out.push({ promise: PROMISES.action, detail: `${sent} securezone notification(s) were sent in a scenario that only ever asked for a workflow action` });
  const stories = actionStories(e.runs);
  const text = printed(e);
  const byRid = new Map<string, BacklogPacket[]>();
  for (const p of e.backlog.packets) byRid.set(p.row.regId, [...(byRid.get(p.row.regId) ?? []), p]);
  for (const [rid, rows] of byRid) {
    const moved = e.workflowResumes.get(rid) ?? 0;
    const story = stories.get(rid);
    const what = `${rid} (${rows[0]!.why})`;
    if (rows[0]!.expect === 'never') {
      if (moved > 0) out.push({ promise: PROMISES.action, detail: `${what}: resumed (${moved} row(s) moved), though it must not be without its consent flag` });
      continue;
    }
    if (moved > rows.length) out.push({ promise: PROMISES.action, detail: `${what}: ${moved} WORKFLOW_RESUME transactions for ${rows.length} active row(s): moved twice` });
    if (moved > 0 && !story) out.push({ promise: PROMISES.action, detail: `${what}: moved, but no journal has a request for it` });
    const named = story?.outcomes.length || text.split('\n').some((l) => l.includes(rid));
    if (moved === 0 && e.drive.unfinished.length === 0 && !named) {
      out.push({ promise: PROMISES.action, detail: `${what}: never resumed and never named: no request, no outcome, no line of the output` });
    }
  }
  return out;
}

/**
 * The scenario ran as drawn: every stop it drew was applied. A run that ended before its stop came (a shard whose
 * slice was small), or a lock the harness could not find, would otherwise pass without the stop ever being tried.
 * Not a promise of the tool: the fixed set requires it of its seeds, the soak suite only prints it.
 */
export function ranAsDrawn(e: Evidence): Violation[] {
  const out: Violation[] = [];
  for (const a of e.drive.attempts.filter((x) => x.role === 'first' && x.plannedStop !== 'none' && x.runId !== null)) {
    const end = (attemptsOf(e.runs.find((r) => r.id === a.runId) ?? { records: [] } as never)[0] ?? []).find((r) => r.t === 'end');
    if (a.stop === null) {
      out.push({ promise: AS_DRAWN, detail: `${a.label}: its stop (${a.plannedStop}) never came: the run ended (exit ${a.code}) before the harness could apply it` });
    } else if (a.plannedStop === 'budget' && a.shard === null && end && !end.stop) {
      // (A shard's slice may be too small for its budget to bite before it is done; one run's never is.)
      out.push({ promise: AS_DRAWN, detail: `${a.label}: its budget (${a.stop.detail}) never stopped it: the run finished first` });
    }
  }
  return out;
}
