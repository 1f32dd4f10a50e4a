// The backlog a scenario starts from: packets the run must re-drive, and beside them the rows its guards must hold
// back (paused, retry budget spent, written within the last 6300 s) and inactive duplicates (an older copy of a
// packet that MOSIP deactivated: the stage answers null for it). Each row says what the run may do with it, so the
// invariants read as "this kind of row, this promise". The same seed gives the same rows (the PRNG draws them).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { makeRid } from '@mosip-reprocess/contract/rid.js';
import { SeededRandom } from '@mosip-reprocess/simulator/sim/random.js';
import { insertRegistrations, type RegistrationRowInput } from '@mosip-reprocess/simulator/sql/registrationRows.js';
import { stuckRow } from '../rows.js';
import type { Scenario } from './combination.js';

const DAY_MS = 86_400_000;
/** Names the query file's statement in pg_stat_activity (sessions.ts). */
export const QUERY_FILE_MARK = '/* scenario query file */';

/**
 * What the run may do with a row:
 * - send: re-drive it (it ends sent exactly once, in doubt, or reported as not forwarded);
 * - never: a guard holds it back whatever happens (stops, resumes, shards);
 * - null-once: an inactive row: the stage cannot find it (reply `null`); sent at most once, never again.
 */
export type Expectation = 'send' | 'never' | 'null-once';

export interface BacklogPacket {
  row: RegistrationRowInput;
  expect: Expectation;
  /** For 'never' and 'null-once' rows: why, in words (the guard that holds it, or what the row is). */
  why: string;
  /** The guard's reason names this row in the run's output (listed packets are named by their line; D7). */
  namedWhenHeld: boolean;
  /** The source lists it (the file, the --registration flags, the query's result; every row for --db). */
  listed: boolean;
}

export interface Backlog {
  packets: BacklogPacket[];
  /** The source's input: the file (--file, action --file), the query (--query-file), the --registration values. */
  file: string | null;
  queryFile: string | null;
  registrations: string[];
}

/** Inserts the scenario's backlog into the schema and writes the source's input files into `dir`. */
export async function seedBacklog(pool: pg.Pool, schema: string, scenario: Scenario, dir: string): Promise<Backlog> {
  const rng = new SeededRandom(scenario.seed ^ 0x5ca1ab1e);
  let sequence = 0;
  const now = Date.now();
  const base = (over: Partial<RegistrationRowInput>): RegistrationRowInput => stuckRow({
    regId: makeRid(10011, 10021, ++sequence, new Date(now - 6 * DAY_MS)),
    workflowInstanceId: rng.uuid(),
    ...over,
  });
  const packets = scenario.source === 'action' ? actionBacklog(scenario, rng, base, now) : notificationBacklog(scenario, rng, base, now);
  await insertRegistrations(pool, schema, packets.map((p) => p.row));

  const listed = packets.filter((p) => p.listed);
  const backlog: Backlog = { packets, file: null, queryFile: null, registrations: [] };
  if (scenario.source === 'file') {
    backlog.file = join(dir, 'packets.txt');
    const lines = shuffled(listed, rng).map((p) => `${p.row.regId}, ${p.row.process}, ${p.row.workflowInstanceId}`);
    writeFileSync(backlog.file, `# scenario ${scenario.seed}\n${lines.join('\n')}\n`);
  } else if (scenario.source === 'action' && scenario.knobs.actionFrom === 'file') {
    backlog.file = join(dir, 'rids.txt');
    writeFileSync(backlog.file, `${[...new Set(shuffled(listed, rng).map((p) => p.row.regId))].join('\n')}\n`);
  } else if (scenario.source === 'query-file') {
    backlog.queryFile = join(dir, 'stuck.sql');
    writeFileSync(backlog.queryFile, `-- scenario ${scenario.seed}: every packet of the schema; the guards decide\n`
      + `SELECT ${QUERY_FILE_MARK} reg_id, process, workflow_instance_id, iteration, source FROM "${schema}".registration ORDER BY cr_dtimes, workflow_instance_id;\n`);
  } else if (scenario.source === 'registration') {
    backlog.registrations = listed.map((p) => `${p.row.regId}, ${p.row.process}, ${p.row.workflowInstanceId}`);
  }
  return backlog;
}

type RowMaker = (over: Partial<RegistrationRowInput>) => RegistrationRowInput;

function notificationBacklog(scenario: Scenario, rng: SeededRandom, base: RowMaker, now: number): BacklogPacket[] {
  const listedBySource = scenario.source !== 'registration';
  const out: BacklogPacket[] = [];
  const add = (row: RegistrationRowInput, expect: Expectation, why: string, listed = listedBySource) =>
    out.push({ row, expect, why, namedWhenHeld: expect === 'never' && scenario.source !== 'db', listed });

  const eligible: RegistrationRowInput[] = [];
  for (let i = 0; i < scenario.knobs.eligible; i++) {
    const stuck = rng.pick([
      { latestTrnTypeCode: 'UPLOAD_PACKET', latestTrnStatusCode: 'SUCCESS', regStageName: 'PacketUploaderStage' },
      { latestTrnTypeCode: 'QUALITY_CHECK', latestTrnStatusCode: 'SUCCESS', regStageName: 'QualityCheckerStage' },
      { latestTrnTypeCode: 'BIOGRAPHIC_VERIFICATION', latestTrnStatusCode: 'IN_PROGRESS', regStageName: 'BioDedupeStage' },
      { latestTrnTypeCode: 'PACKET_CLASSIFICATION', latestTrnStatusCode: 'REPROCESS', regStageName: 'PacketClassifierStage' },
    ]);
    const row = base({
      ...stuck,
      process: rng.weighted({ NEW: 6, UPDATE: 2, LOST: 1 }),
      latestTrnDtimes: new Date(now - rng.int(2, 30) * DAY_MS),
      regProcessRetryCount: rng.int(0, 5),
      ...(rng.chance(0.2) ? { source: null } : {}), // migrated from 1.1.5
    });
    eligible.push(row);
    add(row, 'send', 'stuck', true);
  }
  const ago = (ms: number) => new Date(now - ms);
  const guards: [RegistrationRowInput, Expectation, string][] = [
    [base({ statusCode: 'PAUSED', pauseRuleIds: 'PAUSE', latestTrnTypeCode: 'INTERNAL_WORKFLOW_ACTION', defaultResumeAction: 'RESUME_PROCESSING' }), 'never', 'paused (PAUSE)'],
    [base({ statusCode: 'PAUSED', pauseRuleIds: 'HOTLISTED_OPERATOR', latestTrnTypeCode: 'INTERNAL_WORKFLOW_ACTION', defaultResumeAction: 'STOP_PROCESSING' }), 'never', 'paused (HOTLISTED_OPERATOR)'],
    [base({ statusCode: 'RESUMABLE', latestTrnTypeCode: 'WORKFLOW_RESUME' }), 'never', 'resumable (waits for the reprocessor)'],
    [base({ statusCode: 'PAUSED_FOR_ADDITIONAL_INFO', latestTrnTypeCode: 'INTERNAL_WORKFLOW_ACTION' }), 'never', 'paused for additional info'],
    [base({ trnRetryCount: 9 }), 'never', 'uploader retry budget spent (trn_retry_count 9)'],
    [base({ regProcessRetryCount: 20 }), 'never', 'reprocess budget spent (reg_process_retry_count 20)'],
    [base({ latestTrnDtimes: ago(600_000) }), 'never', 'written 600 s ago (within 6300 s)'],
    [base({ latestTrnDtimes: ago(42_000) }), 'never', 'written 42 s ago (within 6300 s)'],
  ];
  // An older copy of two of the packets, deactivated by MOSIP: same RID, earlier creation, is_active false.
  for (const original of eligible.slice(0, 2)) {
    guards.push([base({
      regId: original.regId, process: original.process, isActive: false,
      crDtimes: new Date(original.crDtimes!.getTime() - DAY_MS), latestTrnDtimes: new Date(original.latestTrnDtimes!.getTime() - DAY_MS),
    }), 'null-once', 'inactive duplicate (the stage answers null)']);
  }
  // --registration lists a few packets: every eligible one it was given, one guard row of each kind.
  const listedGuards = listedBySource ? guards : [guards[rng.int(0, 3)]!, guards[rng.int(4, 5)]!, guards[rng.int(6, 7)]!, guards[8]!];
  for (const g of guards) add(g[0], g[1], g[2], listedGuards.includes(g));
  return out;
}

function actionBacklog(scenario: Scenario, rng: SeededRandom, base: RowMaker, now: number): BacklogPacket[] {
  const paused = (rules: string): Partial<RegistrationRowInput> => ({
    statusCode: 'PAUSED', pauseRuleIds: rules, latestTrnTypeCode: 'INTERNAL_WORKFLOW_ACTION', latestTrnStatusCode: 'SUCCESS',
    regStageName: 'PacketClassifierStage', resumeTimestamp: new Date(now + DAY_MS),
    defaultResumeAction: rules.includes('HOTLISTED_OPERATOR') ? 'STOP_PROCESSING' : 'RESUME_PROCESSING',
    latestTrnDtimes: new Date(now - rng.int(2, 20) * DAY_MS),
  });
  const fromFile = scenario.knobs.actionFrom === 'file';
  const out: BacklogPacket[] = [];
  const add = (row: RegistrationRowInput, expect: Expectation, why: string) =>
    out.push({ row, expect, why, namedWhenHeld: expect === 'never' && fromFile, listed: true });
  for (let i = 0; i < scenario.knobs.eligible; i++) add(base(paused('PAUSE')), 'send', 'paused under PAUSE');
  // One RID with two active rows, both PAUSED under PAUSE: every active row is paused, so it is sent (decisions,
  // issue 19 item 11), and MOSIP moves both rows.
  const first = base(paused('PAUSE'));
  add(first, 'send', 'one RID, two active rows, both paused under PAUSE');
  add(base({ ...paused('PAUSE'), regId: first.regId, crDtimes: new Date(first.crDtimes!.getTime() + 60_000) }), 'send', 'one RID, two active rows, both paused under PAUSE');
  add(base(paused('HOTLISTED_OPERATOR')), 'never', 'paused by the hotlisted-operator rule (needs --include-hotlisted)');
  add(base(paused('PAUSE,HOTLISTED_OPERATOR')), 'never', 'paused by PAUSE and the hotlisted-operator rule (needs --include-hotlisted)');
  if (fromFile) add(base({}), 'never', 'not PAUSED (MOSIP refuses RPR-WAA-004)');
  return out;
}

function shuffled<T>(items: readonly T[], rng: SeededRandom): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
